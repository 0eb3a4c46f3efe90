"""Prefect flows: intake, review, publish. Land with the workflow issue; they only orchestrate gongkai's stages."""

"""Prefect orchestration only: the review-document flow and its form, and `gongkai up` (serve.py)."""

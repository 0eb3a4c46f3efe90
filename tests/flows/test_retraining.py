"""Scheduled retraining inside `gongkai up`: reviewers' decisions become training data, the gate decides,
and the next document's review shows the promoted model's suggestion.

Real Prefect server and runner, real S3 endpoint on loopback; training data are a few real corpus
documents (the starter corpus, models/corpus/real_docs_dev.jsonl) so that a run takes seconds.
"""

from __future__ import annotations

import json

from gongkai.flows.serve import RETRAIN_DEPLOYMENT
from gongkai.models.store import ModelStore
from tests.stack import GOOD, RETRAIN_SCHEDULE, UNLABELLED, Stack


def test_retraining_learns_from_reviewers_decisions(stack: Stack, stack_storage) -> None:  # noqa: ANN001
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.deployments import run_deployment

    with stack.client() as client:
        deployment = client.read_deployment_by_name(RETRAIN_DEPLOYMENT)
    assert [schedule.schedule.cron for schedule in deployment.schedules] == [RETRAIN_SCHEDULE]

    stack.drop("good.docx", GOOD)
    reviewed = stack.wait_for_runs(1, "Suspended")[0]
    assert "no trained model" in _review_page(stack, reviewed.id, ArtifactFilter, ArtifactFilterFlowRunId)
    stack.resume(reviewed.id, decision="publish", category="主动公开", topic="社会救助", reviewer="李审核")
    assert stack.wait_final(reviewed.id).state.name == "Completed"

    retraining = run_deployment(RETRAIN_DEPLOYMENT, timeout=0)  # what the UI's "Run" button does
    finished = stack.wait_final(retraining.id, seconds=600)
    assert finished.state.name == "Completed", finished.state.message
    store = ModelStore(stack.workdir / "models")
    [version] = store.list()
    assert version["examples"] == 20 + 1  # the training sources and the one published decision
    assert version["gate_metric"] == "held_out_macro_f1" and version["metrics"]["held_out_macro_f1"] is not None
    assert store.promoted_version() == version["version"]
    [gate] = [json.loads(line) for line in (stack.workdir / "models" / "decisions.jsonl").read_text().splitlines()]
    assert gate["promoted"] and gate["version"] == version["version"]

    # the next document is reviewed with the promoted model's suggestion
    stack.drop("unlabelled.docx", UNLABELLED)
    waiting = next(run for run in stack.wait_for_runs(1, "Suspended") if run.id != reviewed.id)
    page = _review_page(stack, waiting.id, ArtifactFilter, ArtifactFilterFlowRunId)
    assert "公开类别 category: **" in page and "目录主题 topic: **" in page


def _review_page(stack: Stack, run_id, ArtifactFilter, ArtifactFilterFlowRunId) -> str:  # noqa: ANN001, N803
    with stack.client() as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
    return next(artifact.data for artifact in artifacts if artifact.key and artifact.key.startswith("review-"))

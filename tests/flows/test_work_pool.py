"""Review runs on a Prefect work pool (GONGKAI_WORK_POOL): `gongkai up` deploys the review flows to the pool by
module path and starts a worker; the run is taken by the worker, suspended for review and carried out."""

from __future__ import annotations

from typing import Any

import pytest

from gongkai.flows.serve import DEPLOYMENT
from tests.conftest import free_port
from tests.stack import GOOD, Stack


@pytest.mark.stack_env(GONGKAI_WORK_POOL="gongkai-reviews", GONGKAI_WORKER_PORT=str(free_port()))
def test_a_review_runs_on_the_work_pool(stack: Stack, stack_storage: Any) -> None:
    with stack.client() as client:
        deployment = client.read_deployment_by_name(DEPLOYMENT)
    assert deployment.work_pool_name == "gongkai-reviews"
    assert deployment.entrypoint == "gongkai.flows.document.review_document"  # a worker host imports it
    stack.drop("good.docx", GOOD)
    [waiting] = stack.wait_for_runs(1, "Suspended", seconds=180)
    assert waiting.work_pool_name == "gongkai-reviews"
    stack.resume(waiting.id, decision="publish", category="主动公开", topic="社会救助", reviewer="李审核")
    finished = stack.wait_final(waiting.id, seconds=180)
    assert finished.state.name == "Completed", finished.state.message
    assert [key for key in stack_storage.public.keys("items/") if key.endswith("metadata.json")]

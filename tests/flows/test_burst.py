"""The workflow under a burst, through `gongkai up` (no timing asserts: bench/burst.py measures).

A flow run stays light (the model lives in the host's one suggestion service); at most
GONGKAI_MAX_CONCURRENT_DOCUMENTS documents are checked at once and the others wait their turn; a
reviewer's decision sent while documents are still arriving lands.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from typing import Any

import pytest

from tests.conftest import write_docx
from tests.stack import GONGKAI, GOOD, Stack

FORM = {"decision": "publish", "category": "主动公开", "topic": "社会救助", "reviewer": "李审核"}


def numbered(number: int) -> list[str]:
    return [GOOD[0], f"粤民发〔2026〕{number}号", f"广东省民政厅关于第{number}批城乡低保工作的通知", *GOOD[3:]]


def running_intervals(stack: Stack, run_id: Any) -> list[tuple[datetime, datetime]]:
    """When the run was Running (one interval per time it ran: the first check, and after the resume)."""
    with stack.client() as client:
        states = sorted(client.read_flow_run_states(run_id), key=lambda state: state.timestamp)
    intervals, started = [], None
    for state in states:
        if state.name == "Running":
            started = state.timestamp
        elif started is not None:
            intervals.append((started, state.timestamp))
            started = None
    return intervals


@pytest.mark.stack_env(GONGKAI_MAX_CONCURRENT_DOCUMENTS="1")
def test_with_a_limit_of_one_a_second_document_waits_and_then_runs(stack: Stack) -> None:
    stack.drop("first.docx", numbered(21))
    stack.drop("second.docx", numbered(22))
    runs = stack.wait_for_runs(2, "Suspended")
    first, second = (running_intervals(stack, run.id)[0] for run in runs)
    assert first[1] <= second[0] or second[1] <= first[0]  # never checked at the same time


def test_a_resume_during_a_burst_succeeds(stack: Stack, stack_storage) -> None:  # noqa: ANN001
    for number in range(30, 38):
        stack.drop(f"{number}.docx", numbered(number))
    [first, *_] = stack.wait_for_runs(1, "Suspended")
    assert stack.resume_as_the_ui_does(first.id, **FORM) in (200, 201)
    assert stack.wait_final(first.id).state.name == "Completed"
    assert len(stack.wait_for_runs(7, "Suspended", seconds=300)) == 7  # the other seven, and nothing lost
    assert any(key.endswith("metadata.json") for key in stack_storage.public.keys("items/"))


def test_a_flow_run_imports_neither_torch_nor_transformers(stack: Stack) -> None:
    """A real run of the review deployment, executed here in a fresh interpreter up to its review form, with a
    promoted model: the suggestion comes from `up`'s model service, and the run's process never imports the
    model's libraries. (The run is created Pending, which the runner of `up` leaves alone.)"""
    trained = subprocess.run([GONGKAI, "train", "--json"], cwd=stack.workdir, env=stack.env,
                             capture_output=True, text=True, timeout=600)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert json.loads(trained.stdout.splitlines()[-1])["decision"]["promoted"]
    manual_inbox = stack.workdir / "manual-inbox"  # not the inbox `up` watches
    write_docx(manual_inbox / "社救处" / "good.docx", GOOD)
    result = subprocess.run([sys.executable, "-c", ONE_RUN_HERE], cwd=stack.workdir,
                            env={**stack.env, "GONGKAI_INBOX": str(manual_inbox)},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["state"] == "Suspended" and seen["heavy"] == []
    assert any("置信度 confidence" in page for page in seen["pages"])  # the review page shows the suggestion


ONE_RUN_HERE = r"""
import json, os, sys
from gongkai.flows.serve import DEPLOYMENT, prefect_environment
from gongkai.settings import Settings

settings = Settings()
os.environ.update(prefect_environment(settings))
from prefect.client.orchestration import get_client
from prefect.exceptions import Pause
from prefect.flow_engine import run_flow
from prefect.states import Pending
from gongkai.flows.document import review_document
from gongkai.intake import Inbox
from gongkai.storage import open_storage

inbox = Inbox(settings.inbox, settings.data_dir / "processing", 0, 1 << 30)
claim = inbox.claim(settings.inbox / "社救处" / "good.docx", open_storage(settings)).to_dict()
with get_client(sync_client=True) as client:
    deployment = client.read_deployment_by_name(DEPLOYMENT)
    run = client.create_flow_run_from_deployment(deployment.id, parameters={"claim": claim}, state=Pending())
try:
    run_flow(review_document, flow_run=run, parameters={"claim": claim})
except Pause:  # the engine ends a suspended run by raising it; the state is on the server
    pass
with get_client(sync_client=True) as client:
    state = client.read_flow_run(run.id).state
    pages = [artifact.data for artifact in client.read_artifacts() if (artifact.key or "").startswith("review-")]
print(json.dumps({"state": state.name, "pages": pages,
                  "heavy": sorted(m for m in ("torch", "transformers", "sklearn") if m in sys.modules)},
                 ensure_ascii=False))
"""

"""Past one process, inside one `gongkai up` for the module (GONGKAI_DASK_WORKERS=2, GONGKAI_WORK_POOL): the import
flow with its chunks on a local Dask cluster of 2 worker processes (prefect-dask) gives the catalogue the
single-process `gongkai import` gives; `--as review` puts the documents in one batch run, approved in one form
with per-row exceptions; review runs go to the work pool's worker."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gongkai.cli import main
from gongkai.flows.serve import DEPLOYMENT
from gongkai.settings import Settings
from gongkai.storage import open_storage
from tests.conftest import free_port
from tests.gongkai.test_back_catalogue import back_catalogue, catalogue_of, write_metadata
from tests.security.hostile import BANK_CARD, ID_NUMBER
from tests.stack import GOOD, Stack, shared_stack, storage_of

POOL = "gongkai-reviews"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str, migrated_prefect_db: Path) -> Iterator[Stack]:
    with shared_stack(tmp_path_factory, s3_endpoint, migrated_prefect_db, GONGKAI_DASK_WORKERS="2",
                      GONGKAI_WORK_POOL=POOL, GONGKAI_WORKER_PORT=str(free_port())) as running:
        yield running


@pytest.fixture(scope="module")
def stack_storage(stack: Stack) -> Any:
    return storage_of(stack)


def public_items(storage: Any) -> int:
    return len(json.loads(storage.public.get("catalogue/index.json"))["items"]) if storage.public.exists(
        "catalogue/index.json") else 0


def test_the_import_on_two_dask_workers_equals_the_local_one(stack: Stack, stack_storage: Any, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.deployments import run_deployment

    folder = tmp_path / "old"
    back_catalogue(folder)
    metadata = write_metadata(folder)
    run = run_deployment("import-back-catalogue/form", timeout=0,
                         parameters={"folder": str(folder), "metadata_csv": str(metadata), "chunk_size": 3})
    finished = stack.wait_final(run.id, seconds=300)
    assert finished.state.name == "Completed", finished.state.message
    with stack.client() as client:
        task_runs = client.read_task_runs()
        artifacts = {artifact.key: artifact for artifact in client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))}
    checked = [task_run for task_run in task_runs if task_run.flow_run_id == run.id]
    assert len(checked) == 4 and all(task_run.state.name == "Completed" for task_run in checked)  # 10 files, 3 a chunk
    assert artifacts["import-progress"].data == 100.0
    assert "published 3" in artifacts["import-summary"].data and "registered 5" in artifacts["import-summary"].data
    [failures] = stack_storage.private.keys("imports/failures/")
    assert "2019／秘密.docx" in stack_storage.private.get(failures).decode("utf-8-sig")

    local = Settings(storage="local", data_dir=tmp_path / "local")
    monkeypatch.setenv("GONGKAI_DATA_DIR", str(local.data_dir))
    monkeypatch.setenv("GONGKAI_MODEL_DIR", str(stack.workdir / "models"))  # the stack's: none promoted
    monkeypatch.chdir(tmp_path)
    assert main(["import", str(folder), "--csv", str(metadata)]) == 0
    imported_here = catalogue_of(open_storage(local))
    assert len(imported_here) == 3
    assert {number: entry for number, entry in catalogue_of(stack_storage).items() if number in imported_here} == \
        imported_here


def test_import_as_review_makes_one_batch_run_approved_in_one_form(stack: Stack, stack_storage: Any,
                                                                    tmp_path: Path) -> None:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    folder = tmp_path / "old"
    back_catalogue(folder, first=101)  # other documents than the other tests' (one stack for the module)
    items_before = public_items(stack_storage)
    registered_before = len([key for key in stack_storage.private.keys("register/") if key.endswith("metadata.json")])
    command = [str(Path(sys.executable).with_name("gongkai")), "import", str(folder), "--as", "review"]
    done = subprocess.run(command, cwd=stack.workdir, env=stack.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "review 8" in done.stdout  # the damaged PDF fails, the copy is a duplicate, the link is never read
    [waiting] = [run for run in stack.wait_for_runs(1, "Suspended", seconds=180)
                 if run.deployment_id and "claims" in run.parameters]
    assert waiting.work_pool_name == POOL
    with stack.client() as client:
        [page] = [artifact.data for artifact in client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[waiting.id])))
            if artifact.key == "batch-review"]
    rows = [line for line in page.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == 8
    cells = [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]
    blocked = [int(row[0]) for row in cells if row[-1]]  # the last column says why a row cannot be published
    assert len(blocked) == 5  # 依申请, 无标注, 秘密, 名单 (ID number), 页脚卡号 (card number in the footer)
    forced, *withheld = blocked
    # publish the batch; the blocked rows recorded, except one the reviewer tries to publish anyway
    stack.resume(waiting.id, decision="publish", reviewer="李审核",
                 exceptions=[{"row": row, "decision": "record", "category": "不予公开", "reason": "不宜公开"}
                             for row in withheld] + [{"row": forced, "decision": "publish"}])
    assert stack.wait_final(waiting.id, seconds=180).state.name == "Completed"
    assert public_items(stack_storage) == items_before + 3
    public = b"".join(stack_storage.public.get(key) for key in stack_storage.public.keys())
    assert ID_NUMBER.encode() not in public and BANK_CARD.encode() not in public and "机密★".encode() not in public
    assert len([key for key in stack_storage.private.keys("register/")
                if key.endswith("metadata.json")]) == registered_before + 4
    assert len(list((stack.workdir / "returned").rglob("*.问题说明.txt"))) == 1  # the forced row, with why


def test_a_review_runs_on_the_work_pool(stack: Stack, stack_storage: Any) -> None:
    with stack.client() as client:
        deployment = client.read_deployment_by_name(DEPLOYMENT)
    assert deployment.work_pool_name == POOL
    assert deployment.entrypoint == "gongkai.flows.document.review_document"  # a worker host imports it
    stack.drop("good.docx", GOOD)
    [waiting] = [run for run in stack.wait_for_runs(1, "Suspended", seconds=180) if "claim" in run.parameters]
    assert waiting.work_pool_name == POOL
    stack.resume(waiting.id, decision="publish", category="主动公开", topic="社会救助", reviewer="李审核")
    finished = stack.wait_final(waiting.id, seconds=180)
    assert finished.state.name == "Completed", finished.state.message
    assert "粤民发〔2026〕12号" in catalogue_of(stack_storage)

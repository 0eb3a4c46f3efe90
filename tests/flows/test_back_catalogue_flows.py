"""The back-catalogue import inside `gongkai up`: the flow with its chunks on a local Dask cluster of 2 worker
processes (prefect-dask) gives the catalogue the single-process `gongkai import` gives; `--as review` puts the
documents in one batch run, approved in one form with per-row exceptions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gongkai.cli import main
from gongkai.settings import Settings
from gongkai.storage import open_storage
from tests.gongkai.test_back_catalogue import back_catalogue, catalogue_of, write_metadata
from tests.security.hostile import BANK_CARD, ID_NUMBER
from tests.stack import Stack


@pytest.mark.stack_env(GONGKAI_DASK_WORKERS="2")
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
    assert catalogue_of(stack_storage) == catalogue_of(open_storage(local))
    assert len(catalogue_of(stack_storage)) == 3


def test_import_as_review_makes_one_batch_run_approved_in_one_form(stack: Stack, stack_storage: Any,
                                                                    tmp_path: Path) -> None:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    folder = tmp_path / "old"
    back_catalogue(folder)
    command = [str(Path(sys.executable).with_name("gongkai")), "import", str(folder), "--as", "review"]
    done = subprocess.run(command, cwd=stack.workdir, env=stack.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "review 8" in done.stdout  # 10 readable files: the damaged PDF fails, the copy is a duplicate
    [waiting] = stack.wait_for_runs(1, "Suspended", seconds=180)
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
    index = json.loads(stack_storage.public.get("catalogue/index.json"))
    assert len(index["items"]) == 3
    public = b"".join(stack_storage.public.get(key) for key in stack_storage.public.keys())
    assert ID_NUMBER.encode() not in public and BANK_CARD.encode() not in public and "机密★".encode() not in public
    assert len([key for key in stack_storage.private.keys("register/") if key.endswith("metadata.json")]) == 4
    assert len(list((stack.workdir / "returned").rglob("*.问题说明.txt"))) == 1  # the forced row, with why

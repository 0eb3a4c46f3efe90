"""The back-catalogue import flow inside `gongkai up`, its chunks checked on a local Dask cluster of 2 worker
processes (prefect-dask), gives the catalogue the single-process `gongkai import` gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gongkai.cli import main
from gongkai.settings import Settings
from gongkai.storage import open_storage
from tests.gongkai.test_back_catalogue import back_catalogue, catalogue_of, write_metadata
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

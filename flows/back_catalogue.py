"""The back-catalogue import as a Prefect flow (`gongkai import`'s data path, gongkai.back_catalogue): chunks are
checked as Prefect tasks on the flow's task runner, the progress is a Prefect progress artifact.

The task runner comes from the settings, so the same flow runs on one machine or past it: by default a thread
pool (each file is checked in its own bounded child process, so threads use every core); with
GONGKAI_DASK_WORKERS=N a local Dask cluster of N worker processes; with GONGKAI_DASK_ADDRESS an existing Dask
cluster (prefect-dask). Dask workers receive the files' bytes with each chunk and touch no storage: they need
gongkai installed, nothing shared. Writing stays in the flow's process.
"""

# no `from __future__ import annotations`: Prefect builds the run form from the parameters' Annotated types
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, update_progress_artifact
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import Field

from gongkai.back_catalogue import (
    BackCatalogueImport,
    CheckedFile,
    ImportMode,
    SourceFile,
    check_sources,
    failures_csv,
    import_folder,
    read_metadata_csv,
)
from gongkai.catalogue import load_catalogue
from gongkai.extractors.base import ExtractionLimits
from gongkai.flows.review_batch import start_review_batch
from gongkai.models.client import HEALTH_PATH, answers, service_url
from gongkai.settings import Settings
from gongkai.storage import open_storage


def task_runner(settings: Settings) -> TaskRunner[Any]:
    if settings.dask_address or settings.dask_workers:
        import dask
        from prefect_dask import DaskTaskRunner

        # each file is checked in a forked child (gongkai.extractors.bounded), which a daemonic worker may not have;
        # workers of an existing cluster are started with DASK_DISTRIBUTED__WORKER__DAEMON=False (README)
        dask.config.set({"distributed.worker.daemon": False})

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": settings.dask_workers, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    return ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1)


@task(name="check-chunk", persist_result=False)
def check_chunk(chunk: list[SourceFile], today: date, limits: ExtractionLimits) -> list[CheckedFile]:
    return check_sources(chunk, today, limits)


@flow(name="import-back-catalogue", task_runner=task_runner(Settings()), persist_result=False)
def import_back_catalogue(folder: Annotated[str, Field(title="文件夹 Folder (on the host of gongkai up)")],
                          metadata_csv: Annotated[str | None, Field(title="元数据 CSV (文件,索引号,发布日期,主题,状态)")] = None,
                          mode: Annotated[ImportMode, Field(title="方式 As (published | review)")] = "published",
                          chunk_size: Annotated[int, Field(title="每批文件数 Files per chunk", ge=1, le=500)] = 50,
                          ) -> dict[str, int]:
    settings = Settings()
    logger = get_run_logger()
    catalogue = load_catalogue(settings.catalogue)
    storage = open_storage(settings)
    metadata = read_metadata_csv(Path(metadata_csv), catalogue) if metadata_csv else {}
    importer = BackCatalogueImport(storage, catalogue, mode, metadata, _model_url(settings),
                                   start_review_batch if mode == "review" else None)
    today, limits = settings.current_date(), settings.extraction_limits()
    in_flight = 2 * (settings.dask_workers or os.cpu_count() or 1)

    def check_chunks(chunks: Iterator[list[SourceFile]]) -> Iterator[list[CheckedFile]]:
        pending: list[PrefectFuture[list[CheckedFile]]] = []
        for chunk in chunks:
            pending.append(check_chunk.submit(chunk, today, limits))
            if len(pending) >= in_flight:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()

    progress_id = create_progress_artifact(0.0, key="import-progress", description=f"导入 import {folder}")

    def progress(done: int, total: int) -> None:
        update_progress_artifact(progress_id, 100.0 * done / max(total, 1))

    import_folder(importer, Path(folder), check_chunks, settings.max_file_mb * 2**20, chunk_size, progress)
    failures_key = f"imports/failures/{date.today().isoformat()}-{os.getpid()}.csv"
    storage.private.put(failures_key, failures_csv(importer.not_published()), "text/csv; charset=utf-8")
    counts = importer.counts()
    rows = "\n".join(f"| {outcome.name.replace('|', '/')} | {outcome.outcome} | {'；'.join(outcome.reasons)[:200]} |"
                     for outcome in importer.outcomes if outcome.outcome not in ("published", "review"))
    create_markdown_artifact(
        key="import-summary", description="导入结果 / import summary",
        markdown=f"## 导入 import {folder}\n\n" + "，".join(f"{name} {count}" for name, count in sorted(counts.items()))
                 + f"\n\n未发布清单 not published: private bucket `{failures_key}`\n\n| 文件 file | 结果 | 原因 reasons |\n"
                   f"|---|---|---|\n{rows}\n")
    logger.info("导入完成 / import finished: %s", counts)
    return counts


def _model_url(settings: Settings) -> str | None:
    """The host's suggestion service, when `up` runs one."""
    url = service_url(settings.model_port)
    return url if answers(f"{url}{HEALTH_PATH}") else None

"""`gongkai import FOLDER`: a department's back catalogue into the 公开目录, at the machine's speed.

Extraction runs in child processes across the cores (one bounded child per file, as in the inbox); topics come from the host's suggestion service (the one
`gongkai up` runs; started here for the import when none answers), batched; results are written chunk by chunk.
The same import runs as a Prefect flow (gongkai.flows.back_catalogue), on Dask too.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_ERRORS, EXIT_BAD_INPUT = 0, 1, 2


def add_command(commands: Any) -> None:
    command = commands.add_parser(
        "import", help="批量导入历史文件（公开目录存量）/ import a back catalogue in bulk",
        description="--as published：过去已公开的文件直接进入公开目录，仍逐件检查公开属性、密级和个人信息，不合格的登记在私有桶并列入"
                    "失败清单；--as review：按批次交审核。中断后再运行会跳过已完成的文件（按 sha256）/ --as published: "
                    "documents published in the past go straight into the catalogue, each still passing the label, "
                    "secrecy and personal-data blockers (those that fail are registered privately and listed); "
                    "--as review: batches for review. Started again, it skips what is done (by sha256).",
    )
    command.add_argument("folder", type=Path, metavar="FOLDER")
    command.add_argument("--csv", type=Path, metavar="METADATA.csv",
                         help="文件,索引号,发布日期,主题,状态（只有“文件”必填）/ file, 索引号, date, topic, status")
    command.add_argument("--as", dest="mode", choices=["published", "review"], default="published")
    command.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="同时提取的文件数 / files checked at once")
    command.add_argument("--chunk", type=int, default=50, help="每批文件数（写入、模型批次）/ files per chunk")
    command.add_argument("--failures", type=Path, default=Path("import-failures.csv"), metavar="PATH",
                         help="未发布文件清单（CSV）/ the files not published, with reasons (default ./import-failures.csv)")
    command.set_defaults(handler=_import)


def _import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from gongkai.back_catalogue import (
        BackCatalogueImport,
        check_sources,
        failures_csv,
        import_folder,
        in_order,
        read_metadata_csv,
    )
    from gongkai.catalogue import load_catalogue
    from gongkai.models.client import ModelUnavailable
    from gongkai.settings import Settings
    from gongkai.storage import open_storage

    settings = Settings()
    catalogue = load_catalogue(settings.catalogue)
    if not args.folder.is_dir():
        print(f"{args.folder} 不是文件夹 / is not a folder", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        metadata = read_metadata_csv(args.csv, catalogue) if args.csv else {}
    except (OSError, ValueError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    storage = open_storage(settings)
    start_batch = None
    if args.mode == "review":  # review runs are created on the Prefect server of `gongkai up`
        from gongkai.flows.serve import prefect_environment
        from gongkai.models.client import answers

        os.environ.update(prefect_environment(settings))  # before Prefect is imported: it reads them once
        if not answers(f"{os.environ['PREFECT_API_URL']}/health"):
            print("--as review 需要正在运行的 gongkai up（审核在 Prefect 界面中进行）/ --as review needs `gongkai up` "
                  "running: the batches are reviewed in its Prefect UI", file=sys.stderr)
            return EXIT_BAD_INPUT
        from gongkai.flows.review_batch import start_review_batch

        start_batch = start_review_batch
    # threads are enough: each file is checked in a bounded child process (gongkai.extractors.bounded), forked
    # from this small process (the model lives in its own service)
    with ThreadPoolExecutor(max_workers=args.workers) as workers, model_service(settings) as url:
        importer = BackCatalogueImport(storage, catalogue, args.mode, metadata, url, start_batch)
        work = partial(check_sources, today=settings.current_date(), limits=settings.extraction_limits())
        with tqdm(unit="文件", desc="导入 import", file=sys.stderr, smoothing=0.05) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                import_folder(importer, args.folder, lambda chunks: in_order(workers, work, chunks, 2 * args.workers),
                              settings.max_file_mb * 2**20, args.chunk, progress)
            except ModelUnavailable as error:  # nothing is published without its topic: stop, resumable
                print(f"{error}\n导入已停止，再次运行会从中断处继续 / the import stopped: run it again to continue",
                      file=sys.stderr)
                return EXIT_ERRORS
    args.failures.write_bytes(failures_csv(importer.not_published()))
    counts = importer.counts()
    done_earlier = counts.pop("done_earlier")
    print("导入完成 / import finished: " + ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
          + f", 此前已完成 done earlier {done_earlier}; 未发布清单 not published: {args.failures}")
    return EXIT_OK


@contextmanager
def model_service(settings: Any) -> Iterator[str | None]:
    """The URL of the host's suggestion service: `up`'s when one answers, else one started for the import and
    stopped after it; None when no model is promoted (topics then come from the CSV only)."""
    from gongkai.flows.serve import start_model_service, stop_service
    from gongkai.models.client import service_url
    from gongkai.models.store import ModelStore

    if not ModelStore(settings.model_dir).promoted_version():
        yield None
        return
    process = start_model_service(settings, dict(os.environ))
    try:
        yield service_url(settings.model_port)
    finally:
        if process is not None:
            stop_service(process)

"""Bulk import of a back catalogue (`gongkai import`), measured as a department runs it.

A back catalogue sized like the corpus is generated (bench/backcatalogue.py: the real corpus texts as .docx and
as 1–5 page text PDFs, half each, and a share of scans), then:

  extraction  the check alone (read, extract, parse, personal data), 2 at a time as the import runs it, per format;
  model       the suggestion alone: the host's model service (the promoted model) over the checked texts;
  import      `gongkai import FOLDER` end to end on the embedded defaults (local storage), with the promoted
              model: documents/s, peak RSS of the import and every process under it (the model service it
              starts), sampled every 0.5 s; the catalogue and failures CSV counted;
  resume      the same import into a fresh folder killed (SIGKILL) at 50 % and started again: the work redone
              and whether the catalogue equals the uninterrupted one (no duplicate 索引号);
  per-run     100 documents through the one-run-per-document path (`gongkai up`, one review run each, all
              published) for comparison.

    .venv/bin/python bench/import.py [--count 10000] [--scans 0] [--skip per-run]

pdfplumber against pypdfium2 for plain-text PDFs: bench/pdf_text.py.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.backcatalogue import generate  # noqa: E402
from bench.burst import tree_rss  # noqa: E402
from gongkai.back_catalogue import read_source  # noqa: E402
from gongkai.document.check import check_bytes, warm_up  # noqa: E402
from gongkai.extractors.base import ExtractionLimits  # noqa: E402

GONGKAI = str(Path(sys.executable).with_name("gongkai"))
TODAY = date(2026, 11, 25)


def kind(row: dict[str, str]) -> str:
    """docx, pdf (a text layer) or scan (an image-only PDF)."""
    return "scan" if row["scan"] == "1" else row["format"]


def extraction(folder: Path, manifest: list[dict[str, str]], per_format: int) -> list[Any]:
    """Documents/s of the check alone, by format, two files at a time (the import's default on 2 cores)."""
    checks = []
    for file_format in ("docx", "pdf", "scan"):
        paths = [row["path"] for row in manifest if kind(row) == file_format][:per_format]
        if not paths:
            continue
        sources = [read_source(folder, path, 2**30) for path in paths]
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(lambda source: check_bytes(source.data, source.name, source.extension, TODAY,
                                                            ExtractionLimits()), sources))
        seconds = time.perf_counter() - began
        pages = sum(int(row["pages"]) for row in manifest if row["path"] in set(paths))
        print(f"extraction {file_format:5} {len(paths):5} documents ({pages} pages): {len(paths) / seconds:6.1f} "
              f"documents/s, {pages / seconds:6.1f} pages/s", flush=True)
        checks += done
    return checks


def model(checks: list[Any], workdir: Path) -> None:
    """Documents/s of the host's model service alone, 16 requests in flight (as the import sends them)."""
    from gongkai.flows.serve import start_model_service, stop_service
    from gongkai.models.client import remote_suggestion, service_url
    from gongkai.settings import Settings

    settings = Settings(data_dir=workdir / "model-data")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    process = start_model_service(settings, dict(os.environ))
    try:
        url = service_url(settings.model_port)
        readable = [check for check in checks if not check.unreadable]
        remote_suggestion(url, readable[0])  # loaded
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            suggestions = list(pool.map(lambda check: remote_suggestion(url, check)[0], readable))
        seconds = time.perf_counter() - began
        characters = statistics.mean(len(check.text) for check in readable)
        assert all(suggestion is not None for suggestion in suggestions), "no promoted model: gongkai train --starter"
        print(f"model: {len(readable)} documents (mean {characters:.0f} characters): {len(readable) / seconds:.1f} "
              f"documents/s", flush=True)
    finally:
        if process is not None:
            stop_service(process)


def run_import(folder: Path, metadata: Path, data: Path, kill_at: float | None = None) -> dict[str, Any]:
    """`gongkai import` as a user runs it; with `kill_at`, SIGKILLed once that share of the files is journalled."""
    data.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GONGKAI_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    total = len([path for path in folder.rglob("*") if path.is_file() and path.suffix in (".docx", ".pdf")])
    began = time.perf_counter()
    process = subprocess.Popen([GONGKAI, "import", str(folder), "--csv", str(metadata),
                                "--failures", str(data / "failures.csv")], env=env, cwd=data,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    peak, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            peak[0] = max(peak[0], tree_rss(process.pid))

    threading.Thread(target=sample, daemon=True).start()
    if kill_at is not None:
        while journalled(data) < kill_at * total:
            if process.poll() is not None:
                raise RuntimeError("the import ended before it could be killed")
            time.sleep(0.5)
        os.killpg(process.pid, signal.SIGKILL)
    output, _ = process.communicate()
    seconds = time.perf_counter() - began
    stop.set()
    return {"seconds": seconds, "peak_rss": peak[0], "output": output.decode(), "total": total,
            "journalled": journalled(data)}


def journalled(data: Path) -> int:
    done = data / "storage" / "gongkai-private" / "imports" / "done"
    if not done.is_dir():
        return 0
    total = 0
    for path in done.glob("*.json"):
        try:
            total += len(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return total


def catalogue(data: Path) -> dict[str, tuple[str, str]]:
    """索引号 → (发文字号, 名称) of every catalogue entry."""
    index = data / "storage" / "gongkai-public" / "catalogue" / "index.json"
    return {entry["index_no"]: (entry["doc_number"], entry["title"]) for entry in json.loads(index.read_text())["items"]}


def counted(output: str) -> dict[str, int]:
    """The outcome counts `gongkai import` prints."""
    summary = output.rsplit("import finished:", 1)[1].split(";")[0]
    return {name: int(count) for name, count in (part.strip().rsplit(" ", 1) for part in summary.split(",")) if name}


def per_run(folder: Path, manifest: list[dict[str, str]], workdir: Path) -> None:
    """100 documents through `gongkai up`, one review run each, every form resumed with publish."""
    from bench.burst import Stack, drop, wait_for_forms

    stack = Stack(workdir / "per-run", {**os.environ, "HF_HUB_OFFLINE": "1", "GONGKAI_TODAY": TODAY.isoformat()})
    stack.workdir.mkdir(parents=True)
    stack.start()
    try:
        rows = [row for row in manifest if kind(row) in ("docx", "pdf")][:100]
        began = time.monotonic()
        landed = {Path(row["path"]).name: drop(stack, Path(row["path"]).name, (folder / row["path"]).read_bytes())
                  for row in rows}
        forms = wait_for_forms(stack, landed, timeout=3600)
        for run_id, _ in forms.values():
            stack.api("POST", f"/flow_runs/{run_id}/resume", {"run_input": {
                "decision": "record", "category": "不予公开", "topic": "社会救助", "reason": "bench",
                "reviewer": "bench"}})
        while any((run.get("state") or {}).get("type") != "COMPLETED" for run in stack.runs()
                  if run["id"] in {run_id for run_id, _ in forms.values()}):
            time.sleep(1)
        seconds = time.monotonic() - began
        print(f"per-run: 100 documents, one review run each (forms ready, then every decision carried out): "
              f"{seconds:.0f} s, {100 / seconds:.2f} documents/s; peak stack memory {stack.peak_rss / 2**30:.2f} GiB",
              flush=True)
    finally:
        stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--scans", type=float, default=0.0,
                        help="share of the PDFs that are scans (the acceptance figure is on .docx and text PDFs; the "
                             "extraction stage measures scans on a set of their own)")
    parser.add_argument("--labelled", action="store_true",
                        help="（此件主动公开） on the corpus records that print no label (bench/backcatalogue.py)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "gongkai-import-bench")
    parser.add_argument("--sample", type=int, default=200, help="documents per format for the extraction figure")
    parser.add_argument("--skip", action="append", default=[], choices=["extraction", "model", "import", "resume",
                                                                        "per-run"])
    args = parser.parse_args()
    name = f"catalogue-{args.count}" + ("-labelled" if args.labelled else "")
    folder = args.workdir / name
    listing = args.workdir / f"{name}.manifest.csv"
    if not listing.exists():
        began = time.perf_counter()
        generate(folder, args.count, args.scans, jobs=os.cpu_count() or 1, labelled=args.labelled)
        print(f"generated {args.count} documents in {time.perf_counter() - began:.0f} s", flush=True)
        # beside the folder, not in it: the import would take them for two more documents
        (folder / "metadata.csv").rename(args.workdir / f"{name}.metadata.csv")
        (folder / "manifest.csv").rename(listing)
    with listing.open(encoding="utf-8") as stream:
        manifest = list(csv.DictReader(stream))
    print(f"back catalogue: {len(manifest)} documents, "
          + ", ".join(f"{name} {sum(kind(row) == name for row in manifest)}" for name in ("docx", "pdf", "scan")),
          flush=True)
    checks = []
    if "extraction" not in args.skip:
        warm_up()  # as the import does: its bounded children fork from a warm process
        checks = extraction(folder, manifest, args.sample)
        scans = args.workdir / "scans"
        if not (scans / "manifest.csv").exists():
            generate(scans, 20, scan_share=1.0)  # its CSVs stay in it: only the extraction stage reads this folder
        with (scans / "manifest.csv").open(encoding="utf-8") as stream:
            extraction(scans, [row for row in csv.DictReader(stream) if row["scan"] == "1"], args.sample)
    if "model" not in args.skip and checks:
        model(checks, args.workdir)
    if "import" not in args.skip:
        whole = args.workdir / f"import-{time.time_ns()}"
        metadata = args.workdir / f"{name}.metadata.csv"
        result = run_import(folder, metadata, whole)
        counts = counted(result["output"])
        listed = sum(1 for _ in csv.reader((whole / "failures.csv").open(encoding="utf-8-sig"))) - 1
        print(f"import: {result['total']} documents end to end in {result['seconds']:.0f} s = "
              f"{result['total'] / result['seconds']:.1f} documents/s; peak RSS of all processes "
              f"{result['peak_rss'] / 2**30:.2f} GiB; outcomes {counts}; catalogue lists {len(catalogue(whole))}, "
              f"failures CSV lists {listed}", flush=True)
        if "resume" not in args.skip:
            halves = args.workdir / f"resume-{time.time_ns()}"
            killed = run_import(folder, metadata, halves, kill_at=0.5)
            finished = run_import(folder, metadata, halves)
            done_again = counted(finished["output"])
            processed = sum(count for name, count in done_again.items() if name != "此前已完成 done earlier")
            redone = max(0, processed - (result["total"] - killed["journalled"]))
            numbers = list(catalogue(halves))
            print(f"resume: killed after {killed['journalled']} of {result['total']} journalled; the second run "
                  f"handled {processed}, redoing {redone} ({100 * redone / result['total']:.2f} %); catalogue equal "
                  f"to the uninterrupted one: {catalogue(halves) == catalogue(whole)}; duplicate 索引号: "
                  f"{len(numbers) - len(set(numbers))}", flush=True)
    if "per-run" not in args.skip:
        per_run(folder, manifest, args.workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())

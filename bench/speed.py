"""Speed of `gongkai check`: documents per second through the Python API, latency, memory, start-up.

Renders the real corpus (../shared/corpus/real_docs_dev.jsonl) to .docx the same way as
bench/corpus_accuracy.py, checks every file in one process (one core), and times the CLI start.

    .venv/bin/python bench/speed.py [--corpus PATH] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.corpus_accuracy import DEFAULT_CORPUS, render  # noqa: E402
from gongkai.document.check import check_file  # noqa: E402


def throughput(files: list[Path], rounds: int) -> tuple[float, list[float]]:
    latencies = []
    check_file(files[0], date(2026, 11, 25))  # import and warm the docx reader once, as a long-running flow would
    start = time.perf_counter()
    for _ in range(rounds):
        for path in files:
            began = time.perf_counter()
            check_file(path, date(2026, 11, 25))
            latencies.append(time.perf_counter() - began)
    return len(files) * rounds / (time.perf_counter() - start), latencies


def command_seconds(command: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=False, capture_output=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    records = [json.loads(line) for line in args.corpus.open(encoding="utf-8")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        docx_files = [render(record, folder, index)["docx"] for index, record in enumerate(records)]
        sizes = sorted(len(record["text"]) for record in records)
        rate, latencies = throughput(docx_files, args.rounds)
        latencies_ms = sorted(value * 1000 for value in latencies)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        gongkai = shutil.which("gongkai") or str(Path(sys.executable).with_name("gongkai"))
        typical = docx_files[len(docx_files) // 2]
        help_s = command_seconds([gongkai, "--help"])
        check_s = command_seconds([gongkai, "check", str(typical)])
    print(f"documents: {len(records)} real corpus documents as .docx, median {sizes[len(sizes) // 2]} characters, "
          f"{args.rounds} rounds, one process (one core)")
    print(f"throughput (Python API, check_file): {rate:.1f} documents/s   target ≥ 50")
    print(f"latency per document: p50 {latencies_ms[len(latencies_ms) // 2]:.1f} ms, "
          f"p95 {latencies_ms[int(len(latencies_ms) * 0.95)]:.1f} ms, max {latencies_ms[-1]:.1f} ms")
    print(f"peak RSS of the benchmark process: {peak_mib:.0f} MiB")
    print(f"start-up: `gongkai --help` {help_s:.3f} s, `gongkai check ONE.docx` {check_s:.3f} s   target < 1 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

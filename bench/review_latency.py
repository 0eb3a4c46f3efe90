"""Review latency: from a file landing in the inbox to its review form being ready in the Prefect UI.

Starts the stack the way a user does — `gongkai up` in a temporary folder, local storage, default intake
settings, its own Prefect server (SQLite) on a free port — drops N generated .docx drafts one at a time
with a short gap, and reads from the Prefect API when each document's flow run became Suspended (the
form is ready). Prints count, p50, p95, max (target p95 ≤ 15 s) and where the time goes, then stops the
stack with SIGTERM as Ctrl-C would.

    .venv/bin/python bench/review_latency.py [--count 20] [--gap 1.0] [--timeout 180]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import docx

TARGET_P95_SECONDS = 15.0
GONGKAI = shutil.which("gongkai") or str(Path(sys.executable).with_name("gongkai"))


def draft_lines(number: int) -> list[str]:
    """A 主动公开 通知 like tests/flows/conftest.py's GOOD, with its own 发文字号 (invented)."""
    return ["广东省民政厅文件", f"粤民发〔2026〕{number}号", f"广东省民政厅关于做好2026年城乡低保工作的通知（第{number}批）",
            "各地级以上市民政局：", "为做好城乡最低生活保障工作，现将有关事项通知如下。", "广东省民政厅", "2026年11月20日",
            "（此件主动公开）"]


def write_docx(path: Path, lines: list[str]) -> None:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(path)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


class Stack:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.log = workdir / "up.log"
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "GONGKAI_"))}
        self.env |= {"GONGKAI_PREFECT_PORT": str(self.port), "GONGKAI_STORAGE": "local"}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, seconds: float = 120) -> float:
        began = time.monotonic()
        self.process = subprocess.Popen([GONGKAI, "up"], cwd=self.workdir, env=self.env,
                                        stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        while "Your deployments are being served" not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() - began > seconds:
                raise RuntimeError(f"gongkai up did not start:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        return time.monotonic() - began

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def flow_runs(self) -> list[dict[str, Any]]:
        request = urllib.request.Request(f"{self.api_url}/flow_runs/filter", data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def drop(stack: Stack, name: str, number: int) -> datetime:
    """Write the draft outside the inbox, then move it in (as a finished copy lands); returns that moment."""
    staged = stack.workdir / "drafts" / name
    staged.parent.mkdir(parents=True, exist_ok=True)
    write_docx(staged, draft_lines(number))
    target = stack.workdir / "inbox" / "社救处" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, target)
    return datetime.now(timezone.utc)


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary(label: str, values: list[float]) -> str:
    return (f"{label}: p50 {percentile(values, 0.5):.2f} s, p95 {percentile(values, 0.95):.2f} s, "
            f"max {max(values):.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20, help="documents to drop (default 20)")
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between two drops (default 1.0)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for the last form")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gongkai-latency-") as tmp:
        stack = Stack(Path(tmp))
        try:
            startup = stack.start()
            print(f"stack: `gongkai up` in {tmp}, Prefect server on port {stack.port} (SQLite), local storage; "
                  f"serving after {startup:.1f} s", flush=True)
            dropped: dict[str, datetime] = {}
            for index in range(args.count):
                name = f"draft-{index + 1:03d}.docx"
                dropped[name] = drop(stack, name, 100 + index)
                time.sleep(args.gap)
            ready: dict[str, dict[str, Any]] = {}
            deadline = time.monotonic() + args.timeout
            while len(ready) < len(dropped):
                for run in stack.flow_runs():
                    name = (run.get("parameters") or {}).get("claim", {}).get("name")
                    if name in dropped and run["state"] and run["state"]["name"] == "Suspended":
                        ready[name] = run
                if time.monotonic() > deadline or not stack.alive():
                    missing = sorted(set(dropped) - set(ready))
                    raise RuntimeError(f"{len(missing)} forms not ready: {missing[:5]}\n"
                                       f"{stack.log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.5)
        finally:
            stack.stop()

    total, intake, queued, processing = [], [], [], []
    for name, landed in dropped.items():
        run = ready[name]
        created, started = parse_time(run["created"]), parse_time(run["start_time"])
        suspended = parse_time(run["state"]["timestamp"])
        total.append((suspended - landed).total_seconds())
        intake.append((created - landed).total_seconds())
        queued.append((started - created).total_seconds())
        processing.append((suspended - started).total_seconds())
    p95 = percentile(total, 0.95)
    print(f"documents: {len(total)} generated .docx drafts, one every {args.gap:g} s")
    print(summary("inbox → form ready (run Suspended)", total)
          + f"   target p95 ≤ {TARGET_P95_SECONDS:g} s: {'met' if p95 <= TARGET_P95_SECONDS else 'MISSED'}")
    print("where the time goes:")
    print("  " + summary("inbox → run created (file settles, claim, run_deployment)", intake))
    print("  " + summary("run created → started (runner poll, flow process start)", queued))
    print("  " + summary("started → Suspended (extract, check, review page, form)", processing))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A real morning's inbox: the workflow under a burst, with a promoted model, as a department runs it.

Starts the product the way a user does — `gongkai train --starter` (the starter model), then `gongkai up`
in a temporary folder on the embedded defaults (local storage, its own Prefect server with SQLite) — and
drops real corpus documents rendered as .docx (models/corpus/real_docs_dev.jsonl):

  (a) 50 at once, then resumes all 50 as a reviewer would (half publish, half record);
  (b) 20 more, one a second;
  (c) 10 more, one at a time, each once the previous one's form is ready (a warm stack).

For each: file landing → review form ready (the run's Suspended state, as the server timestamps it)
p50/p95/max, the peak memory of the whole stack (the RSS of `up` and every process under it — server,
model service, warm process, flow runs — summed, sampled every 0.2 s), and failed API calls: answers
other than 2xx to the reviewer's resumes (one POST each, no retries, as the Prefect UI makes them) and the
server's and `up`'s own failed or locked calls, counted from their logs.

    .venv/bin/python bench/burst.py [--timeout 900]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import docx

from gongkai.document.check import check_bytes
from gongkai.outcomes import publish_blockers
from gongkai.settings import DEV_CORPUS

GONGKAI = str(Path(sys.executable).with_name("gongkai"))
SERVING = "审核流程已就绪"
TODAY = date(2026, 11, 25)
# What counts as a failed call in the logs: an HTTP error status the stack got or gave, a locked database.
_FAILED = re.compile(r'HTTP/1\.1" [45]\d\d|HTTPStatusError|database is locked|Internal Server Error|'
                     r"Service Unavailable|ReadTimeout|ConnectError")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def documents(count: int) -> tuple[list[bytes], list[bytes]]:
    """`count` real documents as .docx: those the review form may publish, and the others."""
    records = [json.loads(line) for line in DEV_CORPUS.read_text(encoding="utf-8").splitlines()]
    publishable, other = [], []
    with tempfile.TemporaryDirectory() as folder:
        for index, record in enumerate(records):
            if len(publishable) + len(other) >= count and len(publishable) >= count // 2:
                break
            document = docx.Document()
            for line in record["text"].split("\n"):
                document.add_paragraph(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", line))
            path = Path(folder) / f"{index}.docx"
            document.save(path)
            data = path.read_bytes()
            check = check_bytes(data, path.name, "docx", TODAY)
            (publishable if not check.unreadable and not publish_blockers(check, "主动公开") else other).append(data)
    return publishable, other


def tree_rss(root: int) -> int:
    """Bytes: the RSS of process `root` and every process under it, summed."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    members, frontier = set(), {root}
    while frontier:
        members |= frontier
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - members
    return sum(rss.get(pid, 0) for pid in members)


class Stack:
    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.log = workdir / "up.log"
        self.env = {**env, "GONGKAI_PREFECT_PORT": str(self.port), "GONGKAI_MODEL_PORT": str(free_port()),
                    "GONGKAI_REVIEW_FILES_PORT": str(free_port())}
        self.process: subprocess.Popen[bytes] | None = None
        self.peak_rss = 0
        self._sampling = threading.Event()

    def start(self) -> float:
        began = time.monotonic()
        self.process = subprocess.Popen([GONGKAI, "up"], cwd=self.workdir, env=self.env,
                                        stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        while SERVING not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() - began > 180:
                raise RuntimeError(f"gongkai up did not start:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        threading.Thread(target=self._sample, daemon=True).start()
        return time.monotonic() - began

    def stop(self) -> None:
        self._sampling.set()
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=120)

    def reset_peak(self) -> None:
        self.peak_rss = self.stack_rss()

    def stack_rss(self) -> int:
        """Bytes: the RSS of `up` and every process under it."""
        return tree_rss(self.process.pid)

    def _sample(self) -> None:
        while not self._sampling.wait(0.2):
            self.peak_rss = max(self.peak_rss, self.stack_rss())

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(f"{self.api_url}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, None

    def runs(self) -> list[dict[str, Any]]:
        runs, offset = [], 0
        while True:
            status, page = self.api("POST", "/flow_runs/filter", {"limit": 200, "offset": offset})
            if status != 200 or not page:
                return runs
            runs += page
            offset += len(page)

    def failed_calls_in_logs(self) -> int:
        text = self.log.read_text(errors="replace")
        server_log = self.workdir / "data" / "prefect-server.log"
        if server_log.exists():
            text += server_log.read_text(errors="replace")
        return len(_FAILED.findall(text))


def drop(stack: Stack, name: str, data: bytes) -> float:
    """Write elsewhere, then move into the inbox (as a finished copy lands); returns the landing time."""
    staged = stack.workdir / "drafts" / name
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.write_bytes(data)
    target = stack.workdir / "inbox" / "社救处" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, target)
    return time.time()


def wait_for_forms(stack: Stack, landed: dict[str, float], timeout: float) -> dict[str, tuple[str, float]]:
    """file name → (run id, seconds from landing to the review form), once every file has its form."""
    deadline, found = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        for run in stack.runs():
            name = (run.get("parameters") or {}).get("claim", {}).get("name")
            state = run.get("state") or {}
            if name in landed and name not in found and state.get("name") == "Suspended":
                ready = datetime.fromisoformat(state["timestamp"].replace("Z", "+00:00")).timestamp()
                found[name] = (run["id"], ready - landed[name])
        if len(found) == len(landed):
            return found
        time.sleep(0.5)
    raise TimeoutError(f"{len(found)} of {len(landed)} forms ready after {timeout} s")


def report(title: str, forms: dict[str, tuple[str, float]], stack: Stack) -> None:
    seconds = [latency for _, latency in forms.values()]
    print(f"{title}: {len(forms)} forms; drop → form p50 {percentile(seconds, 0.5):.1f} s, "
          f"p95 {percentile(seconds, 0.95):.1f} s, max {max(seconds):.1f} s; peak stack memory "
          f"{stack.peak_rss / 2**30:.2f} GiB; failed API calls in the stack's logs so far "
          f"{stack.failed_calls_in_logs()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for each scenario")
    args = parser.parse_args()
    publishable, other = documents(100)
    print(f"documents: {len(publishable)} publishable, {len(other)} others (real corpus, .docx); "
          f"{os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "GONGKAI_"))}
        env |= {"GONGKAI_STORAGE": "local", "GONGKAI_MODEL_DIR": str(workdir / "models"), "GONGKAI_TODAY": str(TODAY),
                "HF_HUB_OFFLINE": "1"}
        began = time.monotonic()
        subprocess.run([GONGKAI, "train", "--starter"], cwd=workdir, env=env, check=True, capture_output=True)
        print(f"starter model (gongkai train --starter): {time.monotonic() - began:.0f} s", flush=True)
        stack = Stack(workdir, env)
        print(f"gongkai up ready in {stack.start():.1f} s", flush=True)
        try:
            # (a) fifty at once, then every one resumed
            burst = publishable[:25] + other[:25]
            stack.reset_peak()
            landed = {}
            for number, data in enumerate(burst):
                name = f"a{number:02d}.docx"
                landed[name] = drop(stack, name, data)
            forms = wait_for_forms(stack, landed, args.timeout)
            report("(a) 50 at once", forms, stack)
            began, failed = time.monotonic(), 0
            ids = []
            for number in range(len(burst)):
                run_id, _ = forms[f"a{number:02d}.docx"]
                form = ({"decision": "publish", "category": "主动公开"} if number < 25
                        else {"decision": "record", "category": "不予公开", "reason": "内部事务信息"})
                status, _ = stack.api("POST", f"/flow_runs/{run_id}/resume",
                                      {"run_input": {**form, "topic": "社会救助", "reviewer": "bench"}})
                failed += status not in (200, 201)
                ids.append(run_id)
            while True:
                states = [(stack.api("GET", f"/flow_runs/{run_id}")[1] or {}).get("state", {}) for run_id in ids]
                if all(state.get("type") in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for state in states):
                    break
                if time.monotonic() - began > args.timeout:
                    raise TimeoutError("resumed runs did not finish")
                time.sleep(1)
            index = json.loads((workdir / "data" / "storage" / "gongkai-public" / "catalogue" / "index.json")
                               .read_text(encoding="utf-8"))
            completed = sum(state.get("type") == "COMPLETED" for state in states)
            print(f"(a) resumes: {len(ids) - failed} of {len(ids)} accepted, {completed} completed in "
                  f"{time.monotonic() - began:.1f} s; the catalogue lists {index['count']} (expected 25); "
                  f"peak stack memory {stack.peak_rss / 2**30:.2f} GiB", flush=True)
            # (b) twenty, one a second
            stack.reset_peak()
            landed = {}
            for number, data in enumerate(publishable[25:40] + other[25:30]):
                landed[f"b{number:02d}.docx"] = drop(stack, f"b{number:02d}.docx", data)
                time.sleep(1)
            report("(b) 20, one a second", wait_for_forms(stack, landed, args.timeout), stack)
            # (c) ten, one at a time on the warm stack
            stack.reset_peak()
            forms = {}
            for number, data in enumerate(publishable[40:45] + other[30:35]):
                name = f"c{number:02d}.docx"
                forms |= wait_for_forms(stack, {name: drop(stack, name, data)}, args.timeout)
            report("(c) 10, one at a time (warm)", forms, stack)
        finally:
            stack.stop()
    print(f"measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC", flush=True)


if __name__ == "__main__":
    main()

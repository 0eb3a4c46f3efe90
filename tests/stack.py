"""The whole local stack as a user runs it: `gongkai up` (its own Prefect server, SQLite) against a
real S3 endpoint on loopback (moto's server), in a temporary working folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gongkai.flows.serve import SERVING
from gongkai.settings import DEV_CORPUS
from tests.conftest import free_port, wait_for_http, write_docx

GONGKAI = str(Path(sys.executable).with_name("gongkai"))


# Documents generated for these tests (invented numbers and names).
GOOD = ["广东省民政厅文件", "粤民发〔2026〕12号", "广东省民政厅关于做好2026年城乡低保工作的通知", "各地级以上市民政局：",
        "为做好城乡最低生活保障工作，现将有关事项通知如下。", "广东省民政厅", "2026年11月20日", "（此件主动公开）"]
UNLABELLED = GOOD[:1] + ["粤民发〔2026〕13号", "广东省民政厅关于开展养老服务检查的通知"] + GOOD[3:-1]
SECRET = ["机密★1年"] + GOOD[:1] + ["粤民发〔2026〕14号", "广东省民政厅关于救灾物资储备的通知"] + GOOD[3:]


RETRAIN_SCHEDULE = "0 3 1 1 *"


def _corpus_sample(path: Path, per_category: int, last: bool = False) -> Path:
    """`per_category` real documents labelled 主动公开 and as many 不予公开, from the start or the end."""
    records = [json.loads(line) for line in DEV_CORPUS.open(encoding="utf-8")]
    chosen = []
    for category in ("主动公开", "不予公开"):
        labelled = [r for r in records if r["label"] == category]
        chosen += labelled[-per_category:] if last else labelled[:per_category]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
    return path


@dataclass
class Stack:
    workdir: Path
    env: dict[str, str]
    api_url: str
    process: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    @property
    def inbox(self) -> Path:
        return self.workdir / self.env.get("GONGKAI_INBOX", "inbox")

    @property
    def returned(self) -> Path:
        return self.workdir / "returned"

    def start(self) -> None:
        log = self.workdir / f"up-{len(self.logs)}.log"
        self.logs.append(log)
        self.process = subprocess.Popen([GONGKAI, "up"], cwd=self.workdir, env=self.env,
                                        stdout=log.open("wb"), stderr=subprocess.STDOUT)
        wait_for_http(f"{self.api_url}/health", self.process)
        self.wait_for(lambda: SERVING in log.read_text(errors="replace"), 60,
                      "the review flow to be served")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)

    def drop(self, name: str, lines: list[str], office: str = "社救处") -> Path:
        """Write the file elsewhere, then move it in: as a drafter's copy finishes."""
        staged = write_docx(self.inbox.parent / "drafts" / name, lines)  # on the inbox's file system
        target = self.inbox / office / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
        return target

    def client(self) -> Any:
        from prefect.client.orchestration import get_client

        return get_client(sync_client=True)  # PREFECT_API_URL points at this stack (see the fixture)

    def runs(self) -> list[Any]:
        from prefect.client.schemas.sorting import FlowRunSort

        with self.client() as client:
            return client.read_flow_runs(sort=FlowRunSort.START_TIME_ASC)

    def wait_for_runs(self, count: int, state: str, seconds: float = 120) -> list[Any]:
        found: list[Any] = []

        def enough() -> bool:
            nonlocal found
            found = [run for run in self.runs() if run.state and run.state.name == state]
            return len(found) >= count

        self.wait_for(enough, seconds, f"{count} runs in state {state}")
        return found

    def resume(self, run_id: Any, **form: Any) -> None:
        from prefect.flow_runs import resume_flow_run

        resume_flow_run(run_id, run_input=form)

    def resume_as_the_ui_does(self, run_id: Any, headers: dict[str, str] | None = None, **form: Any) -> int:
        """One POST to the API, no retries (the Prefect UI makes one call), with any `headers` a proxy would add:
        its HTTP status."""
        request = urllib.request.Request(f"{self.api_url}/flow_runs/{run_id}/resume", method="POST",
                                         data=json.dumps({"run_input": form}).encode(),
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def wait_final(self, run_id: Any, seconds: float = 120) -> Any:
        result: list[Any] = []

        def final() -> bool:
            with self.client() as client:
                run = client.read_flow_run(run_id)
            result[:] = [run]
            return bool(run.state and run.state.is_final())

        self.wait_for(final, seconds, f"run {run_id} to finish")
        return result[0]

    def wait_for(self, condition: Any, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"gongkai up exited while waiting for {what}:\n{self.logs[-1].read_text()[-3000:]}")
            time.sleep(0.5)
        raise TimeoutError(f"waited {seconds} s for {what}:\n{self.logs[-1].read_text()[-3000:]}")


def stack_environment(workdir: Path, s3_endpoint: str, **more: str) -> dict[str, str]:
    """The environment of a `gongkai up` in `workdir` on its own ports and buckets; `more` adds to it."""
    suffix = workdir.name.replace("_", "-").lower()[-20:]
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "GONGKAI_"))},
        "GONGKAI_PREFECT_PORT": str(free_port()),
        "GONGKAI_MODEL_PORT": str(free_port()),
        "GONGKAI_STORAGE": "s3",
        "GONGKAI_S3_ENDPOINT": s3_endpoint,
        "GONGKAI_S3_ACCESS_KEY": "testing",
        "GONGKAI_S3_SECRET_KEY": "testing",
        "GONGKAI_S3_REGION": "us-east-1",
        "GONGKAI_PUBLIC_BUCKET": f"pub-{suffix}",
        "GONGKAI_PRIVATE_BUCKET": f"priv-{suffix}",
        "GONGKAI_POLL_SECONDS": "0.5",
        "GONGKAI_STABLE_SECONDS": "0.5",
        "GONGKAI_TODAY": "2026-11-25",
        # the stack's own model store, and small training data so that a retraining run takes seconds;
        # the schedule is registered but never falls due during a test
        "GONGKAI_MODEL_DIR": str(workdir / "models"),
        "GONGKAI_TRAINING_SOURCES": json.dumps([str(_corpus_sample(workdir / "training.jsonl", 10))]),
        "GONGKAI_EVALUATION_SET": str(_corpus_sample(workdir / "evaluation.jsonl", 3, last=True)),
        "GONGKAI_RETRAIN_SCHEDULE": RETRAIN_SCHEDULE,
        **more,
    }


@pytest.fixture(scope="session")
def migrated_prefect_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty Prefect database with every migration applied, made once by starting gongkai's own local server
    on a fresh home. Each stack starts from a copy: migrating a new SQLite database takes 17 of a stack's 26 s
    on a 2-core VM, and `gongkai up` on a fresh install still migrates (this fixture does exactly that)."""
    home = tmp_path_factory.mktemp("prefect-template")
    port = free_port()
    env = {**{key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")},
           "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    server = subprocess.Popen([sys.executable, "-m", "gongkai.flows.prefect_server", "--port", str(port)], env=env,
                              stdout=(home / "server.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/health", server)
    finally:
        server.terminate()
        server.wait(timeout=60)
    database = home / "prefect.db"
    with closing(sqlite3.connect(database)) as connection:  # the last connection folds the WAL into the file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return database


@contextmanager
def running_stack(workdir: Path, env: dict[str, str], prefect_db: Path) -> Iterator[Stack]:
    """`gongkai up` started in `workdir` on a copy of `prefect_db`, stopped at the end with every process it
    left behind."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    home = workdir / env.get("GONGKAI_DATA_DIR", "data") / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(prefect_db, home / "prefect.db")
    api_url = f"http://127.0.0.1:{env['GONGKAI_PREFECT_PORT']}/api"
    running = Stack(workdir=workdir, env=env, api_url=api_url)
    running.start()
    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):  # the test's own client calls
            yield running
    finally:
        running.stop()
        kill_processes_in(workdir)


def kill_processes_in(workdir: Path) -> None:
    """Every process still working in `workdir`: services a killed `up` could not stop."""
    import psutil

    for process in psutil.process_iter():
        try:
            if Path(process.cwd()).is_relative_to(workdir):
                process.kill()
        except (psutil.Error, OSError):
            continue


@pytest.fixture
def stack(tmp_path: Path, s3_endpoint: str, migrated_prefect_db: Path, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """`gongkai up` in tmp_path; a test marked `stack_env(NAME=value, …)` sets more of its environment."""
    marker = request.node.get_closest_marker("stack_env")
    env = stack_environment(tmp_path, s3_endpoint, **(marker.kwargs if marker else {}))
    with running_stack(tmp_path, env, migrated_prefect_db) as running:
        yield running


@pytest.fixture
def stack_storage(stack: Stack) -> Any:
    return storage_of(stack)


def storage_of(stack: Stack) -> Any:
    """The stack's buckets, read through gongkai's own storage layer."""
    from gongkai.settings import Settings
    from gongkai.storage import open_storage

    env = stack.env
    return open_storage(Settings(storage="s3", s3_endpoint=env["GONGKAI_S3_ENDPOINT"], s3_access_key="testing",
                                 s3_secret_key="testing", s3_region="us-east-1",
                                 public_bucket=env["GONGKAI_PUBLIC_BUCKET"],
                                 private_bucket=env["GONGKAI_PRIVATE_BUCKET"], data_dir=stack.workdir / "data"))


@contextmanager
def shared_stack(factory: pytest.TempPathFactory, s3_endpoint: str, prefect_db: Path, **env: str) -> Iterator[Stack]:
    """One `gongkai up` for a whole test module (module-scoped fixtures): a stack's start is its largest cost."""
    workdir = factory.mktemp("stack")
    with running_stack(workdir, stack_environment(workdir, s3_endpoint, **env), prefect_db) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks follow the fixtures: a test on a whole stack is `stack`, one in chromium is `browser`, so a
    subset (`-m "not stack"`) can never miss one."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "migrated_prefect_db" in fixtures:  # every `gongkai up` of the tests starts from it
            item.add_marker(pytest.mark.stack)
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)

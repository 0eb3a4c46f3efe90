"""`gongkai up`: a local Prefect server (SQLite), the document and retraining flows served, the inbox watched.

A second `up` reuses a server that is already answering. Ctrl-C stops what this process started.
Prefect reads its settings from the environment, so `prefect_environment` runs before any
Prefect import. What `up` started it keeps running: a server or model service that stops is started
again; while the Prefect API does not answer, files wait in the inbox and the flows wait to be served.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gongkai.flows.review_files import serve_review_files
from gongkai.models.client import answers
from gongkai.settings import Settings

if TYPE_CHECKING:
    from watchdog.observers.api import BaseObserver

    from gongkai.intake import Claim

DEPLOYMENT = "review-document/inbox"
RETRAIN_DEPLOYMENT = "retrain-model/scheduled"
WATCH_DEPLOYMENT = "deadline-watch/daily"
_SERVER_START_SECONDS = 90


def prefect_environment(settings: Settings) -> dict[str, str]:
    """Where the local server keeps its database and the flows their persisted task results."""
    home = (settings.data_dir / "prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)  # the server's database and the persisted task results are for gongkai's user alone
    api_url = os.environ.get("PREFECT_API_URL", f"http://127.0.0.1:{settings.prefect_port}/api")
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        **({"PREFECT_API_SSL_CERT_FILE": str(_one_certificate(home))} if api_url.startswith("http://") else {}),
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "results"),
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",  # seconds from "run created" to "run started": review latency
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "INFO"),
    }


def _one_certificate(home: Path) -> Path:
    """A CA file of one certificate, for a plain-HTTP API. No TLS is ever spoken to it, yet every Prefect
    client — several in each flow run — builds a verifying SSL context and parses the whole CA bundle for it
    (measured: a sixth of a flow run's CPU). Over HTTPS the variable is not set and nothing changes."""
    import certifi

    path = home / "no-tls-ca.pem"
    if not path.exists():
        bundle = Path(certifi.where()).read_text(encoding="ascii")
        end = "-----END CERTIFICATE-----"
        path.write_text(bundle[: bundle.index(end) + len(end)] + "\n", encoding="ascii")
    return path


def start_service(name: str, command: list[str], health_url: str, log: Path,
                  environment: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """Start a long-lived helper process unless one already answers at `health_url` (a second `up` reuses
    it: None); wait until it answers."""
    if answers(health_url):
        return None
    log.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(command, env={**os.environ, **environment}, stdout=log.open("ab"),
                               stderr=subprocess.STDOUT,
                               start_new_session=True)  # its own process group: stopping it stops its children too
    deadline = time.monotonic() + _SERVER_START_SECONDS
    while not answers(health_url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_service(process)
            raise RuntimeError(f"{name}未能启动 / the {name} did not start: see {log}")
        time.sleep(0.5)
    return process


def start_server(settings: Settings, environment: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """Prefect's server with SQLite under data_dir (gongkai.flows.prefect_server), unless a server answers at
    PREFECT_API_URL (compose runs its own, on Postgres)."""
    return start_service("Prefect 服务器 Prefect server",
                         [sys.executable, "-m", "gongkai.flows.prefect_server", "--port", str(settings.prefect_port)],
                         f"{environment['PREFECT_API_URL']}/health",
                         (settings.data_dir / "prefect-server.log").resolve(), environment)


def start_model_service(settings: Settings, environment: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """The one suggestion model of this host (gongkai.models.service), unless one answers already."""
    # Its OpenMP threads sleep when they wait: beside the flow runs and the Prefect server on busy cores,
    # spinning threads burnt more CPU than the model used (measured: 40 s for 30 documents instead of 15 s).
    from gongkai.models.client import HEALTH_PATH, service_url

    return start_service("模型服务 suggestion model", [sys.executable, "-m", "gongkai.models.service"],
                         f"{service_url(settings.model_port)}{HEALTH_PATH}",
                         (settings.data_dir / "model-service.log").resolve(),
                         {**environment, "OMP_WAIT_POLICY": "PASSIVE"})


def start_worker(settings: Settings, environment: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """A Prefect worker of GONGKAI_WORK_POOL on this host (process type: each run its own process), at most
    max_concurrent_documents runs at once; it creates the pool when there is none."""
    assert settings.work_pool
    return start_service("Prefect 工作进程 Prefect worker",
                         [sys.executable, "-m", "prefect", "worker", "start", "--pool", settings.work_pool, "--type",
                          "process", "--limit", str(settings.max_concurrent_documents), "--with-healthcheck"],
                         f"http://127.0.0.1:{settings.worker_port}/health", (settings.data_dir / "worker.log").resolve(),
                         {**environment, **absolute_paths(settings), "PREFECT_WORKER_WEBSERVER_HOST": "127.0.0.1",
                          "PREFECT_WORKER_WEBSERVER_PORT": str(settings.worker_port)})


def absolute_paths(settings: Settings) -> dict[str, str]:
    """Every folder and file setting as an absolute GONGKAI_* variable: a worker runs each flow in a temporary
    folder, where a relative `returned` would be written and then deleted with it."""
    return {f"GONGKAI_{name.upper()}": str(value.resolve()) for name, value in settings if isinstance(value, Path)}


def deploy_to_pool(pool: str, flows: dict[str, Any]) -> None:
    """The review flows as deployments of the work pool, by module path: a worker host imports them from its own
    gongkai installation, nothing is copied to it."""
    from prefect import deploy
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments.runner import EntrypointType
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
        except ObjectAlreadyExists:
            pass  # made by the worker, or by another host
    deploy(*[flow.to_deployment(name=name.split("/")[1], entrypoint_type=EntrypointType.MODULE_PATH)
             for name, flow in flows.items()], work_pool_name=pool, print_next_steps_message=False)


def use_warm_processes(preload: list[str]) -> None:
    """Flow runs start as forks of a process that has already imported Prefect and the flows.

    Prefect's runner starts each run of an in-memory flow with `run_flow_in_subprocess`, which asks the
    `multiprocessing` module for a "spawn" context: a fresh interpreter that imports Prefect again (~3 s of
    CPU on 2 cores, per document and again per resume). Its flow engine is handed a `multiprocessing` whose
    contexts are all one "forkserver" context with `preload` imported, so a run starts in milliseconds.
    Prefect is pinned (pyproject.toml) and tests/flows cover every run path through it."""
    import multiprocessing

    from prefect import flow_engine

    warm = multiprocessing.get_context("forkserver")
    warm.set_forkserver_preload(preload)

    class WarmMultiprocessing:
        def __getattr__(self, name: str) -> Any:
            return getattr(multiprocessing, name)

        def get_context(self, method: str | None = None) -> Any:
            return warm

    flow_engine.multiprocessing = WarmMultiprocessing()  # type: ignore[assignment]


class Supervisor(threading.Thread):
    """Starts `up`'s helper processes side by side and starts one again when it stops (a crash, the OOM
    killer, a `kill`). A helper that already answered when `up` started (a second `up`, compose) is not ours:
    it is used, never restarted or stopped."""

    def __init__(self, starters: dict[str, Callable[[], subprocess.Popen[bytes] | None]]) -> None:
        super().__init__(name="supervisor", daemon=True)
        self.starters = starters
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        with ThreadPoolExecutor(len(starters)) as pool:  # the server and the model load at the same time
            started = {name: pool.submit(start) for name, start in starters.items()}
        self.processes = {name: future.result() for name, future in started.items()
                          if future.exception() is None and future.result() is not None}
        if failed := [future.exception() for future in started.values() if future.exception() is not None]:
            self.stop()
            raise failed[0]

    def run(self) -> None:
        while not self.stopping.wait(1.0):
            with self._lock:
                for name, process in list(self.processes.items()):
                    if process.poll() is None or self.stopping.is_set():
                        continue
                    print(f"{name}已停止（退出码 {process.returncode}），正在重新启动 / the {name} stopped (exit status "
                          f"{process.returncode}): starting it again", flush=True)
                    try:
                        replacement = self.starters[name]()
                    except RuntimeError as error:  # tried again on the next round
                        print(error, flush=True)
                        continue
                    if replacement is None:
                        del self.processes[name]  # another one answers there now
                    else:
                        self.processes[name] = replacement

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:
            for process in self.processes.values():
                stop_service(process)


class RunRecovery(threading.Thread):
    """Review runs an earlier `up` left behind — killed, a power cut — go back to the queue once they have shown
    Pending or Running for `after` without a live process (gongkai.flows.recovery); looked for every half of
    `after`."""

    def __init__(self, after: timedelta) -> None:
        super().__init__(name="run-recovery", daemon=True)
        self.after = after
        self.serving_since = datetime.now(timezone.utc)
        self.stopping = threading.Event()
        self._last_error = ""

    def run(self) -> None:
        from gongkai.flows.recovery import reschedule_interrupted

        while not self.stopping.wait(self.after.total_seconds() / 2):
            try:
                for name in reschedule_interrupted(DEPLOYMENT, self.after, self.serving_since):
                    print(f"中断的审核运行已重新排队 / an interrupted review run is queued again: {name}", flush=True)
                self._last_error = ""
            except Exception as error:  # the server is restarting
                if str(error) != self._last_error:
                    print(f"暂时无法检查中断的运行 / cannot look for interrupted runs now ({type(error).__name__}: "
                          f"{error})", flush=True)
                    self._last_error = str(error)


def stop_service(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass  # already gone
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


class InboxWatcher(threading.Thread):
    """Claims ready files and starts one review run each. File events wake it early; it polls anyway.
    A file that fails in any way is reported and left where it is; the next one is still taken."""

    def __init__(self, settings: Settings, api_health: str) -> None:
        super().__init__(name="inbox-watcher", daemon=True)
        from gongkai.intake import Inbox
        from gongkai.storage import open_storage

        self.settings = settings
        self.api_health = api_health  # no claim while the Prefect API does not answer: a file waits in the inbox
        self._api_silent = False
        settings.inbox.mkdir(parents=True, exist_ok=True)
        self.inbox = Inbox(settings.inbox, settings.data_dir / "processing", settings.stable_seconds,
                           settings.extraction_limits().max_file_bytes)
        self.storage = open_storage(settings)
        self.stopping = threading.Event()
        self._wake = threading.Event()
        for path in self.inbox.put_back_interrupted():
            print(f"中断的收件已放回收件箱 / an interrupted claim is back in the inbox: {path}", flush=True)
        self._unsent = self._claimed_before()  # claimed by an earlier `up` that stopped before its run existed
        self._reported: set[tuple[Path, str]] = set()  # failures already said once

    def _claimed_before(self) -> list[Claim]:
        from gongkai.intake import claimed_files
        from gongkai.ledger import registry_status

        return [claim for claim in claimed_files(self.inbox.processing, self.storage)
                if registry_status(self.storage, claim.sha256) is None]

    def run(self) -> None:
        observer = self._watch_events()
        try:
            while not self.stopping.is_set():
                self.scan_once()
                # a file still settling is looked at again as soon as it may be stable
                self._wake.wait(self.settings.stable_seconds if self.inbox.waiting else self.settings.poll_seconds)
                self._wake.clear()
        finally:
            observer.stop()

    def scan_once(self) -> None:
        from gongkai.intake import Refused, display_name
        from gongkai.outcomes import return_refused

        claims, self._unsent = self._unsent, []
        scan = self.inbox.scan(time.monotonic())
        refusals = list(scan.refused)
        for path in scan.ready if scan.ready and self._api_answers() else []:
            try:
                claims.append(self.inbox.claim(path, self.storage))
            except FileNotFoundError:
                continue  # another watcher took it
            except Refused as refused:
                refusals.append(refused.refusal)
            except Exception as error:  # a full disk, storage down: the file is back in the inbox, tried again later
                self._report(path, f"暂时无法收取 {display_name(path.name)}，文件仍在收件箱 / cannot take "
                                   f"{display_name(path.name)} now, it stays in the inbox ({type(error).__name__}: "
                                   f"{error})")
        for refusal in refusals:
            try:
                note = return_refused(self.settings.returned, refusal)
                print(f"拒收 refused: {display_name(refusal.path.name)} ({refusal.code}) → {note}", flush=True)
            except Exception as error:
                self._report(refusal.path, f"无法退回 {display_name(refusal.path.name)} / cannot return it "
                                           f"({type(error).__name__}: {error})")
        for claim in claims:
            try:
                self.accept(claim)
            except Exception as error:  # the server may be restarting: the file stays claimed, retried next scan
                self._unsent.append(claim)
                print(f"暂时无法开始审核 {claim.name}，稍后重试 / cannot start the review of {claim.name} yet "
                      f"({type(error).__name__}: {error}); retrying", flush=True)

    def _api_answers(self) -> bool:
        """Said once when the API stops answering and once when it is back."""
        silent = not answers(self.api_health)
        if silent != self._api_silent:
            print("Prefect 服务器无应答，文件留在收件箱，恢复后收取 / the Prefect server does not answer: files wait in "
                  "the inbox until it is back" if silent else
                  "Prefect 服务器已恢复，继续收件 / the Prefect server answers again: taking files", flush=True)
            self._api_silent = silent
        return not silent

    def _report(self, path: Path, message: str) -> None:
        if (path, message) not in self._reported:
            self._reported.add((path, message))
            print(message, flush=True)

    def accept(self, claim: Claim) -> None:
        from gongkai.outcomes import admit

        run_id = admit(self.storage, self.settings.returned, claim, self._start_review)
        if run_id is None:
            print(f"重复文件 duplicate: {claim.name} → {self.settings.returned}", flush=True)
        else:
            print(f"收到 received: {claim.name} → flow run {run_id}", flush=True)

    @staticmethod
    def _start_review(claim: Claim) -> str:
        from prefect.deployments import run_deployment

        run = run_deployment(DEPLOYMENT, parameters={"claim": claim.to_dict()}, timeout=0,
                             flow_run_name=claim.name, tags=[f"处室:{claim.office or '未分配'}"])
        return str(run.id)

    def _watch_events(self) -> BaseObserver:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        wake = self._wake

        class Wake(FileSystemEventHandler):
            def on_any_event(self, event: object) -> None:
                wake.set()

        observer = Observer()
        observer.schedule(Wake(), str(self.settings.inbox), recursive=True)
        observer.start()
        return observer


def _stop_on_signals() -> None:
    """Ctrl-C and `kill` both end `up` cleanly (a shell may start background jobs with SIGINT ignored)."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


SERVING = "gongkai: 审核流程已就绪 / the review flows are served"


def up(settings: Settings) -> int:
    _stop_on_signals()
    environment = prefect_environment(settings)
    os.environ.update(environment)
    api_health = f"{environment['PREFECT_API_URL']}/health"
    with ExitStack() as started:  # stopped in reverse order, however `up` ends
        try:
            supervisor = Supervisor({"Prefect 服务器 Prefect server": lambda: start_server(settings, environment),
                                     "模型服务 suggestion model": lambda: start_model_service(settings, environment)})
            started.callback(supervisor.stop)
            supervisor.start()
            if settings.work_pool:  # once the server answers: the worker registers with it
                worker = Supervisor({"Prefect 工作进程 Prefect worker": lambda: start_worker(settings, environment)})
                started.callback(worker.stop)
                worker.start()
            ui = environment["PREFECT_API_URL"].removesuffix("/api")
            print(f"gongkai: Prefect UI {ui}  (审核 review: {ui}/runs)", flush=True)
            print(f"gongkai: 收件箱 inbox {settings.inbox.resolve()}  退回 returned {settings.returned.resolve()}",
                  flush=True)
            if settings.storage == "local":
                started.callback(serve_review_files(settings).shutdown)
            watcher = InboxWatcher(settings, api_health)
            started.callback(watcher.stopping.set)
            recovery = RunRecovery(timedelta(seconds=settings.interrupted_run_seconds))
            started.callback(recovery.stopping.set)
            use_warm_processes(["gongkai.flows.warm_runs"])
            watcher.start()
            recovery.start()
            while not _serve(settings, api_health):
                print("Prefect 服务器无应答，等待它恢复 / the Prefect server does not answer: waiting for it",
                      flush=True)
                while not answers(api_health):
                    time.sleep(1)
        except KeyboardInterrupt:
            pass
    print("gongkai: stopped", flush=True)
    return 0


def _serve(settings: Settings, api_health: str) -> bool:
    """Serve the flows until stopped (True), or until the runner gives up on an API that stopped answering
    (False)."""
    import asyncio

    from prefect.runner import Runner
    from prefect.schedules import Cron

    from gongkai.flows.back_catalogue import import_back_catalogue
    from gongkai.flows.deadlines import annual_report_flow, deadline_watch, request_add, request_answer, request_extend
    from gongkai.flows.document import review_document
    from gongkai.flows.retrain import retrain_model
    from gongkai.flows.review_batch import REVIEW_BATCH_DEPLOYMENT, review_import_batch

    # at most max_concurrent_documents runs at once; the others wait as Scheduled runs, in order
    runner = Runner(limit=settings.max_concurrent_documents, pause_on_shutdown=True)
    reviews = {DEPLOYMENT: review_document, REVIEW_BATCH_DEPLOYMENT: review_import_batch}
    if settings.work_pool:
        deploy_to_pool(settings.work_pool, reviews)
    else:
        for name, review_flow in reviews.items():
            runner.add_flow(review_flow, name=name.split("/")[1])
    runner.add_flow(retrain_model, name=RETRAIN_DEPLOYMENT.split("/")[1], cron=settings.retrain_schedule)
    watch_schedule = settings.deadline_watch_schedule
    runner.add_flow(deadline_watch, name=WATCH_DEPLOYMENT.split("/")[1],
                    schedule=Cron(watch_schedule, timezone="Asia/Shanghai") if watch_schedule else None)
    for form in (request_add, request_extend, request_answer, annual_report_flow, import_back_catalogue):  # UI forms
        runner.add_flow(form, name="form")
    print(f"{SERVING} (同时处理 at most {settings.max_concurrent_documents} documents at once)", flush=True)
    try:
        asyncio.run(runner.start())
    except Exception:  # Prefect's runner stops after a few failed polls of the API
        if answers(api_health):
            raise
        return False
    return True

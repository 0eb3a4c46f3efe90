"""Parts fail in the middle of the work, on the real stack: nothing is lost and nobody reviews twice.

Two stacks serve the module (each `gongkai up` costs about half a minute): one on S3 — moto's server behind a
relay the tests can switch off — and one on local storage whose inbox and public folder are small tmpfs
mounts. The tests on one stack run in file order; the last one kills its `up`.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from gongkai.publishing.layout import INDEX_KEY
from gongkai.settings import Settings
from gongkai.storage import Storage, get_json, open_storage
from tests.conftest import write_docx
from tests.reliability.faults import SwitchableProxy, fill, set_read_only, small_disk
from tests.stack import GONGKAI, GOOD, Stack, running_stack, stack_environment

pytestmark = pytest.mark.reliability

PUBLISH = {"decision": "publish", "category": "主动公开", "topic": "社会救助", "reviewer": "李审核"}
# two quick retries instead of the default four with 30 s and more between them; interrupted runs are
# looked for every 2 s instead of every 30 s
QUICK = {"GONGKAI_PUBLISH_RETRIES": "2", "GONGKAI_PUBLISH_RETRY_SECONDS": "1", "GONGKAI_INTERRUPTED_RUN_SECONDS": "4"}


def document(number: int, body_lines: int = 1) -> list[str]:
    """GOOD with its own 发文字号 and title (content that is not a duplicate), `body_lines` long. Generated."""
    return [GOOD[0], f"粤民发〔2026〕{number}号", f"广东省民政厅关于第{number}批社会救助资金的通知", GOOD[3],
            *[f"第{line}条：为做好城乡最低生活保障工作，现将第{number}批资金有关事项通知如下。" for line in range(body_lines)],
            *GOOD[5:]]


def run_of(stack: Stack, number: int, state: str, seconds: float = 120) -> Any:
    """The one run of document `number` (named after its 发文字号 once checked), once it is in `state`."""
    found: list[Any] = []

    def there() -> bool:
        try:
            found[:] = [run for run in stack.runs() if f"〔2026〕{number}号" in run.name]
        except httpx.TransportError:  # a server that `up` is starting again
            return False
        return len(found) == 1 and found[0].state.name == state

    stack.wait_for(there, seconds, f"the run of document {number} in state {state}")
    return found[0]


def states_of(stack: Stack, run_id: Any) -> list[str]:
    with stack.client() as client:
        return [state.name for state in client.read_flow_run_states(run_id)]


def retry(stack: Stack, run_id: Any) -> None:
    done = subprocess.run([GONGKAI, "retry", str(run_id)], cwd=stack.workdir, env=stack.env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def assert_settled(storage: Storage, titles: set[str]) -> None:
    """The catalogue lists an item with each title; every file it names is there with its sha256, and the
    items/ folder holds nothing else."""
    items = catalogue(storage)
    assert titles <= {entry["title"] for entry in items}
    listed = {key: info for entry in items for key, info in entry["files"].items()}
    for key, info in listed.items():
        assert hashlib.sha256(storage.public.get(key)).hexdigest() == info["sha256"], key
    assert set(storage.public.keys("items/")) == set(listed)


def catalogue(storage: Storage) -> list[dict[str, Any]]:
    """The items index.json lists (none before the first publish)."""
    try:
        return get_json(storage.public, INDEX_KEY)["items"]
    except KeyError:
        return []


def published_events(storage: Storage) -> list[dict[str, Any]]:
    events = [json.loads(storage.private.get(key)) for key in storage.private.keys("audit/")]
    return [event for event in events if event["event"] == "published"]


# ------------------------------------------------------------------------------------------- the S3 stack

@pytest.fixture(scope="module")
def relay(s3_endpoint: str) -> Iterator[SwitchableProxy]:
    proxy = SwitchableProxy(s3_endpoint)
    proxy.start()
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def s3_stack(tmp_path_factory: pytest.TempPathFactory, relay: SwitchableProxy, migrated_prefect_db: Path
             ) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("faults_s3")
    with running_stack(workdir, stack_environment(workdir, relay.address, **QUICK), migrated_prefect_db) as stack:
        yield stack


@pytest.fixture(scope="module")
def s3_storage(s3_stack: Stack, s3_endpoint: str) -> Storage:
    """The stack's buckets, straight from the endpoint (not through the relay)."""
    env = s3_stack.env
    return open_storage(Settings(storage="s3", s3_endpoint=s3_endpoint, s3_access_key="testing",
                                 s3_secret_key="testing", s3_region="us-east-1",
                                 public_bucket=env["GONGKAI_PUBLIC_BUCKET"],
                                 private_bucket=env["GONGKAI_PRIVATE_BUCKET"], data_dir=s3_stack.workdir / "data"))


def test_s3_down_during_a_publish_fails_visibly_and_a_retry_completes_it(
        s3_stack: Stack, relay: SwitchableProxy, s3_storage: Storage) -> None:
    s3_stack.drop("outage.docx", document(101))
    run = run_of(s3_stack, 101, "Suspended")
    relay.down()
    try:
        s3_stack.resume(run.id, **PUBLISH)
        assert s3_stack.wait_final(run.id).state.name == "Failed"
        with s3_stack.client() as client:
            attempts = [task.run_count for task in client.read_task_runs()
                        if task.flow_run_id == run.id and task.name.startswith("carry_out_decision")]
        assert attempts == [3]  # the first try and two retries, with backoff
    finally:
        relay.up()
    assert f"gongkai retry {run.id}" in s3_stack.logs[-1].read_text(errors="replace")  # what to do, in the log
    assert not [item for item in catalogue(s3_storage) if "第101批" in item["title"]]
    assert_settled(s3_storage, set())

    retry(s3_stack, run.id)
    assert s3_stack.wait_final(run.id).state.name == "Completed"
    assert states_of(s3_stack, run.id).count("Suspended") == 1, "reviewed once, carried out twice"
    assert_settled(s3_storage, {"广东省民政厅关于第101批社会救助资金的通知"})


def test_files_wait_in_the_inbox_while_the_prefect_server_is_down(s3_stack: Stack) -> None:
    up = psutil.Process(s3_stack.process.pid)
    server = next(child for child in up.children() if "gongkai.flows.prefect_server" in " ".join(child.cmdline()))
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(30)
    waiting = s3_stack.drop("while-down.docx", document(102))
    log = s3_stack.logs[-1]
    s3_stack.wait_for(lambda: "files wait in the inbox" in log.read_text(errors="replace"), 60,
                      "the watcher to say the file waits")
    assert waiting.exists() or "Prefect 服务器已恢复" in log.read_text(errors="replace")
    run = run_of(s3_stack, 102, "Suspended", seconds=180)  # `up` started the server again, then took the file
    text = log.read_text(errors="replace")
    assert text.index("files wait in the inbox") < text.index("received: while-down.docx")
    assert "starting it again" in text
    assert not waiting.exists()
    s3_stack.resume(run.id, **PUBLISH)
    assert s3_stack.wait_final(run.id).state.name == "Completed"


def test_two_publishes_at_once_with_one_crashing_lose_no_entry(s3_stack: Stack, s3_storage: Storage) -> None:
    numbers = (103, 104, 105, 106)
    for number in numbers:
        s3_stack.drop(f"together-{number}.docx", document(number))
    runs = {number: run_of(s3_stack, number, "Suspended") for number in numbers}
    crashing, before_review = runs[103].id, runs[103].infrastructure_pid  # the process that ran the check
    for run in runs.values():
        s3_stack.resume(run.id, **PUBLISH)
    pids: list[str] = []

    def started_again() -> bool:
        with s3_stack.client() as client:
            pids[:] = [client.read_flow_run(crashing).infrastructure_pid]
        return pids[0] != before_review

    s3_stack.wait_for(started_again, 60, "the resumed run's process")
    pid = int(pids[0].rpartition(":")[2])
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it finished first: the retry below then finds nothing left to do
    final = {number: s3_stack.wait_final(run.id).state.name for number, run in runs.items()}
    assert all(final[number] == "Completed" for number in numbers[1:]), final
    if final[103] != "Completed":
        assert final[103] == "Crashed", final
        retry(s3_stack, crashing)
        assert s3_stack.wait_final(crashing).state.name == "Completed"
    titles = {f"广东省民政厅关于第{number}批社会救助资金的通知" for number in numbers}
    assert_settled(s3_storage, titles)
    numbers_given = [entry["index_no"] for entry in catalogue(s3_storage) if entry["title"] in titles]
    assert len(numbers_given) == len(set(numbers_given)) == 4
    assert titles <= {event["elements"]["title"] for event in published_events(s3_storage)}


def test_up_killed_mid_extraction_loses_nothing_and_reviews_nothing_twice(s3_stack: Stack) -> None:
    numbers = (107, 108, 109)
    for number in numbers:  # plain text, 100,000 lines: its check takes seconds however warm the readers are
        staged = s3_stack.workdir / "drafts" / f"crash-{number}.txt"
        staged.parent.mkdir(exist_ok=True)
        staged.write_text("\n".join(document(number, body_lines=100_000)), encoding="utf-8")
        (s3_stack.inbox / "社救处").mkdir(parents=True, exist_ok=True)
        os.replace(staged, s3_stack.inbox / "社救处" / staged.name)

    def running() -> list[Any]:
        return [run for run in s3_stack.runs() if run.name.startswith("crash-") and run.state.name == "Running"
                and run.infrastructure_pid]

    s3_stack.wait_for(lambda: len(running()) >= 2, 120, "two checks under way")
    up = psutil.Process(s3_stack.process.pid)
    # `up` and what it forked (the flow runs); the server and the model service live in their own sessions
    victims = [up] + [child for child in up.children(recursive=True) if os.getsid(child.pid) == os.getsid(up.pid)]
    for victim in victims:
        victim.kill()
    s3_stack.process.wait(30)

    s3_stack.start()  # the server and the model service still answer: this `up` uses them
    log = s3_stack.logs[-1]
    s3_stack.wait_for(lambda: "queued again" in log.read_text(errors="replace"), 60, "the interrupted runs requeued")
    runs = [run_of(s3_stack, number, "Suspended", seconds=180) for number in numbers]
    assert all(states_of(s3_stack, run.id).count("Suspended") == 1 for run in runs)
    assert not list(s3_stack.inbox.rglob("crash-*")) and not list(s3_stack.returned.rglob("crash-*"))
    processing = s3_stack.workdir / "data" / "processing"
    assert sorted(path.name for path in processing.rglob("crash-*")) == [f"crash-{n}.txt" for n in numbers]


# --------------------------------------------------------------------------------- the local-storage stack

@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str, migrated_prefect_db: Path
                ) -> Iterator[Stack]:
    """Inbox and claimed files on one 16 MB tmpfs (the disk that fills up), the public
    folder on another."""
    workdir = tmp_path_factory.mktemp("faults_local")
    env = stack_environment(workdir, s3_endpoint, GONGKAI_STORAGE="local", GONGKAI_INBOX="disk/inbox",
                            GONGKAI_PUBLIC_BUCKET="public", **QUICK)
    with small_disk(workdir / "disk", 16), small_disk(workdir / "data" / "storage" / "public", 16):
        (workdir / "data").mkdir(exist_ok=True)
        (workdir / "disk" / "processing").mkdir()
        (workdir / "data" / "processing").symlink_to(workdir / "disk" / "processing")
        with running_stack(workdir, env, migrated_prefect_db) as stack:
            yield stack


def test_a_full_disk_leaves_the_file_in_the_inbox_with_a_reason(local_stack: Stack) -> None:
    disk = local_stack.inbox.parent
    staged = write_docx(disk / "drafts" / "full.docx", document(110))
    original = staged.read_bytes()
    filler = fill(disk)
    target = local_stack.inbox / "社救处" / "full.docx"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, target)  # a rename needs no room
    log = local_stack.logs[-1]
    local_stack.wait_for(lambda: "No space left on device" in log.read_text(errors="replace"), 60,
                         "the watcher to say the disk is full")
    assert "full.docx" in log.read_text(errors="replace")
    assert target.read_bytes() == original
    assert not list((disk / "processing").rglob("full.docx"))

    filler.unlink()
    run = run_of(local_stack, 110, "Suspended")
    assert not target.exists()
    local_stack.resume(run.id, **PUBLISH)
    assert local_stack.wait_final(run.id).state.name == "Completed"


def test_a_read_only_public_folder_keeps_the_decision_for_a_retry(local_stack: Stack) -> None:
    public = local_stack.workdir / "data" / "storage" / "public"
    local_stack.drop("read-only.docx", document(111))
    run = run_of(local_stack, 111, "Suspended")
    storage = open_storage(Settings(storage="local", data_dir=local_stack.workdir / "data", public_bucket="public"))
    before = set(storage.public.keys())
    set_read_only(public, True)
    try:
        local_stack.resume(run.id, **PUBLISH)
        assert local_stack.wait_final(run.id).state.name == "Failed"
        assert set(storage.public.keys()) == before
    finally:
        set_read_only(public, False)
    retry(local_stack, run.id)
    assert local_stack.wait_final(run.id).state.name == "Completed"
    assert states_of(local_stack, run.id).count("Suspended") == 1
    assert_settled(storage, {"广东省民政厅关于第111批社会救助资金的通知"})

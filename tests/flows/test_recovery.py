"""Which runs `up` takes for interrupted (gongkai.flows.recovery), on Prefect's own run records."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest
from prefect.client.schemas.objects import FlowRun, State, StateType

from gongkai.flows.recovery import is_interrupted

AFTER = timedelta(seconds=60)


def run(state: StateType, age_seconds: float, pid: str | None) -> FlowRun:
    """A run in `state` since `age_seconds` before now, before this `up` began (`serving_since`)."""
    since = datetime.now(timezone.utc) - timedelta(seconds=age_seconds)
    return FlowRun(flow_id=uuid4(), name="通知.docx", state=State(type=state, timestamp=since), infrastructure_pid=pid)


def serving_since() -> datetime:
    return datetime.now(timezone.utc)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


HERE = socket.gethostname()


@pytest.mark.parametrize("state", [StateType.PENDING, StateType.RUNNING])
def test_a_run_whose_process_died_is_gone_once_it_has_waited(state: StateType) -> None:
    pid = f"{HERE}:{dead_pid()}"
    assert is_interrupted(run(state, 61, pid), AFTER, serving_since())
    assert not is_interrupted(run(state, 5, pid), AFTER, serving_since())  # another `up` on the server may be starting it: wait


def test_a_run_with_a_live_process_is_never_gone() -> None:
    assert not is_interrupted(run(StateType.RUNNING, 3600, f"{HERE}:{os.getpid()}"), AFTER, serving_since())


def test_a_run_that_never_got_a_process_is_gone_once_it_has_waited() -> None:
    assert is_interrupted(run(StateType.PENDING, 61, None), AFTER, serving_since())
    assert not is_interrupted(run(StateType.PENDING, 5, None), AFTER, serving_since())


def test_another_hosts_process_cannot_be_told_from_here() -> None:
    assert not is_interrupted(run(StateType.RUNNING, 3600, f"not-{HERE}:{dead_pid()}"), AFTER, serving_since())


def test_a_run_this_up_started_is_left_to_its_runner() -> None:
    """However long it takes to start: its runner marks a crash itself."""
    began = datetime.now(timezone.utc) - timedelta(seconds=120)
    started_here = FlowRun(flow_id=uuid4(), name="通知.docx", infrastructure_pid=None,
                           state=State(type=StateType.PENDING, timestamp=began + timedelta(seconds=1)))
    assert not is_interrupted(started_here, timedelta(0), began)

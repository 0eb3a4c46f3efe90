"""Review runs that stopped before their outcome are run again; nobody reviews a document twice.

A run started again finds the reviewer's saved form (gongkai.flows.document), so it only carries the
decision out. Two ways back into the queue: `gongkai retry RUN` (what the Prefect UI's Retry does) for a run
that failed or crashed, and `reschedule_interrupted`, which `gongkai up` calls every half minute, for runs
whose process died with an earlier `up` (a killed process, a power cut) and that the server still shows as
running.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

def retry_run(run_id: str) -> str:
    """Put a failed or crashed run back in the queue; `gongkai up` starts it again. Returns its name.
    Raises LookupError (no such run) or ValueError (a run in another state)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.states import AwaitingRetry

    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(UUID(run_id))
        except (ValueError, ObjectNotFound):
            raise LookupError(f"没有编号为 {run_id} 的运行 / no flow run {run_id}: copy its id from the Prefect "
                              f"UI or the log line that names it") from None
        state = run.state
        if state is None or not (state.is_failed() or state.is_crashed()):
            raise ValueError(f"运行“{run.name}”的状态是 {state.name if state else '未知'}，只有失败或崩溃的运行可以重试 / "
                             f"run {run_id} is {state.name if state else 'unknown'}: only a failed or crashed run "
                             f"is retried")
        client.set_flow_run_state(run.id, AwaitingRetry(message="gongkai retry"))
        return run.name


def reschedule_interrupted(deployment: str, after: timedelta, serving_since: datetime) -> list[str]:
    """Runs of `deployment` left Pending or Running by an earlier `up` — in that state since before
    `serving_since`, when this one began, and for longer than `after` — with no live process of this host noted
    for them, go back to the queue (AwaitingRetry); returns their names.

    Runs this `up` started are never touched: its runner sees their processes end and marks a crash itself.
    A run's process notes its pid first thing (flows.document); `after` leaves a run of another live `up`
    on the same server the time to get that far."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import AwaitingRetry

    with get_client(sync_client=True) as client:
        deployment_id = client.read_deployment_by_name(deployment).id
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.PENDING, StateType.RUNNING]))))
        interrupted = [run for run in runs if is_interrupted(run, after, serving_since)]
        for run in interrupted:
            # force: the server allows Running → Scheduled only to its own rules; the run's process is gone
            client.set_flow_run_state(run.id, AwaitingRetry(message="进程已中断，重新排队 / its process is gone"),
                                      force=True)
        return [run.name for run in interrupted]


def is_interrupted(run: FlowRun, after: timedelta, serving_since: datetime) -> bool:
    since = run.state.timestamp if run.state else None
    if since is None or since >= serving_since or datetime.now(timezone.utc) - since < after:
        return False
    host, _, pid = (run.infrastructure_pid or "").rpartition(":")
    if not pid.isdigit():
        return True  # it never got a process
    return host == socket.gethostname() and not _alive(int(pid))  # another host's: it cannot be told from here


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process holds the number now
    stat = Path(f"/proc/{pid}/stat")
    # a zombie has exited; a container's first process may never reap it
    return not (stat.exists() and stat.read_text().rpartition(")")[2].split()[0] == "Z")

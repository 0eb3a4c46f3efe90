"""The deadline watch inside `gongkai up`, on a real Prefect server: a seeded year (tests/seeded_ledger.py) in the
stack's S3 buckets, the shipped automation file applied with `prefect automation create --from-file`, and a
webhook receiver on loopback standing in for the office's alert endpoint."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gongkai.flows.deadlines import DUE_SOON, OVERDUE
from gongkai.flows.serve import WATCH_DEPLOYMENT
from tests.seeded_ledger import seed
from tests.stack import Stack, shared_stack, storage_of

ALERTS = Path(__file__).resolve().parents[2] / "config" / "automations" / "deadline-alerts.yaml"
PREFECT = str(Path(sys.executable).with_name("prefect"))


class Receiver(ThreadingHTTPServer):
    """The office's alert endpoint: keeps every JSON body posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                outer.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str, migrated_prefect_db: Path) -> Iterator[Stack]:
    """One `gongkai up` for the module, on 18 December 2026."""
    with shared_stack(tmp_path_factory, s3_endpoint, migrated_prefect_db, GONGKAI_TODAY="2026-12-18",
                      GONGKAI_DEADLINE_WATCH_SCHEDULE="0 8 * * *") as running:
        yield running


@pytest.fixture(scope="module")
def stack_storage(stack: Stack) -> Any:
    return storage_of(stack)


def test_the_watch_lists_running_clocks_and_alerts_once_per_item(stack: Stack, stack_storage: Any,
                                                                 receiver: Receiver, tmp_path: Path) -> None:
    from prefect.blocks.webhook import Webhook
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.deployments import run_deployment
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    seeded = seed(stack_storage, tmp_path / "seeding")
    with stack.client() as client:
        deployment = client.read_deployment_by_name(WATCH_DEPLOYMENT)
    [schedule] = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 8 * * *", "Asia/Shanghai")

    # the README's two steps: a Webhook block, then the shipped file with its id, applied by Prefect's CLI
    block_id = Webhook(url=f"http://127.0.0.1:{receiver.server_port}/alerts",
                       headers={"Content-Type": "application/json"}).save("office-alerts")
    applied = tmp_path / "alerts.yaml"
    applied.write_text(ALERTS.read_text(encoding="utf-8").replace("__WEBHOOK_BLOCK_ID__", str(block_id)),
                       encoding="utf-8")
    created = subprocess.run([PREFECT, "automation", "create", "--from-file", str(applied)], capture_output=True,
                             text=True, env={**os.environ, **stack.env, "PREFECT_API_URL": stack.api_url}, timeout=120)
    assert created.returncode == 0, created.stdout + created.stderr

    run = run_deployment(WATCH_DEPLOYMENT, timeout=0)  # what the UI's "Run" button does
    finished = stack.wait_final(run.id)
    assert finished.state.name == "Completed", finished.state.message

    with stack.client() as client:
        artifacts = {artifact.key: artifact for artifact in client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))}
    table = json.loads(artifacts["deadline-watch"].data)
    assert [(row["到期 due"], row["剩余工作日 left"], row["规则 rule"]) for row in table] == [
        ("2026-12-14", -4, "publish_proactive"), ("2026-12-23", 3, "answer_request")]
    assert "粤民函〔2026〕88号" in table[0]["事项 item"] and "张三" not in json.dumps(table, ensure_ascii=False)
    summary = artifacts["deadline-watch-summary"].data
    assert "已逾期 **1** 项；3 个工作日内到期 **1** 项" in summary

    def events(name: str) -> list[Any]:
        with stack.client() as client:  # a filter made now: its `until` is the moment it is made
            return client.read_events(filter=EventFilter(event=EventNameFilter(name=[name]),
                                                         resource=EventResourceFilter(id_prefix=["gongkai.deadline."])),
                                      limit=50).events

    stack.wait_for(lambda: events(OVERDUE) and events(DUE_SOON), 60, "the watch's events to be stored")
    [overdue], [due_soon] = events(OVERDUE), events(DUE_SOON)
    assert overdue.resource.id == f"gongkai.deadline.publish_proactive.{seeded.pending}"
    assert due_soon.resource.id == f"gongkai.deadline.answer_request.{seeded.requests[3]}"
    assert overdue.payload["due"] == "2026-12-14" and due_soon.payload["working_days_left"] == 3

    stack.wait_for(lambda: len(receiver.bodies) >= 2, 60, "the automations to call the webhook")
    alerts = {body["alert"]: body for body in receiver.bodies}
    assert len(receiver.bodies) == 2 and set(alerts) == {"overdue", "due-soon"}
    assert alerts["overdue"]["due"] == "2026-12-14" and alerts["overdue"]["office"] == "社救处"
    assert alerts["overdue"]["text"].startswith("【已逾期】") and "粤民函〔2026〕88号" in alerts["overdue"]["text"]
    assert alerts["due-soon"]["working_days_left"] == 3 and "13912345678" not in json.dumps(alerts, ensure_ascii=False)


def test_the_register_and_the_report_as_forms_in_the_prefect_ui(stack: Stack, stack_storage: Any) -> None:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.deployments import run_deployment

    from gongkai.register import read_request

    with stack.client() as client:  # the forms the UI shows for "Run → Custom run"
        schema = client.read_deployment_by_name("request-answer/form").parameter_openapi_schema
    assert schema["properties"]["answer_type"]["enum"] == ["予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"]
    assert {"request_id", "answer_type", "on"} <= set(schema["required"])

    def run(deployment: str, **parameters: Any) -> Any:
        started = run_deployment(deployment, parameters=parameters, timeout=0)
        finished = stack.wait_final(started.id)
        with stack.client() as client:
            artifacts = client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[started.id])))
        return finished, {artifact.key: artifact.data for artifact in artifacts}

    def protected_third_parties() -> int:
        """The report's 不予公开 / 保护第三方合法权益 row (总计 column), from the annual-report form."""
        report, artifacts = run("annual-report/form", year=2026)
        assert report.state.name == "Completed"
        row = next(line for line in artifacts["annual-report-2026"].splitlines() if "4.保护第三方合法权益" in line)
        return int(row.strip(" |").split("|")[-1])

    before = protected_third_parties()
    added, artifacts = run("request-add/form", requester_name="张三", contact="13912345678", received="2026-11-02",
                           asked="低保资金分配情况", office="社救处")
    assert added.state.name == "Completed"
    shown = artifacts["request-register"]
    request_id = re.search(r"2026-\d{4}", shown).group(0)
    assert "张*（自然人）" in shown and "13912345678" not in shown and "张三" not in shown
    refused, _ = run("request-answer/form", request_id=request_id, answer_type="不予公开", on="2026-11-20")
    assert refused.state.name == "Failed" and "须注明依据" in refused.state.message
    answered, _ = run("request-answer/form", request_id=request_id, answer_type="不予公开", on="2026-11-20",
                      ground="保护第三方合法权益")
    assert answered.state.name == "Completed"
    assert read_request(stack_storage, request_id).answer.ground == "保护第三方合法权益"
    assert protected_third_parties() == before + 1
    assert (stack.workdir / "data" / "reports" / "2026" / "report-2026.png").stat().st_size > 0

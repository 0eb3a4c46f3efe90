"""Flows of the statutory clocks: the deadline watch, the 依申请公开 register's forms, the annual report.

The watch runs daily (GONGKAI_DEADLINE_WATCH_SCHEDULE) and on demand. It lists every running clock as a table
artifact and a Markdown summary, and emits a Prefect event for each item overdue (gongkai.deadline.overdue) or
due within GONGKAI_DEADLINE_WARNING_DAYS working days (gongkai.deadline.due-soon): the automations of
config/automations/deadline-alerts.yaml turn those into a webhook call or an e-mail. The register's flows are
the CLI's `gongkai request …` as forms in the Prefect UI (Deployments → Run → Custom run).
"""

# no `from __future__ import annotations`: Prefect builds the forms from the parameters' Annotated types at run time
from datetime import date
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event
from prefect.events.worker import EventsWorker
from pydantic import Field

from gongkai.annual_report import annual_report
from gongkai.catalogue import load_catalogue
from gongkai.clocks import Clock, all_clocks, running_clocks, watch_summary, watch_table
from gongkai.document.workdays import load_deadline_rules
from gongkai.register import Answer as RequestAnswer
from gongkai.register import (
    AnswerType,
    Requester,
    RequesterKind,
    add_request,
    answer_request,
    extend_request,
    read_request,
)
from gongkai.settings import Settings
from gongkai.storage import open_storage

OVERDUE, DUE_SOON = "gongkai.deadline.overdue", "gongkai.deadline.due-soon"


def _alert(event: str, clock: Clock, today: date) -> None:
    """One event per item: the resource is the clock (rule and subject), so an automation can alert once per item."""
    row = clock.row(today)
    emit_event(event=event,
               resource={"prefect.resource.id": f"gongkai.deadline.{clock.rule.key}.{clock.subject}",
                         "prefect.resource.name": clock.name[:200], "gongkai.rule": clock.rule.key,
                         "gongkai.office": clock.office, "gongkai.due": row["due"]},
               payload=row)


@flow(name="deadline-watch")
def deadline_watch() -> dict[str, int]:
    settings = Settings()
    today = settings.current_date()
    clocks = all_clocks(open_storage(settings), load_deadline_rules(settings.deadlines))
    overdue, due_soon = running_clocks(clocks, today, settings.deadline_warning_days)
    table = watch_table(clocks, today)
    create_table_artifact(table=table or [{"事项 item": "没有计时中的期限 / no clock is running"}], key="deadline-watch",
                          description=f"计时中的期限，按到期日 / running clocks by due date, {today}")
    create_markdown_artifact(markdown=watch_summary(clocks, today, settings.deadline_warning_days),
                             key="deadline-watch-summary", description="期限监控 / deadline watch")
    for clock in overdue:
        _alert(OVERDUE, clock, today)
    for clock in due_soon:
        _alert(DUE_SOON, clock, today)
    EventsWorker.drain_all(timeout=60)  # sent before the run reports Completed, not at the process's exit
    get_run_logger().info("期限监控：计时中 %d 项，已逾期 %d 项，即将到期 %d 项 / %d running, %d overdue, %d due soon",
                          len(table), len(overdue), len(due_soon), len(table), len(overdue), len(due_soon))
    return {"running": len(table), "overdue": len(overdue), "due_soon": len(due_soon)}


def _register_artifact(settings: Settings, request_id: str, what: str) -> None:
    request = read_request(open_storage(settings), request_id)
    due = request.deadline(load_deadline_rules(settings.deadlines))
    shown = request.shown()
    create_markdown_artifact(
        key="request-register", description="依申请公开登记 / request register",
        markdown=f"## {what}：{request_id}\n\n申请人 {shown['requester']}；收到 {shown['received']}；处室 {shown['office']}\n\n"
                 f"申请内容：{shown['asked']}\n\n答复期限 due {due.due}" + ("（已延长 extended）" if shown["extended"] else "")
                 + (f"；已答复 answered {shown['answered']}：{shown['answer']} {shown['ground'] or ''}"
                    if shown["answer"] else ""))


@flow(name="request-add")
def request_add(requester_name: Annotated[str, Field(title="申请人 Requester")],
                received: Annotated[date, Field(title="收到日期 Received")],
                asked: Annotated[str, Field(title="申请内容 What is asked")],
                office: Annotated[str, Field(title="承办处室 Handling office")],
                requester_kind: Annotated[RequesterKind, Field(title="申请人类型 Kind")] = "自然人",
                contact: Annotated[str, Field(title="联系方式 Contact")] = "",
                documents: Annotated[list[str] | None, Field(title="相关文件 Documents (索引号/发文字号)")] = None,
                clerk: Annotated[str, Field(title="登记人 Registered by")] = "") -> str:
    settings = Settings()
    request = add_request(open_storage(settings), Requester(name=requester_name, kind=requester_kind, contact=contact),
                          received, asked, office, documents, clerk)
    _register_artifact(settings, request.request_id, "已登记 registered")
    return request.request_id


@flow(name="request-extend")
def request_extend(request_id: Annotated[str, Field(title="编号 Request")],
                   reason: Annotated[str, Field(title="延长理由 Reason")],
                   on: Annotated[date, Field(title="决定日期 Decided on")],
                   by: Annotated[str, Field(title="经办人 By")] = "") -> str:
    settings = Settings()
    extend_request(open_storage(settings), load_deadline_rules(settings.deadlines), request_id, reason, on, by)
    _register_artifact(settings, request_id, "已延长 extended")
    return request_id


@flow(name="request-answer")
def request_answer(request_id: Annotated[str, Field(title="编号 Request")],
                   answer_type: Annotated[AnswerType, Field(title="答复类型 Answer")],
                   on: Annotated[date, Field(title="答复日期 Answered on")],
                   ground: Annotated[str, Field(title="依据 Ground（不予公开、无法提供、不予处理、其他处理须填）")] = "",
                   note: Annotated[str, Field(title="说明 Note")] = "",
                   documents: Annotated[list[str] | None, Field(title="提供的文件 Documents")] = None,
                   by: Annotated[str, Field(title="经办人 By")] = "") -> str:
    settings = Settings()
    answer_request(open_storage(settings), request_id,
                   RequestAnswer(type=answer_type, ground=ground, on=on, note=note, by=by), documents)
    _register_artifact(settings, request_id, "已答复 answered")
    return request_id


@flow(name="annual-report")
def annual_report_flow(year: Annotated[int, Field(title="年度 Year", ge=2000, le=2100)]) -> list[str]:
    """The annual report's statistics, written under GONGKAI_DATA_DIR/reports/<year>/ and shown as an artifact."""
    settings = Settings()
    report = annual_report(open_storage(settings), load_catalogue(settings.catalogue),
                           load_deadline_rules(settings.deadlines), year)
    paths = report.write(settings.data_dir / "reports" / str(year))
    create_markdown_artifact(markdown=report.markdown(), key=f"annual-report-{year}",
                             description=f"{year} 年政府信息公开工作年度报告统计 / annual report figures")
    return [str(path) for path in paths]


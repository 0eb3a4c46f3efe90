"""Every statutory clock gongkai can see, running or stopped, from the ledger, the registry and the request
register, on the rules of config/deadlines.yaml.

A clock is one rule applied to one subject: a document version (by sha256) or an 依申请公开 request (by 编号).
Documents: a pending review's clocks run from its 成文日期 with the category its form starts with; a reviewed
document's from the elements and marks the reviewer confirmed; a status change's from its effective date. A
clock stops when what its rule is `closed_by` happens: the publication (the ledger's `published` or
`status_changed` entry), the answer, or a confirmation (`confirm_done`, the ledger's `deadline_met`). The
deadline watch shows the running ones, the annual report counts the stopped ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from gongkai.document.workdays import (
    Deadline,
    DeadlineRule,
    DeadlineRules,
    DocumentFacts,
    deadline,
    working_days_between,
)
from gongkai.ledger import PENDING, audit_entries, record_event
from gongkai.publishing.catalogue_feed import published_items
from gongkai.publishing.layout import china_date
from gongkai.register import all_requests
from gongkai.storage import Storage, get_json

DEADLINE_MET = "deadline_met"


@dataclass(frozen=True)
class Clock:
    rule: DeadlineRule
    subject: str  # a document version's sha256, or a request's 编号
    name: str  # what people recognise: 发文字号 and 名称 (索引号 once published); a request masked
    office: str
    deadline: Deadline
    closed_on: date | None = None  # None while it runs

    @property
    def running(self) -> bool:
        return self.closed_on is None

    @property
    def on_time(self) -> bool | None:
        return None if self.closed_on is None else self.closed_on <= self.deadline.due

    @property
    def working_days_taken(self) -> int | None:
        return None if self.closed_on is None else max(0, working_days_between(self.deadline.start, self.closed_on))

    def row(self, today: date) -> dict[str, Any]:
        """The clock as a table row (artifact, CLI, event payload)."""
        return {"rule": self.rule.key, "subject": self.subject, "name": self.name, "office": self.office,
                "start": self.deadline.start.isoformat(), "due": self.deadline.due.isoformat(),
                "working_days_left": self.deadline.working_days_left(today), "estimated": self.deadline.estimated,
                "description": self.rule.description.split(" / ")[0]}


def all_clocks(storage: Storage, rules: DeadlineRules) -> list[Clock]:
    """Every clock, running or stopped, by due date."""
    entries = audit_entries(storage)
    confirmed = {(entry["rule"], entry["sha256"]): date.fromisoformat(entry["on"])
                 for entry in entries if entry["event"] == DEADLINE_MET}
    clocks = _document_clocks(storage, rules, entries, confirmed) + _request_clocks(storage, rules)
    return sorted(clocks, key=lambda clock: (clock.deadline.due, clock.rule.key, clock.name))


def running_clocks(clocks: list[Clock], today: date, warning_days: int) -> tuple[list[Clock], list[Clock]]:
    """(overdue, due within `warning_days` working days) among the running clocks."""
    running = [clock for clock in clocks if clock.running]
    overdue = [clock for clock in running if clock.deadline.working_days_left(today) < 0]
    due_soon = [clock for clock in running if 0 <= clock.deadline.working_days_left(today) <= warning_days]
    return overdue, due_soon


def confirm_done(storage: Storage, rules: DeadlineRules, key: str, document: str, on: date, by: str = "") -> Clock:
    """Record that the step a `closed_by: confirmation` rule asks for (the gazette submission …) was done on `on`
    for `document` (its 索引号, 发文字号 or sha256); returns the clock it stopped."""
    try:
        rule = rules.rule(key)
    except StopIteration:
        raise LookupError(f"没有规则 {key}（见 config/deadlines.yaml）/ no rule {key!r}") from None
    if rule.closed_by != "confirmation":
        raise ValueError(f"规则 {key} 由{'公开' if rule.closed_by == 'publication' else '答复'}自动结束，无需确认 / "
                         f"the rule {key} ends by itself ({rule.closed_by})")
    matching = [clock for clock in all_clocks(storage, rules) if clock.rule.key == key
                and document in (clock.subject, *clock.name.split(" "))]
    if not matching:
        raise LookupError(f"{document} 没有规则 {key} 的期限 / no {key} clock for {document!r}: give its 索引号, "
                          f"发文字号 or sha256 (`gongkai deadlines` lists them)")
    clock = matching[0]
    if clock.closed_on is None:
        record_event(storage, DEADLINE_MET, clock.subject, rule=key, on=on.isoformat(), by=by)
    return Clock(clock.rule, clock.subject, clock.name, clock.office, clock.deadline, clock.closed_on or on)


def _document_clocks(storage: Storage, rules: DeadlineRules, entries: list[dict[str, Any]],
                     confirmed: dict[tuple[str, str], date]) -> list[Clock]:
    reviewed: dict[str, dict[str, Any]] = {}  # sha256 → its latest published or recorded entry
    for entry in entries:
        if entry["event"] in ("published", "recorded", "returned"):
            reviewed[entry["sha256"]] = entry
    index_numbers = _index_numbers(storage)
    clocks: list[Clock] = []
    for sha256, entry in reviewed.items():
        if entry["event"] == "returned":
            continue  # the drafter sends a new version: its clocks count
        decision, elements = entry["decision"], entry["elements"]
        facts = DocumentFacts(decision["category"], elements.get("doc_type") or None, decision.get("topic"),
                              elements.get("doc_number") or None, frozenset(decision.get("marks", ())))
        name = _document_name(elements, index_numbers.get(sha256), entry.get("file", ""))
        published_on = china_date(entry["at"]) if entry["event"] == "published" else None
        clocks += _clocks_for(rules, "signed", facts, elements.get("signed_date"), sha256, name,
                              entry.get("office", ""), published_on, confirmed)
    for entry in entries:
        if entry["event"] == "status_changed" and entry["sha256"] in reviewed:
            origin = reviewed[entry["sha256"]]
            facts = DocumentFacts(origin["decision"]["category"], origin["elements"].get("doc_type") or None,
                                  origin["decision"].get("topic"), origin["elements"].get("doc_number") or None)
            name = f"{_document_name(origin['elements'], entry.get('index_no'), '')}：{entry['status']}"
            clocks += _clocks_for(rules, "status_changed", facts, entry["effective"], entry["sha256"], name,
                                  origin.get("office", ""), china_date(entry["at"]), confirmed)
    for key in storage.private.keys("registry/"):
        state = get_json(storage.private, key)
        sha256 = key.removeprefix("registry/").removesuffix(".json")
        if state.get("status") != PENDING or "elements" not in state or sha256 in reviewed:
            continue
        elements = state["elements"]
        facts = DocumentFacts(state.get("category"), elements.get("doc_type") or None, state.get("topic"),
                              elements.get("doc_number") or None)
        clocks += _clocks_for(rules, "signed", facts, elements.get("signed_date"), sha256,
                              _document_name(elements, None, state.get("file", "")), state.get("office", ""), None,
                              confirmed)
    return clocks


def _clocks_for(rules: DeadlineRules, event: str, facts: DocumentFacts, start: str | None, subject: str, name: str,
                office: str, published_on: date | None, confirmed: dict[tuple[str, str], date]) -> list[Clock]:
    """The clocks `event` on `start` starts for a document; a document without the date has none to count."""
    if not start:
        return []
    clocks = []
    for rule in rules.applying(event, facts):
        closed_on = published_on if rule.closed_by == "publication" else confirmed.get((rule.key, subject))
        clocks.append(Clock(rule, subject, name, office, deadline(rule, date.fromisoformat(start)), closed_on))
    return clocks


def _request_clocks(storage: Storage, rules: DeadlineRules) -> list[Clock]:
    clocks = []
    for request in all_requests(storage):
        shown = request.shown()
        clocks.append(Clock(rules.rule("answer_request"), request.request_id,
                            f"依申请 {request.request_id} {shown['requester']}：{shown['asked'][:40]}", request.office,
                            request.deadline(rules), request.answer.on if request.answer else None))
    return clocks


def _index_numbers(storage: Storage) -> dict[str, str]:
    """sha256 → 索引号 of the items published now."""
    return {item["sha256"]: item["index_no"] for item in published_items(storage) if item.get("sha256")}


def _document_name(elements: dict[str, Any], index_no: str | None, file: str) -> str:
    parts = [index_no, elements.get("doc_number"), elements.get("title") or file]
    return " ".join(part for part in parts if part)


def watch_table(clocks: list[Clock], today: date) -> list[dict[str, Any]]:
    """The running clocks as the watch's table: by due date, with working days left (negative: overdue)."""
    return [{"到期 due": clock.deadline.due.isoformat() + ("（估算）" if clock.deadline.estimated else ""),
             "剩余工作日 left": clock.deadline.working_days_left(today), "规则 rule": clock.rule.key,
             "事项 item": clock.name, "处室 office": clock.office, "起算 from": clock.deadline.start.isoformat()}
            for clock in clocks if clock.running]


def watch_summary(clocks: list[Clock], today: date, warning_days: int) -> str:
    """The watch's Markdown: what is overdue, what is due soon, how many clocks run."""
    overdue, due_soon = running_clocks(clocks, today, warning_days)
    running = sum(clock.running for clock in clocks)
    lines = [f"# 期限监控 Deadline watch — {today.isoformat()}", "",
             f"计时中 {running} 项；已逾期 **{len(overdue)}** 项；{warning_days} 个工作日内到期 **{len(due_soon)}** 项 / "
             f"{running} running, {len(overdue)} overdue, {len(due_soon)} due within {warning_days} working days", ""]
    for heading, group in (("已逾期 Overdue", overdue), (f"{warning_days} 个工作日内到期 Due soon", due_soon)):
        if group:
            lines += [f"## {heading}", "", "| 到期 due | 剩余工作日 left | 事项 item | 处室 office | 规则 rule |",
                      "|---|---|---|---|---|"]
            lines += [f"| {clock.deadline.due} | {clock.deadline.working_days_left(today)} | "
                      f"{clock.name.replace('|', '/')} | {clock.office} | {clock.rule.description.split(' / ')[0]} |"
                      for clock in group]
            lines.append("")
    return "\n".join(lines)

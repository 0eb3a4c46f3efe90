"""The 依申请公开 request register (条例 第二十七—三十三条): requests received, extended once, answered.

One object per request in the private bucket (requests/<编号>.json) and an entry in the audit ledger for each
step. The requester's name and contact are personal data: kept as given in the private bucket, masked in
everything gongkai shows (`Request.shown`). The answer types and grounds are the rows of the annual report's
table 三 (国办公开办函〔2021〕30号), so the report counts them as they are.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gongkai.document.pii import find_personal_data, mask
from gongkai.document.workdays import Deadline, DeadlineRules, deadline
from gongkai.ledger import now, record_event
from gongkai.storage import Storage, get_json, json_bytes, put_json

ANSWER_RULE = "answer_request"
PREFIX = "requests/"

# 申请人情况: the columns of table 三
RequesterKind = Literal["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
PERSON = "自然人"

# 办理结果: table 三's rows; a type with grounds needs one of them
ANSWER_GROUNDS: dict[str, tuple[str, ...]] = {
    "予以公开": (),
    "部分公开": (),
    "不予公开": ("属于国家秘密", "其他法律行政法规禁止公开", "危及“三安全一稳定”", "保护第三方合法权益",
              "属于三类内部事务信息", "属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项"),
    "无法提供": ("本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确"),
    "不予处理": ("信访举报投诉类申请", "重复申请", "要求提供公开出版物", "无正当理由大量反复申请",
              "要求行政机关确认或重新出具已获取信息"),
    "其他处理": ("申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
              "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "其他"),
}
AnswerType = Literal["予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"]


class Requester(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    kind: RequesterKind = PERSON
    contact: str = Field(default="", max_length=300)  # phone, e-mail or address for the answer

    def shown(self) -> str:
        """A person's name keeps its first character (张**); an organisation's name is not personal data.
        Contact details are masked the way documents are."""
        name = self.name[0] + "*" * (len(self.name) - 1) if self.kind == PERSON else self.name
        contact = mask(self.contact, find_personal_data(self.contact)) if self.contact else ""
        if contact and contact == self.contact:  # no pattern recognised it: show its shape only
            contact = contact[:2] + "*" * max(0, len(contact) - 4) + contact[-2:] if len(contact) > 4 else "****"
        return f"{name}（{self.kind}）" + (f" {contact}" if contact else "")


class Extension(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str = Field(min_length=1)
    on: date
    by: str = ""


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: AnswerType
    ground: str = ""
    on: date
    note: str = ""
    by: str = ""

    @model_validator(mode="after")
    def _ground_of_its_type(self) -> Answer:
        grounds = ANSWER_GROUNDS[self.type]
        if grounds and self.ground not in grounds:
            raise ValueError(f"{self.type}须注明依据，可选：{'；'.join(grounds)} / {self.type} needs one of these grounds")
        if not grounds and self.ground:
            raise ValueError(f"{self.type}不需要依据 / {self.type} takes no ground")
        return self


class Request(BaseModel):
    """One 依申请公开 request; `documents` are the 索引号 (or 发文字号) of the information it concerns."""

    model_config = ConfigDict(extra="forbid")

    request_id: str
    requester: Requester
    received: date
    asked: str = Field(min_length=1)
    office: str = Field(min_length=1)
    documents: list[str] = []
    extensions: list[Extension] = []
    answer: Answer | None = None
    history: list[dict[str, Any]] = []

    def deadline(self, rules: DeadlineRules) -> Deadline:
        """The answer's due date: 20 working days from receipt, moved by each extension granted."""
        due = deadline(rules.rule(ANSWER_RULE), self.received)
        for _ in self.extensions:
            due = due.extended()
        return due

    def shown(self) -> dict[str, Any]:
        """What a list, an artifact or a report may show: personal data masked, in the request text too."""
        return {"request_id": self.request_id, "requester": self.requester.shown(), "received": self.received,
                "asked": mask(self.asked, find_personal_data(self.asked)), "office": self.office,
                "documents": self.documents, "extended": bool(self.extensions),
                "answer": self.answer.type if self.answer else None,
                "ground": self.answer.ground if self.answer else None,
                "answered": self.answer.on if self.answer else None}


def add_request(storage: Storage, requester: Requester, received: date, asked: str, office: str,
                documents: list[str] | None = None, by: str = "") -> Request:
    """Register a request under the next free 编号 of its year (YYYY-NNNN)."""
    taken = storage.private.keys(f"{PREFIX}{received.year}-")
    number = len(taken) + 1
    while True:
        request = Request(request_id=f"{received.year}-{number:04d}", requester=requester, received=received,
                          asked=asked, office=office, documents=documents or [],
                          history=[{"event": "received", "at": now(), "by": by}])
        # create, not put: two clerks registering at once never share a 编号
        if storage.private.create(_key(request.request_id), json_bytes(request.model_dump(mode="json")),
                                  "application/json; charset=utf-8"):
            break
        number += 1
    record_event(storage, "request_received", "", request=request.request_id, office=office,
                 received=received.isoformat(), requester_kind=requester.kind)
    return request


def extend_request(storage: Storage, rules: DeadlineRules, request_id: str, reason: str, on: date,
                   by: str = "") -> Request:
    """Extend the time to answer (条例 第三十三条: once, by at most 20 working days, decided before it runs out)."""
    request = read_request(storage, request_id)
    if request.answer is not None:
        raise ValueError(f"申请 {request_id} 已于 {request.answer.on} 答复，不能再延长 / already answered")
    due = request.deadline(rules)
    if on > due.due:
        raise ValueError(f"申请 {request_id} 的答复期限 {due.due} 已过，不能再延长 / the time to answer ended on "
                         f"{due.due}: it can no longer be extended")
    due.extended()  # raises when the rule allows no more extensions
    request.extensions.append(Extension(reason=reason, on=on, by=by))
    request.history.append({"event": "extended", "at": now(), "by": by, "reason": reason})
    _save(storage, request)
    record_event(storage, "request_extended", "", request=request_id, reason=reason, on=on.isoformat(),
                 due=request.deadline(rules).due.isoformat())
    return request


def answer_request(storage: Storage, request_id: str, answer: Answer, documents: list[str] | None = None) -> Request:
    request = read_request(storage, request_id)
    if request.answer is not None:
        raise ValueError(f"申请 {request_id} 已于 {request.answer.on} 答复（{request.answer.type}）/ already answered")
    if answer.on < request.received:
        raise ValueError(f"答复日期 {answer.on} 早于收到申请的日期 {request.received} / answered before it was received")
    request.answer = answer
    request.documents = sorted({*request.documents, *(documents or [])})
    request.history.append({"event": "answered", "at": now(), "by": answer.by, "type": answer.type})
    _save(storage, request)
    record_event(storage, "request_answered", "", request=request_id, answer=answer.type, ground=answer.ground,
                 on=answer.on.isoformat())
    return request


def read_request(storage: Storage, request_id: str) -> Request:
    try:
        return Request.model_validate(get_json(storage.private, _key(request_id)))
    except (KeyError, ValueError):  # ValueError: an id that is no key (../x)
        raise LookupError(f"没有编号为 {request_id} 的依申请公开申请 / no request {request_id}") from None


def all_requests(storage: Storage) -> list[Request]:
    """Every request, by 编号."""
    return [Request.model_validate(get_json(storage.private, key)) for key in storage.private.keys(PREFIX)]


def _save(storage: Storage, request: Request) -> None:
    put_json(storage.private, _key(request.request_id), request.model_dump(mode="json"))


def _key(request_id: str) -> str:
    return f"{PREFIX}{request_id}.json"

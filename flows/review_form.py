"""The reviewer's typed form, shown by the Prefect UI on a suspended document run."""

from __future__ import annotations

from copy import copy
from typing import Any, Literal

from prefect.input import RunInput
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
from pydantic.json_schema import SkipJsonSchema

from gongkai.catalogue import Catalogue
from gongkai.document.labels import PROACTIVE
from gongkai.outcomes import ELEMENT_FIELDS, PUBLISH, RECORD, RETURN

Category = Literal["主动公开", "依申请公开", "不予公开"]


# The validator's rules below, in the JSON schema: the Prefect server checks the form against the schema
# when a reviewer submits it, so an inconsistent form is refused there and then, before the run resumes.
# A published item needs a 名称 and a 成文日期 (条例 第十二条 catalogue fields).
# A calendar date (29 February of a common year aside: publish refuses that one).
_CALENDAR_DATE = (r"\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
                  r"|02-(?:0[1-9]|1\d|2\d))")
_PUBLISH_NEEDS = {"title": {"pattern": r"\S"}, "signed_date": {"pattern": f"^{_CALENDAR_DATE}$"}}
_PUBLISH_ONLY_PROACTIVE = {"if": {"properties": {"decision": {"const": PUBLISH}}},
                           "then": {"properties": {"category": {"const": PROACTIVE}, **_PUBLISH_NEEDS}}}
_REASON_UNLESS_PROACTIVE = {"if": {"properties": {"category": {"not": {"const": PROACTIVE}}}},
                            "then": {"required": ["reason"], "properties": {"reason": {"pattern": r"\S"}}}}


def _schema_rules(schema: dict[str, Any], form: type[BaseModel]) -> None:
    """An element the parser did not find (its default is empty) must be in a submitted publish form; one it
    found may be left out — the form's default, the parsed value, then applies."""
    schema["allOf"] = [_REASON_UNLESS_PROACTIVE, _PUBLISH_ONLY_PROACTIVE]
    missing = [name for name in _PUBLISH_NEEDS if not form.model_fields[name].default]
    if missing:
        schema["allOf"].append({"if": {"properties": {"decision": {"const": PUBLISH}}}, "then": {"required": missing}})


class ReviewForm(RunInput):
    # extra keys are dropped, not refused: the server adds `submitted_by`, which the form's schema leaves out
    model_config = ConfigDict(json_schema_extra=_schema_rules, extra="ignore")

    decision: str = Field(title="审核结论 Decision", description="publish 发布（仅主动公开）· return 退回起草处室 · record 登记不发布（依申请公开/不予公开）")
    category: Category = Field(title="公开类别 Category", description="公开类别 / disclosure category")
    topic: str = Field(title="目录主题 Topic", description="主动公开目录主题 / catalogue topic")
    title: str = Field(default="", max_length=300, title="名称 Title",
                       description="文件标题，发布必填；已按正文预填，可修改 / the document's title, required to publish")
    doc_number: str = Field(default="", max_length=60, title="发文字号 Number", description="如 粤民发〔2026〕12号")
    signed_date: str = Field(default="", pattern=f"^(?:{_CALENDAR_DATE})?$", title="成文日期 Signed",
                             description="YYYY-MM-DD，发布必填 / signing date, required to publish")
    issuer: str = Field(default="", max_length=200, title="发文机关 Issuer",
                        description="联合发文用“、”分隔 / joint issuers separated by 、")
    doc_type: str = Field(default="", max_length=20, title="文种 Type", description="如 通知、意见、批复")
    reason: str = Field(default="", title="理由 Reason", description="依申请公开或不予公开的理由（必填）/ reason, required unless 主动公开")
    comment: str = Field(default="", title="审核意见 Comment", description="审核意见，退回时写给起草人 / comment; goes to the drafter on return")
    interprets: str = Field(default="", title="解读对象 Interprets",
                            description="若本文件是政策解读：所解读文件的索引号（留空则按标题《…》解读自动关联）/ "
                                        "for a 解读: the 索引号 of the policy it explains (empty: matched by title)")
    # what the reviewer marks that starts a clock of config/deadlines.yaml (reviewer_choices), e.g. 办事条件变更
    marks: list[str] = Field(default=[], title="标记 Marks",
                             description="适用的期限规则，如 办事条件变更（1 个工作日内公开）/ what starts a deadline rule")
    reviewer: str = Field(min_length=1, title="审核人 Reviewer", description="审核人姓名 / reviewer's name")
    # Set on every submission by gongkai's Prefect server (flows.prefect_server.SubmittedBy); not on the form.
    submitted_by: SkipJsonSchema[dict[str, str | None] | None] = None

    @model_validator(mode="after")
    def _consistent(self) -> ReviewForm:
        if self.category != PROACTIVE and not self.reason.strip():
            raise ValueError("依申请公开或不予公开必须填写理由 / a reason is required unless the category is 主动公开")
        if self.decision == PUBLISH and self.category != PROACTIVE:
            raise ValueError("只有主动公开的文件可以发布 / only 主动公开 items can be published")
        if self.decision == PUBLISH and not (self.title.strip() and self.signed_date):
            raise ValueError("发布须填写名称和成文日期 / a title and a signing date are required to publish")
        return self


def review_form_for(catalogue: Catalogue, publish_allowed: bool, defaults: dict[str, str],
                    marks: tuple[str, ...] = ()) -> type[ReviewForm]:
    """The form for one document: topics from the catalogue, pre-filled with the label or suggestion and the
    parsed elements, and no 'publish' when the document may not go out. Defaults are set here, with each
    field's title and help text kept (RunInput.with_initial_data would replace the fields and drop them).
    `marks` are the reviewer choices the deadline rules know; without any, the form has no marks field.
    An element the parser did not find must be entered to publish: a submitted form that leaves it out is
    refused by the server (`_schema_rules`)."""
    decisions = (PUBLISH, RETURN, RECORD) if publish_allowed else (RETURN, RECORD)
    topics = tuple(topic.name for topic in catalogue.topics)
    fields: dict[str, Any] = {
        "decision": (Literal[decisions], _with_default("decision", decisions[0])),  # type: ignore[valid-type]
        "category": (Category, _with_default("category", defaults["category"])),
        "topic": (Literal[topics], _with_default("topic", defaults["topic"])),  # type: ignore[valid-type]
        **{name: (str, _with_default(name, defaults[name])) for name in ELEMENT_FIELDS},
    }
    marks_field = copy(ReviewForm.model_fields["marks"])
    if marks:  # always an enum in the schema (pydantic writes a single choice as const): the UI shows a multi-select
        marks_field.json_schema_extra = {"items": {"type": "string", "enum": list(marks)}}
        fields["marks"] = (list[Literal[marks]], marks_field)  # type: ignore[valid-type]
    else:
        fields["marks"] = (SkipJsonSchema[list[str]], marks_field)
    return create_model("ReviewForm", __base__=ReviewForm, **fields)


def _with_default(name: str, default: str) -> Any:
    """The declared field (title, help text, constraints) with this document's default."""
    declared = copy(ReviewForm.model_fields[name])
    declared.default = default
    return declared


def reviewer_identity(form: ReviewForm) -> dict[str, str | None]:
    """Who decided, and how gongkai knows it (`source`): `proxy_user` — the user the reverse proxy named in
    GONGKAI_REVIEWER_HEADER (its sign-on), the typed name beside it; `typed_name_and_address` — the name typed on
    the form and the address it came from; `typed_name` — the name alone (a server without gongkai's recorder)."""
    sent = form.submitted_by or {}
    source = "proxy_user" if sent.get("user") else "typed_name_and_address" if sent.get("address") else "typed_name"
    return {"source": source, "typed_name": form.reviewer, "user": sent.get("user"), "header": sent.get("header"),
            "address": sent.get("address")}

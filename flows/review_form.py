"""The reviewer's typed form, shown by the Prefect UI on a suspended document run."""

from __future__ import annotations

from typing import Any, Literal

from prefect.input import RunInput
from pydantic import ConfigDict, Field, create_model, model_validator

from gongkai.catalogue import Catalogue
from gongkai.document.labels import PROACTIVE
from gongkai.outcomes import PUBLISH, RECORD, RETURN

Category = Literal["主动公开", "依申请公开", "不予公开"]


# The same two rules as the validator below, in the JSON schema: the Prefect server checks the form
# against the schema when a reviewer submits it, so an inconsistent form is refused there and then.
_SCHEMA_RULES = {"allOf": [
    {"if": {"properties": {"category": {"not": {"const": PROACTIVE}}}},
     "then": {"required": ["reason"], "properties": {"reason": {"pattern": r"\S"}}}},
    {"if": {"properties": {"decision": {"const": PUBLISH}}},
     "then": {"properties": {"category": {"const": PROACTIVE}}}},
]}


class ReviewForm(RunInput):
    model_config = ConfigDict(json_schema_extra=_SCHEMA_RULES)

    decision: str = Field(title="审核结论 Decision", description="publish 发布（仅主动公开）· return 退回起草处室 · record 登记不发布（依申请公开/不予公开）")
    category: Category = Field(title="公开类别 Category", description="公开类别 / disclosure category")
    topic: str = Field(title="目录主题 Topic", description="主动公开目录主题 / catalogue topic")
    reason: str = Field(default="", title="理由 Reason", description="依申请公开或不予公开的理由（必填）/ reason, required unless 主动公开")
    comment: str = Field(default="", title="审核意见 Comment", description="审核意见，退回时写给起草人 / comment; goes to the drafter on return")
    interprets: str = Field(default="", title="解读对象 Interprets",
                            description="若本文件是政策解读：所解读文件的索引号（留空则按标题《…》解读自动关联）/ "
                                        "for a 解读: the 索引号 of the policy it explains (empty: matched by title)")
    reviewer: str = Field(min_length=1, title="审核人 Reviewer", description="审核人姓名 / reviewer's name")

    @model_validator(mode="after")
    def _consistent(self) -> ReviewForm:
        if self.category != PROACTIVE and not self.reason.strip():
            raise ValueError("依申请公开或不予公开必须填写理由 / a reason is required unless the category is 主动公开")
        if self.decision == PUBLISH and self.category != PROACTIVE:
            raise ValueError("只有主动公开的文件可以发布 / only 主动公开 items can be published")
        return self


def review_form_for(catalogue: Catalogue, publish_allowed: bool, category: str, topic: str) -> type[ReviewForm]:
    """The form for one document: topics from the catalogue, pre-filled with the label or suggestion, and
    no 'publish' when the document may not go out. Defaults are set here, with each field's title and
    help text kept (RunInput.with_initial_data would replace the fields and drop them)."""
    decisions = (PUBLISH, RETURN, RECORD) if publish_allowed else (RETURN, RECORD)
    topics = tuple(topic.name for topic in catalogue.topics)
    fields: dict[str, Any] = {
        "decision": (Literal[decisions], _with_default("decision", decisions[0])),  # type: ignore[valid-type]
        "category": (Category, _with_default("category", category)),
        "topic": (Literal[topics], _with_default("topic", topic)),  # type: ignore[valid-type]
    }
    return create_model("ReviewForm", __base__=ReviewForm, **fields)


def _with_default(name: str, default: str) -> Any:
    declared = ReviewForm.model_fields[name]
    return Field(default=default, title=declared.title, description=declared.description)

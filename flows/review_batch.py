"""A batch of imported documents reviewed in one form (`gongkai import --as review`): up to 50 documents, a table
of them on the review page, one decision for all and per-row exceptions.

Each document is checked as the inbox's are (check_snapshot: bounded, persisted by content, the host's model for
the suggestion) and carried out as a single review would be (carry_out_decision, with its retries), so the
publish blockers hold row by row: a row the reviewer publishes that may not go out is returned to the importer's
returned/ folder with the reasons, and the rest of the batch goes on.
"""

# no `from __future__ import annotations`: Prefect builds the review form from these types at run time
from datetime import timedelta
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.input.actions import read_flow_run_input
from prefect.input.run_input import keyset_from_base_key
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from gongkai.catalogue import load_catalogue
from gongkai.document.check import DocumentCheck
from gongkai.document.labels import PROACTIVE
from gongkai.flows.document import check_snapshot, with_retries
from gongkai.flows.review_form import Category, reviewer_identity
from gongkai.intake import Claim
from gongkai.outcomes import PUBLISH, RECORD, RETURN, Decision, PublishRefused, catalogue_blockers, publish_blockers
from gongkai.review_page import text
from gongkai.settings import Settings

BATCH_REVIEW_KEY = "batch-review"
MAX_BATCH = 50
REVIEW_TIMEOUT = timedelta(days=90)


class RowException(BaseModel):
    model_config = ConfigDict(extra="forbid")

    row: int = Field(ge=1, le=MAX_BATCH, title="行号 Row")
    decision: Literal["publish", "return", "record"] = Field(title="审核结论 Decision")
    category: Category = Field(default=PROACTIVE, title="公开类别 Category")
    topic: str = Field(default="", title="目录主题 Topic", description="主题名称；留空用建议 / empty: the suggested one")
    reason: str = Field(default="", title="理由 Reason", description="依申请公开或不予公开必填 / required unless 主动公开")


class BatchReviewForm(RunInput):
    model_config = ConfigDict(extra="ignore")  # the server adds `submitted_by`

    decision: Literal["publish", "return", "record"] = Field(
        default=PUBLISH, title="整批结论 Decision for every row",
        description="未列为例外的各行：publish 发布 · return 退回 · record 登记不发布 / every row not listed below")
    category: Category = Field(default=PROACTIVE, title="整批公开类别 Category")
    reason: str = Field(default="", title="整批理由 Reason", description="依申请公开或不予公开必填 / required unless 主动公开")
    exceptions: list[RowException] = Field(default=[], title="例外 Exceptions",
                                           description="与整批结论不同的行 / rows decided otherwise")
    comment: str = Field(default="", title="审核意见 Comment")
    reviewer: str = Field(min_length=1, title="审核人 Reviewer")
    submitted_by: SkipJsonSchema[dict[str, str | None] | None] = None

    @model_validator(mode="after")
    def _consistent(self) -> "BatchReviewForm":
        for choice in [self, *self.exceptions]:
            if choice.category != PROACTIVE and not choice.reason.strip():
                raise ValueError("依申请公开或不予公开必须填写理由 / a reason is required unless 主动公开")
            if choice.decision == PUBLISH and choice.category != PROACTIVE:
                raise ValueError("只有主动公开的文件可以发布 / only 主动公开 items can be published")
        rows = [exception.row for exception in self.exceptions]
        if len(rows) != len(set(rows)):
            raise ValueError("同一行只能有一个例外 / one exception per row")
        return self


def batch_page(claims: list[Claim], checks: list[DocumentCheck]) -> tuple[str, dict[int, str]]:
    """The review page (a table of the documents) and the rows that cannot be published, with why."""
    blocked: dict[int, str] = {}
    lines = ["## 批量审核 / Batch review", "",
             "| 行 row | 文件 file | 发文字号 | 名称 title | 成文日期 | 公开属性 label | 建议主题 topic | 不能发布 blockers |",
             "|---|---|---|---|---|---|---|---|"]
    for row, (claim, check) in enumerate(zip(claims, checks), start=1):
        report = check.to_json()
        reasons = publish_blockers(check, PROACTIVE) + catalogue_blockers(check)
        if reasons:
            blocked[row] = "；".join(reasons)
        topic = check.suggestion.topic_name if check.suggestion else ""
        cells = [str(row), claim.name, report["doc_number"] or "", report["title"] or "", report["signed_date"] or "",
                 report["label"] or "未标注", topic or "", blocked.get(row, "")[:160]]
        lines.append("| " + " | ".join(text(cell) for cell in cells) + " |")
    if blocked:
        lines += ["", f"有 {len(blocked)} 行不能发布，已预填为例外（登记不发布）/ {len(blocked)} rows cannot be published: "
                      "they are pre-filled as exceptions (record)"]
    return "\n".join(lines), blocked


@flow(name="review-import-batch", persist_result=True)
def review_import_batch(claims: list[dict[str, Any]]) -> dict[str, int]:
    settings = Settings()
    catalogue = load_catalogue(settings.catalogue)
    taken = [Claim.from_dict(claim) for claim in claims][:MAX_BATCH]
    checks = [check_snapshot(claim, settings) for claim in taken]
    page, blocked = batch_page(taken, checks)
    saved = read_flow_run_input(keyset_from_base_key(f"suspended-{BATCH_REVIEW_KEY}")["response"])
    if saved is not None:
        form = BatchReviewForm(**saved)
    else:
        create_markdown_artifact(markdown=page, key="batch-review", description="批量审核 / batch review")
        prefilled = [RowException(row=row, decision=RECORD, category=_withheld_category(checks[row - 1]),
                                  reason=reasons[:200]) for row, reasons in blocked.items()]
        form = suspend_flow_run(wait_for_input=BatchReviewForm.with_initial_data(description=page,
                                                                                   exceptions=prefilled),
                                key=BATCH_REVIEW_KEY, timeout=int(REVIEW_TIMEOUT.total_seconds()))
    exceptions = {exception.row: exception for exception in form.exceptions}
    carry_out = with_retries(settings)
    outcomes: dict[str, int] = {}
    for row, (claim, check) in enumerate(zip(taken, checks), start=1):
        choice = exceptions.get(row, form)
        topic_name = getattr(choice, "topic", "") or (check.suggestion.topic_name if check.suggestion else "")
        decision = Decision(choice.decision, choice.category, catalogue.topic_key(topic_name) if topic_name else None,
                            choice.reason, form.comment, form.reviewer, reviewer_identity=reviewer_identity(form))
        try:
            outcome = carry_out(claim, check, decision, settings)
        except PublishRefused as refused:
            get_run_logger().warning("第 %d 行 %s 不能发布，已退回：%s / row %d may not be published: returned",
                                     row, claim.name, refused, row)
            outcome = carry_out(claim, check, Decision(RETURN, choice.category, decision.topic, choice.reason,
                                                       str(refused), form.reviewer), settings)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _withheld_category(check: DocumentCheck) -> str:
    """What a row that cannot be published is recorded as, until the reviewer says otherwise: its own label's
    category, 不予公开 when secret-marked, else 依申请公开."""
    label = check.elements.label
    if label and label.category and label.category != PROACTIVE:
        return label.category
    return "不予公开" if check.elements.secrecy else "依申请公开"


def start_review_batch(claims: list[Claim]) -> str:
    """A review-import-batch run for these documents (needs the Prefect API of `gongkai up`); the same batch asked
    for again — an import started again after an interruption — gets the run it already has."""
    from hashlib import sha256

    from prefect.deployments import run_deployment

    key = sha256("".join(claim.sha256 for claim in claims).encode()).hexdigest()
    run = run_deployment(REVIEW_BATCH_DEPLOYMENT, parameters={"claims": [claim.to_dict() for claim in claims]},
                         timeout=0, idempotency_key=f"import-batch-{key}")
    return str(run.id)


REVIEW_BATCH_DEPLOYMENT = "review-import-batch/import"

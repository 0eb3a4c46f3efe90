"""One flow run per document: check the claimed snapshot → review in the Prefect UI → outcome.

The stages are gongkai's plain functions; this module only orchestrates them. The check is a task whose
result is persisted, keyed on the file's content hash, so a run resumed after a restart of the server or
of the serving process does not extract again. That result holds masked text only: the unmasked text
of a document never leaves the run's memory (the snapshot itself stays in the private bucket).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.context import TaskRunContext
from prefect.flow_runs import suspend_flow_run
from prefect.runtime import flow_run

from gongkai.catalogue import load_catalogue
from gongkai.document.check import DocumentCheck, check_bytes
from gongkai.document.interpretation import missing_interpretation
from gongkai.document.labels import PROACTIVE
from gongkai.flows.review_form import ReviewForm, review_form_for
from gongkai.intake import Claim, read_snapshot
from gongkai.models.client import ModelUnavailable, remote_suggestion, service_url
from gongkai.outcomes import (
    ELEMENT_FIELDS,
    RETURN,
    Decision,
    ReviewedElements,
    apply_decision,
    form_defaults,
    publish_blockers,
    responsible_office,
    return_unreadable,
)
from gongkai.publishing.catalogue_feed import published_items
from gongkai.review_page import review_page
from gongkai.settings import Settings
from gongkai.storage import open_storage

REVIEW_TIMEOUT = timedelta(days=90)  # a suspended review waits this long before the run fails


def _by_content(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    return f"check-{parameters['claim'].sha256}-{parameters['settings'].current_date().isoformat()}"


@task(cache_key_fn=_by_content, persist_result=True)
def check_snapshot(claim: Claim, settings: Settings) -> DocumentCheck:
    """Extract and check the claimed bytes (hashed again first); the suggestion comes from the model `up`
    holds for the whole host (this process never loads it)."""
    check = check_bytes(read_snapshot(open_storage(settings), claim), claim.name, claim.extension,
                        settings.current_date(), settings.extraction_limits())
    check.sha256 = claim.sha256
    if not check.unreadable:
        try:
            check.add_suggestion(*remote_suggestion(service_url(settings.model_port), check))
        except ModelUnavailable as unavailable:
            get_run_logger().warning("%s；本文件暂无模型建议 / reviewed without a suggestion", unavailable)
    return check


def _describe_run(claim: Claim, check: DocumentCheck, office: str) -> None:
    """Name the run after the document and tag it with its office and deadline, for the reviewers' list."""
    elements = check.elements
    name = " ".join(part for part in (elements.doc_number, elements.title) if part) or claim.name
    tags = [f"处室:{office}"]
    if check.publish_deadline:
        tags.append(f"期限:{check.publish_deadline.due.isoformat()}")
    with get_client(sync_client=True) as client:
        client.update_flow_run(flow_run.get_id(), name=name[:120], tags=tags)


@flow(name="review-document", persist_result=True)
def review_document(claim: dict[str, Any]) -> str:
    settings = Settings()
    taken = Claim.from_dict(claim)  # parameters are not trusted: a bad office or name stops the run here
    storage, catalogue, today = open_storage(settings), load_catalogue(settings.catalogue), settings.current_date()
    check = check_snapshot(taken, settings)
    if check.unreadable:
        problem = check.problems[0]
        note = return_unreadable(storage, settings.returned, taken, problem.code, problem.message)
        get_run_logger().warning("无法读取 %s（%s），已退回：%s", taken.name, problem.code, note)
        return RETURN
    _describe_run(taken, check, responsible_office(taken, check, catalogue))
    if warning := missing_interpretation(published_items(storage), check.elements):
        check.problems.append(warning)
    blockers = publish_blockers(check, PROACTIVE)  # what stops publication even if the reviewer says 主动公开
    page = review_page(taken, check, storage.private.link(taken.snapshot_key), today, blockers)
    create_markdown_artifact(markdown=page, key=f"review-{taken.sha256[:16]}", description="公文审核 / review page")
    form: ReviewForm = suspend_flow_run(
        wait_for_input=review_form_for(catalogue, not blockers, form_defaults(check, catalogue))
        .with_initial_data(description=page),
        timeout=int(REVIEW_TIMEOUT.total_seconds()),
    )
    elements = ReviewedElements(**{name: getattr(form, name) for name in ELEMENT_FIELDS})
    decision = Decision(form.decision, form.category, catalogue.topic_key(form.topic), form.reason, form.comment,
                        form.reviewer, form.interprets.strip(), elements)
    return apply_decision(storage, settings.returned, catalogue, taken, check, decision)

"""One flow run per document: extract → check → (suggest) → review in the Prefect UI → outcome.

The stages are gongkai's plain functions; this module only orchestrates them. Extraction and the
check are tasks with persisted results keyed on the file's content hash, so a run resumed after a
restart of the server or of the serving process does not extract again.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import INPUTS
from prefect.client.orchestration import get_client
from prefect.flow_runs import suspend_flow_run
from prefect.runtime import flow_run

from extractors import extract
from extractors.base import ExtractionError, Extracted
from gongkai.catalogue import Catalogue, load_catalogue
from gongkai.check import DocumentCheck, check_extracted
from gongkai.decisions import (PUBLISH, RECORD, RETURN, RETURNED, Decision, PublishRefused, audit,
                               decision_details, publish, publish_blockers, record, return_to_drafter,
                               set_registry_status)
from gongkai.interpretation import missing_interpretation
from gongkai.publishing import published_items
from gongkai.intake import Claim
from gongkai.labels import PROACTIVE
from gongkai.review_page import review_page
from gongkai.settings import Settings
from gongkai.storage import open_storage
from flows.review_form import ReviewForm, review_form_for
from models.suggest import promoted_suggester

REVIEW_TIMEOUT = timedelta(days=90)  # a suspended review waits this long before the run fails


@task(cache_policy=INPUTS, persist_result=True)
def extract_document(sha256: str, path: str) -> Extracted:
    """Keyed on the content hash (and path): after a resume the persisted result is reused."""
    return extract(Path(path), Settings().extraction_limits())


@task(persist_result=True)
def check_document(extracted: Extracted) -> DocumentCheck:
    return check_extracted(extracted, Settings().current_date())


@task(persist_result=True)
def suggest_category_and_topic(check: DocumentCheck) -> DocumentCheck:
    """With a promoted model: the suggestion, and a warning when it confidently disagrees with the label."""
    suggester = promoted_suggester(Settings())
    if suggester is not None:
        suggester.add_to(check)
    return check


@task
def stage_original(claim: Claim) -> str:
    """A private copy of the original for the reviewer's link (presigned URL on S3)."""
    storage = open_storage(Settings())
    key = f"staging/{claim.sha256}/{claim.name}"
    storage.private.put(key, Path(claim.path).read_bytes())
    return storage.private.link(key)


def responsible_office(claim: Claim, check: DocumentCheck, catalogue: Catalogue) -> str:
    """The inbox subfolder when it names an office of the catalogue, else the suggested topic's office."""
    offices = {topic.office for topic in catalogue.topics}
    folder = claim.office.split("/")[0]
    if folder in offices:
        return folder
    if check.suggestion and check.suggestion.topic:
        return catalogue.topic(check.suggestion.topic).office
    return folder or "未分配"


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
    logger = get_run_logger()
    settings = Settings()
    taken = Claim.from_dict(claim)
    storage = open_storage(settings)
    try:
        extracted = extract_document(taken.sha256, taken.path)
    except ExtractionError as error:
        # cannot be read: back to the drafter with the reason beside it, never reviewed
        note = return_to_drafter(settings.returned, taken, [f"{error.code}: {error.message}"])
        set_registry_status(storage, taken, RETURNED, reason=error.code)
        audit(storage, "unreadable", taken, problem=error.code)
        logger.warning("无法读取 %s（%s），已退回：%s", taken.name, error.code, note)
        return RETURN
    check = suggest_category_and_topic(check_document(extracted))
    catalogue = load_catalogue(settings.catalogue)
    _describe_run(taken, check, responsible_office(taken, check, catalogue))
    interpretation_warning = missing_interpretation(published_items(storage), check.elements)
    if interpretation_warning:
        check.problems.append(interpretation_warning)
    blockers = publish_blockers(check, PROACTIVE)  # what stops publication even if the reviewer says 主动公开
    can_publish = not blockers
    page = review_page(taken, check, stage_original(taken), settings.current_date(), blockers)
    create_markdown_artifact(markdown=page, key=f"review-{taken.sha256[:16]}", description="公文审核 / review page")

    label, suggested = check.elements.label, check.suggestion
    form_class = review_form_for(
        catalogue, publish_allowed=can_publish,
        category=label.category if label and label.category
        else suggested.category if suggested and suggested.category else PROACTIVE,
        topic=suggested.topic_name if suggested and suggested.topic_name else catalogue.topics[0].name,
    )
    form: ReviewForm = suspend_flow_run(
        wait_for_input=form_class.with_initial_data(description=page),
        timeout=int(REVIEW_TIMEOUT.total_seconds()),
    )
    topic_key = next((topic.key for topic in catalogue.topics if topic.name == form.topic), None)
    decision = Decision(form.decision, form.category, topic_key, form.reason, form.comment, form.reviewer,
                        form.interprets.strip())
    details = decision_details(decision, check.suggestion.to_json() if check.suggestion else None)
    if decision.decision == PUBLISH:
        try:
            prefix = publish(storage, taken, check, decision)
        except PublishRefused as refused:  # the form said publish; the document itself says no
            audit(storage, "publish_refused", taken, reasons=refused.reasons, **details)
            logger.error("拒绝发布 %s / refused to publish: %s", taken.name, refused)
            raise
        audit(storage, "published", taken, item=prefix, **details)
        return PUBLISH
    if decision.decision == RETURN:
        problems = [f"{p.code}: {p.message}" for p in check.problems]
        return_to_drafter(settings.returned, taken, problems, decision.comment, decision.reviewer)
        set_registry_status(storage, taken, RETURNED)
        audit(storage, "returned", taken, **details)
        return RETURN
    key = record(storage, taken, check, decision)
    audit(storage, "recorded", taken, item=key, **details)
    return RECORD


"""One flow run per document: extract → check → (suggest) → review in the Prefect UI → outcome.

The stages are gongkai's plain functions; this module only orchestrates them. Extraction and the
check are tasks with persisted results keyed on the file's content hash, so a run resumed after a
restart of the server or of the serving process does not extract again.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import INPUTS
from prefect.client.orchestration import get_client
from prefect.flow_runs import suspend_flow_run
from prefect.runtime import flow_run

from gongkai.catalogue import load_catalogue
from gongkai.document.check import DocumentCheck, check_extracted
from gongkai.document.interpretation import missing_interpretation
from gongkai.document.labels import PROACTIVE
from gongkai.extractors import extract
from gongkai.extractors.base import Extracted, ExtractionError, ExtractionLimits
from gongkai.flows.review_form import ReviewForm, review_form_for
from gongkai.intake import Claim
from gongkai.models.suggest import promoted_suggester
from gongkai.outcomes import (
    RETURN,
    Decision,
    apply_decision,
    form_defaults,
    publish_blockers,
    responsible_office,
    return_unreadable,
)
from gongkai.publishing.catalogue_feed import published_items
from gongkai.review_page import review_page
from gongkai.settings import Settings
from gongkai.storage import Storage, open_storage

REVIEW_TIMEOUT = timedelta(days=90)  # a suspended review waits this long before the run fails


@task(cache_policy=INPUTS, persist_result=True)
def extract_document(sha256: str, path: str, limits: ExtractionLimits) -> Extracted:
    """Keyed on the content hash (and path): after a resume the persisted result is reused."""
    return extract(Path(path), limits)


@task(persist_result=True)
def check_document(extracted: Extracted, today: date, model_dir: Path) -> DocumentCheck:
    """The check, and with a promoted model the suggestion (a warning when it confidently disagrees)."""
    check = check_extracted(extracted, today)
    suggester = promoted_suggester(model_dir)
    if suggester is not None:
        suggester.add_to(check)
    return check


@task
def stage_original(storage: Storage, claim: Claim) -> str:
    """A private copy of the original for the reviewer's link (presigned URL on S3)."""
    key = f"staging/{claim.sha256}/{claim.name}"
    storage.private.put(key, Path(claim.path).read_bytes())
    return storage.private.link(key)


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
    taken = Claim.from_dict(claim)
    storage, catalogue, today = open_storage(settings), load_catalogue(settings.catalogue), settings.current_date()
    try:
        extracted = extract_document(taken.sha256, taken.path, settings.extraction_limits())
    except ExtractionError as error:
        note = return_unreadable(storage, settings.returned, taken, error.code, error.message)
        get_run_logger().warning("无法读取 %s（%s），已退回：%s", taken.name, error.code, note)
        return RETURN
    check = check_document(extracted, today, settings.model_dir)
    _describe_run(taken, check, responsible_office(taken, check, catalogue))
    if warning := missing_interpretation(published_items(storage), check.elements):
        check.problems.append(warning)
    blockers = publish_blockers(check, PROACTIVE)  # what stops publication even if the reviewer says 主动公开
    page = review_page(taken, check, stage_original(storage, taken), today, blockers)
    create_markdown_artifact(markdown=page, key=f"review-{taken.sha256[:16]}", description="公文审核 / review page")
    category, topic = form_defaults(check, catalogue)
    form: ReviewForm = suspend_flow_run(
        wait_for_input=review_form_for(catalogue, not blockers, category, topic).with_initial_data(description=page),
        timeout=int(REVIEW_TIMEOUT.total_seconds()),
    )
    decision = Decision(form.decision, form.category, catalogue.topic_key(form.topic), form.reason, form.comment,
                        form.reviewer, form.interprets.strip())
    return apply_decision(storage, settings.returned, catalogue, taken, check, decision)

"""One flow run per document: check the claimed snapshot → review in the Prefect UI → outcome.

The stages are gongkai's plain functions; this module only orchestrates them. The check is a task whose
result is persisted, keyed on the file's content hash, so a run resumed after a restart of the server or
of the serving process does not extract again. That result holds masked text only: the unmasked text
of a document never leaves the run's memory (the snapshot itself stays in the private bucket).

A run that starts again — resumed, retried after a failed publish (`gongkai retry`), or rescheduled after a
crash — finds the reviewer's saved form and carries it out: nobody reviews a document twice. After the
review, storage is only touched inside `carry_out_decision`, which retries with backoff.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import TaskRun
from prefect.context import TaskRunContext
from prefect.flow_runs import suspend_flow_run
from prefect.input.actions import read_flow_run_input
from prefect.input.run_input import keyset_from_base_key
from prefect.runtime import flow_run
from prefect.states import State

from gongkai.catalogue import load_catalogue
from gongkai.document.check import DocumentCheck, check_bytes
from gongkai.document.interpretation import missing_interpretation
from gongkai.document.labels import PROACTIVE
from gongkai.document.workdays import load_deadline_rules
from gongkai.flows.review_form import ReviewForm, review_form_for, reviewer_identity
from gongkai.intake import Claim, read_snapshot
from gongkai.models.client import ModelUnavailable, remote_suggestion, service_url
from gongkai.outcomes import (
    ELEMENT_FIELDS,
    RETURN,
    Decision,
    PublishRefused,
    ReviewedElements,
    apply_decision,
    describe_pending,
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
REVIEW_KEY = "review"  # the one pause of a run; Prefect keeps the submitted form under "suspended-review-response"


def _by_content(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    return f"check-{parameters['claim'].sha256}-{parameters['settings'].current_date().isoformat()}"


@task(cache_key_fn=_by_content, persist_result=True)
def check_snapshot(claim: Claim, settings: Settings) -> DocumentCheck:
    """Extract and check the claimed bytes (hashed again first); the suggestion comes from the model `up`
    holds for the whole host (this process never loads it); a 解读 whose policy is not published is flagged."""
    storage = open_storage(settings)
    check = check_bytes(read_snapshot(storage, claim), claim.name, claim.extension,
                        settings.current_date(), settings.extraction_limits())
    check.sha256 = claim.sha256
    if not check.unreadable:
        try:
            check.add_suggestion(*remote_suggestion(service_url(settings.model_port), check))
        except ModelUnavailable as unavailable:
            get_run_logger().warning("%s；本文件暂无模型建议 / reviewed without a suggestion", unavailable)
        if warning := missing_interpretation(published_items(storage), check.elements):
            check.problems.append(warning)
    return check


def _publish_is_retried(task: Any, task_run: TaskRun, state: State) -> bool:
    """Storage that fails (an outage, a full or read-only disk) is tried again; a publish the document itself
    refuses is not: it would refuse again."""
    try:
        state.result()
    except PublishRefused:
        return False
    except Exception:
        return True
    return True


@task(cache_policy=NO_CACHE, persist_result=False, retry_condition_fn=_publish_is_retried)
def carry_out_decision(claim: Claim, check: DocumentCheck, decision: Decision, settings: Settings) -> str:
    """Publish, return or record as the reviewer decided (gongkai.outcomes); the storage it needs is opened
    here, so that an outage is retried with the rest."""
    catalogue = load_catalogue(settings.catalogue)
    return apply_decision(open_storage(settings), settings.returned, catalogue, claim, check, decision)


def with_retries(settings: Settings) -> Any:
    """carry_out_decision retried with backoff (GONGKAI_PUBLISH_RETRIES, GONGKAI_PUBLISH_RETRY_SECONDS doubling)."""
    delays = [settings.publish_retry_seconds * 2 ** attempt for attempt in range(settings.publish_retries)]
    return carry_out_decision.with_options(retries=settings.publish_retries, retry_delay_seconds=delays)


def _record_process() -> None:
    """Note which process runs this flow run: `gongkai up` reschedules a run whose process is gone (a crash)."""
    with get_client(sync_client=True) as client:
        client.update_flow_run(flow_run.get_id(), infrastructure_pid=f"{socket.gethostname()}:{os.getpid()}")


def _saved_review(form_type: type[ReviewForm]) -> ReviewForm | None:
    """The form a reviewer already submitted for this run, if any."""
    saved = read_flow_run_input(keyset_from_base_key(f"suspended-{REVIEW_KEY}")["response"])
    return form_type(**saved) if saved is not None else None


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
    catalogue = load_catalogue(settings.catalogue)
    _record_process()
    check = check_snapshot(taken, settings)
    if check.unreadable:
        problem = check.problems[0]
        note = return_unreadable(open_storage(settings), settings.returned, taken, problem.code, problem.message)
        get_run_logger().warning("无法读取 %s（%s），已退回：%s", taken.name, problem.code, note)
        return RETURN
    blockers = publish_blockers(check, PROACTIVE)  # what stops publication even if the reviewer says 主动公开
    marks = load_deadline_rules(settings.deadlines).reviewer_choices()
    form_type = review_form_for(catalogue, not blockers, form_defaults(check, catalogue), marks)
    form = _saved_review(form_type)
    if form is None:
        office = responsible_office(taken, check, catalogue)
        _describe_run(taken, check, office)
        describe_pending(open_storage(settings), taken, check, catalogue, office)
        page = review_page(taken, check, open_storage(settings).private.link(taken.snapshot_key),
                           settings.current_date(), blockers)
        create_markdown_artifact(markdown=page, key=f"review-{taken.sha256[:16]}", description="公文审核 / review page")
        form = suspend_flow_run(wait_for_input=form_type.with_initial_data(description=page), key=REVIEW_KEY,
                                timeout=int(REVIEW_TIMEOUT.total_seconds()))
    elements = ReviewedElements(**{name: getattr(form, name) for name in ELEMENT_FIELDS})
    decision = Decision(form.decision, form.category, catalogue.topic_key(form.topic), form.reason, form.comment,
                        form.reviewer, form.interprets.strip(), elements, reviewer_identity(form),
                        tuple(mark for mark in form.marks if mark in marks))
    try:
        return with_retries(settings)(taken, check, decision, settings)
    except PublishRefused:
        raise
    except Exception:
        get_run_logger().error("%s：审核结论已保存，但未能执行；排除故障后运行 gongkai retry %s / the decision is kept but "
                               "could not be carried out: fix the cause above, then run `gongkai retry %s`",
                               taken.name, flow_run.get_id(), flow_run.get_id())
        raise

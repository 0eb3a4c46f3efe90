"""What happens to a claimed file: it cannot be read, it is a duplicate, or a reviewer decided.

Plain functions over storage, the returned folder and the ledger; the flows only call them. Publishing
re-checks the document itself: whatever the review form says, an item with an error-level problem (a
secrecy marking, an ID number) or a category other than 主动公开 never reaches the public bucket.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from gongkai.catalogue import Catalogue
from gongkai.document.check import DocumentCheck
from gongkai.document.checks import Severity
from gongkai.document.labels import PROACTIVE
from gongkai.intake import Claim
from gongkai.ledger import (
    PENDING,
    PUBLISHED,
    RECORDED,
    RETURNED,
    now,
    record_event,
    registry_status,
    set_registry_status,
)
from gongkai.publishing.items import publish_item
from gongkai.storage import Storage, put_json

PUBLISH, RETURN, RECORD = "publish", "return", "record"
DecisionKind = Literal["publish", "return", "record"]


@dataclass(frozen=True)
class Decision:
    decision: DecisionKind
    category: str
    topic: str | None
    reason: str
    comment: str
    reviewer: str
    interprets: str = ""  # 索引号 of the published policy this document is the 解读 of, if the reviewer says so


class PublishRefused(Exception):
    """The publish step found a reason the item may not be public; `reasons` says which."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def publish_blockers(check: DocumentCheck, category: str) -> list[str]:
    """Every reason this document may not go to the public bucket, whatever a reviewer chose."""
    reasons = []
    if check.unreadable:
        reasons.append("文件无法读取 / the file could not be read")
    if check.elements.secrecy:
        reasons.append(f"标有密级“{check.elements.secrecy}”，不得公开 / marked {check.elements.secrecy}: never public")
    reasons += [f"{problem.code}: {problem.message}" for problem in check.problems
                if problem.severity is Severity.ERROR and problem.code != "secrecy_marking"]
    if category != PROACTIVE:
        reasons.append(f"公开类别为{category}，只有主动公开可以发布 / category {category}: only 主动公开 is published")
    return reasons


def responsible_office(claim: Claim, check: DocumentCheck, catalogue: Catalogue) -> str:
    """The inbox subfolder when it names an office of the catalogue, else the suggested topic's office."""
    offices = {topic.office for topic in catalogue.topics}
    folder = claim.office.split("/")[0]
    if folder in offices:
        return folder
    if check.suggestion and check.suggestion.topic:
        return catalogue.topic(check.suggestion.topic).office
    return folder or "未分配"


def form_defaults(check: DocumentCheck, catalogue: Catalogue) -> tuple[str, str]:
    """(category, topic name) the review form starts with: the drafter's label, else the suggestion."""
    label, suggested = check.elements.label, check.suggestion
    category = (label.category if label and label.category
                else suggested.category if suggested and suggested.category else PROACTIVE)
    topic = suggested.topic_name if suggested and suggested.topic_name else catalogue.topics[0].name
    return category, topic


def return_unreadable(storage: Storage, returned_dir: Path, claim: Claim, code: str, message: str) -> Path:
    """A file that cannot be read goes back to the drafter with the reason beside it, never reviewed."""
    note = return_to_drafter(returned_dir, claim, [f"{code}: {message}"])
    set_registry_status(storage, claim.sha256, RETURNED, file=claim.name, office=claim.office, reason=code)
    record_event(storage, "unreadable", claim.sha256, file=claim.name, office=claim.office, problem=code)
    return note


def admit(storage: Storage, returned_dir: Path, claim: Claim, start_review: Callable[[Claim], str]) -> str | None:
    """A claimed file starts its review — `start_review` creates the run and returns its id — unless the same
    content is already pending or published: then it goes back as a duplicate (None), never reviewed twice.
    The version becomes pending only once its run exists, so a failed start is simply retried."""
    status = registry_status(storage, claim.sha256)
    if status in (PENDING, PUBLISHED):
        return_duplicate(storage, returned_dir, claim, status)
        return None
    run_id = start_review(claim)
    set_registry_status(storage, claim.sha256, PENDING, file=claim.name, office=claim.office, flow_run_id=run_id)
    record_event(storage, "received", claim.sha256, file=claim.name, office=claim.office, flow_run_id=run_id)
    return run_id


def return_duplicate(storage: Storage, returned_dir: Path, claim: Claim, status: str) -> Path:
    """The same content is already pending or published: back to the drafter, not reviewed twice."""
    note = return_to_drafter(returned_dir, claim, [
        f"重复提交：相同内容的文件已在审核中或已发布（{status}）/ Duplicate: the same file is already {status}.",
    ])
    record_event(storage, "duplicate", claim.sha256, file=claim.name, office=claim.office, existing_status=status)
    return note


def apply_decision(storage: Storage, returned_dir: Path, catalogue: Catalogue, claim: Claim, check: DocumentCheck,
                   decision: Decision) -> str:
    """Carry out the reviewer's decision and record it; returns the outcome (publish | return | record).
    Raises PublishRefused (and records why) when the form said publish and the document says no."""
    details = {"file": claim.name, "office": claim.office, "decision": asdict(decision),
               "suggestion": check.suggestion.to_json() if check.suggestion else None}
    if decision.decision == PUBLISH:
        try:
            prefix = publish(storage, claim, check, decision, catalogue)
        except PublishRefused as refused:
            record_event(storage, "publish_refused", claim.sha256, reasons=refused.reasons, **details)
            raise
        record_event(storage, "published", claim.sha256, item=prefix, **details)
        return PUBLISH
    if decision.decision == RETURN:
        problems = [f"{problem.code}: {problem.message}" for problem in check.problems]
        return_to_drafter(returned_dir, claim, problems, decision.comment, decision.reviewer)
        set_registry_status(storage, claim.sha256, RETURNED, file=claim.name, office=claim.office)
        record_event(storage, "returned", claim.sha256, **details)
        return RETURN
    key = record(storage, claim, check, decision)
    record_event(storage, "recorded", claim.sha256, item=key, **details)
    return RECORD


def publish(storage: Storage, claim: Claim, check: DocumentCheck, decision: Decision, catalogue: Catalogue) -> str:
    """Put the approved item in the public bucket; returns its key prefix (items/<索引号 slug>). Raises
    PublishRefused. The layout, the 索引号 and the catalogue rebuild are in gongkai.publishing."""
    blockers = publish_blockers(check, decision.category)
    if decision.decision != PUBLISH:
        blockers.append(f"审核结论为 {decision.decision} / the decision was {decision.decision}")
    if blockers:
        raise PublishRefused(blockers)
    prefix = publish_item(storage, catalogue, check, item_metadata(claim, check, decision), Path(claim.path),
                          decision.interprets)
    set_registry_status(storage, claim.sha256, PUBLISHED, file=claim.name, office=claim.office, item=prefix)
    return prefix


def item_metadata(claim: Claim, check: DocumentCheck, decision: Decision) -> dict[str, Any]:
    """The fields every item record has, published or recorded (publishing adds 索引号, status, files…)."""
    report = check.to_json()
    return {
        "title": report["title"],
        "doc_number": report["doc_number"],
        "doc_type": report["doc_type"],
        "issuer": report["issuer"],
        "signed_date": report["signed_date"],
        "category": decision.category,
        "topic": decision.topic,
        "publish_deadline": report["publish_deadline"],
        "deadline_estimated": report["deadline_estimated"],
        "sha256": claim.sha256,
        "original_name": claim.name,
    }


def return_to_drafter(returned_dir: Path, claim: Claim, problems: list[str], comment: str = "",
                      reviewer: str = "") -> Path:
    """Copy the file to returned/<office>/ with a note beside it; the drafter fixes it and drops it again."""
    folder = returned_dir / claim.office
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / claim.name
    shutil.copy2(claim.path, target)
    lines = [f"文件 / File: {claim.name}", f"退回时间 / Returned at: {now()}"]
    if reviewer:
        lines.append(f"审核人 / Reviewer: {reviewer}")
    if comment:
        lines.append(f"审核意见 / Comment: {comment}")
    lines.append("")
    lines.append("需要处理的问题 / To fix:" if problems else "没有自动发现的问题 / No problems were found automatically.")
    lines += [f"  - {problem}" for problem in problems]
    lines += ["", "修改后请重新放入收件箱 / Fix the file and drop it into the inbox again."]
    note = folder / f"{claim.name}.问题说明.txt"
    note.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return note


def record(storage: Storage, claim: Claim, check: DocumentCheck, decision: Decision) -> str:
    """Keep the item in the private register (依申请公开 / 不予公开, with the reason)."""
    key = f"register/{claim.sha256[:16]}/metadata.json"
    put_json(storage.private, key, {**item_metadata(claim, check, decision), "recorded_at": now(),
                                    "reason": decision.reason,
                                    "comment": decision.comment, "reviewer": decision.reviewer})
    storage.private.put(f"register/{claim.sha256[:16]}/original{Path(claim.path).suffix.lower()}",
                        Path(claim.path).read_bytes())
    storage.private.put(f"register/{claim.sha256[:16]}/content.txt", check.text.encode(), "text/plain; charset=utf-8")
    set_registry_status(storage, claim.sha256, RECORDED, file=claim.name, office=claim.office, item=key)
    return key

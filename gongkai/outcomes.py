"""What happens to a claimed file: it cannot be read, it is a duplicate, or a reviewer decided.

Plain functions over storage, the returned folder and the ledger; the flows only call them. Publishing
re-checks the document itself: whatever the review form says, an item with an error-level problem (a
secrecy marking, an ID number) or a category other than 主动公开 never reaches the public bucket.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

from gongkai.catalogue import Catalogue
from gongkai.document.check import DocumentCheck
from gongkai.document.checks import Severity
from gongkai.document.elements import canonical_doc_number
from gongkai.document.labels import PROACTIVE
from gongkai.document.pii import find_personal_data, mask
from gongkai.document.workdays import PUBLISH_PROACTIVE, deadline
from gongkai.intake import Claim, Refusal, SnapshotMismatch, display_name, read_snapshot, safe_office, shown_as_written
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
class ReviewedElements:
    """名称, 发文字号, 成文日期 (YYYY-MM-DD), 发文机关 (joint issuers joined by 、) and 文种 as the reviewer
    confirmed or completed them on the form ("" where left empty)."""

    title: str = ""
    doc_number: str = ""
    signed_date: str = ""
    issuer: str = ""
    doc_type: str = ""


ELEMENT_FIELDS = tuple(element.name for element in fields(ReviewedElements))  # in the order the form shows them


@dataclass(frozen=True)
class Decision:
    decision: DecisionKind
    category: str
    topic: str | None
    reason: str
    comment: str
    reviewer: str
    interprets: str = ""  # 索引号 of the published policy this document is the 解读 of, if the reviewer says so
    elements: ReviewedElements | None = None  # None: the elements as parsed
    # who decided and how that is known (flows.review_form.reviewer_identity); goes to the ledger
    reviewer_identity: dict[str, str | None] | None = None
    marks: tuple[str, ...] = ()  # reviewer choices that start deadline rules (config/deadlines.yaml), e.g. 办事条件变更


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
    label = check.elements.label
    if label and label.category and label.category != PROACTIVE:
        reasons.append(f"文件印有“{label.text}”，不能按主动公开发布；如标注有误，请退回起草处室改正 / the document itself says "
                       f"{label.category}: if that is wrong, return it so the drafter corrects the label")
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


def form_defaults(check: DocumentCheck, catalogue: Catalogue) -> dict[str, str]:
    """What the review form starts with: the drafter's label, else the suggestion; the parsed elements."""
    label, suggested = check.elements.label, check.suggestion
    category = (label.category if label and label.category
                else suggested.category if suggested and suggested.category else PROACTIVE)
    topic = suggested.topic_name if suggested and suggested.topic_name else catalogue.topics[0].name
    return {"category": category, "topic": topic, **parsed_elements(check)}


def describe_pending(storage: Storage, claim: Claim, check: DocumentCheck, catalogue: Catalogue, office: str) -> None:
    """Keep beside a document waiting for review what the deadline watch needs (gongkai.clocks): its elements,
    the category its form starts with and the suggested topic."""
    suggested = check.suggestion
    set_registry_status(storage, claim.sha256, PENDING, file=claim.name, office=office,
                        elements=parsed_elements(check), category=form_defaults(check, catalogue)["category"],
                        topic=suggested.topic if suggested else None)


def parsed_elements(check: DocumentCheck) -> dict[str, str]:
    """The elements the reviewer confirms, as the parser found them, in the form's spelling ("" when missing)."""
    report = check.to_json()
    return {name: report[name] or "" for name in ELEMENT_FIELDS}


Corrections = dict[str, dict[str, str | None]]  # element → {"from": parsed, "to": reviewed}


def reviewed_check(check: DocumentCheck, reviewed: ReviewedElements | None) -> tuple[DocumentCheck, Corrections]:
    """The check with the elements the reviewer left on the form, and what the reviewer changed. What a
    reviewer types is treated like the document's text: whitespace collapsed, personal data masked, a
    发文字号 in its one spelling; a 成文日期 that is no calendar date counts as none. A new 成文日期 moves
    the publication deadline."""
    if reviewed is None:
        return check, {}
    parsed = parsed_elements(check)
    entered = {name: _entered(name, value) for name, value in asdict(reviewed).items()}
    corrections = {name: {"from": parsed[name] or None, "to": entered[name] or None}
                   for name in entered if entered[name] != parsed[name]}
    if not corrections:
        return check, {}
    signed = _calendar_date(entered["signed_date"])
    elements = replace(check.elements, title=entered["title"] or None, doc_number=entered["doc_number"] or None,
                       signed_date=signed, issuers=[name for name in entered["issuer"].split("、") if name],
                       doc_type=entered["doc_type"] or None)
    label = elements.label
    due = deadline(PUBLISH_PROACTIVE, signed) if signed and label and label.category == PROACTIVE else None
    return replace(check, elements=elements, publish_deadline=due), corrections


def _entered(name: str, value: str) -> str:
    value = " ".join(value.split())
    value = mask(value, find_personal_data(value))
    if name == "doc_number":
        return canonical_doc_number(value) or value
    if name == "signed_date":
        return value if _calendar_date(value) else ""  # 2026-02-30 is no date: publishing then refuses
    return value.replace(" ", "") if name in ("issuer", "doc_type") else value


def _calendar_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def catalogue_blockers(check: DocumentCheck) -> list[str]:
    """名称 and 成文日期 are catalogue fields (条例 第十二条): an item without them is not published."""
    reasons = []
    if not check.elements.title:
        reasons.append("没有名称（标题），请在审核表中填写 / no title: enter it on the review form")
    if not check.elements.signed_date:
        reasons.append("没有成文日期，请在审核表中填写 / no signing date: enter it on the review form")
    return reasons


def return_refused(returned_dir: Path, refusal: Refusal) -> Path:
    """An inbox entry that is not taken (a link, a FIFO, a file too large) goes back as it is — the entry
    itself is moved, a link is never followed — with a note beside it; returns the note."""
    with _returned_folder(returned_dir, refusal.office) as folder:
        name = _free_entry_name(folder, display_name(refusal.path.name))
        os.rename(refusal.path, name, dst_dir_fd=folder)
        return _write_note(returned_dir, refusal.office, folder, name, [f"{refusal.code}: {refusal.message}"])


def return_unreadable(storage: Storage, returned_dir: Path, claim: Claim, code: str, message: str) -> Path:
    """A file that cannot be read goes back to the drafter with the reason beside it, never reviewed."""
    note = return_to_drafter(storage, returned_dir, claim, [f"{code}: {message}"])
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
    note = return_to_drafter(storage, returned_dir, claim, [
        f"重复提交：相同内容的文件已在审核中或已发布（{status}）/ Duplicate: the same file is already {status}.",
    ])
    record_event(storage, "duplicate", claim.sha256, file=claim.name, office=claim.office, existing_status=status)
    return note


def apply_decision(storage: Storage, returned_dir: Path, catalogue: Catalogue, claim: Claim, check: DocumentCheck,
                   decision: Decision) -> str:
    """Carry out the reviewer's decision and record it; returns the outcome (publish | return | record).
    Raises PublishRefused (and records why) when the form said publish and the document says no."""
    check, corrections = reviewed_check(check, decision.elements)
    details = {"file": claim.name, "office": claim.office, "decision": asdict(decision),
               "suggestion": check.suggestion.to_json() if check.suggestion else None,
               "elements": parsed_elements(check), "corrections": corrections}
    if decision.decision == PUBLISH:
        try:
            prefix = publish(storage, claim, check, decision, catalogue, corrections)
        except PublishRefused as refused:
            record_event(storage, "publish_refused", claim.sha256, reasons=refused.reasons, **details)
            raise
        record_event(storage, "published", claim.sha256, item=prefix, **details)
        return PUBLISH
    if decision.decision == RETURN:
        problems = [f"{problem.code}: {problem.message}" for problem in check.problems]
        return_to_drafter(storage, returned_dir, claim, problems, decision.comment, decision.reviewer)
        set_registry_status(storage, claim.sha256, RETURNED, file=claim.name, office=claim.office)
        record_event(storage, "returned", claim.sha256, **details)
        return RETURN
    key = record(storage, claim, check, decision, corrections)
    record_event(storage, "recorded", claim.sha256, item=key, **details)
    return RECORD


def publish(storage: Storage, claim: Claim, check: DocumentCheck, decision: Decision, catalogue: Catalogue,
            corrections: Corrections | None = None) -> str:
    """Put the approved item in the public bucket; returns its key prefix (items/<索引号 slug>). Raises
    PublishRefused. `check` holds the elements as reviewed (`reviewed_check`), `corrections` what the reviewer
    changed. The layout, the 索引号 and the catalogue rebuild are in gongkai.publishing."""
    blockers = publish_blockers(check, decision.category) + catalogue_blockers(check)
    if decision.decision != PUBLISH:
        blockers.append(f"审核结论为 {decision.decision} / the decision was {decision.decision}")
    if blockers:
        raise PublishRefused(blockers)
    try:
        original = read_snapshot(storage, claim)  # exactly the bytes that were claimed and checked
    except SnapshotMismatch as mismatch:
        raise PublishRefused([str(mismatch)]) from None
    prefix = publish_item(storage, catalogue, check, item_metadata(claim, check, decision, corrections), original,
                          claim.extension, decision.interprets)
    set_registry_status(storage, claim.sha256, PUBLISHED, file=claim.name, office=claim.office, item=prefix)
    return prefix


def item_metadata(claim: Claim, check: DocumentCheck, decision: Decision,
                  corrections: Corrections | None = None) -> dict[str, Any]:
    """The fields every item record has, published or recorded (publishing adds 索引号, status, files…)."""
    report = check.to_json()
    label = check.elements.label
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
        # parts of a 主动公开 document left out of every public file, and the note that withholds them
        "withheld_parts": report["withheld_parts"],
        "withheld_parts_label": label.text if report["withheld_parts"] and label else None,
        "corrections": corrections or {},  # what the reviewer changed in the parsed elements: from → to
        "sha256": claim.sha256,
        "format": check.format,
        # the drafter's file name only when nothing in it had to be masked (display_name)
        "original_name": claim.name if shown_as_written(claim.name) else None,
    }


def return_to_drafter(storage: Storage, returned_dir: Path, claim: Claim, problems: list[str], comment: str = "",
                      reviewer: str = "") -> Path:
    """The claimed bytes back to returned/<office>/ under the file's shown name, with a note beside it; the
    drafter fixes the file and drops it again. Nothing there is overwritten and no link there is followed."""
    data = read_snapshot(storage, claim)
    with _returned_folder(returned_dir, claim.office) as folder:
        name = _free_entry_name(folder, claim.name)
        descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=folder)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        lines = []
        if reviewer:
            lines.append(f"审核人 / Reviewer: {reviewer}")
        if comment:
            lines.append(f"审核意见 / Comment: {comment}")
        return _write_note(returned_dir, claim.office, folder, name, problems, lines)


def _write_note(returned_dir: Path, office: str, folder: int, name: str, problems: list[str],
                header: list[str] = ()) -> Path:
    lines = [f"文件 / File: {name}", f"退回时间 / Returned at: {now()}", *header, ""]
    lines.append("需要处理的问题 / To fix:" if problems else "没有自动发现的问题 / No problems were found automatically.")
    lines += [f"  - {problem}" for problem in problems]
    lines += ["", "修改后请重新放入收件箱 / Fix the file and drop it into the inbox again."]
    note = f"{name}.问题说明.txt"
    descriptor = os.open(note, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644, dir_fd=folder)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")
    return returned_dir / office / note


@contextmanager
def _returned_folder(returned_dir: Path, office: str) -> Iterator[int]:
    """A descriptor of returned/<office>/, each part created if missing and opened without following a link:
    a drafter who can write in returned/ cannot redirect what gongkai writes there."""
    returned_dir.mkdir(parents=True, exist_ok=True)
    folder = os.open(returned_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in safe_office(office).split("/") if office else []:
            try:
                os.mkdir(part, 0o755, dir_fd=folder)
            except FileExistsError:
                pass
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
            os.close(folder)
            folder = inner
        yield folder
    finally:
        os.close(folder)


def _free_entry_name(folder: int, name: str) -> str:
    """`name`, or 通知 (2).docx … when an entry of that name is already there."""
    stem, dot, suffix = name.rpartition(".")
    stem, suffix = (stem, f".{suffix}") if dot and stem else (name, "")
    candidate, number = name, 2
    while _exists(folder, candidate) or _exists(folder, f"{candidate}.问题说明.txt"):
        candidate = f"{stem} ({number}){suffix}"
        number += 1
    return candidate


def _exists(folder: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def record(storage: Storage, claim: Claim, check: DocumentCheck, decision: Decision,
           corrections: Corrections | None = None) -> str:
    """Keep the item in the private register (依申请公开 / 不予公开, with the reason)."""
    key = f"register/{claim.sha256[:16]}/metadata.json"
    put_json(storage.private, key, {**item_metadata(claim, check, decision, corrections), "recorded_at": now(),
                                    "reason": decision.reason,
                                    "comment": decision.comment, "reviewer": decision.reviewer})
    storage.private.put(f"register/{claim.sha256[:16]}/original.{claim.extension}", read_snapshot(storage, claim))
    storage.private.put(f"register/{claim.sha256[:16]}/content.txt", check.text.encode(), "text/plain; charset=utf-8")
    set_registry_status(storage, claim.sha256, RECORDED, file=claim.name, office=claim.office, item=key)
    return key

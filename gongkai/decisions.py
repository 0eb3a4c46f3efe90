"""What happens after review: publish, return to the drafter, or record without publishing.

Plain functions over the storage layer; the Prefect flow only calls them. Publishing re-checks
the document itself: whatever the review form says, an item with an error-level problem (a
secrecy marking, an ID number) or a category other than 主动公开 never reaches the public bucket.
Every decision is appended to the audit ledger as its own object (no read-modify-write, so
concurrent reviews never lose an entry).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from gongkai.catalogue import Catalogue, load_catalogue
from gongkai.check import DocumentCheck
from gongkai.checks import Severity
from gongkai.intake import Claim
from gongkai.labels import PROACTIVE
from gongkai.storage import ObjectStore, Storage, get_json, put_json

PUBLISH, RETURN, RECORD = "publish", "return", "record"
DecisionKind = Literal["publish", "return", "record"]

# Registry states of a file version (sha256): a version pending or published is not reviewed twice.
PENDING, PUBLISHED, RETURNED, RECORDED = "pending", "published", "returned", "recorded"


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


# --- registry -------------------------------------------------------------------------------------

def registry_status(storage: Storage, sha256: str) -> str | None:
    try:
        return get_json(storage.private, _registry_key(sha256))["status"]
    except KeyError:
        return None


def set_registry_status(storage: Storage, claim: Claim, status: str, **details: Any) -> None:
    put_json(storage.private, _registry_key(claim.sha256),
             {"status": status, "name": claim.name, "office": claim.office, "updated_at": _now(), **details})


def _registry_key(sha256: str) -> str:
    return f"registry/{sha256}.json"


# --- audit ledger ---------------------------------------------------------------------------------

def audit(storage: Storage, event: str, claim: Claim, **details: Any) -> str:
    """Append one entry to the ledger: who, when, which file version, what was suggested and decided."""
    moment = datetime.now(timezone.utc)
    when = moment.isoformat(timespec="seconds")
    # one object per entry; time first so keys sort chronologically, a random part so none collide
    key = f"audit/{moment:%Y-%m-%d}/{moment:%H%M%S%f}-{claim.sha256[:16]}-{event}-{uuid.uuid4().hex[:8]}.json"
    put_json(storage.private, key, {"event": event, "at": when, "sha256": claim.sha256, "file": claim.name,
                                    "office": claim.office, **details})
    return key


def audit_entries(storage: Storage) -> list[dict[str, Any]]:
    return [get_json(storage.private, key) for key in storage.private.keys("audit/")]


# --- outcomes -------------------------------------------------------------------------------------

def publish(storage: Storage, claim: Claim, check: DocumentCheck, decision: Decision,
            catalogue: Catalogue | None = None) -> str:
    """Put the approved item in the public bucket; returns its key prefix (items/<索引号 slug>).

    Raises PublishRefused. The layout, the 索引号 and the catalogue rebuild are in gongkai.publishing;
    `catalogue` defaults to the one the settings name (its organisation_code starts every 索引号).
    """
    blockers = publish_blockers(check, decision.category)
    if decision.decision != PUBLISH:
        blockers.append(f"审核结论为 {decision.decision} / the decision was {decision.decision}")
    if blockers:
        raise PublishRefused(blockers)
    from gongkai.publishing import publish_item

    if catalogue is None:
        from gongkai.settings import Settings

        catalogue = load_catalogue(Settings().catalogue)
    prefix = publish_item(storage, claim, check, decision, catalogue, item_metadata(claim, check, decision))
    set_registry_status(storage, claim, PUBLISHED, item=prefix)
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
    lines = [f"文件 / File: {claim.name}", f"退回时间 / Returned at: {_now()}"]
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
    put_json(storage.private, key, {**item_metadata(claim, check, decision), "recorded_at": _now(),
                                    "reason": decision.reason,
                                    "comment": decision.comment, "reviewer": decision.reviewer})
    _put_file(storage.private, f"register/{claim.sha256[:16]}/original{Path(claim.path).suffix.lower()}",
              Path(claim.path))
    storage.private.put(f"register/{claim.sha256[:16]}/content.txt", check.text.encode(), "text/plain; charset=utf-8")
    set_registry_status(storage, claim, RECORDED, item=key)
    return key


def reviewed_examples(storage: Storage) -> list[tuple[str, str, str | None]]:
    """(masked text, category, topic) of every file version a reviewer published or recorded, the latest
    decision per version: training data for the suggestion model (`gongkai train --decisions`)."""
    latest: dict[str, dict[str, Any]] = {}
    for entry in audit_entries(storage):  # keys sort chronologically
        if entry["event"] in ("published", "recorded", "withdrawn"):
            latest[entry["sha256"]] = entry
    examples = []
    for entry in latest.values():
        if entry["event"] == "withdrawn":
            continue  # a mistaken publication teaches nothing reliable
        store = storage.public if entry["event"] == "published" else storage.private
        item = entry["item"].rsplit("/metadata.json", 1)[0]
        try:
            text = store.get(f"{item}/content.txt").decode()
        except KeyError:
            continue  # withdrawn or removed since
        decision = entry["decision"]
        examples.append((text, decision["category"], decision["topic"]))
    return examples


def decision_details(decision: Decision, suggestion: dict[str, Any] | None) -> dict[str, Any]:
    return {"decision": asdict(decision), "suggestion": suggestion}


def _put_file(store: ObjectStore, key: str, path: Path) -> None:
    store.put(key, path.read_bytes())


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

"""The ledger in the private bucket: the state of every file version (registry) and the audit events.

Registry: registry/<sha256>.json holds a file version's state — pending, published, returned, recorded,
withdrawn — so a version pending or published is not reviewed twice. Audit: one object per event under
audit/<date>/ (no read-modify-write, so concurrent reviews never lose an entry): who, when, which file
version, what was suggested and decided. Both take plain values; the caller says which file it is.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from gongkai.storage import Storage, get_json, put_json

PENDING, PUBLISHED, RETURNED, RECORDED, WITHDRAWN = "pending", "published", "returned", "recorded", "withdrawn"


def registry_status(storage: Storage, sha256: str) -> str | None:
    try:
        return get_json(storage.private, _registry_key(sha256))["status"]
    except KeyError:
        return None


def registry_entry(storage: Storage, sha256: str) -> dict[str, Any]:
    try:
        return get_json(storage.private, _registry_key(sha256))
    except KeyError:
        return {}


def set_registry_status(storage: Storage, sha256: str, status: str, **details: Any) -> None:
    """The new state of a file version; `details` (file, office, item …) are kept beside it."""
    put_json(storage.private, _registry_key(sha256),
             {**registry_entry(storage, sha256), "status": status, "updated_at": now(), **details})


def _registry_key(sha256: str) -> str:
    return f"registry/{sha256}.json"


def record_event(storage: Storage, event: str, sha256: str, **details: Any) -> str:
    """Append one entry to the audit ledger; returns its key."""
    moment = datetime.now(timezone.utc)
    # one object per entry; time first so keys sort chronologically, a random part so none collide
    key = f"audit/{moment:%Y-%m-%d}/{moment:%H%M%S%f}-{sha256[:16]}-{event}-{uuid.uuid4().hex[:8]}.json"
    put_json(storage.private, key, {"event": event, "at": moment.isoformat(timespec="seconds"), "sha256": sha256,
                                    **details})
    return key


def audit_entries(storage: Storage) -> list[dict[str, Any]]:
    """Every audit event, oldest first."""
    return [get_json(storage.private, key) for key in storage.private.keys("audit/")]


def reviewed_items(storage: Storage) -> list[tuple[dict[str, Any], str]]:
    """(audit entry, masked text) of every file version a reviewer published or recorded, the latest decision
    per version; a version withdrawn since, or whose text is gone, is left out."""
    latest: dict[str, dict[str, Any]] = {}
    for entry in audit_entries(storage):  # keys sort chronologically
        if entry["event"] in ("published", "recorded", "withdrawn"):
            latest[entry["sha256"]] = entry
    items = []
    for entry in latest.values():
        if entry["event"] == "withdrawn":
            continue  # a mistaken publication teaches nothing reliable
        store = storage.public if entry["event"] == "published" else storage.private
        item = entry["item"].rsplit("/metadata.json", 1)[0]
        try:
            items.append((entry, store.get(f"{item}/content.txt").decode()))
        except KeyError:
            continue  # removed since
    return items


def reviewed_examples(storage: Storage) -> list[tuple[str, str, str | None]]:
    """(masked text, category, topic) of every reviewed version (`reviewed_items`): training data for the
    suggestion model (`gongkai train --decisions`)."""
    return [(text, entry["decision"]["category"], entry["decision"]["topic"])
            for entry, text in reviewed_items(storage)]


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

"""One item in the public bucket: publishing it (files first, metadata last), and its lifecycle afterwards
(status changes, withdrawal)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import TYPE_CHECKING, Any

from gongkai.document.interpretation import find_interpretation, find_policy, interpreted_title
from gongkai.document.workdays import STATUS_CHANGE, deadline
from gongkai.ledger import WITHDRAWN, record_event, set_registry_status
from gongkai.publishing.catalogue_feed import published_items, rebuild_catalogue
from gongkai.publishing.index_numbers import allocate_index_number, index_slug, item_prefix
from gongkai.publishing.layout import (
    CONTENT_TYPES,
    SCHEMA_VERSION,
    STATUSES,
    SUMMARY_CHARS,
    VALID,
    china_date,
    now_iso,
    sha256_of,
    without,
)
from gongkai.publishing.rendition import body_lines, render_html
from gongkai.storage import ObjectStore, Storage, get_json, put_json

if TYPE_CHECKING:
    from gongkai.catalogue import Catalogue
    from gongkai.document.check import DocumentCheck


def publish_item(storage: Storage, catalogue: Catalogue, check: DocumentCheck, base: dict[str, Any],
                 original: bytes, extension: str, interprets: str = "") -> str:
    """Write the item's files, then its metadata, then rebuild the catalogue; returns the key prefix.

    `base` is the item record (title … topic, sha256) the reviewer's decision made; `original` the checked
    bytes and `extension` their sniffed format's; `interprets` the 索引号 of the policy a 解读 explains, when
    the reviewer named it. The original goes out only when the check found nothing it must keep back
    (check.original_withheld); the masked text and HTML always do. Idempotent: the same approval published
    again gives byte-identical objects (its 索引号, dates, status and history are kept), and a publish
    interrupted anywhere completes on retry. Callers check the publish blockers first (gongkai.outcomes.publish).
    """
    prefix = write_item(storage, catalogue, check, base, original, extension, interprets=interprets)
    rebuild_catalogue(storage, catalogue)
    return prefix


def write_item(storage: Storage, catalogue: Catalogue, check: DocumentCheck, base: dict[str, Any], original: bytes,
               extension: str, *, interprets: str = "", index_no: str | None = None, published_at: str | None = None,
               status: str = VALID, pair_interpretations: bool = True) -> str:
    """`publish_item` without the catalogue rebuild, for callers that write many items and rebuild once (the
    back-catalogue import). `index_no` is one the caller holds already (reserve_index_number), `published_at`
    a past publication, `status` the item's 效力 then; `pair_interpretations` False leaves the policy–解读
    links to the caller (`link_interpretations`), which scans the catalogue once instead of once per item."""
    sha256 = base["sha256"]
    signed = check.elements.signed_date
    text = check.public_text()  # withheld attachments left out
    now = now_iso()
    index_no = index_no or allocate_index_number(storage, catalogue.organisation_code,
                                                 (signed or china_date(now)).year, sha256)
    prefix = item_prefix(index_no)
    existing = read_metadata(storage.public, index_no)
    keep = existing if existing and existing.get("sha256") == sha256 else None
    published_at = keep["published_at"] if keep else published_at or now
    due = base.get("publish_deadline")
    topic_name = None
    if base.get("topic"):
        try:
            topic_name = catalogue.topic(base["topic"]).name
        except KeyError:
            topic_name = None
    metadata: dict[str, Any] = {
        **base,
        "schema_version": SCHEMA_VERSION,
        "index_no": index_no,
        "summary": summarise(text, check.elements.body_start, base.get("title")),
        "content_body_start": check.elements.body_start,
        "original": f"original.{extension}" if not check.original_withheld else None,
        "original_withheld": check.original_withheld,
        "topic_name": topic_name,
        "department": catalogue.department,
        "attachments": list(check.elements.attachments),
        "published_at": published_at,
        "deadline_met": (china_date(published_at) <= date.fromisoformat(due)) if due else None,
        "status": status,
        "status_effective_date": None,
        "status_changed_at": None,
        "status_change_deadline": None,
        "supersedes": [],
        "superseded_by": None,
        "interpretation": None,
        "interpretation_of": None,
        "history": [{"event": "published", "at": published_at, "status": status}],
    }
    for field in ("status", "status_effective_date", "status_changed_at", "status_change_deadline", "supersedes",
                  "superseded_by", "interpretation", "interpretation_of", "history"):
        if keep and field in keep:
            metadata[field] = keep[field]
    files = {"content.txt": (text.encode(), "text/plain; charset=utf-8")}
    if metadata["original"]:
        files[metadata["original"]] = (original, CONTENT_TYPES.get(extension, "application/octet-stream"))
    if not pair_interpretations:
        _write_item(storage.public, prefix, metadata, files, text, keep, now)
        return prefix
    others = [item for item in published_items(storage) if item.get("index_no") != index_no]
    policy = (read_metadata(storage.public, interprets) if interprets
              else find_policy(others, metadata.get("title")))
    interpretation = find_interpretation(others, metadata.get("title"))
    if policy:
        metadata["interpretation_of"] = policy["index_no"]
    if interpretation:
        metadata["interpretation"] = interpretation["index_no"]
    _write_item(storage.public, prefix, metadata, files, text, keep, now)
    # the other side of a policy–interpretation pair points back (seed 三(一): published together)
    if policy and policy.get("interpretation") != index_no:
        _rewrite(storage.public, {**policy, "interpretation": index_no}, now)
    if interpretation and interpretation.get("interpretation_of") != index_no:
        _rewrite(storage.public, {**interpretation, "interpretation_of": index_no}, now)
    return prefix


def link_interpretations(storage: Storage) -> int:
    """Pair every published 解读 with the policy it explains where neither points to the other yet (after a bulk
    write); returns how many pairs it made. One pass over the catalogue per 解读."""
    items = published_items(storage)
    made, now = 0, now_iso()
    for item in items:
        if item.get("interpretation_of") or interpreted_title(item.get("title")) is None:
            continue
        policy = find_policy([other for other in items if other is not item], item.get("title"))
        if policy is None or policy.get("interpretation"):
            continue
        _rewrite(storage.public, {**item, "interpretation_of": policy["index_no"]}, now)
        _rewrite(storage.public, {**policy, "interpretation": item["index_no"]}, now)
        policy["interpretation"] = item["index_no"]
        made += 1
    return made


def _write_item(store: ObjectStore, prefix: str, metadata: dict[str, Any],
                files: dict[str, tuple[bytes, str]], text: str, previous: dict[str, Any] | None, now: str) -> None:
    """Files first (original, text, HTML), metadata.json last; updated_at changes only when something did."""
    files = {**files, "content.html": (render_html(metadata, text).encode(), "text/html; charset=utf-8")}
    metadata["files"] = {name: {"sha256": sha256_of(data), "size": len(data)} for name, (data, _) in files.items()}
    unchanged = previous is not None and without(previous, "updated_at") == without(metadata, "updated_at")
    metadata["updated_at"] = previous["updated_at"] if unchanged and previous else now
    for name, (data, content_type) in files.items():
        store.put(f"{prefix}/{name}", data, content_type)
    put_json(store, f"{prefix}/metadata.json", metadata)


def read_metadata(store: ObjectStore, index_no: str) -> dict[str, Any] | None:
    try:
        return get_json(store, f"{item_prefix(index_no)}/metadata.json")
    except KeyError:
        return None


def summarise(text: str, body_start: int | None, title: str | None = None, limit: int = SUMMARY_CHARS) -> str:
    """内容概述: the first `limit` characters of the body after the header, whitespace collapsed."""
    body = "".join(body_lines(text, body_start, title)) or re.sub(r"\s+", "", text)
    if title and (at := body.find(title)) != -1 and at < 300:
        body = body[at + len(title):]
    body = re.sub(r"\s+", " ", body).strip()
    return body if len(body) <= limit else body[:limit].rstrip() + "…"


# --- lifecycle --------------------------------------------------------------------------------------

def set_status(storage: Storage, catalogue: Catalogue, index_no: str, status: str, by: str | None = None,
               effective: date | None = None, reason: str = "") -> dict[str, Any]:
    """已修改 / 已废止 / 失效 (or back to 有效): both items' metadata and HTML, then the catalogue and feed."""
    if status not in STATUSES:
        raise ValueError(f"状态须为 {'、'.join(STATUSES)} / status must be one of {STATUSES}")
    item = _require(storage, index_no)
    other = _require(storage, by) if by else None
    if by == index_no:
        raise ValueError("一个文件不能替代自己 / an item cannot supersede itself")
    now = now_iso()
    day = effective or china_date(now)
    if other is not None and index_no not in other.get("supersedes", []):
        other["supersedes"] = sorted({*other.get("supersedes", []), index_no})
        _rewrite(storage.public, other, now)
    if item.get("status") == status and item.get("superseded_by") == (by or item.get("superseded_by")):
        rebuild_catalogue(storage, catalogue)  # already done (a retry): finish what an interruption left
        return item
    item.update(status=status, status_effective_date=day.isoformat(), status_changed_at=now,
                status_change_deadline=deadline(STATUS_CHANGE, day).due.isoformat())
    if by:
        item["superseded_by"] = by
    item["history"] = [*item.get("history", []), {"event": "status", "at": now, "status": status,
                                                    **({"by": by} if by else {}), **({"reason": reason} if reason else {})}]
    _rewrite(storage.public, item, now)
    rebuild_catalogue(storage, catalogue)
    record_event(storage, "status_changed", item.get("sha256") or "", index_no=index_no, status=status,
                 superseded_by=by, reason=reason, effective=day.isoformat())
    return item


def withdraw(storage: Storage, catalogue: Catalogue, index_no: str, reason: str, by: str = "") -> str:
    """Take a mistaken publication out of the public bucket; its files and record go to private withdrawn/."""
    prefix = item_prefix(index_no)
    keys = storage.public.keys(f"{prefix}/")
    if not keys:
        raise LookupError(f"没有索引号为 {index_no} 的公开文件 / no public item {index_no}")
    now = now_iso()
    earlier = storage.private.keys(f"withdrawn/{index_slug(index_no)}/")
    if f"{prefix}/metadata.json" not in keys and earlier:  # a withdrawal that stopped halfway: finish it
        target = earlier[-1].rsplit("/", 1)[0]
    else:
        target = f"withdrawn/{index_slug(index_no)}/{now.replace(':', '').replace('+0000', 'Z')}"
        for key in keys:
            storage.private.put(f"{target}/{key.rsplit('/', 1)[1]}", storage.public.get(key))
        put_json(storage.private, f"{target}/withdrawal.json",
                 {"index_no": index_no, "reason": reason, "by": by, "at": now, "keys": keys})
    storage.public.delete(f"{prefix}/metadata.json")  # out of the catalogue first, then the files
    rebuild_catalogue(storage, catalogue)
    for key in keys:
        storage.public.delete(key)
    metadata = get_json(storage.private, f"{target}/metadata.json") if storage.private.exists(
        f"{target}/metadata.json") else {"index_no": index_no}
    if metadata.get("sha256"):
        set_registry_status(storage, metadata["sha256"], WITHDRAWN, item=target)
    record_event(storage, "withdrawn", metadata.get("sha256") or "", index_no=index_no, reason=reason, reviewer=by,
                 record=target)
    return target


def _require(storage: Storage, index_no: str) -> dict[str, Any]:
    metadata = read_metadata(storage.public, index_no)
    if metadata is None:
        raise LookupError(f"没有索引号为 {index_no} 的公开文件 / no public item {index_no}")
    return metadata


def _rewrite(store: ObjectStore, metadata: dict[str, Any], now: str) -> None:
    prefix = item_prefix(metadata["index_no"])
    text = store.get(f"{prefix}/content.txt").decode()
    previous = json.loads(json.dumps(metadata))
    previous["updated_at"] = None  # a status change is a change
    metadata.pop("files", None)
    html_data = render_html(metadata, text).encode()
    files = {name: info for name, info in previous.get("files", {}).items()}
    files["content.html"] = {"sha256": sha256_of(html_data), "size": len(html_data)}
    metadata["files"] = files
    metadata["updated_at"] = now
    store.put(f"{prefix}/content.html", html_data, "text/html; charset=utf-8")
    put_json(store, f"{prefix}/metadata.json", metadata)


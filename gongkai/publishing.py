"""Publishing: the layout the web team pulls from the public bucket, kept stable for years.

Public bucket (anonymous read, no listing):

    items/<索引号 slug>/original.<ext>   the approved file as submitted
    items/<索引号 slug>/content.txt      its text, personal data masked
    items/<索引号 slug>/content.html     the same as clean HTML5 (lang zh-CN, no scripts)
    items/<索引号 slug>/metadata.json    条例 第十二条 fields, status, relations, every file's sha256
    catalogue/topics/<topic key>.json    the current items of one topic
    catalogue/feed.atom                  publications and status changes, newest first
    catalogue/index.json                 every current item, plus the sha256 of every public object

The slug of 索引号 006939756/2026-00012 is 006939756-2026-00012. An item's files are written before
its metadata.json, and the catalogue is rebuilt from the metadata objects after that, so a reader
never finds a catalogue entry whose files are missing. The catalogue is rebuilt (not edited) and the
rebuild repeats until the metadata it read is still the metadata in the bucket after it wrote:
concurrent publishes lose no entry. index.json is written last and lists every public object with
its sha256 and size, which is what `pull` mirrors from (listing is not allowed anonymously).

Private bucket: index-numbers/<year>/<seq>.json (one object per number ever given, created only if
absent, so a number is never given twice), index-numbers/by-sha256/<sha256>.json (the number of a
file version: publishing it again reuses it), withdrawn/<slug>/<time>/… (a withdrawn item's files
and metadata, and withdrawal.json with the reason).

Object metadata stays ASCII; everything readable is in the UTF-8 objects themselves.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape
from zoneinfo import ZoneInfo

from gongkai.check import file_sha256
from gongkai.elements import parse_elements
from gongkai.interpretation import find_interpretation, find_policy
from gongkai.storage import LocalStore, ObjectStore, Storage, get_json, json_bytes, put_json
from gongkai.workdays import STATUS_CHANGE, deadline

if TYPE_CHECKING:
    from gongkai.catalogue import Catalogue
    from gongkai.check import DocumentCheck
    from gongkai.decisions import Decision
    from gongkai.intake import Claim

SCHEMA_VERSION = 1
VALID, AMENDED, REPEALED, EXPIRED = "有效", "已修改", "已废止", "失效"
STATUSES = (VALID, AMENDED, REPEALED, EXPIRED)
WITHDRAW = "withdraw"
SUMMARY_CHARS = 150
FEED_ENTRIES = 50
CHINA = ZoneInfo("Asia/Shanghai")

INDEX_KEY = "catalogue/index.json"
FEED_KEY = "catalogue/feed.atom"
TOPICS_PREFIX = "catalogue/topics/"
METADATA_CACHE_KEY = "cache/published-metadata.json"  # private bucket: see _all_metadata
_JSON = "application/json; charset=utf-8"
_CONTENT_TYPES = {".pdf": "application/pdf", ".docx": "application/vnd.openxmlformats-officedocument."
                  "wordprocessingml.document", ".doc": "application/msword", ".ofd": "application/ofd",
                  ".txt": "text/plain; charset=utf-8", ".wps": "application/vnd.ms-works"}


# --- 索引号 ---------------------------------------------------------------------------------------

def index_slug(index_no: str) -> str:
    """006939756/2026-00012 → 006939756-2026-00012 (URL-safe, stable)."""
    return re.sub(r"[^0-9A-Za-z-]", "-", index_no)


def item_prefix(index_no: str) -> str:
    return f"items/{index_slug(index_no)}"


def allocate_index_number(storage: Storage, organisation_code: str, year: int, sha256: str) -> str:
    """The 索引号 of this file version: its earlier number if it had one, else the next never-given number.

    Each number is an object created only if absent (atomic on both backends), so two publishers
    never take the same one; a number whose holder crashed before recording it is skipped, never reused.
    """
    mapping_key = f"index-numbers/by-sha256/{sha256}.json"
    try:
        return get_json(storage.private, mapping_key)["index_no"]
    except KeyError:
        pass
    taken = [int(match.group(1)) for key in storage.private.keys(f"index-numbers/{year}/")
             if (match := re.search(r"/(\d+)\.json$", key))]
    sequence = max(taken, default=0) + 1
    claim = json_bytes({"sha256": sha256, "allocated_at": _now()})
    while not storage.private.create(f"index-numbers/{year}/{sequence:05d}.json", claim, _JSON):
        sequence += 1
    index_no = f"{organisation_code}/{year}-{sequence:05d}"
    if not storage.private.create(mapping_key, json_bytes({"index_no": index_no}), _JSON):
        # the same version was published at the same moment elsewhere: its number stands, ours stays unused
        return get_json(storage.private, mapping_key)["index_no"]
    return index_no


# --- publishing one item ----------------------------------------------------------------------------

def publish_item(storage: Storage, claim: Claim, check: DocumentCheck, decision: Decision,
                 catalogue: Catalogue, base: dict[str, Any]) -> str:
    """Write the item's files, then its metadata, then rebuild the catalogue; returns the key prefix.

    Idempotent: the same approval published again gives byte-identical objects (its 索引号, dates,
    status and history are kept), and a publish interrupted anywhere completes on retry.
    Callers check publish_blockers first (decisions.publish does).
    """
    signed = check.elements.signed_date
    now = _now()
    index_no = allocate_index_number(storage, catalogue.organisation_code,
                                     (signed or _china_date(now)).year, claim.sha256)
    prefix = item_prefix(index_no)
    existing = read_metadata(storage.public, index_no)
    keep = existing if existing and existing.get("sha256") == claim.sha256 else None
    original = Path(claim.path)
    extension = original.suffix.lower() or ".bin"
    published_at = keep["published_at"] if keep else now
    due = base.get("publish_deadline")
    topic_name = None
    if decision.topic:
        try:
            topic_name = catalogue.topic(decision.topic).name
        except KeyError:
            topic_name = None
    metadata: dict[str, Any] = {
        **base,
        "schema_version": SCHEMA_VERSION,
        "index_no": index_no,
        "summary": summarise(check.text, base.get("title")),
        "topic_name": topic_name,
        "department": catalogue.department,
        "attachments": list(check.elements.attachments),
        "published_at": published_at,
        "deadline_met": (_china_date(published_at) <= date.fromisoformat(due)) if due else None,
        "status": VALID,
        "status_effective_date": None,
        "status_changed_at": None,
        "status_change_deadline": None,
        "supersedes": [],
        "superseded_by": None,
        "interpretation": None,
        "interpretation_of": None,
        "history": [{"event": "published", "at": published_at, "status": VALID}],
    }
    for field in ("status", "status_effective_date", "status_changed_at", "status_change_deadline", "supersedes",
                  "superseded_by", "interpretation", "interpretation_of", "history"):
        if keep and field in keep:
            metadata[field] = keep[field]
    others = [item for item in published_items(storage) if item.get("index_no") != index_no]
    policy = (read_metadata(storage.public, decision.interprets) if decision.interprets
              else find_policy(others, metadata.get("title")))
    interpretation = find_interpretation(others, metadata.get("title"))
    if policy:
        metadata["interpretation_of"] = policy["index_no"]
    if interpretation:
        metadata["interpretation"] = interpretation["index_no"]
    files = {f"original{extension}": (original.read_bytes(), _CONTENT_TYPES.get(extension,
                                                                                "application/octet-stream")),
             "content.txt": (check.text.encode(), "text/plain; charset=utf-8")}
    _write_item(storage.public, prefix, metadata, files, check.text, keep, now)
    # the other side of a policy–interpretation pair points back (seed 三(一): published together)
    if policy and policy.get("interpretation") != index_no:
        _rewrite(storage.public, {**policy, "interpretation": index_no}, now)
    if interpretation and interpretation.get("interpretation_of") != index_no:
        _rewrite(storage.public, {**interpretation, "interpretation_of": index_no}, now)
    rebuild_catalogue(storage, catalogue)
    return prefix


def _write_item(store: ObjectStore, prefix: str, metadata: dict[str, Any],
                files: dict[str, tuple[bytes, str]], text: str, previous: dict[str, Any] | None, now: str) -> None:
    """Files first (original, text, HTML), metadata.json last; updated_at changes only when something did."""
    files = {**files, "content.html": (render_html(metadata, text).encode(), "text/html; charset=utf-8")}
    metadata["files"] = {name: {"sha256": _sha256(data), "size": len(data)} for name, (data, _) in files.items()}
    unchanged = previous is not None and _without(previous, "updated_at") == _without(metadata, "updated_at")
    metadata["updated_at"] = previous["updated_at"] if unchanged and previous else now
    for name, (data, content_type) in files.items():
        store.put(f"{prefix}/{name}", data, content_type)
    put_json(store, f"{prefix}/metadata.json", metadata)


def read_metadata(store: ObjectStore, index_no: str) -> dict[str, Any] | None:
    try:
        return get_json(store, f"{item_prefix(index_no)}/metadata.json")
    except KeyError:
        return None


def summarise(text: str, title: str | None = None, limit: int = SUMMARY_CHARS) -> str:
    """内容概述: the first `limit` characters of the body after the header, whitespace collapsed."""
    body = "".join(body_lines(text, title)) or re.sub(r"\s+", "", text)
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
    now = _now()
    day = effective or _china_date(now)
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
    _audit(storage, "status_changed", item, status=status, superseded_by=by, reason=reason,
           effective=day.isoformat())
    return item


def withdraw(storage: Storage, catalogue: Catalogue, index_no: str, reason: str, by: str = "") -> str:
    """Take a mistaken publication out of the public bucket; its files and record go to private withdrawn/."""
    prefix = item_prefix(index_no)
    keys = storage.public.keys(f"{prefix}/")
    if not keys:
        raise LookupError(f"没有索引号为 {index_no} 的公开文件 / no public item {index_no}")
    now = _now()
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
        registry = f"registry/{metadata['sha256']}.json"
        record = get_json(storage.private, registry) if storage.private.exists(registry) else {}
        put_json(storage.private, registry, {**record, "status": "withdrawn", "updated_at": now, "item": target})
    _audit(storage, "withdrawn", metadata, reason=reason, reviewer=by, record=target)
    return target


def _audit(storage: Storage, event: str, metadata: dict[str, Any], **details: Any) -> None:
    """One entry in the audit ledger (gongkai.decisions), for the file version behind the item."""
    from gongkai.decisions import audit
    from gongkai.intake import Claim

    claim = Claim(sha256=metadata.get("sha256") or "", name=metadata.get("original_name") or "", office="",
                  path="", received_at="")
    audit(storage, event, claim, index_no=metadata.get("index_no"), **details)


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
    files["content.html"] = {"sha256": _sha256(html_data), "size": len(html_data)}
    metadata["files"] = files
    metadata["updated_at"] = now
    store.put(f"{prefix}/content.html", html_data, "text/html; charset=utf-8")
    put_json(store, f"{prefix}/metadata.json", metadata)


# --- catalogue and feed -----------------------------------------------------------------------------

def rebuild_catalogue(storage: Storage, catalogue: Catalogue, attempts: int = 20) -> dict[str, Any]:
    """Topics, feed, then index.json, all from the item metadata; again until no publish slipped in between."""
    index: dict[str, Any] = {}
    for _ in range(attempts):
        items = _all_metadata(storage)
        index = _write_catalogue(storage.public, catalogue, items)
        if _all_metadata(storage) == items:
            break
    return index


def _all_metadata(storage: Storage) -> dict[str, bytes]:
    """Every item's metadata.json. One listing, then only the objects whose version changed since the copy
    kept in the private bucket (METADATA_CACHE_KEY) are read: a catalogue of thousands of items is rebuilt
    on every publish. The copy is only a shortcut: an entry is used only when its version still matches."""
    listed = {key: version for key, version in storage.public.versions("items/").items()
              if key.endswith("/metadata.json")}
    try:
        cached = get_json(storage.private, METADATA_CACHE_KEY)
    except (KeyError, ValueError):  # none yet, or unreadable: read everything, write a new one
        cached = {}
    found, fresh = {}, 0
    for key, version in listed.items():
        entry = cached.get(key)
        if entry and entry.get("version") == version:
            found[key] = entry["metadata"].encode()
            continue
        try:
            found[key] = storage.public.get(key)
        except KeyError:  # withdrawn between the listing and the read
            continue
        fresh += 1
    if fresh or set(cached) != set(found):
        put_json(storage.private, METADATA_CACHE_KEY,
                 {key: {"version": listed[key], "metadata": raw.decode()} for key, raw in found.items()})
    return found


def published_items(storage: Storage) -> list[dict[str, Any]]:
    """The metadata of every item in the public bucket."""
    return [json.loads(raw) for raw in _all_metadata(storage).values()]


def _write_catalogue(store: ObjectStore, catalogue: Catalogue, raw: dict[str, bytes]) -> dict[str, Any]:
    items = sorted((json.loads(data) for data in raw.values()), key=lambda item: item["index_no"])
    entries = [_entry(item, raw[f"{item_prefix(item['index_no'])}/metadata.json"]) for item in items]
    updated = max((item["updated_at"] for item in items), default="1970-01-01T00:00:00+00:00")
    written: dict[str, bytes] = {}
    topics = [topic.key for topic in catalogue.topics]
    topics += sorted({item["topic"] for item in items if item.get("topic") and item["topic"] not in topics})
    for key in topics:
        name = next((topic.name for topic in catalogue.topics if topic.key == key), None)
        data = json_bytes({"schema_version": SCHEMA_VERSION, "topic": key, "name": name,
                            "items": [entry for entry in entries if entry["topic"] == key]})
        written[f"{TOPICS_PREFIX}{key}.json"] = data
    written[FEED_KEY] = render_feed(items, catalogue, updated).encode()
    for key, data in written.items():
        store.put(key, data, "application/atom+xml; charset=utf-8" if key == FEED_KEY else _JSON)
    for key in store.keys(TOPICS_PREFIX):
        if key not in written:
            store.delete(key)
    index = {"schema_version": SCHEMA_VERSION, "department": catalogue.department,
             "organisation_code": catalogue.organisation_code, "updated_at": updated, "count": len(entries),
             "items": entries,
             "files": {key: {"sha256": _sha256(data), "size": len(data)} for key, data in sorted(written.items())}}
    put_json(store, INDEX_KEY, index)  # last: everything it names is already there
    return index


def _entry(item: dict[str, Any], metadata_bytes: bytes) -> dict[str, Any]:
    prefix = item_prefix(item["index_no"])
    files = {f"{prefix}/{name}": info for name, info in sorted(item.get("files", {}).items())}
    files[f"{prefix}/metadata.json"] = {"sha256": _sha256(metadata_bytes), "size": len(metadata_bytes)}
    return {field: item.get(field) for field in (
        "index_no", "title", "doc_number", "doc_type", "issuer", "signed_date", "summary", "topic", "category",
        "status", "supersedes", "superseded_by", "published_at", "updated_at")} | {
        "path": f"{prefix}/", "files": dict(sorted(files.items()))}


def feed_events(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    events = [{**event, "index_no": item["index_no"], "title": item.get("title"), "number": number}
              for item in items for number, event in enumerate(item.get("history", []))]
    events.sort(key=lambda event: (event["at"], event["index_no"], event["number"]), reverse=True)
    return events[:FEED_ENTRIES]


def render_feed(items: list[dict[str, Any]], catalogue: Catalogue, updated: str) -> str:
    """Atom 1.0. Links are absolute under the catalogue's public_base_url; without one they are relative to
    the feed (catalogue/feed.atom), which some readers cannot follow."""
    esc = xml_escape
    base = str(catalogue.public_base_url).rstrip("/") + "/" if catalogue.public_base_url else None
    self_link = f"{base}{FEED_KEY}" if base else "feed.atom"
    item_base = f"{base}items/" if base else "../items/"
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
             f"  <id>tag:gongkai,2026:{esc(catalogue.organisation_code)}/feed</id>",
             f"  <title>{esc(catalogue.department)} 政府信息公开 / publications and status changes</title>",
             f"  <updated>{esc(updated)}</updated>",
             f"  <author><name>{esc(catalogue.department)}</name></author>",
             f'  <link rel="self" href="{esc(self_link)}"/>']
    for event in feed_events(items):
        slug = index_slug(event["index_no"])
        kind = "发布" if event["event"] == "published" else event.get("status", event["event"])
        lines += ["  <entry>",
                  f"    <id>tag:gongkai,2026:{esc(slug)}/{event['number']}</id>",
                  f"    <title>{esc(kind)}：{esc(event.get('title') or event['index_no'])}</title>",
                  f"    <updated>{esc(event['at'])}</updated>",
                  f'    <link rel="alternate" type="text/html" href="{esc(item_base)}{esc(slug)}/content.html"/>',
                  f'    <category term="{esc(event["event"])}" label="{esc(kind)}"/>',
                  f"    <summary>{esc(event['index_no'])} {esc(kind)}"
                  + (f"，由 {esc(event['by'])} 替代" if event.get("by") else "") + "</summary>",
                  "  </entry>"]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


# --- HTML -------------------------------------------------------------------------------------------

_H2 = re.compile(r"^(?:[一二三四五六七八九十百]+、|第[一二三四五六七八九十百]+[章部分])")
_H3 = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_DATE_LINE = re.compile(r"^(?:\d{4}|[〇○零一二三四五六七八九]{4})年[\d〇○零一二三四五六七八九十]{1,3}月"
                        r"[\d〇○零一二三四五六七八九十]{1,3}日$")
_LABEL_LINE = re.compile(r"^[（(]?此件.{0,20}公开")


# Lines that belong to the page or the 版记, not to the text: page numbers, 抄送, the 印发 line, 共印 N 份.
_NOT_BODY = re.compile(r"^(?:[—\-－]\s*[\d０-９]+\s*[—\-－]|抄\s*送\s*[:：]|共印\s*[\d０-９]|.{2,40}\d{4}\s*年.{1,6}印\s*发$)")


def body_lines(text: str, title: str | None, doc_number: str | None = None,
               issuer: str | None = None) -> list[str]:
    """The body: from the 主送机关 the parser found (else after the 版头, 发文字号 and title lines), without
    page numbers and 版记 lines, and without the closing issuer, date and label."""
    body_start = parse_elements(text).body_start
    if body_start is not None:
        lines = [line.strip() for line in text[body_start:].splitlines() if line.strip()]
    else:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        start = 0
        for number, line in enumerate(lines[:25]):
            if (doc_number and doc_number in line and len(line) < 40) or (title and len(line) >= 2
                                                                          and title.endswith(line)):
                start = number + 1  # the last header line (number or the title's last line) closes the header
        lines = lines[start:]
    body = [line for line in lines if not _NOT_BODY.match(line)]
    issuers = set(re.split(r"[、，,\s]+", issuer)) if issuer else set()
    while body and (_DATE_LINE.match(body[-1]) or _LABEL_LINE.match(body[-1]) or body[-1] in issuers):
        body.pop()
    return body


# Formats whose text comes in the page's lines, not in paragraphs.
_WRAPPED_FORMATS = (".pdf", ".ofd")
_PARAGRAPH_END = tuple("。！？；：:;!?")
_NEW_ITEM = re.compile(r"^(?:[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.．、]|第[一二三四五六七八九十百]+[章条节])")
_FULL_LINE = 0.8  # of the page's line width: shorter lines end a paragraph (or are headings)


def _display_width(line: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.5 for char in line)


def unwrap(lines: list[str]) -> list[str]:
    """Join lines a page wrapped back into paragraphs: a line as wide as the page's lines that does not end
    a sentence continues on the next, unless the next starts a numbered item (一、 （一） 1. 第一条)."""
    widths = sorted(_display_width(line) for line in lines)
    if not widths:
        return []
    full = _FULL_LINE * widths[int(0.9 * (len(widths) - 1))]
    paragraphs: list[str] = []
    last_width = 0.0
    for line in lines:
        if paragraphs and last_width >= full and not paragraphs[-1].endswith(_PARAGRAPH_END) \
                and not _NEW_ITEM.match(line):
            paragraphs[-1] += line
        else:
            paragraphs.append(line)
        last_width = _display_width(line)
    return paragraphs


def render_html(metadata: dict[str, Any], text: str) -> str:
    """Semantic HTML5 of one item: escaped, no scripts, no styles beyond what the web team adds."""
    esc = html.escape
    title = metadata.get("title") or metadata.get("original_name") or metadata.get("index_no") or ""
    out = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{esc(title)}</title>"]
    if metadata.get("summary"):
        out.append(f'<meta name="description" content="{esc(metadata["summary"])}">')
    out += ["</head>", "<body>", "<article>", "<header>", f"<h1>{esc(title)}</h1>"]
    if metadata.get("doc_number"):
        out.append(f'<p class="doc-number">{esc(metadata["doc_number"])}</p>')
    out.append('<dl class="metadata">')
    rows: list[tuple[str, str]] = [("索引号", esc(metadata.get("index_no") or ""))]
    if metadata.get("issuer"):
        rows.append(("发布机构", esc(metadata["issuer"])))
    if metadata.get("signed_date"):
        rows.append(("成文日期", _time(metadata["signed_date"])))
    if metadata.get("doc_type"):
        rows.append(("文种", esc(metadata["doc_type"])))
    if metadata.get("topic_name"):
        rows.append(("主题分类", esc(metadata["topic_name"])))
    rows.append(("效力状态", esc(metadata.get("status") or VALID)))
    if metadata.get("interpretation"):
        rows.append(("政策解读", _item_link(metadata["interpretation"])))
    if metadata.get("interpretation_of"):
        rows.append(("解读的文件", _item_link(metadata["interpretation_of"])))
    if metadata.get("superseded_by"):
        rows.append(("替代文件", _item_link(metadata["superseded_by"])))
    for supersedes in metadata.get("supersedes") or []:
        rows.append(("所替代文件", _item_link(supersedes)))
    out += [f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows]
    out += ["</dl>", "</header>", '<section class="body">']
    lines = body_lines(text, metadata.get("title"), metadata.get("doc_number"), metadata.get("issuer"))
    if Path(metadata.get("original_name") or "").suffix.lower() in _WRAPPED_FORMATS:
        lines = unwrap(lines)
    for line in lines:
        short = len(line) <= 40 and not line.endswith(("。", "；", "：", ":"))
        tag = "h2" if short and _H2.match(line) else "h3" if short and _H3.match(line) else "p"
        out.append(f"<{tag}>{esc(line)}</{tag}>")
    out.append("</section>")
    if metadata.get("attachments"):
        out += ['<section class="attachments">', "<h2>附件</h2>", "<ol>"]
        out += [f"<li>{esc(name)}</li>" for name in metadata["attachments"]]
        out += ["</ol>", "</section>"]
    out.append("<footer>")
    if metadata.get("issuer"):
        out.append(f'<p class="issuer">{esc(metadata["issuer"])}</p>')
    if metadata.get("signed_date"):
        out.append(f'<p class="date">{_time(metadata["signed_date"])}</p>')
    out += ["</footer>", "</article>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _time(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f'<time datetime="{day.isoformat()}">{day.year}年{day.month}月{day.day}日</time>'


def _item_link(index_no: str) -> str:
    return f'<a href="../{html.escape(index_slug(index_no))}/content.html">{html.escape(index_no)}</a>'


# --- pull -------------------------------------------------------------------------------------------

MANIFEST = ".gongkai-pull.json"


@dataclass
class PullResult:
    transferred: int = 0
    unchanged: int = 0
    deleted: int = 0
    bytes: int = 0


def pull(store: ObjectStore, dest: Path, since: datetime | None = None, save_every: int = 50) -> PullResult:
    """Mirror the public bucket into `dest` from catalogue/index.json: only objects whose sha256 differs move.

    `dest` is written as a local-folder store (each file to a temporary name, then renamed; keys cannot
    escape it); the manifest (key → sha256, size) is saved as it goes, and a file the manifest does not
    know is hashed before it is fetched again, so an interrupted run resumes. With `since`, only items
    updated since then are looked at (none deleted).
    """
    mirror = LocalStore(dest.parent, dest.name)
    index_bytes = store.get(INDEX_KEY)
    index = json.loads(index_bytes)
    wanted: dict[str, str] = {key: info["sha256"] for key, info in index["files"].items()}
    for entry in index["items"]:
        if since is None or datetime.fromisoformat(entry["updated_at"]) >= since:
            wanted.update({key: info["sha256"] for key, info in entry["files"].items()})
    manifest = _load_manifest(mirror)
    result, pending = PullResult(), 0
    for key, sha256 in sorted(wanted.items()) + [(INDEX_KEY, _sha256(index_bytes))]:
        path = mirror.path(key)
        known = manifest.get(key)
        if path.is_file() and ((known and known["sha256"] == sha256 and known["size"] == path.stat().st_size)
                               or file_sha256(path) == sha256):
            manifest[key] = {"sha256": sha256, "size": path.stat().st_size}
            result.unchanged += 1
            continue
        data = index_bytes if key == INDEX_KEY else store.get(key)
        mirror.put(key, data)
        manifest[key] = {"sha256": _sha256(data), "size": len(data)}
        result.transferred += 1
        result.bytes += len(data)
        pending += 1
        if pending >= save_every:
            mirror.put(MANIFEST, json_bytes(manifest))
            pending = 0
    if since is None:
        for key in sorted(set(manifest) - set(wanted) - {INDEX_KEY}):
            mirror.delete(key)
            del manifest[key]
            result.deleted += 1
    mirror.put(MANIFEST, json_bytes(manifest))
    return result


def _load_manifest(mirror: LocalStore) -> dict[str, dict[str, Any]]:
    try:
        manifest = json.loads(mirror.get(MANIFEST))
    except (KeyError, ValueError):  # missing or cut short: every local file is verified by its hash instead
        return {}
    return manifest if isinstance(manifest, dict) else {}


# --- helpers ----------------------------------------------------------------------------------------

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _without(value: dict[str, Any], field: str) -> dict[str, Any]:
    return {key: item for key, item in value.items() if key != field}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _china_date(iso: str) -> date:
    return datetime.fromisoformat(iso).astimezone(CHINA).date()

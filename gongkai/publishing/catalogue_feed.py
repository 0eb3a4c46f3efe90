"""The catalogue (index.json, one file per topic) and the Atom feed, rebuilt from the items' metadata."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape

from gongkai.publishing.index_numbers import index_slug, item_prefix
from gongkai.publishing.layout import (
    FEED_ENTRIES,
    FEED_KEY,
    INDEX_KEY,
    JSON_TYPE,
    METADATA_CACHE_KEY,
    SCHEMA_VERSION,
    TOPICS_PREFIX,
    sha256_of,
)
from gongkai.storage import ObjectStore, Storage, get_json, json_bytes, put_json

if TYPE_CHECKING:
    from gongkai.catalogue import Catalogue

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
        store.put(key, data, "application/atom+xml; charset=utf-8" if key == FEED_KEY else JSON_TYPE)
    for key in store.keys(TOPICS_PREFIX):
        if key not in written:
            store.delete(key)
    index = {"schema_version": SCHEMA_VERSION, "department": catalogue.department,
             "organisation_code": catalogue.organisation_code, "updated_at": updated, "count": len(entries),
             "items": entries,
             "files": {key: {"sha256": sha256_of(data), "size": len(data)} for key, data in sorted(written.items())}}
    put_json(store, INDEX_KEY, index)  # last: everything it names is already there
    return index


def _entry(item: dict[str, Any], metadata_bytes: bytes) -> dict[str, Any]:
    prefix = item_prefix(item["index_no"])
    files = {f"{prefix}/{name}": info for name, info in sorted(item.get("files", {}).items())}
    files[f"{prefix}/metadata.json"] = {"sha256": sha256_of(metadata_bytes), "size": len(metadata_bytes)}
    return {field: item.get(field) for field in (
        "index_no", "title", "doc_number", "doc_type", "issuer", "signed_date", "summary", "topic", "category",
        "status", "supersedes", "superseded_by", "published_at", "updated_at")} | {
        "path": f"{prefix}/", "files": dict(sorted(files.items()))}


# Characters XML 1.0 does not allow anywhere, even escaped: a title holding one would break every reader.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _esc(text: str) -> str:
    """Text for the feed: characters XML forbids dropped, markup escaped (attribute quotes too)."""
    return xml_escape(_NOT_XML.sub("", text), {'"': "&quot;"})


def feed_events(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    events = [{**event, "index_no": item["index_no"], "title": item.get("title"), "number": number}
              for item in items for number, event in enumerate(item.get("history", []))]
    events.sort(key=lambda event: (event["at"], event["index_no"], event["number"]), reverse=True)
    return events[:FEED_ENTRIES]


def render_feed(items: list[dict[str, Any]], catalogue: Catalogue, updated: str) -> str:
    """Atom 1.0. Links are absolute under the catalogue's public_base_url; without one they are relative to
    the feed (catalogue/feed.atom), which some readers cannot follow."""
    base = str(catalogue.public_base_url).rstrip("/") + "/" if catalogue.public_base_url else None
    self_link = f"{base}{FEED_KEY}" if base else "feed.atom"
    item_base = f"{base}items/" if base else "../items/"
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
             f"  <id>tag:gongkai,2026:{_esc(catalogue.organisation_code)}/feed</id>",
             f"  <title>{_esc(catalogue.department)} 政府信息公开 / publications and status changes</title>",
             f"  <updated>{_esc(updated)}</updated>",
             f"  <author><name>{_esc(catalogue.department)}</name></author>",
             f'  <link rel="self" href="{_esc(self_link)}"/>']
    for event in feed_events(items):
        slug = index_slug(event["index_no"])
        kind = "发布" if event["event"] == "published" else event.get("status", event["event"])
        lines += ["  <entry>",
                  f"    <id>tag:gongkai,2026:{_esc(slug)}/{event['number']}</id>",
                  f"    <title>{_esc(kind)}：{_esc(event.get('title') or event['index_no'])}</title>",
                  f"    <updated>{_esc(event['at'])}</updated>",
                  f'    <link rel="alternate" type="text/html" href="{_esc(item_base)}{_esc(slug)}/content.html"/>',
                  f'    <category term="{_esc(event["event"])}" label="{_esc(kind)}"/>',
                  f"    <summary>{_esc(event['index_no'])} {_esc(kind)}"
                  + (f"，由 {_esc(event['by'])} 替代" if event.get("by") else "") + "</summary>",
                  "  </entry>"]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


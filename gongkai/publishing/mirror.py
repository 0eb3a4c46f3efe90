"""`gongkai pull`: mirror the public bucket into a folder, moving only what changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gongkai.document.check import file_sha256
from gongkai.publishing.layout import INDEX_KEY, sha256_of
from gongkai.storage import LocalStore, ObjectStore, json_bytes

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
    mirror = LocalStore(dest.parent, dest.name, public=True)  # the web team serves it
    index_bytes = store.get(INDEX_KEY)
    index = json.loads(index_bytes)
    wanted: dict[str, str] = {key: info["sha256"] for key, info in index["files"].items()}
    for entry in index["items"]:
        if since is None or datetime.fromisoformat(entry["updated_at"]) >= since:
            wanted.update({key: info["sha256"] for key, info in entry["files"].items()})
    manifest = _load_manifest(mirror)
    result, pending = PullResult(), 0
    for key, sha256 in sorted(wanted.items()) + [(INDEX_KEY, sha256_of(index_bytes))]:
        path = mirror.path(key)
        known = manifest.get(key)
        if path.is_file() and ((known and known["sha256"] == sha256 and known["size"] == path.stat().st_size)
                               or file_sha256(path) == sha256):
            manifest[key] = {"sha256": sha256, "size": path.stat().st_size}
            result.unchanged += 1
            continue
        data = index_bytes if key == INDEX_KEY else store.get(key)
        mirror.put(key, data)
        manifest[key] = {"sha256": sha256_of(data), "size": len(data)}
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


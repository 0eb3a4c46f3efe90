"""索引号: one per published file version, never given twice, never reused."""

from __future__ import annotations

import re

from gongkai.publishing.layout import JSON_TYPE, now_iso
from gongkai.storage import Storage, get_json, json_bytes


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
    claim = json_bytes({"sha256": sha256, "allocated_at": now_iso()})
    while not storage.private.create(f"index-numbers/{year}/{sequence:05d}.json", claim, JSON_TYPE):
        sequence += 1
    index_no = f"{organisation_code}/{year}-{sequence:05d}"
    if not storage.private.create(mapping_key, json_bytes({"index_no": index_no}), JSON_TYPE):
        # the same version was published at the same moment elsewhere: its number stands, ours stays unused
        return get_json(storage.private, mapping_key)["index_no"]
    return index_no



def reserve_index_number(storage: Storage, organisation_code: str, index_no: str, sha256: str) -> str:
    """Hold a 索引号 the department gave in the past (a back-catalogue import) for this file version; returns the
    version's number (an earlier one if it has one already). ValueError when another version holds it. A number
    of the form gongkai allocates (<organisation code>/<year>-<sequence>) is also taken from the sequence, so a
    new publication never gets it."""
    mapping_key = f"index-numbers/by-sha256/{sha256}.json"
    try:
        return get_json(storage.private, mapping_key)["index_no"]
    except KeyError:
        pass
    claim = json_bytes({"sha256": sha256, "index_no": index_no, "allocated_at": now_iso()})
    keys = [f"index-numbers/given/{index_slug(index_no)}.json"]
    if match := re.fullmatch(rf"{re.escape(organisation_code)}/(\d{{4}})-(\d{{1,5}})", index_no):
        keys.append(f"index-numbers/{match.group(1)}/{int(match.group(2)):05d}.json")
    for key in keys:
        if not storage.private.create(key, claim, JSON_TYPE) and get_json(storage.private, key)["sha256"] != sha256:
            raise ValueError(f"索引号 {index_no} 已用于另一份文件 / the 索引号 {index_no} belongs to another document")
    if not storage.private.create(mapping_key, json_bytes({"index_no": index_no}), JSON_TYPE):
        return get_json(storage.private, mapping_key)["index_no"]
    return index_no

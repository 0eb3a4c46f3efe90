"""The storage-key contract with the web team: keys, schema version, statuses, and the small helpers every
publishing module shares (see the package docstring for the layout itself)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

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
JSON_TYPE = "application/json; charset=utf-8"
# By the sniffed extension of a published original (gongkai.extractors.file_extension): never the drafter's.
CONTENT_TYPES = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument."
                 "wordprocessingml.document", "doc": "application/msword", "ofd": "application/ofd",
                 "txt": "text/plain; charset=utf-8", "wps": "application/vnd.ms-works", "png": "image/png",
                 "jpg": "image/jpeg", "tif": "image/tiff", "bmp": "image/bmp"}


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def without(value: dict[str, Any], field: str) -> dict[str, Any]:
    return {key: item for key, item in value.items() if key != field}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def china_date(iso: str) -> date:
    return datetime.fromisoformat(iso).astimezone(CHINA).date()

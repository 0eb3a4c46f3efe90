"""Intake: notice files in the inbox, wait until they stop growing, claim each one atomically.

A claim moves the file (one rename on the same filesystem: the bytes are never rewritten) into
the processing area under its content hash, so two watchers never take the same file and a
half-copied file is never read. Temporary and lock files of office suites are never touched.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gongkai.document.check import file_sha256

# Office lock and temporary files, partial downloads, editor swap files.
_IGNORED = ("~$*", ".~lock.*", "*.tmp", "~*.tmp", "*.crdownload", "*.part", "*.partial", "*.swp", "*~")


def is_ignored(relative: Path) -> bool:
    """Hidden or temporary files, and anything inside a hidden folder."""
    return any(part.startswith(".") or any(fnmatch.fnmatch(part, pattern) for pattern in _IGNORED)
               for part in relative.parts)


@dataclass(frozen=True)
class Claim:
    """A file taken from the inbox. `office` is its subfolder in the inbox ('' at the top)."""

    sha256: str
    name: str
    office: str
    path: str  # where the file now lies, in the processing area
    received_at: str  # ISO 8601, UTC

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Claim:
        return cls(**data)


class Inbox:
    """Scans an inbox folder; a file is ready once its size and mtime held still for `stable_seconds`."""

    def __init__(self, inbox: Path, processing: Path, stable_seconds: float) -> None:
        self.inbox = inbox
        self.processing = processing
        self.stable_seconds = stable_seconds
        self._last_seen: dict[Path, tuple[int, int, float]] = {}  # path -> (size, mtime_ns, since)

    def ready_files(self, now: float) -> list[Path]:
        ready, seen = [], {}
        for path in sorted(self.inbox.rglob("*")):
            if not path.is_file() or is_ignored(path.relative_to(self.inbox)):
                continue
            stat = path.stat()
            previous = self._last_seen.get(path)
            since = previous[2] if previous and previous[:2] == (stat.st_size, stat.st_mtime_ns) else now
            seen[path] = (stat.st_size, stat.st_mtime_ns, since)
            if now - since >= self.stable_seconds:
                ready.append(path)
        self._last_seen = seen
        return ready

    @property
    def waiting(self) -> bool:
        """Files were seen that are not claimed yet (still settling)."""
        return bool(self._last_seen)

    def claim(self, path: Path) -> Claim:
        """Move `path` into processing/<sha256>/<its inbox subfolder>/; raises FileNotFoundError if another
        watcher took it. The subfolder stays in the path so that a claim recovered after a crash keeps it."""
        sha256 = file_sha256(path)
        office = path.parent.relative_to(self.inbox).as_posix()
        target_dir = self.processing / sha256 / ("" if office == "." else office)
        target_dir.mkdir(parents=True, exist_ok=True)
        target = _free_name(target_dir / path.name)
        os.rename(path, target)  # atomic: exactly one watcher wins, the file is never half-moved
        self._last_seen.pop(path, None)
        return Claim(sha256=sha256, name=path.name, office="" if office == "." else office, path=str(target),
                     received_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def claimed_files(processing: Path) -> list[Claim]:
    """Every file in the processing area (processing/<sha256>/<office…>/<name>), as claims."""
    claims = []
    for path in sorted(processing.glob("*/**/*")):
        if path.is_file() and not is_ignored(Path(path.name)):
            sha256, *office, _ = path.relative_to(processing).parts
            received = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
            claims.append(Claim(sha256=sha256, name=path.name, office="/".join(office), path=str(path),
                                received_at=received))
    return claims


def _free_name(target: Path) -> Path:
    """The same content dropped twice keeps both files: 通知.docx, 通知 (2).docx."""
    candidate, number = target, 2
    while candidate.exists():
        candidate = target.with_name(f"{target.stem} ({number}){target.suffix}")
        number += 1
    return candidate

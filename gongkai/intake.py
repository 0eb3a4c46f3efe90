"""Intake: take regular files from the inbox, one at a time, and keep an immutable snapshot of each.

The inbox is hostile ground. Only regular files that live in it are taken: a symbolic link, a link to a
folder, a FIFO or a device is never opened or followed; it goes back to the drafter as it is (the link,
not what it points at) with a note. A file is taken once its size and modification time held still for
a while, then claimed in steps that lose nothing:

1. its inbox name is renamed into processing/.claiming/ (atomic: exactly one watcher wins); a note of
   where it came from lies beside it, so an interrupted claim puts it back. When the inbox is another file
   system (compose's bind mount, a network share: a rename cannot cross), the file is renamed into the
   inbox's own hidden .gongkai-claiming/ instead, and the note says so;
2. it is opened without following links, its bytes are read once, and the snapshot is stored in the
   private bucket under their sha256 (staging/<sha256>/original.<sniffed extension>). Every later stage —
   the check, the review page's link, the publish — reads that snapshot, never the inbox path, and the
   publish hashes it again;
3. the drafter's file is kept in processing/<sha256>/<inbox subfolder>/. A file with other hard links, or
   one held on the inbox's file system, is copied there instead (the bytes read in step 2); the inbox name
   is then removed.

Names are data. A file name can hold personal data, control characters, U+202E, hundreds of bytes:
outside the processing area a file is known by `display_name` (personal data masked, invisible characters
replaced, length capped), and no name is used to build a path outside the processing area without
passing through it. Office lock files, temporary files and hidden files are never touched.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import json
import os
import re
import stat
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gongkai.document.pii import find_personal_data, mask
from gongkai.extractors import HEAD_BYTES, file_extension, sniff_format
from gongkai.storage import Storage

# Office lock and temporary files, partial downloads, editor swap files.
_IGNORED = ("~$*", ".~lock.*", "*.tmp", "~*.tmp", "*.crdownload", "*.part", "*.partial", "*.swp", "*~")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_EXTENSION = re.compile(r"[a-z0-9]{1,5}")
_NAME_BYTES = 150  # a shown name, in UTF-8: room for " (2)" and ".问题说明.txt" within a file system's 255
_OFFICE_PART_BYTES = 120
_MAX_DEPTH = 8  # inbox subfolders deeper than this are not searched
CLAIMING = ".claiming"  # inside the processing area: files between their rename and their final place
HOLDING = ".gongkai-claiming"  # inside the inbox, when it is another file system than the processing area


def is_ignored(relative: Path) -> bool:
    """Hidden or temporary files, and anything inside a hidden folder."""
    return any(part.startswith(".") or any(fnmatch.fnmatch(part, pattern) for pattern in _IGNORED)
               for part in relative.parts)


def display_name(name: str) -> str:
    """A file or folder name as gongkai shows and stores it: personal data masked (张三110105********0029.docx),
    control, format and unpaired surrogate characters replaced by U+FFFD, separators made harmless, at most
    _NAME_BYTES bytes (the extension kept)."""
    shown = "".join("\ufffd" if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") else char
                    for char in name)
    shown = mask(shown, find_personal_data(shown)).replace("/", "／").replace("\\", "＼")
    if shown.strip(". ") == "":
        shown = "未命名 unnamed"
    if len(shown.encode()) > _NAME_BYTES:
        stem, dot, suffix = shown.rpartition(".")
        suffix = f".{suffix}" if dot and len(suffix) <= 8 else ""
        stem = shown[: len(shown) - len(suffix)]
        while len((stem + "…" + suffix).encode()) > _NAME_BYTES:
            stem = stem[:-1]
        shown = stem + "…" + suffix
    return shown


_CHANGE_MARKS = ("*", "\ufffd", "…", "／", "＼", "未命名 unnamed")  # what display_name writes where it changed a name


def shown_as_written(shown: str) -> bool:
    """Whether a shown name is the name as the drafter wrote it: display_name left nothing masked or replaced
    (conservative: a name that had one of these marks of its own counts as changed)."""
    return not any(mark in shown for mark in _CHANGE_MARKS)


def safe_office(office: str) -> str:
    """An inbox subfolder path as it may be used: each part a display name, no '.' or '..', no empty part.
    Raises ValueError for anything else (a flow parameter is not trusted)."""
    if office in ("", "."):
        return ""
    parts = office.split("/")
    for part in parts:
        if part in ("", ".", "..") or part != display_name(part) or len(part.encode()) > _OFFICE_PART_BYTES:
            raise ValueError(f"处室文件夹名不合法 / not a valid office folder: {office!r}")
    if len(parts) > _MAX_DEPTH:
        raise ValueError(f"处室文件夹层级过深 / office folder nested too deep: {office!r}")
    return office


@dataclass(frozen=True)
class Claim:
    """A file taken from the inbox, as every later stage knows it (flow parameters included): its content
    hash, its shown name, its office (the inbox subfolder, '' at the top) and the sniffed extension of its
    snapshot."""

    sha256: str
    name: str
    office: str
    extension: str
    received_at: str  # ISO 8601, UTC

    def __post_init__(self) -> None:
        if not _SHA256.fullmatch(self.sha256):
            raise ValueError(f"不是 sha256 / not a sha256: {self.sha256!r}")
        if self.name != display_name(self.name):
            raise ValueError(f"文件名不合法 / not a shown file name: {self.name!r}")
        if not _EXTENSION.fullmatch(self.extension):
            raise ValueError(f"扩展名不合法 / not an extension: {self.extension!r}")
        safe_office(self.office)

    @property
    def snapshot_key(self) -> str:
        """Where the immutable copy of the claimed bytes lies in the private bucket."""
        return f"staging/{self.sha256}/original.{self.extension}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Claim:
        """A claim from flow parameters; raises ValueError (TypeError for unknown fields) on anything odd."""
        return cls(**data)


class SnapshotMismatch(Exception):
    """The snapshot's bytes are not those that were claimed: nothing may be reviewed or published from it."""


def read_snapshot(storage: Storage, claim: Claim) -> bytes:
    """The claimed bytes, hashed again: raises SnapshotMismatch when they are not the ones claimed."""
    data = storage.private.get(claim.snapshot_key)
    if hashlib.sha256(data).hexdigest() != claim.sha256:
        raise SnapshotMismatch(f"快照与收件时的内容不一致，拒绝使用 / the snapshot of {claim.name} is not the file "
                               f"that was claimed (sha256 {claim.sha256}): it is not used")
    return data


@dataclass(frozen=True)
class Refusal:
    """An inbox entry that is not taken, and why (a code for the note)."""

    path: Path
    office: str
    code: str
    message: str


class Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass
class Scan:
    ready: list[Path] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


_LINK = ("not_regular", "符号链接不会被读取，请放入文件本身 / a symbolic link is never followed: drop the file itself")
_SPECIAL = ("not_regular", "不是普通文件（管道、设备或套接字），不会被读取 / not a regular file (a pipe, device or socket)")


class Inbox:
    """Scans an inbox folder; a file is ready once its size and mtime held still for `stable_seconds`."""

    def __init__(self, inbox: Path, processing: Path, stable_seconds: float, max_file_bytes: int) -> None:
        self.inbox = inbox
        self.processing = processing
        self.stable_seconds = stable_seconds
        self.max_file_bytes = max_file_bytes
        self._last_seen: dict[Path, tuple[int, int, float]] = {}  # path -> (size, mtime_ns, since)

    def scan(self, now: float) -> Scan:
        found, seen = Scan(), {}
        for path, info in self._entries(self.inbox, 0):
            office = self.office_of(path)
            if info is None or stat.S_ISLNK(info.st_mode):
                found.refused.append(Refusal(path, office, *_LINK))
            elif not stat.S_ISREG(info.st_mode):
                found.refused.append(Refusal(path, office, *_SPECIAL))
            else:
                previous = self._last_seen.get(path)
                key = (info.st_size, info.st_mtime_ns)
                since = previous[2] if previous and previous[:2] == key else now
                seen[path] = (*key, since)
                if now - since >= self.stable_seconds:
                    found.ready.append(path)
        self._last_seen = seen
        return found

    def _entries(self, folder: Path, depth: int) -> Iterator[tuple[Path, os.stat_result | None]]:
        """Every entry under `folder` but folders themselves, in name order, without following any link."""
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            return  # removed or unreadable meanwhile: looked at again next scan
        for entry in entries:
            path = Path(entry.path)
            if is_ignored(Path(entry.name)):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                if depth < _MAX_DEPTH:
                    yield from self._entries(path, depth + 1)
            else:
                yield path, info

    @property
    def waiting(self) -> bool:
        """Files were seen that are not claimed yet (still settling)."""
        return bool(self._last_seen)

    def office_of(self, path: Path) -> str:
        """The inbox subfolder a path lies in, as it may be shown ('' at the top)."""
        parts = path.parent.relative_to(self.inbox).parts
        return "/".join(display_name(part) for part in parts)

    def claim(self, path: Path, storage: Storage) -> Claim:
        """Take one ready file (see the module docstring). Raises FileNotFoundError when another watcher took
        it, Refused when it is not a regular file or is too large, OSError when the disk fails — then the file
        is back where it was."""
        claiming = self.processing / CLAIMING
        claiming.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        taken, note = claiming / token, claiming / f"{token}.json"
        # ASCII JSON: a name that is not valid UTF-8 (surrogate escapes) is written and read back unchanged
        office = self.office_of(path)
        came_from = str(path.relative_to(self.inbox))
        try:
            note.write_text(json.dumps({"inbox_path": came_from}), encoding="ascii")
            try:
                os.rename(path, taken)  # atomic: exactly one watcher wins; a link is moved, never followed
            except OSError as error:
                if error.errno != errno.EXDEV:
                    raise
                taken = self._holding() / token
                note.write_text(json.dumps({"inbox_path": came_from, "held_in_inbox": True}), encoding="ascii")
                os.rename(path, taken)
        except OSError:  # another watcher took it, a full disk: the file has not moved
            note.unlink(missing_ok=True)
            raise
        try:
            data, links = read_regular(taken, self.max_file_bytes)
        except Refused as refused:
            self._put_back(taken, note, path)
            raise Refused(Refusal(path, office, refused.refusal.code, refused.refusal.message)) from None
        except OSError:
            self._put_back(taken, note, path)
            raise
        sha256 = hashlib.sha256(data).hexdigest()
        claim = Claim(sha256=sha256, name=display_name(path.name), office=office,
                      extension=file_extension(sniff_format(data, suffix=path.suffix), data[:HEAD_BYTES]),
                      received_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        try:
            if not storage.private.exists(claim.snapshot_key):
                storage.private.put(claim.snapshot_key, data)
            kept = _free_name(self._folder(sha256, office) / path.name)
            if links > 1 or taken.parent != claiming:  # other names reach these bytes, or another file system
                _write_new(kept, data)
                taken.unlink()
            else:
                os.rename(taken, kept)
        except Exception:
            self._put_back(taken, note, path)
            raise
        note.unlink()
        self._last_seen.pop(path, None)
        return claim

    def _holding(self) -> Path:
        """The inbox's own .gongkai-claiming/ folder; a link or a file in its place is refused (drafters can
        write in the inbox), so a claimed file never moves outside it."""
        holding = self.inbox / HOLDING
        try:
            holding.mkdir(mode=0o700)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(holding).st_mode):
                raise OSError(errno.ENOTDIR, f"{holding} 不是文件夹，请删除它 / is not a folder: remove it") from None
        return holding

    def _folder(self, sha256: str, office: str) -> Path:
        folder = self.processing / sha256 / office
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _put_back(self, taken: Path, note: Path, path: Path) -> None:
        """An interrupted claim: the file goes back to its inbox name (or a free one beside it)."""
        if os.path.lexists(taken):
            os.rename(taken, _free_name(path))
        note.unlink(missing_ok=True)

    def put_back_interrupted(self) -> list[Path]:
        """Files a crashed `up` left between their rename and their final place go back to the inbox."""
        restored = []
        for note in sorted((self.processing / CLAIMING).glob("*.json")):
            where = json.loads(note.read_text(encoding="ascii"))
            taken = (self.inbox / HOLDING if where.get("held_in_inbox") else note.parent) / note.stem
            relative = where["inbox_path"]
            target = self.inbox / relative
            if os.path.lexists(taken) and target.resolve().is_relative_to(self.inbox.resolve()):
                target.parent.mkdir(parents=True, exist_ok=True)
                self._put_back(taken, note, target)
                restored.append(target)
            note.unlink(missing_ok=True)
        return restored


def read_regular(path: Path, max_bytes: int) -> tuple[bytes, int]:
    """The bytes of a regular file and its number of hard links; never follows a link, never blocks on a FIFO."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise Refused(Refusal(path, "", *_LINK)) from None
        raise
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise Refused(Refusal(path, "", *_SPECIAL))
        if info.st_size > max_bytes:
            raise Refused(Refusal(path, "", "too_large", f"文件过大（{info.st_size} 字节，上限 {max_bytes}），请拆分或压缩后"
                                                        f"再提交 / the file is too large ({info.st_size} bytes, limit "
                                                        f"{max_bytes}): split or shrink it and resubmit"))
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise Refused(Refusal(path, "", "too_large", f"文件过大，上限 {max_bytes} 字节 / the file grew past {max_bytes} bytes"))
    return data, info.st_nlink


def _write_new(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)


def claimed_files(processing: Path, storage: Storage) -> list[Claim]:
    """Every file in the processing area (processing/<sha256>/<office…>/<name>) whose snapshot is stored, as
    claims: what a crashed `up` had claimed. A file claimed before snapshots existed gets its snapshot now,
    if its bytes still have the hash its folder is named after."""
    claims = []
    for folder in sorted(processing.iterdir()) if processing.is_dir() else []:
        if not _SHA256.fullmatch(folder.name):
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or not path.is_file() or is_ignored(Path(path.name)):
                continue
            office = "/".join(display_name(part) for part in path.parent.relative_to(folder).parts)
            snapshots = storage.private.keys(f"staging/{folder.name}/original.")
            if snapshots:
                extension = snapshots[0].rsplit(".", 1)[1]
            else:
                data = path.read_bytes()
                if hashlib.sha256(data).hexdigest() != folder.name:
                    continue
                extension = file_extension(sniff_format(data, suffix=path.suffix), data[:HEAD_BYTES])
                storage.private.put(f"staging/{folder.name}/original.{extension}", data)
            received = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
            claims.append(Claim(sha256=folder.name, name=display_name(path.name), office=office, extension=extension,
                                received_at=received))
    return claims


def _free_name(target: Path) -> Path:
    """The same content dropped twice keeps both files: 通知.docx, 通知 (2).docx."""
    candidate, number = target, 2
    while os.path.lexists(candidate):
        candidate = target.with_name(f"{target.stem} ({number}){target.suffix}")
        number += 1
    return candidate

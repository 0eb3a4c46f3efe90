"""Intake: only finished, regular files that live in the inbox are claimed, each under its content hash with
a snapshot of exactly the bytes that were read."""

import hashlib
import json
from pathlib import Path

import pytest

from gongkai.intake import Claim, Inbox, claimed_files, display_name, is_ignored, read_snapshot
from gongkai.settings import Settings
from gongkai.storage import open_storage

LIMIT = 1 << 20


def inbox_in(tmp_path: Path, stable_seconds: float = 0) -> Inbox:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    return Inbox(tmp_path / "inbox", tmp_path / "processing", stable_seconds, LIMIT)


def test_temporary_lock_and_hidden_files_are_ignored() -> None:
    for name in ["~$通知.docx", ".~lock.通知.docx#", "通知.docx.tmp", ".DS_Store", "下载.crdownload", ".git/config"]:
        assert is_ignored(Path(name)), name
    assert not is_ignored(Path("社救处/关于低保的通知.docx"))


def test_a_file_is_ready_only_after_its_size_stops_changing(tmp_path: Path) -> None:
    inbox = inbox_in(tmp_path, stable_seconds=1.0)
    growing = tmp_path / "inbox" / "a.docx"
    growing.write_bytes(b"part")
    assert inbox.scan(now=100.0).ready == []
    growing.write_bytes(b"part and more")  # still being copied
    assert inbox.scan(now=100.8).ready == []
    assert inbox.scan(now=101.2).ready == []  # changed at 100.8: not yet stable for 1 s
    assert inbox.scan(now=102.0).ready == [growing]


def test_claim_moves_the_file_unchanged_under_its_hash_with_a_snapshot(local_settings: Settings,
                                                                      tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    inbox = inbox_in(tmp_path)
    dropped = tmp_path / "inbox" / "社救处" / "通知.txt"
    dropped.parent.mkdir()
    dropped.write_bytes("（此件主动公开）".encode())
    claim = inbox.claim(dropped, storage)
    digest = hashlib.sha256("（此件主动公开）".encode()).hexdigest()
    assert (claim.sha256, claim.office, claim.name, claim.extension) == (digest, "社救处", "通知.txt", "txt")
    kept = tmp_path / "processing" / digest / "社救处" / "通知.txt"
    assert kept.read_bytes() == "（此件主动公开）".encode() and not dropped.exists()
    assert read_snapshot(storage, claim) == kept.read_bytes()
    assert claim.snapshot_key == f"staging/{digest}/original.txt"
    assert Claim.from_dict(claim.to_dict()) == claim


def test_the_same_content_twice_keeps_both_files(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    inbox = inbox_in(tmp_path)
    first, second = tmp_path / "inbox" / "a.docx", tmp_path / "inbox" / "b" / "a.docx"
    second.parent.mkdir()
    first.write_bytes(b"same")
    second.write_bytes(b"same")
    claims = [inbox.claim(first, storage), inbox.claim(second, storage)]
    assert len({claim.sha256 for claim in claims}) == 1 and [claim.office for claim in claims] == ["", "b"]
    kept = sorted((tmp_path / "processing").rglob("a.docx"))
    assert len(kept) == 2 and all(path.read_bytes() == b"same" for path in kept)


def test_claimed_files_are_found_again_in_the_processing_area(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    dropped = tmp_path / "inbox" / "社救处" / "通知.txt"
    dropped.parent.mkdir(parents=True)
    dropped.write_bytes(b"content")
    claim = inbox_in(tmp_path).claim(dropped, storage)
    [found] = claimed_files(tmp_path / "processing", storage)
    assert (found.sha256, found.name, found.office, found.extension) == (claim.sha256, claim.name, "社救处", "txt")


@pytest.mark.parametrize(("written", "shown"), [
    ("关于低保的通知.docx", "关于低保的通知.docx"),
    ("张三110105199001010029.docx", "张三110105********0029.docx"),
    ("申请表\n13912345678.docx", "申请表\ufffd139****5678.docx"),
    ("evil\u202excod.docx", "evil\ufffdxcod.docx"),
    ("..", "未命名 unnamed"),
])
def test_names_are_shown_masked_and_harmless(written: str, shown: str) -> None:
    assert display_name(written) == shown
    assert display_name(shown) == shown  # a shown name is stable: flow parameters validate against it


def test_a_long_name_keeps_its_extension_within_the_limit() -> None:
    shown = display_name("关于" * 200 + ".docx")
    assert shown.endswith("….docx") and len(shown.encode()) <= 150


@pytest.mark.parametrize("field", [{"office": "../../x"}, {"office": "/etc"}, {"office": "a/../../b"},
                                   {"sha256": "../" * 21 + "x"}, {"name": "a/b.docx"}, {"extension": "../x"},
                                   {"name": "张三110105199001010029.docx"}])
def test_flow_parameters_are_not_trusted(field: dict[str, str]) -> None:
    good = {"sha256": "ab" * 32, "name": "通知.docx", "office": "社救处", "extension": "docx",
            "received_at": "2026-03-06T00:00:00+00:00"}
    with pytest.raises(ValueError):
        Claim.from_dict({**good, **field})


@pytest.fixture
def processing_elsewhere(tmp_path: Path) -> Path:
    """A processing area on another file system than tmp_path (/dev/shm is a tmpfs), as compose's /data volume
    is from its /inbox bind mount: a rename between them fails with EXDEV."""
    import shutil
    import tempfile

    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system at /dev/shm here")
    folder = Path(tempfile.mkdtemp(dir=shm))
    yield folder / "processing"
    shutil.rmtree(folder)


def test_an_inbox_on_another_file_system_is_claimed_through_its_own_holding_folder(
        local_settings: Settings, tmp_path: Path, processing_elsewhere: Path) -> None:
    storage = open_storage(local_settings)
    inbox = Inbox(tmp_path / "inbox", processing_elsewhere, 0, LIMIT)
    dropped = tmp_path / "inbox" / "社救处" / "通知.docx"
    dropped.parent.mkdir(parents=True)
    dropped.write_bytes(b"PK\x03\x04 draft bytes")
    claim = inbox.claim(dropped, storage)
    assert not dropped.exists()
    assert (processing_elsewhere / claim.sha256 / "社救处" / "通知.docx").read_bytes() == b"PK\x03\x04 draft bytes"
    assert read_snapshot(storage, claim) == b"PK\x03\x04 draft bytes"
    assert list((tmp_path / "inbox" / ".gongkai-claiming").iterdir()) == []  # nothing left half-way
    assert inbox.scan(now=0).ready == []  # the holding folder is never taken for a drop


def test_a_claim_held_in_the_inbox_when_up_died_goes_back_to_its_name(tmp_path: Path,
                                                                      processing_elsewhere: Path) -> None:
    inbox = Inbox(tmp_path / "inbox", processing_elsewhere, 0, LIMIT)
    dropped = tmp_path / "inbox" / "通知.docx"
    dropped.parent.mkdir(parents=True)
    dropped.write_bytes(b"draft")
    # what a crash between the hold and the snapshot leaves: the file held in the inbox, the note saying so
    (tmp_path / "inbox" / ".gongkai-claiming").mkdir()
    held = tmp_path / "inbox" / ".gongkai-claiming" / ("0" * 32)
    dropped.rename(held)
    (processing_elsewhere / ".claiming").mkdir(parents=True)
    (processing_elsewhere / ".claiming" / f"{'0' * 32}.json").write_text(
        json.dumps({"inbox_path": "通知.docx", "held_in_inbox": True}), encoding="ascii")
    assert inbox.put_back_interrupted() == [dropped]
    assert dropped.read_bytes() == b"draft" and not held.exists()


def test_a_link_in_place_of_the_holding_folder_is_refused(tmp_path: Path, processing_elsewhere: Path) -> None:
    inbox = Inbox(tmp_path / "inbox", processing_elsewhere, 0, LIMIT)
    dropped = tmp_path / "inbox" / "通知.docx"
    dropped.parent.mkdir(parents=True)
    dropped.write_bytes(b"draft")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "inbox" / ".gongkai-claiming").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(NotADirectoryError, match="gongkai-claiming"):
        inbox.claim(dropped, open_storage(Settings(storage="local", data_dir=tmp_path / "data")))
    assert dropped.read_bytes() == b"draft" and list((tmp_path / "elsewhere").iterdir()) == []

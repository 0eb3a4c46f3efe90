"""Intake: only finished, real files are claimed, atomically and under their content hash."""

import hashlib
from pathlib import Path

from gongkai.intake import Claim, Inbox, claimed_files, is_ignored


def test_temporary_lock_and_hidden_files_are_ignored() -> None:
    for name in ["~$通知.docx", ".~lock.通知.docx#", "通知.docx.tmp", ".DS_Store", "下载.crdownload", ".git/config"]:
        assert is_ignored(Path(name)), name
    assert not is_ignored(Path("社救处/关于低保的通知.docx"))


def test_a_file_is_ready_only_after_its_size_stops_changing(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox", tmp_path / "processing", stable_seconds=1.0)
    (tmp_path / "inbox").mkdir()
    growing = tmp_path / "inbox" / "a.docx"
    growing.write_bytes(b"part")
    assert inbox.ready_files(now=100.0) == []
    growing.write_bytes(b"part and more")  # still being copied
    assert inbox.ready_files(now=100.8) == []
    assert inbox.ready_files(now=101.2) == []  # changed at 100.8: not yet stable for 1 s
    assert inbox.ready_files(now=102.0) == [growing]


def test_claim_moves_the_file_unchanged_under_its_hash(tmp_path: Path) -> None:
    (tmp_path / "inbox" / "社救处").mkdir(parents=True)
    dropped = tmp_path / "inbox" / "社救处" / "通知.docx"
    dropped.write_bytes(b"content")
    inbox = Inbox(tmp_path / "inbox", tmp_path / "processing", stable_seconds=0)
    claim = inbox.claim(dropped)
    digest = hashlib.sha256(b"content").hexdigest()
    assert claim.sha256 == digest and claim.office == "社救处" and claim.name == "通知.docx"
    assert Path(claim.path) == tmp_path / "processing" / digest / "社救处" / "通知.docx"
    assert Path(claim.path).read_bytes() == b"content" and not dropped.exists()
    assert Claim.from_dict(claim.to_dict()) == claim


def test_the_same_content_twice_keeps_both_files(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    inbox = Inbox(tmp_path / "inbox", tmp_path / "processing", stable_seconds=0)
    first, second = tmp_path / "inbox" / "a.docx", tmp_path / "inbox" / "b" / "a.docx"
    second.parent.mkdir()
    first.write_bytes(b"same")
    second.write_bytes(b"same")
    third = tmp_path / "inbox" / "a (copy).docx"
    third.write_bytes(b"same")
    claims = [inbox.claim(first), inbox.claim(second), inbox.claim(third)]
    assert len({claim.path for claim in claims}) == 3 and len({claim.sha256 for claim in claims}) == 1
    assert [claim.office for claim in claims] == ["", "b", ""]
    assert all(Path(claim.path).read_bytes() == b"same" for claim in claims)


def test_claimed_files_are_found_again_in_the_processing_area(tmp_path: Path) -> None:
    (tmp_path / "inbox" / "社救处").mkdir(parents=True)
    dropped = tmp_path / "inbox" / "社救处" / "通知.docx"
    dropped.write_bytes(b"content")
    claim = Inbox(tmp_path / "inbox", tmp_path / "processing", stable_seconds=0).claim(dropped)
    [found] = claimed_files(tmp_path / "processing")
    assert (found.sha256, found.name, found.path, found.office) == (claim.sha256, claim.name, claim.path, "社救处")

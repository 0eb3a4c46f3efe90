"""Intake takes only regular files that live in the inbox, and what was claimed can no longer change.

Against gongkai's own intake and outcomes (the watcher in `gongkai up` runs exactly these); the stack tests
in test_stack_leaks.py repeat the worst cases through `gongkai up`. On main at 6b28d7f a link was followed
and its target claimed, and a hard link shared its bytes with the claimed file.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from gongkai.intake import Inbox, Refused, read_snapshot
from gongkai.outcomes import return_refused
from gongkai.settings import Settings
from gongkai.storage import Storage, open_storage
from tests.security.hostile import ID_NUMBER

pytestmark = pytest.mark.security
LIMIT = 1 << 20


@pytest.fixture
def storage(local_settings: Settings) -> Storage:
    return open_storage(local_settings)


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    (tmp_path / "inbox" / "社救处").mkdir(parents=True)
    return Inbox(tmp_path / "inbox", tmp_path / "processing", 0, LIMIT)


def all_stored(storage: Storage) -> bytes:
    return b"".join(store.get(key) for store in (storage.public, storage.private) for key in store.keys())


def take_everything(inbox: Inbox, storage: Storage, returned: Path) -> list:  # noqa: ANN401 - claims
    """What the watcher does on one scan: claim what is ready, send back what is refused."""
    scan, claims = inbox.scan(now=1e9), []
    refusals = list(scan.refused)
    for path in scan.ready:
        try:
            claims.append(inbox.claim(path, storage))
        except Refused as refused:
            refusals.append(refused.refusal)
    for refusal in refusals:
        return_refused(returned, refusal)
    return claims


def test_a_link_to_a_file_outside_is_sent_back_as_a_link_and_never_read(inbox: Inbox, storage: Storage,
                                                                         tmp_path: Path) -> None:
    database = tmp_path / "data" / "prefect" / "prefect.db"
    database.parent.mkdir(parents=True)
    database.write_bytes(b"SQLite format 3\x00 reviewers' decisions " + ID_NUMBER.encode())
    os.symlink(database, tmp_path / "inbox" / "社救处" / "报表.xlsx")
    assert take_everything(inbox, storage, tmp_path / "returned") == []
    returned = tmp_path / "returned" / "社救处" / "报表.xlsx"
    assert returned.is_symlink() and os.readlink(returned) == str(database)  # the link itself, not a copy
    assert "not_regular" in (tmp_path / "returned" / "社救处" / "报表.xlsx.问题说明.txt").read_text(encoding="utf-8")
    assert b"SQLite" not in all_stored(storage) and not os.path.lexists(tmp_path / "inbox" / "社救处" / "报表.xlsx")
    assert database.read_bytes().startswith(b"SQLite format 3")  # untouched


def test_a_linked_folder_is_not_searched(inbox: Inbox, storage: Storage, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "机密.txt").write_text("机密★1年", encoding="utf-8")
    os.symlink(secrets, tmp_path / "inbox" / "社救处" / "共享")
    assert take_everything(inbox, storage, tmp_path / "returned") == []
    assert (tmp_path / "returned" / "社救处" / "共享").is_symlink() and (secrets / "机密.txt").exists()
    assert b"\xe6\x9c\xba\xe5\xaf\x86" not in all_stored(storage)


def test_a_fifo_is_refused_without_blocking_intake(inbox: Inbox, storage: Storage, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "inbox" / "社救处" / "pipe.docx")
    (tmp_path / "inbox" / "社救处" / "good.txt").write_text("（此件主动公开）", encoding="utf-8")
    result: list = []
    worker = threading.Thread(target=lambda: result.append(take_everything(inbox, storage, tmp_path / "returned")))
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "intake blocked on a FIFO"
    assert [claim.name for claim in result[0]] == ["good.txt"]
    assert (tmp_path / "returned" / "社救处" / "pipe.docx.问题说明.txt").exists()


def test_a_hard_linked_draft_rewritten_after_the_claim_changes_nothing(inbox: Inbox, storage: Storage,
                                                                       tmp_path: Path) -> None:
    draft = tmp_path / "drafts" / "通知.txt"
    draft.parent.mkdir()
    draft.write_text("广东省民政厅关于某事的通知\n（此件主动公开）", encoding="utf-8")
    os.link(draft, tmp_path / "inbox" / "社救处" / "通知.txt")
    [claim] = take_everything(inbox, storage, tmp_path / "returned")
    with draft.open("w", encoding="utf-8") as stream:  # the same inode, written through the other name
        stream.write(f"机密★1年\n身份证号 {ID_NUMBER}\n（此件主动公开）")
    assert read_snapshot(storage, claim).decode() == "广东省民政厅关于某事的通知\n（此件主动公开）"
    kept = next((tmp_path / "processing").rglob("通知.txt"))
    assert kept.read_text(encoding="utf-8") == "广东省民政厅关于某事的通知\n（此件主动公开）"
    assert os.stat(kept).st_ino != os.stat(draft).st_ino


def test_a_file_too_large_goes_back_unread(inbox: Inbox, storage: Storage, tmp_path: Path) -> None:
    (tmp_path / "inbox" / "社救处" / "大文件.pdf").write_bytes(b"%PDF-1.7\n" + b"0" * LIMIT)
    assert take_everything(inbox, storage, tmp_path / "returned") == []
    note = (tmp_path / "returned" / "社救处" / "大文件.pdf.问题说明.txt").read_text(encoding="utf-8")
    assert "too_large" in note and (tmp_path / "returned" / "社救处" / "大文件.pdf").stat().st_size > LIMIT
    assert storage.private.keys() == []


@pytest.mark.parametrize("name", ["申请\n表.txt", "evil\u202etxt.exe", "长" * 80 + ".txt", "通知..txt", " .txt",
                                  f"张三{ID_NUMBER}.txt", "a\\b.txt", "\udcff\udcfe.txt"])
def test_hostile_names_never_break_intake(inbox: Inbox, storage: Storage, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "inbox" / "社救处"
    try:
        (folder / name).write_text("（此件主动公开）" + name[:3], encoding="utf-8", errors="surrogateescape")
    except OSError as error:
        pytest.skip(f"this file system refuses the name: {error}")
    (folder / "zz-next.txt").write_text("（此件主动公开）next", encoding="utf-8")
    claims = take_everything(inbox, storage, tmp_path / "returned")
    assert len(claims) == 2  # the hostile one and the next one are both taken
    for claim in claims:
        assert "\n" not in claim.name and "\u202e" not in claim.name and ID_NUMBER not in claim.name
        assert len(claim.name.encode()) <= 150

"""What reaches the public bucket, the feed and the review page is exactly what was reviewed, and safe.

Through gongkai's own intake, check, outcomes and publishing on the local backend (the S3 backend shares
every line above the object store). On main at 6b28d7f: a text named 通知.html was published as
original.html, public files were mode 0600, a control character broke the feed, a title could add a link
to the review page, the excerpt's fence could be closed by the document, and a file name's ID number was
published in metadata.json.
"""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest
from markdown_it import MarkdownIt

from gongkai.catalogue import load_catalogue
from gongkai.document.check import check_bytes
from gongkai.ledger import audit_entries
from gongkai.outcomes import Decision, PublishRefused, apply_decision, publish
from gongkai.publishing.catalogue_feed import render_feed
from gongkai.publishing.layout import FEED_KEY
from gongkai.review_page import review_page
from gongkai.settings import Settings
from gongkai.storage import Storage, get_json, open_storage
from tests.conftest import claim_file
from tests.security.hostile import BODY, ID_NUMBER, MOBILE, docx_with

pytestmark = pytest.mark.security
CATALOGUE = load_catalogue()
TODAY = date(2026, 11, 25)
APPROVE = Decision("publish", "主动公开", "social_assistance", "", "", "李审核")


@pytest.fixture
def storage(local_settings: Settings) -> Storage:
    return open_storage(local_settings)


def published(storage: Storage, tmp_path: Path, name: str, data: bytes) -> tuple[str, dict]:
    claim = claim_file(storage, tmp_path, name, data)
    check = check_bytes(data, claim.name, claim.extension, TODAY)
    prefix = publish(storage, claim, check, APPROVE, CATALOGUE)
    return prefix, get_json(storage.public, f"{prefix}/metadata.json")


def test_the_original_takes_the_extension_of_its_sniffed_format(storage: Storage, tmp_path: Path) -> None:
    text = "\n".join(BODY + ["<script>alert(1)</script>"])
    prefix, metadata = published(storage, tmp_path, "通知.html", text.encode())
    assert storage.public.keys(prefix) == [f"{prefix}/{name}" for name in
                                          ("content.html", "content.txt", "metadata.json", "original.txt")]
    assert metadata["original"] == "original.txt"
    assert "<script>" not in storage.public.get(f"{prefix}/content.html").decode()


def test_public_files_are_world_readable_and_private_ones_are_not(storage: Storage, tmp_path: Path) -> None:
    prefix, _ = published(storage, tmp_path, "通知.txt", "\n".join(BODY).encode())
    for key in storage.public.keys():
        assert stat.S_IMODE(storage.public.path(key).stat().st_mode) == 0o644, key
    for key in storage.private.keys():
        assert stat.S_IMODE(storage.private.path(key).stat().st_mode) == 0o600, key
    assert stat.S_IMODE(storage.private.root.stat().st_mode) == 0o700


def test_a_masked_file_name_is_never_published_or_logged(storage: Storage, tmp_path: Path) -> None:
    claim = claim_file(storage, tmp_path, f"张三{ID_NUMBER}的申请.txt", "\n".join(BODY).encode())
    check = check_bytes("\n".join(BODY).encode(), claim.name, claim.extension, TODAY)
    apply_decision(storage, tmp_path / "returned", CATALOGUE, claim, check, APPROVE)
    metadata = get_json(storage.public, f"{storage.public.keys('items/')[0].rsplit('/', 1)[0]}/metadata.json")
    assert metadata["original_name"] is None
    everything = b"".join(store.get(key) for store in (storage.public, storage.private) for key in store.keys()
                          if not key.startswith("staging/"))
    assert ID_NUMBER.encode() not in everything
    assert [entry["file"] for entry in audit_entries(storage)] == ["张三110105********0029的申请.txt"]


def test_the_original_stays_private_when_the_file_holds_editing_traces(storage: Storage, tmp_path: Path) -> None:
    data = docx_with(tmp_path / "draft.docx", {"comment": "此处请领导定夺"}).read_bytes()
    prefix, metadata = published(storage, tmp_path, "通知.docx", data)
    assert metadata["original"] is None and metadata["original_withheld"]
    assert not any(key.startswith(f"{prefix}/original") for key in storage.public.keys())
    assert "此处请领导定夺".encode() not in b"".join(storage.public.get(key) for key in storage.public.keys())


def test_a_mobile_number_the_reviewer_lets_through_is_masked_everywhere_public(storage: Storage,
                                                                              tmp_path: Path) -> None:
    data = docx_with(tmp_path / "draft.docx", {"footer": f"联系电话：{MOBILE}"}).read_bytes()
    prefix, metadata = published(storage, tmp_path, "通知.docx", data)  # a warning: the reviewer may publish
    assert metadata["original"] is None
    assert MOBILE.encode() not in b"".join(storage.public.get(key) for key in storage.public.keys())


def test_a_snapshot_that_changed_is_never_published(storage: Storage, tmp_path: Path) -> None:
    data = "\n".join(BODY).encode()
    claim = claim_file(storage, tmp_path, "通知.txt", data)
    check = check_bytes(data, claim.name, claim.extension, TODAY)
    storage.private.put(claim.snapshot_key, "\n".join(["机密★1年", *BODY]).encode())
    with pytest.raises(PublishRefused, match="snapshot"):
        publish(storage, claim, check, APPROVE, CATALOGUE)
    assert storage.public.keys() == []


def test_the_feed_stays_well_formed_whatever_a_title_holds(storage: Storage, tmp_path: Path) -> None:
    lines = ["广东省民政厅文件", "粤民函〔2026〕31号", "广东省民政厅关于\x0b做好\x1f冬季救助工作的通知", *BODY[3:]]
    published(storage, tmp_path, "通知.txt", "\n".join(lines).encode())
    ElementTree.fromstring(storage.public.get(FEED_KEY))
    items = [{"index_no": "006939756/2026-00009", "title": "关于\x01\x08\ufffe<b>某事</b>&的通知",
              "history": [{"event": "published", "at": "2026-11-25T00:00:00+00:00", "status": "有效"}]}]
    feed = ElementTree.fromstring(render_feed(items, CATALOGUE, "2026-11-25T00:00:00+00:00"))
    assert "关于<b>某事</b>&的通知" in ElementTree.tostring(feed, encoding="unicode").replace("&lt;", "<") \
        .replace("&gt;", ">").replace("&amp;", "&")


def test_the_review_page_shows_the_document_as_text_only(storage: Storage, tmp_path: Path) -> None:
    title = "关于[点此核实](javascript:alert(1))<img src=x onerror=alert(2)>**的通知**"
    body = ["广东省民政厅文件", "粤民函〔2026〕31号", title, "各地级以上市民政局：", "正文。", "```",
            "### 问题 / Problems", "- 无 / none", "```", "广东省民政厅", "2026年11月20日", "（此件主动公开）"]
    data = "\n".join(body).encode()
    claim = claim_file(storage, tmp_path, "通知[x](javascript:y).txt", data)
    check = check_bytes(data, claim.name, claim.extension, TODAY)
    page = review_page(claim, check, "http://127.0.0.1:4201/x", TODAY, [])
    html = MarkdownIt("commonmark").enable("table").render(page)
    assert 'href="javascript' not in html and "<img" not in html and "<strong>的通知</strong>" not in html
    assert html.count("<h3>问题 / Problems</h3>") == 1  # the document's own lines stay inside the excerpt

"""The published layout: items under their 索引号, the catalogue and feed, lifecycle, and pull."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest

from gongkai.catalogue import load_catalogue
from gongkai.document.check import DocumentCheck, check_bytes, check_extracted
from gongkai.extractors.base import Extracted
from gongkai.intake import Claim
from gongkai.outcomes import Decision, publish
from gongkai.publishing.items import set_status, withdraw
from gongkai.publishing.layout import FEED_KEY, INDEX_KEY, METADATA_CACHE_KEY, REPEALED, SUMMARY_CHARS
from gongkai.publishing.mirror import MANIFEST, pull
from gongkai.publishing.rendition import render_html
from gongkai.review_page import review_page
from gongkai.settings import DEV_CORPUS, Settings
from gongkai.storage import Storage, get_json, open_storage, put_json
from tests.conftest import claim_file, claim_text, write_docx

CATALOGUE = load_catalogue()
APPROVE = Decision("publish", "主动公开", "social_assistance", "", "", "李审核")
ATOM = "{http://www.w3.org/2005/Atom}"
LONG_BODY = "为进一步规范城乡最低生活保障工作，切实保障困难群众基本生活，现就有关事项通知如下。" * 6


def lines_for(number: int, title: str = "关于做好城乡低保工作的通知") -> list[str]:
    return ["广东省民政厅文件", f"粤民发〔2026〕{number}号", f"广东省民政厅{title}", "各地级以上市民政局：", LONG_BODY,
            "一、提高保障标准", "各地要按时调整标准。", "（一）城市低保", "按月发放。", "附件：1.低保标准表",
            "广东省民政厅", "2026年3月5日", "（此件主动公开）"]


def document(storage: Storage, tmp_path: Path, lines: list[str], name: str) -> tuple[Claim, DocumentCheck]:
    return claim_text(storage, tmp_path, lines, name, date(2026, 3, 6))


def publish_number(storage: Storage, tmp_path: Path, number: int) -> str:
    claim, check = document(storage, tmp_path, lines_for(number), f"通知{number}.txt")
    return publish(storage, claim, check, APPROVE, CATALOGUE)


def snapshot(storage: Storage) -> dict[str, bytes]:
    return {key: storage.public.get(key) for key in storage.public.keys()}


def test_publish_writes_item_files_metadata_catalogue_and_feed(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    prefix = publish_number(storage, tmp_path, 12)
    assert prefix == "items/006939756-2026-00001"
    assert storage.public.keys(prefix) == [f"{prefix}/{name}" for name in
                                          ("content.html", "content.txt", "metadata.json", "original.txt")]
    metadata = get_json(storage.public, f"{prefix}/metadata.json")
    assert metadata["index_no"] == "006939756/2026-00001"
    assert re.fullmatch(r"\d{9}/\d{4}-\d{5}", metadata["index_no"])
    assert metadata["title"] == "广东省民政厅关于做好城乡低保工作的通知"
    assert metadata["doc_number"] == "粤民发〔2026〕12号" and metadata["signed_date"] == "2026-03-05"
    assert metadata["status"] == "有效" and metadata["topic"] == "social_assistance"
    assert metadata["summary"].startswith("各地级以上市民政局：为进一步规范")
    assert len(metadata["summary"]) <= SUMMARY_CHARS + 1 and metadata["summary"].endswith("…")
    assert metadata["attachments"]
    assert metadata["publish_deadline"] and metadata["deadline_met"] in (True, False)
    for name, info in metadata["files"].items():
        assert info["size"] == len(storage.public.get(f"{prefix}/{name}"))
    assert "身份证" not in storage.public.get(f"{prefix}/content.txt").decode()

    index = get_json(storage.public, INDEX_KEY)
    assert [entry["index_no"] for entry in index["items"]] == ["006939756/2026-00001"]
    assert index["items"][0]["path"] == f"{prefix}/"
    topic = get_json(storage.public, "catalogue/topics/social_assistance.json")
    assert [entry["index_no"] for entry in topic["items"]] == ["006939756/2026-00001"]
    feed = ElementTree.fromstring(storage.public.get(FEED_KEY))
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1 and "发布" in entries[0].findtext(f"{ATOM}title")
    page = storage.public.get(f"{prefix}/content.html").decode()
    assert_well_formed(page)
    assert "<h2>一、提高保障标准</h2>" in page and "<h3>（一）城市低保</h3>" in page and "<script" not in page


def test_publishing_twice_is_idempotent_and_numbers_follow(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    claim, check = document(storage, tmp_path, lines_for(12), "通知.txt")
    first = publish(storage, claim, check, APPROVE, CATALOGUE)
    before = snapshot(storage)
    again = publish(storage, claim, check, APPROVE, CATALOGUE)
    assert again == first and snapshot(storage) == before
    assert len(get_json(storage.public, INDEX_KEY)["items"]) == 1
    second = publish_number(storage, tmp_path, 13)
    assert second == "items/006939756-2026-00002"
    assert [entry["index_no"] for entry in get_json(storage.public, INDEX_KEY)["items"]] == [
        "006939756/2026-00001", "006939756/2026-00002"]


def test_publish_interrupted_after_the_files_completes_on_retry(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    claim, check = document(storage, tmp_path, lines_for(12), "通知.txt")
    prefix = publish(storage, claim, check, APPROVE, CATALOGUE)
    complete = snapshot(storage)
    for key in (f"{prefix}/metadata.json", INDEX_KEY, FEED_KEY):  # as if it stopped after the files
        storage.public.delete(key)
    assert publish(storage, claim, check, APPROVE, CATALOGUE) == prefix
    after = snapshot(storage)
    assert set(after) == set(complete)
    assert json.loads(after[INDEX_KEY])["count"] == 1


def test_twenty_parallel_publishes_lose_nothing(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    documents = [document(storage, tmp_path, lines_for(100 + n), f"通知{n}.txt") for n in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        prefixes = list(pool.map(lambda item: publish(storage, *item, APPROVE, CATALOGUE), documents))
    assert len(set(prefixes)) == 20
    index = get_json(storage.public, INDEX_KEY)
    numbers = [entry["index_no"] for entry in index["items"]]
    assert len(numbers) == 20 and len(set(numbers)) == 20
    assert sorted(numbers) == [f"006939756/2026-{n:05d}" for n in range(1, 21)]
    feed = ElementTree.fromstring(storage.public.get(FEED_KEY))
    links = [entry.find(f"{ATOM}link").get("href") for entry in feed.findall(f"{ATOM}entry")]
    assert len(links) == 20
    for link in links:  # ../items/<slug>/content.html, relative to catalogue/
        assert storage.public.exists(link.removeprefix("../"))
    for entry in index["items"]:
        for key, info in entry["files"].items():
            assert len(storage.public.get(key)) == info["size"]


def test_status_change_and_withdrawal(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    old = publish_number(storage, tmp_path, 12)
    new = publish_number(storage, tmp_path, 30)
    old_no, new_no = "006939756/2026-00001", "006939756/2026-00002"
    item = set_status(storage, CATALOGUE, old_no, REPEALED, by=new_no, effective=date(2026, 4, 1))
    assert item["status_change_deadline"] == "2026-04-30"  # 20 working days, 清明 (4.4–4.6) excluded
    old_meta, new_meta = (get_json(storage.public, f"{p}/metadata.json") for p in (old, new))
    assert old_meta["status"] == "已废止" and old_meta["superseded_by"] == new_no
    assert new_meta["supersedes"] == [old_no] and new_meta["status"] == "有效"
    assert "已废止" in storage.public.get(f"{old}/content.html").decode()
    entries = {entry["index_no"]: entry for entry in get_json(storage.public, INDEX_KEY)["items"]}
    assert entries[old_no]["status"] == "已废止" and entries[new_no]["supersedes"] == [old_no]
    feed = ElementTree.fromstring(storage.public.get(FEED_KEY)).findall(f"{ATOM}entry")
    assert len(feed) == 3 and feed[0].findtext(f"{ATOM}title").startswith("已废止")
    before = snapshot(storage)
    set_status(storage, CATALOGUE, old_no, REPEALED, by=new_no, effective=date(2026, 4, 1))  # a retry
    assert snapshot(storage) == before

    with pytest.raises(ValueError):
        set_status(storage, CATALOGUE, old_no, "作废")
    where = withdraw(storage, CATALOGUE, new_no, reason="误发", by="李审核")
    assert storage.public.keys(new) == []
    assert {key.rsplit("/", 1)[1] for key in storage.private.keys(where)} == {
        "content.html", "content.txt", "metadata.json", "original.txt", "withdrawal.json"}
    assert get_json(storage.private, f"{where}/withdrawal.json")["reason"] == "误发"
    sha = get_json(storage.private, f"{where}/metadata.json")["sha256"]
    assert get_json(storage.private, f"registry/{sha}.json")["status"] == "withdrawn"
    events = [get_json(storage.private, key)["event"] for key in storage.private.keys("audit/")]
    assert sorted(events) == ["status_changed", "withdrawn"]
    index = get_json(storage.public, INDEX_KEY)
    assert [entry["index_no"] for entry in index["items"]] == [old_no]
    assert publish_number(storage, tmp_path, 31) == "items/006939756-2026-00003"  # 00002 is never given again


def test_feed_links_are_absolute_under_the_public_base_url(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    catalogue = CATALOGUE.model_copy(update={"public_base_url": "https://smzt.example.gov.cn/gkml"})
    claim, check = document(storage, tmp_path, lines_for(12), "通知12.txt")
    prefix = publish(storage, claim, check, APPROVE, catalogue)
    feed = ElementTree.fromstring(storage.public.get(FEED_KEY))
    base = "https://smzt.example.gov.cn/gkml/"
    assert feed.find(f"{ATOM}link").get("href") == f"{base}{FEED_KEY}"
    [link] = [entry.find(f"{ATOM}link").get("href") for entry in feed.findall(f"{ATOM}entry")]
    assert link == f"{base}{prefix}/content.html" and storage.public.exists(link.removeprefix(base))


def test_catalogue_rebuild_reads_only_changed_metadata(any_settings: Settings, tmp_path: Path) -> None:
    """The private copy of the metadata spares reading every item on every publish; it is used only where
    the object's version (ETag) still matches, so a rewritten item is always read again."""
    storage = open_storage(any_settings)
    first, second = publish_number(storage, tmp_path, 12), publish_number(storage, tmp_path, 13)
    copy = get_json(storage.private, METADATA_CACHE_KEY)
    versions = storage.public.versions("items/")
    assert {key: entry["version"] for key, entry in copy.items()} == {
        key: versions[key] for key in (f"{first}/metadata.json", f"{second}/metadata.json")}

    # an entry whose version matches is used as it is: the rebuild did not read that object again
    marked = json.loads(copy[f"{first}/metadata.json"]["metadata"]) | {"title": "来自副本 from the copy"}
    copy[f"{first}/metadata.json"]["metadata"] = json.dumps(marked, ensure_ascii=False)
    put_json(storage.private, METADATA_CACHE_KEY, copy)
    publish_number(storage, tmp_path, 14)
    titles = {entry["index_no"]: entry["title"] for entry in get_json(storage.public, INDEX_KEY)["items"]}
    assert titles["006939756/2026-00001"] == "来自副本 from the copy" and len(titles) == 3

    # once the item is rewritten its version changes, and the object itself is read
    set_status(storage, CATALOGUE, "006939756/2026-00001", REPEALED, by="006939756/2026-00002",
               effective=date(2026, 4, 1))
    entries = {entry["index_no"]: entry for entry in get_json(storage.public, INDEX_KEY)["items"]}
    assert entries["006939756/2026-00001"]["title"].startswith("广东省民政厅") and entries[
        "006939756/2026-00001"]["status"] == REPEALED
    withdraw(storage, CATALOGUE, "006939756/2026-00002", reason="误发", by="李审核")
    assert f"{second}/metadata.json" not in get_json(storage.private, METADATA_CACHE_KEY)


def test_withdrawal_interrupted_halfway_completes(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    prefix = publish_number(storage, tmp_path, 12)
    where = withdraw(storage, CATALOGUE, "006939756/2026-00001", reason="误发")
    for name in ("content.txt", "original.txt"):  # as if it stopped after taking metadata.json out
        storage.public.put(f"{prefix}/{name}", storage.private.get(f"{where}/{name}"))
    assert withdraw(storage, CATALOGUE, "006939756/2026-00001", reason="误发") == where
    assert storage.public.keys("items/") == [] and get_json(storage.public, INDEX_KEY)["items"] == []


def test_anonymous_read_only_on_public_objects(s3_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(s3_settings)
    prefix = publish_number(storage, tmp_path, 12)
    base = f"http://{s3_settings.s3_endpoint}"
    for key in (f"{prefix}/content.html", f"{prefix}/metadata.json", INDEX_KEY, FEED_KEY):
        with urllib.request.urlopen(f"{base}/{storage.public.bucket}/{urllib.request.quote(key)}", timeout=10) as r:
            assert r.status == 200 and r.read() == storage.public.get(key)
    private_keys = storage.private.keys()
    assert any(key.startswith("index-numbers/") for key in private_keys)
    for key in private_keys:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/{storage.private.bucket}/{urllib.request.quote(key)}", timeout=10)
        assert refused.value.code == 403


def test_pull_transfers_only_what_changed_and_resumes(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    for number in (12, 13, 14):
        publish_number(storage, tmp_path, number)
    dest = tmp_path / "mirror"
    first = pull(storage.public, dest)
    total = len(storage.public.keys())
    assert (first.transferred, first.unchanged, first.deleted) == (total, 0, 0)
    for key in storage.public.keys():
        assert (dest / key).read_bytes() == storage.public.get(key)
    second = pull(storage.public, dest)
    assert (second.transferred, second.unchanged) == (0, total)

    set_status(storage, CATALOGUE, "006939756/2026-00001", REPEALED, by="006939756/2026-00002")
    changed = {key for key, data in snapshot(storage).items() if (dest / key).read_bytes() != data}
    third = pull(storage.public, dest)
    assert third.transferred == len(changed) and third.deleted == 0
    assert {k for k in changed if k.startswith("items/")} == {
        f"items/006939756-2026-0000{n}/{name}" for n in (1, 2) for name in ("content.html", "metadata.json")}

    # interrupted: some files never arrived and the manifest was cut short
    (dest / "items/006939756-2026-00003/content.html").unlink()
    (dest / "items/006939756-2026-00001/metadata.json").write_bytes(b"half")
    (dest / MANIFEST).write_text((dest / MANIFEST).read_text()[:200])
    resumed = pull(storage.public, dest)
    assert resumed.transferred == 2 and resumed.unchanged == total - 2
    assert pull(storage.public, dest).transferred == 0

    withdraw(storage, CATALOGUE, "006939756/2026-00003", reason="误发")
    after = pull(storage.public, dest)
    assert after.deleted == 4
    assert not list((dest / "items/006939756-2026-00003").glob("*"))


def test_cli_status_and_pull(local_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    from gongkai.cli import main

    monkeypatch.setenv("GONGKAI_DATA_DIR", str(local_settings.data_dir))
    storage = open_storage(local_settings)
    for number in (12, 13):
        publish_number(storage, tmp_path, number)
    assert main(["status", "006939756/2026-00001", "已废止", "--by", "006939756/2026-00002"]) == 0
    assert get_json(storage.public, "items/006939756-2026-00001/metadata.json")["status"] == "已废止"
    assert main(["status", "006939756/2026-00009", "失效"]) == 2
    assert main(["pull", str(tmp_path / "mirror")]) == 0
    assert main(["pull", str(tmp_path / "mirror")]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("transferred 0 ")
    assert main(["status", "006939756/2026-00002", "withdraw"]) == 2  # a reason is required
    assert main(["status", "006939756/2026-00002", "withdraw", "--reason", "误发"]) == 0
    assert not storage.public.keys("items/006939756-2026-00002/")


class _WellFormed(HTMLParser):
    VOID = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_well_formed(page: str) -> str:
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"zh-CN\">")
    parser = _WellFormed()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    assert "<script" not in page.lower()
    return "".join(parser.text)


def test_html_of_real_documents_is_well_formed() -> None:
    records = [json.loads(line) for line in DEV_CORPUS
               .read_text(encoding="utf-8").splitlines()]
    chosen = [record for record in records if record.get("doc_number") and record.get("title")][:15]
    assert len(chosen) == 15
    for record in chosen:
        check = check_extracted(Extracted(format="txt", lines=record["text"].splitlines()), date(2026, 3, 6))
        metadata = {**check.to_json(), "title": record["title"], "doc_number": record["doc_number"],
                    "index_no": "006939756/2026-00001", "status": "有效"}
        text = assert_well_formed(render_html(metadata, check.text))
        assert record["title"] in text and record["doc_number"] in text


def test_html_of_a_real_pdf_has_its_paragraphs_back() -> None:
    """A PDF's text comes one printed line at a time: the page keeps the 主送机关, joins the lines of each
    paragraph, and keeps headings and the signature apart (tests/data/govdoc-cn_397.pdf, SOURCES.md)."""
    from gongkai.extractors import extract

    extracted = extract(Path(__file__).parents[1] / "data" / "govdoc-cn_397.pdf")
    check = check_extracted(extracted, date(2026, 3, 6))
    metadata = {**check.to_json(), "original_name": "860号.pdf", "index_no": "006939756/2026-00001"}
    page = render_html(metadata, check.text)
    assert_well_formed(page)
    body = page.split('<section class="body">')[1].split("</section>")[0]
    assert body.lstrip().startswith("<p>各省、自治区、直辖市、新疆生产建设兵团社会信用体系建设牵头部门，国家税务总局")
    assert "<p>为贯彻落实《中华人民共和国个人所得税法》及其实施条例、《国务院关于印发个人所得税专项附加扣除暂行办法的通知》" in body
    assert "<h2>一、总体要求</h2>" in body and "<h3>（一）全面实施个人所得税申报信用承诺制</h3>" in body
    assert "— 1 —" not in body and "<p>税务总局办公厅</p>" in body
    paragraphs = body.count("<p>")
    assert paragraphs < len(check.text.splitlines()) / 4  # not one paragraph per printed line


def test_html_escapes_everything() -> None:
    page = render_html({"title": "<script>alert(1)</script>关于", "doc_number": "粤民发〔2026〕1号&",
                        "index_no": "x/2026-00001", "issuer": "广东省民政厅"},
                       "<b>正文</b>\n<img src=x onerror=alert(1)>")
    assert "<script>" not in page and "<b>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "〔2026〕1号&amp;" in page
    assert_well_formed(page)


# Issue 11: a document whose body is public and whose attachment is not (a layout written for this test).
WITHHELD_SENTENCE = "经审核同意将下列困难家庭纳入最低生活保障范围"
PARTIAL_LINES = ["广东省民政厅文件", "粤民函〔2026〕31号", "广东省民政厅关于公布低保审核结果的通知", "各地级以上市民政局：",
                 LONG_BODY, "附件：1.审核工作规程", "　　　2.审核结果名单", "广东省民政厅", "2026年3月5日", "附件1",
                 "审核工作规程", "第一条　审核按季度进行。", "附件2", "审核结果名单", f"{WITHHELD_SENTENCE}。",
                 "王某某　户籍地某某村民小组　家庭人口3人", "（此件正文公开，附件2不予公开）", "抄送：民政部。",
                 "广东省民政厅办公室　　2026年3月6日印发"]


def test_a_withheld_attachment_is_in_no_public_object(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    data = write_docx(tmp_path / "partial.docx", PARTIAL_LINES).read_bytes()
    claim = claim_file(storage, tmp_path, "低保审核结果.docx", data)
    check = check_bytes(data, claim.name, claim.extension, date(2026, 3, 6))
    assert check.to_json()["withheld_parts"] == ["附件2"] and check.elements.label.category == "主动公开"
    page = review_page(claim, check, "http://127.0.0.1:4201/x", date(2026, 3, 6), [])
    assert "| 不公开部分 withheld | **附件2** — 已从公开文本中删去 附件2" in page
    prefix = publish(storage, claim, check, APPROVE, CATALOGUE)

    public = snapshot(storage)
    assert not [key for key, data in public.items() if WITHHELD_SENTENCE.encode() in data or "王某某".encode() in data]
    metadata = get_json(storage.public, f"{prefix}/metadata.json")
    assert metadata["withheld_parts"] == ["附件2"] and "附件2不予公开" in metadata["withheld_parts_label"]
    assert metadata["original"] is None and any("附件2" in reason for reason in metadata["original_withheld"])
    text = storage.public.get(f"{prefix}/content.txt").decode()
    assert "第一条　审核按季度进行。" in text and "（附件2不予公开）" in text and "抄送：民政部。" in text
    assert "第一条　审核按季度进行。" in storage.public.get(f"{prefix}/content.html").decode()

"""Outcomes of review through the storage layer; a secret-marked document can never be published."""

import json
import os
import subprocess
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from gongkai.catalogue import load_catalogue
from gongkai.corrections import ElementReport, ElementScore, evaluate_elements
from gongkai.document.check import DocumentCheck
from gongkai.intake import Claim
from gongkai.ledger import PUBLISHED, RECORDED, audit_entries, record_event, registry_status, reviewed_examples
from gongkai.outcomes import (
    Decision,
    PublishRefused,
    ReviewedElements,
    apply_decision,
    parsed_elements,
    publish,
    publish_blockers,
    record,
    return_to_drafter,
    reviewed_check,
)
from gongkai.settings import Settings
from gongkai.storage import Storage, get_json, open_storage
from tests.conftest import claim_text

CATALOGUE = load_catalogue()
GOOD = ["广东省民政厅文件", "粤民发〔2026〕12号", "关于做好城乡低保工作的通知", "各市民政局：", "正文。", "广东省民政厅",
        "2026年3月5日", "（此件主动公开）"]


def claim_for(storage: Storage, tmp_path: Path, lines: list[str], name: str = "通知.txt") -> tuple[Claim, DocumentCheck]:
    return claim_text(storage, tmp_path, lines, name, date(2026, 3, 6))


def test_publish_puts_files_and_metadata_in_the_public_bucket(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    claim, check = claim_for(storage, tmp_path, GOOD)
    prefix = publish(storage, claim, check, Decision("publish", "主动公开", "social_assistance", "", "", "李审核"),
                     CATALOGUE)
    assert prefix == "items/006939756-2026-00001"  # 索引号 006939756/2026-00001 (gongkai.publishing)
    assert storage.public.keys(prefix) == [f"{prefix}/{name}" for name in
                                          ("content.html", "content.txt", "metadata.json", "original.txt")]
    metadata = get_json(storage.public, f"{prefix}/metadata.json")
    assert metadata["doc_number"] == "粤民发〔2026〕12号" and metadata["topic"] == "social_assistance"
    assert registry_status(storage, claim.sha256) == PUBLISHED


@pytest.mark.parametrize("category", ["主动公开", "依申请公开", "不予公开"])
def test_secret_document_is_refused_whatever_the_form_says(any_settings: Settings, tmp_path: Path,
                                                           category: str) -> None:
    storage = open_storage(any_settings)
    claim, check = claim_for(storage, tmp_path, ["机密★1年"] + GOOD)
    with pytest.raises(PublishRefused, match="机密"):
        publish(storage, claim, check, Decision("publish", category, None, "x", "", "李审核"), CATALOGUE)
    assert storage.public.keys() == []


def test_personal_data_blocks_publication(local_settings: Settings, tmp_path: Path) -> None:
    _, check = claim_for(open_storage(local_settings), tmp_path,
                         GOOD[:4] + ["申请人身份证号11010519491231002X。"] + GOOD[5:])
    assert any("pii_id_number" in reason for reason in publish_blockers(check, "主动公开"))


def test_only_proactive_items_are_published(tmp_path: Path, local_settings: Settings) -> None:
    storage = open_storage(local_settings)
    claim, check = claim_for(storage, tmp_path, GOOD)
    assert publish_blockers(check, "主动公开") == []
    with pytest.raises(PublishRefused):
        publish(storage, claim, check, Decision("publish", "不予公开", None, "内部", "", "李"), CATALOGUE)


def test_return_copies_the_claimed_bytes_with_a_note_for_the_drafter(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    claim, check = claim_for(storage, tmp_path, GOOD[:-1])
    problems = [f"{p.code}: {p.message}" for p in check.problems]
    note = return_to_drafter(storage, tmp_path / "returned", claim, problems, comment="请补充公开属性", reviewer="李审核")
    returned = tmp_path / "returned" / "社救处" / "通知.txt"
    assert returned.read_bytes() == "\n".join(GOOD[:-1]).encode()
    text = note.read_text(encoding="utf-8")
    assert "label_missing" in text and "请补充公开属性" in text and "李审核" in text
    # returned again (the drafter did not fix it yet): nothing is overwritten
    return_to_drafter(storage, tmp_path / "returned", claim, problems)
    assert (tmp_path / "returned" / "社救处" / "通知 (2).txt").exists()
    assert next((tmp_path / "processing").rglob("通知.txt")).exists()  # the drafter's file stays kept


def test_record_keeps_the_item_private_with_its_reason(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    claim, check = claim_for(storage, tmp_path, GOOD[:-1] + ["（此件不予公开，理由：内部事务）"])
    key = record(storage, claim, check, Decision("record", "不予公开", None, "内部事务信息", "", "李审核"))
    assert get_json(storage.private, key)["reason"] == "内部事务信息"
    assert registry_status(storage, claim.sha256) == RECORDED and storage.public.keys() == []


def test_audit_ledger_keeps_every_entry(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    claim, _ = claim_for(storage, tmp_path, GOOD)
    for event in ("received", "returned", "received", "published"):
        record_event(storage, event, claim.sha256, file=claim.name, reviewer="李审核")
    assert [entry["event"] for entry in audit_entries(storage)].count("received") == 2
    assert all(entry["sha256"] == claim.sha256 for entry in audit_entries(storage))


def test_reviewed_decisions_become_training_examples(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    published, check = claim_for(storage, tmp_path, GOOD, "good.txt")
    decision = Decision("publish", "主动公开", "social_assistance", "", "", "李审核")
    record_event(storage, "published", published.sha256, item=publish(storage, published, check, decision, CATALOGUE),
                 decision=asdict(decision))
    recorded, check = claim_for(storage, tmp_path, GOOD[:-1] + ["（此件不予公开，理由：内部事务）"], "internal.txt")
    decision = Decision("record", "不予公开", None, "内部事务信息", "", "李审核")
    record_event(storage, "recorded", recorded.sha256, item=record(storage, recorded, check, decision),
                 decision=asdict(decision))
    examples = sorted(reviewed_examples(storage), key=lambda example: example[1])
    assert [(category, topic) for _, category, topic in examples] == [("不予公开", None), ("主动公开", "social_assistance")]
    assert all("粤民发〔2026〕12号" in text for text, _, _ in examples)


# Issue 11: the reviewer completes what the parser missed. A document whose text starts at the 主送机关
# (archives, web exports) has no title line: generated here.
NO_TITLE = ["各市民政局：", "现将有关事项通知如下。", "广东省民政厅", "2026年3月5日", "（此件主动公开）"]
COMPLETED = ReviewedElements(title="广东省民政厅关于做好城乡低保工作的通知", doc_number="粤民发 [2026] 012号",
                             signed_date="2026-03-05", issuer="广东省民政厅", doc_type="通知")


def test_an_item_without_a_title_is_not_published_until_the_reviewer_enters_one(any_settings: Settings,
                                                                                 tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    claim, check = claim_for(storage, tmp_path, NO_TITLE)
    assert check.elements.title is None and "title_missing" in [problem.code for problem in check.problems]
    as_parsed = Decision("publish", "主动公开", "social_assistance", "", "", "李审核", elements=ReviewedElements(
        **{**asdict(COMPLETED), "title": "", "doc_number": ""}))
    with pytest.raises(PublishRefused, match="no title"):
        apply_decision(storage, tmp_path / "returned", CATALOGUE, claim, check, as_parsed)
    assert storage.public.keys("items/") == []

    completed = Decision("publish", "主动公开", "social_assistance", "", "", "李审核", elements=COMPLETED)
    prefix = f"{publish_and_find(storage, tmp_path, claim, check, completed)}"
    metadata = get_json(storage.public, f"{prefix}/metadata.json")
    assert metadata["title"] == COMPLETED.title and metadata["doc_number"] == "粤民发〔2026〕12号"
    assert metadata["corrections"] == {"title": {"from": None, "to": COMPLETED.title},
                                       "doc_number": {"from": None, "to": "粤民发〔2026〕12号"},
                                       "doc_type": {"from": None, "to": "通知"}}
    [entry] = get_json(storage.public, "catalogue/index.json")["items"]
    assert entry["title"] == COMPLETED.title
    published = [entry for entry in audit_entries(storage) if entry["event"] == "published"]
    assert published[0]["corrections"]["title"] == {"from": None, "to": COMPLETED.title}

    report = evaluate_elements(storage)  # the correction is now a test case the parser fails
    assert report == evaluate_elements_from_the_command_line(any_settings)
    assert (report.items, report.items_corrected) == (1, 1)
    assert (report.scores["title"].corrected, report.scores["title"].corrected_now_right) == (1, 0)
    assert report.scores["signed_date"].agree == 1
    assert {miss["element"] for miss in report.misses} == {"title", "doc_number", "doc_type"}


def evaluate_elements_from_the_command_line(settings: Settings) -> ElementReport:
    storage_fields = ("storage", "data_dir", "s3_endpoint", "s3_access_key", "s3_secret_key", "s3_region",
                      "public_bucket", "private_bucket")
    values = {name: getattr(settings, name) for name in storage_fields}
    env = {**os.environ, **{f"GONGKAI_{name.upper()}": value.get_secret_value() if isinstance(value, SecretStr)
                            else str(value) for name, value in values.items() if value is not None}}
    done = subprocess.run([str(Path(sys.executable).with_name("gongkai")), "evaluate", "--elements", "--json"],
                          capture_output=True, text=True, env=env, timeout=120, check=True)
    data = json.loads(done.stdout)
    return ElementReport(data["items"], data["items_corrected"],
                         {name: ElementScore(**score) for name, score in data["scores"].items()}, data["misses"])


def publish_and_find(storage: Storage, tmp_path: Path, claim: Claim, check: DocumentCheck, decision: Decision) -> str:
    assert apply_decision(storage, tmp_path / "returned", CATALOGUE, claim, check, decision) == "publish"
    [key] = [key for key in storage.public.keys("items/") if key.endswith("metadata.json")]
    return key.rsplit("/", 1)[0]


def test_reviewed_elements_are_cleaned_masked_and_move_the_deadline(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    _, check = claim_for(storage, tmp_path, GOOD)
    reviewed, corrections = reviewed_check(check, ReviewedElements(
        title="关于做好城乡低保工作的通知  （联系人 13912345678）", doc_number="粤民发〔2026〕12号",
        signed_date="2026-04-01", issuer="广东省民政厅、广东省财政厅", doc_type="通知"))
    assert "13912345678" not in reviewed.elements.title and "139****5678" in reviewed.elements.title
    assert reviewed.elements.issuers == ["广东省民政厅", "广东省财政厅"]
    assert reviewed.publish_deadline is not None and reviewed.publish_deadline.due == date(2026, 4, 30)
    assert set(corrections) == {"title", "signed_date", "issuer"}
    assert reviewed_check(check, ReviewedElements(**parsed_elements(check))) == (check, {})
    _, bad_date = reviewed_check(check, ReviewedElements(**{**parsed_elements(check), "signed_date": "2026-02-30"}))
    assert bad_date == {"signed_date": {"from": "2026-03-05", "to": None}}

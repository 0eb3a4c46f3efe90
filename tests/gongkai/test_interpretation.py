"""A 解读 is linked to the policy it explains, both ways, whichever is published first; a normative
document reviewed without its 解读 gets a warning. Documents are generated for these tests."""

from datetime import date
from pathlib import Path

from gongkai.document.check import check_bytes
from gongkai.document.interpretation import explains, interpreted_title, looks_normative, missing_interpretation
from gongkai.outcomes import Decision, publish
from gongkai.publishing.catalogue_feed import published_items
from gongkai.settings import Settings
from gongkai.storage import get_json, open_storage
from tests.gongkai.test_publishing import APPROVE, CATALOGUE, document

POLICY = ["广东省民政厅文件", "粤民规〔2026〕1号", "广东省民政厅关于印发《广东省最低生活保障办法》的通知",
          "各地级以上市民政局：", "现将《广东省最低生活保障办法》印发给你们，请认真贯彻执行。", "广东省民政厅",
          "2026年3月5日", "（此件主动公开）"]
INTERPRETATION = ["《广东省最低生活保障办法》解读", "一、制定背景", "为规范最低生活保障工作，制定本办法。", "广东省民政厅",
                  "2026年3月6日", "（此件主动公开）"]


def test_titles_name_the_policy_they_explain() -> None:
    interpreted = interpreted_title("《广东省最低生活保障办法》解读")
    assert interpreted == "广东省最低生活保障办法"
    assert explains(interpreted, "广东省民政厅关于印发《广东省最低生活保障办法》的通知")
    assert explains(interpreted_title("关于《广东省最低生活保障办法》的政策解读"), "广东省最低生活保障办法")
    assert not explains(interpreted, "广东省民政厅关于做好城乡低保工作的通知")
    assert interpreted_title("关于做好城乡低保工作的通知") is None


def test_normative_documents_are_recognised(tmp_path: Path) -> None:
    policy = check_bytes("\n".join(POLICY).encode(), "policy.txt", "txt", date(2026, 3, 6))
    plain = check_bytes("关于召开工作会议的通知\n各处室：\n定于3月召开会议。\n办公室\n2026年3月5日".encode(), "plain.txt",
                        "txt", date(2026, 3, 6))
    assert looks_normative(policy.elements) and not looks_normative(plain.elements)


def _published(storage, tmp_path: Path, lines: list[str], name: str, decision: Decision = APPROVE) -> dict:
    claim, check = document(storage, tmp_path, lines, name)
    return get_json(storage.public, f"{publish(storage, claim, check, decision, CATALOGUE)}/metadata.json")


def test_interpretation_published_after_its_policy_is_linked_both_ways(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    policy = _published(storage, tmp_path, POLICY, "policy.txt")
    interpretation = _published(storage, tmp_path, INTERPRETATION, "jiedu.txt")
    policy = get_json(storage.public, f"items/{policy['index_no'].replace('/', '-')}/metadata.json")
    assert interpretation["interpretation_of"] == policy["index_no"]
    assert policy["interpretation"] == interpretation["index_no"]
    html = storage.public.get(f"items/{policy['index_no'].replace('/', '-')}/content.html").decode()
    assert "政策解读" in html and interpretation["index_no"] in html


def test_policy_published_after_its_interpretation_is_linked_too(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    interpretation = _published(storage, tmp_path, INTERPRETATION, "jiedu.txt")
    policy = _published(storage, tmp_path, POLICY, "policy.txt")
    assert policy["interpretation"] == interpretation["index_no"]
    again = get_json(storage.public, f"items/{interpretation['index_no'].replace('/', '-')}/metadata.json")
    assert again["interpretation_of"] == policy["index_no"]


def test_reviewer_names_the_policy_when_the_title_does_not(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    policy = _published(storage, tmp_path, POLICY, "policy.txt")
    answers = ["关于低保新规的答记者问", "记者：新规有哪些变化？", "答：提高了保障标准。", "广东省民政厅", "2026年3月6日",
               "（此件主动公开）"]
    named = Decision("publish", "主动公开", "interpretation", "", "", "李审核", interprets=policy["index_no"])
    assert _published(storage, tmp_path, answers, "qa.txt", named)["interpretation_of"] == policy["index_no"]


def test_normative_document_without_published_interpretation_warns(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    _, policy = document(storage, tmp_path, POLICY, "policy.txt")
    problem = missing_interpretation(published_items(storage), policy.elements)
    assert problem is not None and problem.code == "interpretation_missing" and problem.severity.value == "warning"
    _published(storage, tmp_path, INTERPRETATION, "jiedu.txt")
    assert missing_interpretation(published_items(storage), policy.elements) is None

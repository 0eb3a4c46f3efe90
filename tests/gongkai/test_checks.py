"""Each check, with its stable code and severity, through the same stages `gongkai check` runs.
Documents are generated for these tests (invented names and numbers)."""

from datetime import date

import pytest

from gongkai.document.check import check_extracted
from gongkai.extractors.base import Extracted

TODAY = date(2026, 3, 10)


def document(body: str = "为做好有关工作，现通知如下。", label: str = "（此件主动公开）", title: str = "关于做好某项工作的通知",
             signed: str = "2026年3月5日", header: str = "广东省民政厅文件\n粤民发〔2026〕12号") -> Extracted:
    text = f"{header}\n{title}\n各地级以上市民政局：\n{body}\n广东省民政厅\n{signed}\n{label}\n抄送：民政部。"
    return Extracted(format="txt", lines=text.split("\n"))


def codes(extracted: Extracted, today: date = TODAY) -> dict[str, str]:
    return {problem.code: problem.severity.value for problem in check_extracted(extracted, today).problems}


def test_clean_proactive_document_has_no_problems() -> None:
    report = check_extracted(document(), TODAY)
    assert report.problems == []
    assert report.publish_deadline is not None and report.publish_deadline.due == date(2026, 4, 2)


def test_missing_label_is_an_error() -> None:
    assert codes(document(label="")) == {"label_missing": "error"}


def test_unknown_label_is_an_error() -> None:
    assert codes(document(label="信息公开属性：半公开")) == {"label_unknown": "error"}


def test_two_labels_conflict() -> None:
    found = codes(document(label="（此件主动公开）\n信息公开属性：不予公开 理由：内部事务"))
    assert found == {"label_conflict": "error"}


@pytest.mark.parametrize("label", ["（此件依申请公开）", "（此件不予公开）"])
def test_restricted_label_without_reason_warns(label: str) -> None:
    assert codes(document(label=label)) == {"label_reason_missing": "warning"}


def test_restricted_label_with_reason_is_fine() -> None:
    assert codes(document(label="（此件不予公开，理由：内部事务信息）")) == {}


def test_secrecy_marking_is_an_error_whatever_the_label() -> None:
    found = codes(document(header="机密★1年\n广东省民政厅文件\n粤民发〔2026〕12号"))
    assert found == {"secrecy_marking": "error"}


def test_personal_data_in_a_proactive_document() -> None:
    body = "经审核，同意张某（身份证号11010519491231002X，手机13912345678）的申请。"
    report = check_extracted(document(body=body), TODAY)
    assert {p.code: p.severity.value for p in report.problems} == {"pii_id_number": "error", "pii_mobile": "warning",
                                                                  "original_withheld": "warning"}
    # masked in every output: the report's text, the evidence, the JSON
    assert "19491231" not in report.text and "19491231" not in str(report.to_json())
    assert "13912345678" not in str(report.to_json())


def test_a_home_address_in_a_proactive_document_is_for_the_reviewer() -> None:
    body = "当事人：张某某，住址：广州市越秀区某某路12号3栋501房。经查，其违法事实清楚。"
    report = check_extracted(document(body=body), TODAY)
    assert {p.code: p.severity.value for p in report.problems} == {"pii_address": "warning",
                                                                  "original_withheld": "warning"}
    assert "3栋501房" not in report.text and "广州市越秀区" in report.text


def test_personal_data_is_not_a_problem_when_not_published() -> None:
    body = "经审核，同意张某（身份证号11010519491231002X）的申请。"
    report = check_extracted(document(body=body, label="（此件不予公开，理由：个人隐私）"), TODAY)
    assert report.problems == [] and [p.kind for p in report.personal_data] == ["id_number"]


@pytest.mark.parametrize("title, doc_type", [("关于申请某项经费的请示", "请示"), ("关于某项工作情况的报告", "报告"),
                                             ("厅长办公会议纪要", "纪要")])
def test_proactive_on_a_usually_withheld_doc_type_warns(title: str, doc_type: str) -> None:
    report = check_extracted(document(title=title), TODAY)
    assert report.elements.doc_type == doc_type
    assert {p.code: p.severity.value for p in report.problems} == {"withheld_doc_type": "warning"}
    assert "第十六条" in report.problems[0].message


def test_missing_number_and_date_warn() -> None:
    found = codes(document(header="广东省民政厅文件", signed=""))
    assert found == {"doc_number_missing": "warning", "signed_date_missing": "warning"}


def test_deadline_passed() -> None:
    assert codes(document(), today=date(2026, 4, 3)) == {"deadline_passed": "warning"}
    assert codes(document(), today=date(2026, 4, 2)) == {}


def test_deadline_in_a_year_without_schedule_is_marked_estimated() -> None:
    report = check_extracted(document(signed="2026年12月20日"), date(2026, 12, 21))
    assert report.to_json()["deadline_estimated"] is True
    assert report.to_json()["publish_deadline"] == "2027-01-18"
    assert [p.code for p in report.problems] == ["deadline_estimated"]


def test_json_contract_fields() -> None:
    data = check_extracted(document(), TODAY).to_json()
    for key in ("file", "sha256", "format", "title", "doc_number", "issuer", "signed_date", "doc_type", "label",
                "label_text", "label_reason", "secrecy", "pii", "suggestion", "publish_deadline",
                "deadline_estimated", "problems"):
        assert key in data
    assert data["label"] == "主动公开" and data["label_text"] == "（此件主动公开）"
    assert data["signed_date"] == "2026-03-05" and data["doc_number"] == "粤民发〔2026〕12号"
    assert data["issuer"] == "广东省民政厅" and data["suggestion"] is None


# Issue 11: partly public documents and documents without a title line (generated text).
PARTIAL = ("广东省民政厅文件\n粤民函〔2026〕31号\n广东省民政厅关于公布某某名单的通知\n各地级以上市民政局：\n现将名单印发给你们。\n"
           "附件：1.某某办法\n　　　2.某某名单\n广东省民政厅\n2026年3月5日\n（此件主动公开，附件2不予公开）\n附件1\n某某办法\n第一条　本办法公开施行。\n"
           "附件2\n某某名单\n张某某　身份证号 11010519491231002X\n抄送：民政部。\n广东省民政厅办公室 2026年3月6日印发")


def test_personal_data_in_a_withheld_attachment_does_not_stop_the_public_part() -> None:
    report = check_extracted(Extracted(format="txt", lines=PARTIAL.split("\n")), TODAY)
    assert report.to_json()["label"] == "主动公开" and report.to_json()["withheld_parts"] == ["附件2"]
    assert {p.code: p.severity.value for p in report.problems} == {"original_withheld": "warning"}
    assert any("附件2不予公开" in reason for reason in report.original_withheld)
    public = report.public_text()
    assert "张某某" not in public and "某某名单\n张" not in public and "（附件2不予公开）" in public
    assert "第一条　本办法公开施行。" in public and "抄送：民政部。" in public


def test_the_same_personal_data_outside_the_withheld_part_is_an_error() -> None:
    moved = PARTIAL.replace("第一条　本办法公开施行。", "第一条　联系人张某某 11010519491231002X。")
    assert codes(Extracted(format="txt", lines=moved.split("\n")))["pii_id_number"] == "error"


def test_a_withheld_attachment_not_in_the_file_is_for_the_reviewer() -> None:
    problems = codes(document(label="（此件正文公开，附件不予公开）"))
    # the original stays private too: gongkai cannot tell an attachment it did not find from one not there
    assert problems == {"withheld_part_not_found": "warning", "original_withheld": "warning"}


def test_a_document_without_a_title_line_warns() -> None:
    report = check_extracted(document(title="", header=""), TODAY)
    assert report.elements.title is None
    assert {"title_missing": "warning"}.items() <= {p.code: p.severity.value for p in report.problems}.items()

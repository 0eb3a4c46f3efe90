"""The official-document parser on documents written for these tests in GB/T 9704 layout
(generated, not real: names and numbers are invented), and on flat text as OCR and web copies give it."""

from datetime import date

import pytest

from gongkai.document.elements import canonical_doc_number, parse_elements, secrecy_marking
from gongkai.document.labels import ON_REQUEST, PROACTIVE, WITHHELD

FULL_DOCUMENT = """\
000123
机密★1年
特急
广东省民政厅文件
粤民发〔2026〕12号　　　　签发人：王某某
广东省民政厅关于做好2026年城乡最低生活保障
工作的通知
各地级以上市民政局：
　　为做好2026年城乡低保工作，现将有关事项通知如下。
　　一、提高保障标准。自2026年1月1日起执行新标准。
附件：1.2026年城乡低保标准表
　　　2.低保资金分配方案
广东省民政厅
2026年3月5日
（此件主动公开）
抄送：民政部，省财政厅。
广东省民政厅办公室　　　　　　　　2026年3月6日印发
"""


def test_every_element_of_a_full_document() -> None:
    elements = parse_elements(FULL_DOCUMENT)
    assert elements.secrecy == "机密" and elements.secrecy_period == "1年"
    assert elements.urgency == "特急"
    assert elements.doc_number == "粤民发〔2026〕12号"
    assert elements.signers == ["王某某"]
    assert elements.title == "广东省民政厅关于做好2026年城乡最低生活保障工作的通知"
    assert elements.doc_type == "通知"
    assert elements.recipients == "各地级以上市民政局"
    assert elements.attachments == ["2026年城乡低保标准表", "低保资金分配方案"]
    assert elements.issuers == ["广东省民政厅"]
    assert elements.signed_date == date(2026, 3, 5)
    assert elements.label is not None and elements.label.category == PROACTIVE
    assert elements.label.line == "（此件主动公开）"
    assert elements.cc == "民政部，省财政厅"
    assert elements.printed_by == "广东省民政厅办公室" and elements.printed_date == date(2026, 3, 6)


@pytest.mark.parametrize("written", ["粤民发〔2018〕12号", "粤民发[2018]12号", "粤民发【2018】12号",
                                     "粤民发(2018)12号", "粤民发（2018）12号", "粤民发〔２０１８〕１２号",
                                     "粤 民 发 〔 2018 〕 12 号", "粤民发〔2018〕012号"])
def test_doc_number_variants_normalise(written: str) -> None:
    assert canonical_doc_number(written) == "粤民发〔2018〕12号"
    assert parse_elements(f"广东省民政厅文件\n{written}\n关于某事的通知\n各市民政局：\n正文。").doc_number == "粤民发〔2018〕12号"


def test_cited_numbers_in_the_body_are_not_the_documents_own() -> None:
    text = "关于转发某事的通知\n各市：\n根据《国务院关于某事的通知》（国发〔2018〕1号）要求，现转发。\n某厅\n2018年5月1日"
    assert parse_elements(text).doc_number is None


@pytest.mark.parametrize("written, expected", [
    ("二〇一八年三月五日", date(2018, 3, 5)),
    ("二○一八年十二月二十八日", date(2018, 12, 28)),
    ("二零二六年十月一日", date(2026, 10, 1)),
    ("２０２２ 年 ４ 月 ２０ 日", date(2022, 4, 20)),
    ("2019年1月31日", date(2019, 1, 31)),
])
def test_signing_date_in_arabic_and_chinese_numerals(written: str, expected: date) -> None:
    text = f"关于某事的通知\n各市：\n于2017年1月2日召开会议。\n某某厅\n{written}\n"
    assert parse_elements(text).signed_date == expected


def test_impossible_date_is_ignored_not_a_crash() -> None:
    assert parse_elements("关于某事的通知\n各市：\n正文。\n某某厅\n2019年2月30日\n").signed_date is None


def test_nested_forwarding_title() -> None:
    text = ("广东省民政厅关于转发民政部关于加强\n养老服务工作的通知的通知\n粤民函〔2026〕3号\n"
            "各地级以上市民政局：\n现转发给你们。")
    elements = parse_elements(text)
    assert elements.title == "广东省民政厅关于转发民政部关于加强养老服务工作的通知的通知"
    assert elements.doc_type == "通知"


def test_joint_document_has_every_issuer() -> None:
    text = ("广东省民政厅 广东省财政厅文件\n粤民发〔2026〕7号\n关于调整残疾人两项补贴标准的通知\n各市：\n正文。\n"
            "广东省民政厅　　　　广东省财政厅\n2026年4月1日\n（此件主动公开）")
    assert parse_elements(text).issuers == ["广东省民政厅", "广东省财政厅"]
    stacked = "关于某事的批复\n某省人民政府：\n正文。\n国务院\n中央军委\n一九八五年六月二十日"
    assert parse_elements(stacked).issuers == ["国务院", "中央军委"]


def test_flat_text_without_line_breaks() -> None:
    text = ("内部事项国家电网有限公司文件国家电网发展(2020)646号国家电网有限公司关于推动电力市场建设的通知"
            "各分部，各省电力公司:今年以来，工作要求如下。国家电网有限公司2020年10月28日(此件不公开发布，发至收文单位本部。)"
            "国家电网有限公司办公室2020年10月28日印发")
    elements = parse_elements(text)
    assert elements.doc_number == "国家电网发展〔2020〕646号"
    assert elements.title == "国家电网有限公司关于推动电力市场建设的通知"
    assert elements.signed_date == date(2020, 10, 28)
    assert elements.label is not None and elements.label.category == WITHHELD
    assert elements.issuers == ["国家电网有限公司"]


def test_label_of_an_attached_draft_is_not_the_documents_own() -> None:
    text = ("关于征求《某某办法（征求意见稿）》意见的函\n各市民政局：\n请提出意见。\n附件：某某办法（征求意见稿）\n"
            "广东省民政厅\n2026年5月6日\n附件\n某某办法（征求意见稿）\n第一条 为了……\n广东省民政厅\n2026年5月6日\n（此件主动公开）")
    assert parse_elements(text).label is None


def test_label_on_an_incoming_document_form_is_not_the_documents_own() -> None:
    text = ("关于某事的报告\n省政府：\n现报告如下。\n某某厅\n2026年5月6日\n"
            "文件处理笺\n来文单位：某市政府\n来文字号：某府〔2026〕1号\n公开方式：不公开")
    assert parse_elements(text).label is None


def test_two_different_labels_in_the_document_conflict() -> None:
    text = ("发文稿纸\n信息公开属性：依申请公开\n理由：内部事务\n关于某事的通知\n各处室：\n正文。\n某某厅\n"
            "2026年5月6日\n（此件主动公开）")
    elements = parse_elements(text)
    assert elements.label is not None and elements.label.category == ON_REQUEST
    assert [other.category for other in elements.conflicting_labels] == [PROACTIVE]


def test_secrecy_words_in_prose_are_not_markings() -> None:
    text = "关于加强保密工作的通知\n各处室：\n严禁泄露国家秘密、商业秘密和工作秘密。机密文件要专人保管。\n某某厅\n2026年5月6日"
    assert parse_elements(text).secrecy is None


@pytest.mark.parametrize("lines", [["秘密★5年"], ["第 1 页", "秘密 5年"], ["000123 秘密 5年"], ["密级：秘密"]])
def test_secrecy_marking_in_another_part(lines: list[str]) -> None:
    """A running header, a comment, a property: the same markings as on the page, wherever they stand."""
    assert secrecy_marking(lines)[0] == "秘密"


def test_secrecy_marking_with_the_copy_number_on_its_line() -> None:
    assert parse_elements("000123　机密　特急\n关于某事的通知\n各处室：\n正文。").secrecy == "机密"
    assert parse_elements("份号：000123 绝密★\n关于某事的通知\n各处室：\n正文。").secrecy == "绝密"


def test_a_recipient_list_wrapped_over_printed_lines_is_whole():
    """PDF and OFD text has one line per printed line; the 主送机关 list wraps (real file, SOURCES.md)."""
    from pathlib import Path

    from gongkai.extractors import extract

    text = extract(Path(__file__).parents[1] / "data" / "govdoc-cn_397.pdf").text
    elements = parse_elements(text)
    assert elements.recipients == ("各省、自治区、直辖市、新疆生产建设兵团社会信用体系建设牵头部门，国家税务总局各省、自治区、"
                                   "直辖市和计划单列市税务局，社会信用体系建设部际联席会议成员单位办公厅（室）")
    assert text[elements.body_start:].startswith("各省、自治区")
    # a line above the list that is not under a title is not taken into it
    plain = parse_elements("广东省民政厅\n各地级以上市民政局：\n请做好低保工作。\n")
    assert plain.recipients == "各地级以上市民政局"


# Issue 11: GB/T 9704-2012 puts the 版记 (抄送, 印发机关和印发日期) after the attachments, and Guangdong and
# Guangzhou departments print the label there (公开方式：主动公开 above 抄送). Layout written for these tests.
WITH_ATTACHMENTS = """\
广东省民政厅文件
粤民函〔2026〕31号
广东省民政厅关于印发某某办法和某某名单的通知
各地级以上市民政局：
　　现将《某某办法》和某某名单印发给你们，请遵照执行。
附件：1.某某办法
　　　2.某某名单
广东省民政厅
2026年3月5日
附件1
某某办法
第一条　为了规范某某工作，制定本办法。
第二条　本办法自印发之日起施行。
附件2
某某名单
张某某　广州市天河区某某街道
"""
CLOSING = "抄送：民政部，省财政厅，\n　　省审计厅。\n广东省民政厅办公室　　　　　　　　2026年3月6日印发\n"


@pytest.mark.parametrize("label", ["公开方式：主动公开", "公开方式:主动公开", "信息公开选项：主动公开", "（此件主动公开）",
                                   "此件主动公开"])
def test_a_label_in_the_closing_block_after_two_attachments_is_the_documents(label: str) -> None:
    elements = parse_elements(WITH_ATTACHMENTS + f"{label}\n" + CLOSING)
    assert elements.label is not None and elements.label.category == PROACTIVE
    assert [section.name for section in elements.attachment_sections] == ["附件1", "附件2"]
    assert elements.signed_date == date(2026, 3, 5) and elements.printed_date == date(2026, 3, 6)


def test_a_label_as_the_files_last_line_after_the_attachments_is_the_documents() -> None:
    elements = parse_elements(WITH_ATTACHMENTS + "————————————\n公开方式：主动公开\n")
    assert elements.label is not None and elements.label.category == PROACTIVE


def test_a_withholding_label_in_the_closing_block_is_the_documents() -> None:
    elements = parse_elements(WITH_ATTACHMENTS + "公开方式：不予公开\n" + CLOSING)
    assert elements.label is not None and elements.label.category == WITHHELD


def test_a_label_under_an_attached_drafts_date_stays_the_drafts_even_above_the_closing_block() -> None:
    draft = (WITH_ATTACHMENTS.replace("附件2\n某某名单\n张某某　广州市天河区某某街道\n", "")
             + "广东省人民政府\n2026年3月1日\n（此件主动公开）\n" + CLOSING)
    assert parse_elements(draft).label is None
    closing_label = draft.replace(CLOSING, "公开方式：依申请公开\n" + CLOSING)
    elements = parse_elements(closing_label)
    assert elements.label is not None and elements.label.category == ON_REQUEST
    assert elements.conflicting_labels == []  # the draft's label is not the document's, so no conflict


def test_a_partial_note_names_the_withheld_attachment_and_its_text() -> None:
    text = WITH_ATTACHMENTS + "（此件正文公开，附件2不予公开）\n" + CLOSING
    elements = parse_elements(text)
    assert elements.label is not None and elements.label.category == PROACTIVE
    assert elements.withheld_parts == ["附件2"]
    [section] = elements.withheld_sections()
    assert section.name == "附件2" and "张某某" in text[section.start : section.end]
    assert "抄送" not in text[section.start : section.end] and "第一条" not in text[section.start : section.end]


def test_a_closing_block_laid_out_as_a_two_column_table_is_the_documents() -> None:
    # python-docx gives a table cell per line: 抄送 | 公开方式 over 印发机关 | 印发日期
    closing = "抄送：民政部。\n公开方式：主动公开\n广东省民政厅办公室\n2026年3月6日印发\n"
    elements = parse_elements(WITH_ATTACHMENTS + closing)
    assert elements.label is not None and elements.label.category == PROACTIVE


# Titles the reviewer should not have to retype (layouts of real documents, generated text).
@pytest.mark.parametrize("text, title", [
    ("国务院、中央军委\n关于新建某某民用机场的批复\n国函〔1987〕83号\n某某省人民政府：\n同意。\n国务院\n1987年5月6日",
     "国务院、中央军委关于新建某某民用机场的批复"),
    ("国务院办公厅关于全面推行行政规范性文件\n合法性审核机制的指导意见\n国办发〔2018〕115号\n各省人民政府：\n正文。",
     "国务院办公厅关于全面推行行政规范性文件合法性审核机制的指导意见"),
    ("某某公司文件某某〔2021〕1号签发人：XXX某某公司关于办公用房配置的请示某某部：现请示如下。",
     "某某公司关于办公用房配置的请示"),
    ("国家电网有限公司内部事项加急关于填报月度推进计划表的通知各单位：请填报。", "关于填报月度推进计划表的通知"),
    ("关于某某项目有关情况的报告一、基本情况按照《某某部关于开展预算编制工作的通知》要求：现汇报。",
     "关于某某项目有关情况的报告"),
    ("某某省人民政府办公厅对省十四届人大\n二次会议第1234号建议的答复\n某府办函〔2026〕5号\n某某代表：\n现答复如下。",
     "某某省人民政府办公厅对省十四届人大二次会议第1234号建议的答复"),
])
def test_title_without_header_marks_and_with_its_issuers(text: str, title: str) -> None:
    assert parse_elements(text).title == title

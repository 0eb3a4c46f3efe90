"""Every label phrasing in DOMAIN.md maps to its category; distribution notes are not labels."""

import pytest

from gongkai.document.labels import ON_REQUEST, PROACTIVE, WITHHELD, find_mentions
from gongkai.document.textnorm import normalise


def categories(text: str) -> list[str | None]:
    return [mention.category for mention in find_mentions(normalise(text))]


@pytest.mark.parametrize("printed, category", [
    ("（此件社会公开）", PROACTIVE),
    ("（此件公开发布）", PROACTIVE),
    ("（此件主动公开）", PROACTIVE),
    ("(此件公开发布)", PROACTIVE),
    ("（此件依申请公开）", ON_REQUEST),
    ("（此件不予公开）", WITHHELD),
    ("（此件不公开）", WITHHELD),
    ("（此件不公开发布，发至收文单位本部。未经公司许可，严禁以任何方式对外传播和发布。）", WITHHELD),
    ("信息公开属性：不公开", WITHHELD),
    ("政府信息公开属性：不予公开", WITHHELD),
    ("政府信息公开选项：依申请公开", ON_REQUEST),
    ("公开方式：主动公开", PROACTIVE),
    ("公开属性：☑主动公开 □依申请公开 □不予公开", PROACTIVE),
    ("公开属性：□主动公开 ■依申请公开 □不予公开", ON_REQUEST),
    ("（此件不对外公开）", WITHHELD),
    ("（此件不向社会公开）", WITHHELD),
    ("（此件删减后公开）", PROACTIVE),
    ("（此文件主动公开）", PROACTIVE),
    ("2026年3月5日\n（主动公开）", PROACTIVE),  # a bare category alone on its line
    ("广东省民政厅2026年3月5日（不予公开）", WITHHELD),  # flat text: right after the date
])
def test_phrasing_maps_to_category(printed: str, category: str) -> None:
    assert categories(printed) == [category]


@pytest.mark.parametrize("note", [
    "（此件发至县团级）", "（此件发至县级）", "（此件有删减）", "（本文有删减）",
    "公开属性：□主动公开 □依申请公开 □不予公开",  # a blank form template
    "政府信息公开方式：通过政府网站、政务新媒体和新闻发布会等途径及时发布",  # prose about disclosure
    "各单位要编制政府信息公开目录（主动公开）并及时更新。",  # a bare category inside a sentence
])
def test_distribution_notes_and_blank_forms_are_not_labels(note: str) -> None:
    assert categories(note) == []


def test_unknown_value_is_reported_without_category() -> None:
    [mention] = find_mentions(normalise("信息公开属性：半公开"))
    assert mention.category is None and mention.value == "半公开"


@pytest.mark.parametrize("text, reason", [
    ("（此件不予公开，理由：内部事务信息）", "内部事务信息"),
    ("信息公开属性：依申请公开\n依申请公开或不予公开理由：内部事宜", "内部事宜"),
    ("政府信息公开属性：不予公开  理由：过程性信息", "过程性信息"),
])
def test_reason_is_read(text: str, reason: str) -> None:
    assert find_mentions(normalise(text))[0].reason == reason


def test_proactive_note_has_no_reason() -> None:
    assert find_mentions(normalise("（此件主动公开）"))[0].reason is None


def test_flat_field_value_stops_where_the_next_element_starts() -> None:
    [mention] = find_mentions(normalise("山东省生态环境厅2021年8月17日信息公开属性:不公开附件1省有关部门名单"))
    assert mention.category == WITHHELD and mention.text == "信息公开属性:不公开"


# Issue 11: the closing label as departments outside the corpus print it (Guangdong and Guangzhou put it in
# the 版记), with either colon and with or without brackets.
@pytest.mark.parametrize("printed", [
    "此件主动公开", "此件主动公开。", "（此件主动公开）", "公开方式：主动公开", "公开方式:主动公开", "（公开方式：主动公开）",
    "【公开方式】主动公开", "公开形式：主动公开", "信息公开形式：主动公开", "信息公开类型：主动公开", "信息公开选项：主动公开",
    "公开属性：主动公开", "公开类别：主动公开", "[公开属性]：主动公开",
])
def test_every_phrasing_of_a_closing_label(printed: str) -> None:
    assert categories(printed) == [PROACTIVE]


@pytest.mark.parametrize("printed, category", [
    ("此件不公开发布", WITHHELD), ("（此件不公开发布）", WITHHELD), ("公开方式：不予公开", WITHHELD),
    ("公开形式:不公开", WITHHELD), ("【信息公开选项】依申请公开", ON_REQUEST), ("此件依申请公开。", ON_REQUEST),
])
def test_negative_findings_stay_negative_in_every_phrasing(printed: str, category: str) -> None:
    assert categories(printed) == [category]


@pytest.mark.parametrize("printed, parts", [
    ("（此件正文公开，附件不予公开）", ("附件",)),
    ("（附件不公开）", ("附件",)),
    ("（附件2不予公开）", ("附件2",)),
    ("(附件2不予公开)", ("附件2",)),
    ("（此件主动公开，附件1、3不予公开）", ("附件1", "附件3")),
    ("（此件公开发布，附件2至4依申请公开）", ("附件2", "附件3", "附件4")),
    ("公开方式：主动公开（附件不公开）", ("附件",)),
    ("公开属性：部分公开（附件2不予公开）", ("附件2",)),
])
def test_withholding_a_part_leaves_the_document_proactive(printed: str, parts: tuple[str, ...]) -> None:
    assert [(m.category, m.withheld_parts) for m in find_mentions(normalise(printed))] == [(PROACTIVE, parts)]


@pytest.mark.parametrize("printed", ["（此件部分公开）", "公开属性：部分公开"])
def test_partial_disclosure_without_a_part_is_unknown(printed: str) -> None:
    assert categories(printed) == [None]


def test_withholding_the_whole_document_names_no_parts() -> None:
    [mention] = find_mentions(normalise("（此件不予公开，附件2依申请公开）"))
    assert (mention.category, mention.withheld_parts) == (WITHHELD, ())


@pytest.mark.parametrize("text", ["（附件1）", "（正文略）", "本文件自2026年1月1日起施行。", "附件2不予公开的理由如下：",
                                  "此件公开征求意见的时间为30日，请各单位于月底前反馈。"])
def test_prose_about_parts_is_not_a_label(text: str) -> None:
    assert categories(text) == []

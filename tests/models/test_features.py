"""No leakage: the model input of a document is the same with and without its label line."""

from __future__ import annotations

import numpy as np

from gongkai.document.elements import parse_elements
from gongkai.document.labels import find_mentions
from gongkai.document.textnorm import normalise
from gongkai.models.data import prepare
from gongkai.models.features import model_input, sentence_spans


def _without_label(text: str) -> str:
    """The document as if the drafter had not printed the label: its line when it stands on one, or in
    flat text (a whole document on one line) the label alone."""
    label = parse_elements(text).label
    assert label is not None
    if len(label.line) <= 120:
        return "\n".join(line for line in text.split("\n") if line.strip() != label.line)
    return text[: label.start] + text[label.end :]


def test_label_removal_leaves_the_same_model_input(corpus, encoder):
    labelled = [example for example in corpus if example.category]
    checked = 0
    for example in labelled:
        with_label, without_label = model_input(example.text), model_input(_without_label(example.text))
        assert with_label == without_label, example.source
        assert not find_mentions(normalise(with_label)), example.source
        checked += 1
    assert checked == len(labelled) > 150
    pair = [model_input(labelled[0].text), model_input(_without_label(labelled[0].text))]
    vectors = encoder.embed(pair)
    assert np.array_equal(vectors[0], vectors[1])


def test_label_stated_twice_and_reason_are_removed():
    text = ("关于做好低保工作的通知\n各市民政局：\n请认真做好低保工作。\n广东省民政厅\n2026年3月5日\n"
            "（此件不予公开，不予公开理由：内部事务信息）\n信息公开属性：不公开\n")
    cleaned = prepare(text).model_text
    assert "公开" not in cleaned and "内部事务" not in cleaned
    assert "请认真做好低保工作" in cleaned


def test_flat_text_keeps_its_body():
    text = ("关于加强管理的通知各单位：" + "请加强安全生产管理，落实责任，确保各项工作平稳有序。" * 5
            + "某公司2020年5月6日(此件不公开发布，发至收文单位本部。)抄送：办公室。")
    cleaned = model_input(text)
    assert "不公开" not in cleaned and "请加强安全生产管理" in cleaned and "抄送" in cleaned


def test_sentences_cover_the_text():
    text = "第一句话在这里。第二句话也在这里！\n短\n第三行没有句号但很长"
    spans = sentence_spans(text)
    assert [text[s:e].strip() for s, e in spans] == ["第一句话在这里。", "第二句话也在这里！", "第三行没有句号但很长"]

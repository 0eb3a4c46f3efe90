"""Heads trained on the real corpus: cross-validated quality, calibration, zero-shot topics, suggestions."""

from __future__ import annotations

import numpy as np
import pytest

from gongkai.catalogue import load_catalogue
from gongkai.document.check import Suggestion
from gongkai.document.checks import Problem
from gongkai.document.checks import suggestion_problem as _problem
from gongkai.document.elements import parse_elements
from gongkai.document.labels import ON_REQUEST, PROACTIVE, WITHHELD
from gongkai.models.data import prepare
from gongkai.models.encoder import EncoderChoice
from gongkai.models.evaluation import evaluate_category
from gongkai.models.heads import fit_category_head, fit_topic_head, topic_descriptions
from gongkai.models.store import ModelStore
from gongkai.models.suggest import Suggester, load_suggester
from gongkai.settings import Settings

pytestmark = pytest.mark.slow  # trains or embeds the corpus: minutes on 2 cores


@pytest.fixture(scope="module")
def labelled(corpus, embedding_cache):
    examples = [example for example in corpus if example.category]
    prepared = [prepare(example.text) for example in examples]
    vectors = embedding_cache.embed([p.model_text for p in prepared])
    return examples, prepared, vectors


def test_cross_validated_category_is_as_good_as_the_baseline_and_better_calibrated(labelled):
    examples, prepared, vectors = labelled
    model, baseline = evaluate_category(prepared, [e.category for e in examples], vectors)
    assert model.classes == [WITHHELD, PROACTIVE]
    assert sum(map(sum, model.confusion)) == sum(map(sum, baseline.confusion)) == len(examples)
    assert model.macro_f1 >= 0.95 and model.macro_f1 >= baseline.macro_f1
    assert model.ece is not None and model.ece < baseline.ece


def test_zero_shot_topics_follow_the_catalogue(encoder):
    catalogue = load_catalogue()
    descriptions = topic_descriptions(catalogue)
    head = fit_topic_head(dict(zip(descriptions, encoder.embed(list(descriptions.values()), "query"))))
    documents = {
        "social_assistance": "关于提高城乡最低生活保障标准的通知：各地要按时足额发放低保金和特困人员救助供养金。",
        "elderly_disability": "关于加快发展养老服务的意见：支持养老机构建设，落实高龄老年人津贴和残疾人护理补贴。",
        "finance": "广东省民政厅2026年部门预算公开说明：一般公共预算支出、三公经费和政府采购情况。",
        "social_affairs": "寻亲公告：救助管理站收留一名流浪乞讨人员，请其亲属与本站联系。",
    }
    predicted = head.probabilities(encoder.embed(list(documents.values()))).argmax(axis=1)
    assert [head.keys[i] for i in predicted] == list(documents)


def suggestion_problem(suggestion: Suggestion, elements, learned: list[str] | None = None) -> Problem | None:  # noqa: ANN001
    return _problem(suggestion.category, suggestion.category_confidence, suggestion.why, suggestion.rule_decided,
                    elements, learned)


def test_trained_suggester_explains_and_warns(labelled, encoder, tmp_path):
    examples, prepared, vectors = labelled
    catalogue = load_catalogue()
    descriptions = topic_descriptions(catalogue)
    topic_head = fit_topic_head(dict(zip(descriptions, encoder.embed(list(descriptions.values()), "query"))))
    category_head = fit_category_head(vectors, [p.model_text for p in prepared], [e.category for e in examples])
    store = ModelStore(tmp_path)
    version = store.save({**category_head.arrays(), **topic_head.arrays()},
                         {"metrics": {"category_macro_f1": 1.0}, "evaluation_hash": "x"})
    store.promote_if_not_worse(version)
    suggester = load_suggester(store, catalogue, encoder=encoder)
    assert isinstance(suggester, Suggester) and suggester.version == version

    withheld = next(p for p, e in zip(prepared, examples) if e.category == WITHHELD)
    suggestion = suggester.suggest(withheld.masked_text, withheld.elements, withheld.personal_data)
    assert set(suggestion.to_json()) >= {"category", "category_confidence", "topic", "topic_confidence", "why"}
    assert suggestion.category == WITHHELD and 0.5 < suggestion.category_confidence <= 1.0
    assert any("句子" in reason for reason in suggestion.why)
    assert suggestion.topic in {topic.key for topic in catalogue.topics}

    secret = "秘密★1年\n关于做好低保工作的通知\n各市民政局：\n请认真做好低保工作。\n广东省民政厅\n2026年3月5日\n（此件主动公开）\n"
    elements = parse_elements(secret)
    suggestion = suggester.suggest(secret, elements, [])
    assert suggestion.category == WITHHELD and suggestion.category_confidence == 1.0
    problem = suggestion_problem(suggestion, elements)
    assert problem is not None and problem.code == "suggestion_disagrees" and problem.severity.value == "warning"
    assert suggestion_problem(Suggestion(PROACTIVE, 0.99, None, None), elements) is None
    assert suggestion_problem(Suggestion(WITHHELD, 0.5, None, None), elements) is None

    # labelled 依申请公开, a category without training examples: only a rule may contradict it
    on_request = parse_elements(secret.replace("秘密★1年\n", "").replace("主动公开", "依申请公开"))
    learned = category_head.classes
    assert ON_REQUEST not in learned
    assert suggestion_problem(Suggestion(WITHHELD, 0.99, None, None), on_request, learned) is None
    assert suggestion_problem(Suggestion(WITHHELD, 1.0, None, None, rule_decided=True), on_request, learned) is not None


def test_without_a_trained_model_only_topics_are_suggested(encoder, tmp_path):
    suggester = load_suggester(ModelStore(tmp_path), load_catalogue(), encoder=encoder)
    text = "关于做好城乡低保工作的通知\n各市民政局：\n请做好最低生活保障和临时救助工作。\n"
    suggestion = suggester.suggest(text, parse_elements(text), [])
    assert suggestion.category is None and suggestion.topic == "social_assistance"
    assert np.isfinite(suggestion.topic_confidence)


def test_lexical_channel_is_the_baselines_tfidf(labelled):
    """Hashed n-grams (nothing to store but the IDF) give the same document geometry as TfidfVectorizer."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from gongkai.models.heads import fit_idf, lexical_features

    texts = [p.model_text for p in labelled[1][:60]]
    ours = lexical_features(texts, fit_idf(texts))
    reference = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True).fit_transform(texts)
    assert np.abs((ours @ ours.T).toarray() - (reference @ reference.T).toarray()).max() < 0.01


def test_a_version_is_served_with_the_quantisation_it_was_trained_with(labelled, encoder, tmp_path):
    examples, prepared, vectors = labelled
    descriptions = topic_descriptions(load_catalogue())
    topic_head = fit_topic_head(dict(zip(descriptions, encoder.embed(list(descriptions.values()), "query"))))
    category_head = fit_category_head(vectors, [p.model_text for p in prepared], [e.category for e in examples])
    store = ModelStore(tmp_path)
    version = store.save({**category_head.arrays(), **topic_head.arrays()},
                         {"metrics": {"category_macro_f1": 1.0}, "evaluation_hash": "x",
                          "encoder": {**encoder.description, "int8": not encoder.int8}})
    store.promote_if_not_worse(version)
    choice = EncoderChoice.from_settings(Settings())
    assert load_suggester(store, load_catalogue(), choice).encoder.int8 is not encoder.int8

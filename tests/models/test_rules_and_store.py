"""Domain rules and the model store's promotion gate."""

from __future__ import annotations

import json

import numpy as np

from gongkai.document.elements import DocumentElements
from gongkai.document.labels import ON_REQUEST, PROACTIVE, WITHHELD
from gongkai.document.pii import ID_NUMBER, PersonalData
from gongkai.models.rules import apply_rules
from gongkai.models.store import ModelStore

MODEL_SAYS_PUBLISH = {PROACTIVE: 0.9, ON_REQUEST: 0.0, WITHHELD: 0.1}


def test_secrecy_marking_always_withholds():
    outcome = apply_rules(MODEL_SAYS_PUBLISH, DocumentElements(secrecy="秘密"), [])
    assert outcome.decided and max(outcome.probabilities, key=outcome.probabilities.get) == WITHHELD
    assert "第十四条" in outcome.reasons[0]


def test_process_document_types_lean_to_withholding():
    plain = apply_rules(MODEL_SAYS_PUBLISH, DocumentElements(doc_type="通知"), [])
    request = apply_rules(MODEL_SAYS_PUBLISH, DocumentElements(doc_type="请示"), [])
    assert request.probabilities[WITHHELD] > plain.probabilities[WITHHELD]
    assert not plain.reasons and "第十六条" in request.reasons[0]


def test_identifying_personal_data_moves_to_on_request():
    person = [PersonalData(ID_NUMBER, "110105********002X", 0, 18)]
    outcome = apply_rules(MODEL_SAYS_PUBLISH, DocumentElements(doc_type="批复"), person)
    assert max(outcome.probabilities, key=outcome.probabilities.get) == ON_REQUEST
    assert abs(sum(outcome.probabilities.values()) - 1.0) < 1e-9


def _version(store: ModelStore, score: float, evaluation: str = "same", metric: str = "category_macro_f1") -> str:
    return store.save({"category_coef": np.zeros((2, 3))},
                      {"metrics": {metric: score}, "evaluation_hash": evaluation, "gate_metric": metric})


def test_gate_promotes_only_versions_that_are_not_worse(tmp_path):
    store = ModelStore(tmp_path)
    first = _version(store, 0.90)
    assert store.promote_if_not_worse(first).promoted
    worse = _version(store, 0.85)
    assert not store.promote_if_not_worse(worse).promoted
    other_data = _version(store, 0.99, evaluation="other")
    assert not store.promote_if_not_worse(other_data).promoted
    held_out = _version(store, 0.99, metric="held_out_macro_f1")  # same data, measured another way
    assert not store.promote_if_not_worse(held_out).promoted
    equal = _version(store, 0.90)
    assert store.promote_if_not_worse(equal).promoted
    assert store.load_promoted().version == equal
    assert [m["version"] for m in store.list()] == [first, worse, other_data, held_out, equal]
    decisions = [json.loads(line) for line in (tmp_path / "decisions.jsonl").read_text().splitlines()]
    assert [d["promoted"] for d in decisions] == [True, False, False, False, True]
    assert decisions[3]["metric"] == "held_out_macro_f1" and "不同" in decisions[3]["reason"]
    assert np.array_equal(store.load(first).arrays["category_coef"], np.zeros((2, 3)))

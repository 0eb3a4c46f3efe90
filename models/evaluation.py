"""Stratified k-fold evaluation of the suggestion pipeline next to a lexical baseline, on the same splits.

Category: encoder + calibrated regression + rules, against character n-gram TF-IDF + logistic
regression; both see the text with its label removed. Topic: zero-shot on the documents whose subject
maps to a catalogue topic (against TF-IDF similarity to the same descriptions), and learned, on the
corpus's own subject categories (prototype head against TF-IDF + regression).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gongkai.catalogue import Catalogue
from gongkai.labels import CATEGORIES, ON_REQUEST
from models.data import EmbeddingCache, Example, Prepared, prepare
from models.heads import MIN_CLASS_EXAMPLES, fit_category_head, fit_topic_head, topic_descriptions
from models.rules import apply_rules

FOLDS = 5
SEED = 0
ECE_BINS = 10
BASELINE_C = 10.0


@dataclass
class ClassifierReport:
    name: str
    classes: list[str]
    per_class: dict[str, dict[str, float]]
    macro_f1: float
    confusion: list[list[int]]  # rows: true class, columns: predicted, in `classes` order
    ece: float | None
    accuracy: float


@dataclass
class EvaluationReport:
    documents: int
    labelled: dict[str, int]
    category_model: ClassifierReport
    category_baseline: ClassifierReport
    topic_zero_shot: dict[str, Any]
    topic_learned: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def metrics(self) -> dict[str, float | None]:
        return {"category_macro_f1": self.category_model.macro_f1, "category_ece": self.category_model.ece,
                "baseline_macro_f1": self.category_baseline.macro_f1,
                "topic_zero_shot_accuracy": self.topic_zero_shot.get("model_accuracy"),
                "topic_learned_accuracy": self.topic_learned.get("model_accuracy")}


def expected_calibration_error(confidences: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """Mean |accuracy − confidence| over equal-width confidence bins, weighted by bin size."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidences > low) & (confidences <= high)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidences[inside].mean())
    return float(total)


def classifier_report(name: str, truth: list[str], predicted: list[str], classes: list[str],
                      confidences: np.ndarray | None = None) -> ClassifierReport:
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=classes, zero_division=0)
    per_class = {c: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                 for c, p, r, f, s in zip(classes, precision, recall, f1, support)}
    correct = np.array([t == p for t, p in zip(truth, predicted)])
    ece = expected_calibration_error(confidences, correct) if confidences is not None else None
    return ClassifierReport(name, classes, per_class, float(np.mean(f1)),
                            confusion_matrix(truth, predicted, labels=classes).tolist(), ece, float(correct.mean()))


def _folds(labels: list[str], folds: int = FOLDS):
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(folds, shuffle=True, random_state=SEED).split(np.zeros(len(labels)), labels))


def _tfidf_regression(train_texts: list[str], train_labels: list[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2),
                         LogisticRegression(C=BASELINE_C, class_weight="balanced", max_iter=5000)
                         ).fit(train_texts, train_labels)


def evaluate_category(prepared: list[Prepared], labels: list[str], vectors: np.ndarray
                      ) -> tuple[ClassifierReport, ClassifierReport]:
    learned = sorted(c for c, n in Counter(labels).items() if n >= MIN_CLASS_EXAMPLES)
    keep = [i for i, label in enumerate(labels) if label in learned]
    prepared, labels, vectors = [prepared[i] for i in keep], [labels[i] for i in keep], vectors[keep]
    model_predictions, model_confidences = [""] * len(labels), np.zeros(len(labels))
    baseline_predictions, baseline_confidences = [""] * len(labels), np.zeros(len(labels))
    for train, test in _folds(labels):
        head = fit_category_head(vectors[train], [labels[i] for i in train])
        for i, row in zip(test, head.probabilities(vectors[test])):
            learned_probabilities = dict(zip(head.classes, row))
            outcome = apply_rules({c: float(learned_probabilities.get(c, 0.0)) for c in CATEGORIES},
                                  prepared[i].elements, prepared[i].personal_data)
            model_predictions[i] = max(outcome.probabilities, key=outcome.probabilities.get)
            model_confidences[i] = outcome.probabilities[model_predictions[i]]
        baseline = _tfidf_regression([prepared[i].model_text for i in train], [labels[i] for i in train])
        for i, row in zip(test, baseline.predict_proba([prepared[i].model_text for i in test])):
            baseline_predictions[i] = str(baseline.classes_[row.argmax()])
            baseline_confidences[i] = row.max()
    return (classifier_report("encoder+rules", labels, model_predictions, learned, model_confidences),
            classifier_report("tfidf-char-lr", labels, baseline_predictions, learned, baseline_confidences))


def evaluate_topic_zero_shot(prepared: list[Prepared], topics: list[str], vectors: np.ndarray,
                             cache: EmbeddingCache, catalogue: Catalogue) -> dict[str, Any]:
    """Documents vs catalogue descriptions, no training: encoder cosine vs TF-IDF cosine."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    descriptions = topic_descriptions(catalogue)
    head = fit_topic_head(dict(zip(descriptions, cache.embed(list(descriptions.values()), "query"))))
    model = [head.keys[i] for i in head.probabilities(vectors).argmax(1)] if len(topics) else []
    tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    tfidf.fit([p.model_text for p in prepared] + list(descriptions.values()))
    similarity = tfidf.transform([p.model_text for p in prepared]) @ tfidf.transform(list(descriptions.values())).T
    baseline = [head.keys[i] for i in np.asarray(similarity.argmax(1)).ravel()] if len(topics) else []
    return {"documents": len(topics), "model_accuracy": _accuracy(topics, model),
            "baseline_accuracy": _accuracy(topics, baseline), "truth": topics, "model": model, "baseline": baseline}


def evaluate_topic_learned(prepared: list[Prepared], topics: list[str], vectors: np.ndarray,
                           cache: EmbeddingCache) -> dict[str, Any]:
    """The learning topic head on labels it has examples for (the corpus's own subjects, ≥ 5 documents each)."""
    counts = Counter(topics)
    keep = [i for i, t in enumerate(topics) if counts[t] >= MIN_CLASS_EXAMPLES]
    if len({topics[i] for i in keep}) < 2:
        return {"documents": 0, "model_accuracy": None, "baseline_accuracy": None, "classes": {}}
    prepared, topics, vectors = [prepared[i] for i in keep], [topics[i] for i in keep], vectors[keep]
    keys = sorted(set(topics))
    names = dict(zip(keys, cache.embed([key.replace("\\", " ") for key in keys], "query")))
    model, baseline = [""] * len(topics), [""] * len(topics)
    for train, test in _folds(topics):
        head = fit_topic_head(names, vectors[train], [topics[i] for i in train])
        for i, row in zip(test, head.probabilities(vectors[test])):
            model[i] = head.keys[int(row.argmax())]
        lexical = _tfidf_regression([prepared[i].model_text for i in train], [topics[i] for i in train])
        for i, label in zip(test, lexical.predict([prepared[i].model_text for i in test])):
            baseline[i] = str(label)
    from sklearn.metrics import f1_score

    return {"documents": len(topics), "classes": dict(Counter(topics)),
            "model_accuracy": _accuracy(topics, model), "baseline_accuracy": _accuracy(topics, baseline),
            "model_macro_f1": float(f1_score(topics, model, average="macro")),
            "baseline_macro_f1": float(f1_score(topics, baseline, average="macro"))}


def _accuracy(truth: list[str], predicted: list[str]) -> float | None:
    return float(np.mean([t == p for t, p in zip(truth, predicted)])) if truth else None


def evaluate(examples: list[Example], cache: EmbeddingCache, catalogue: Catalogue) -> EvaluationReport:
    prepared = [prepare(example.text) for example in examples]
    vectors = cache.embed([p.model_text for p in prepared])
    labelled = [i for i, example in enumerate(examples) if example.category]
    labels = [examples[i].category for i in labelled]
    model, baseline = evaluate_category([prepared[i] for i in labelled], labels, vectors[labelled])
    mapped = [i for i, example in enumerate(examples) if example.topic]
    zero_shot = evaluate_topic_zero_shot([prepared[i] for i in mapped], [examples[i].topic for i in mapped],
                                         vectors[mapped], cache, catalogue)
    zero_shot["with_source_topic"] = sum(1 for example in examples if example.source_topic)
    sourced = [i for i, example in enumerate(examples) if example.source_topic]
    learned_topics = evaluate_topic_learned([prepared[i] for i in sourced], [examples[i].source_topic for i in sourced],
                                            vectors[sourced], cache)
    notes = []
    if Counter(labels)[ON_REQUEST] < MIN_CLASS_EXAMPLES:
        notes.append(f"依申请公开 只有 {Counter(labels)[ON_REQUEST]} 个已标注样本，模型不学习该类；仅当规则触发（含身份证号/"
                     f"银行卡号等个人信息）时建议依申请公开 / 依申请公开 has {Counter(labels)[ON_REQUEST]} labelled "
                     "examples (public documents rarely are): the model does not learn it; it is suggested only "
                     "by rule (personal data identifying a person, 条例 第十五条).")
    return EvaluationReport(len(examples), dict(Counter(labels)), model, baseline, zero_shot, learned_topics, notes)


def format_report(report: EvaluationReport) -> str:
    lines = [f"文档 documents: {report.documents}; 已标注 labelled: {report.labelled}",
             f"类别 category, {FOLDS}-fold stratified (seed {SEED}), label lines removed:"]
    for result in (report.category_model, report.category_baseline):
        lines.append(f"  {result.name:15} macro-F1 {result.macro_f1:.4f}  accuracy {result.accuracy:.4f}  "
                     f"ECE {result.ece:.4f}")
        for name, figures in result.per_class.items():
            lines.append(f"    {name:6} P {figures['precision']:.3f}  R {figures['recall']:.3f}  "
                         f"F1 {figures['f1']:.3f}  n {figures['support']}")
        lines.append(f"    confusion (rows true, cols predicted {result.classes}): {result.confusion}")
    zero = report.topic_zero_shot
    lines.append(f"主题 topic, zero-shot vs catalogue: {zero['documents']} of {zero['with_source_topic']} documents "
                 "with a subject map to a catalogue topic")
    if zero["documents"]:
        lines.append(f"  encoder accuracy {zero['model_accuracy']:.3f}   tfidf-char accuracy {zero['baseline_accuracy']:.3f}")
    learned = report.topic_learned
    if learned["documents"]:
        lines.append(f"主题 topic, learned from examples ({FOLDS}-fold, corpus subjects {learned['classes']}):")
        lines.append(f"  prototype head accuracy {learned['model_accuracy']:.3f} macro-F1 {learned['model_macro_f1']:.3f}"
                     f"   tfidf-char-lr accuracy {learned['baseline_accuracy']:.3f} "
                     f"macro-F1 {learned['baseline_macro_f1']:.3f}")
    lines += report.notes
    return "\n".join(lines)

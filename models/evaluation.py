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
from gongkai.document.labels import CATEGORIES, ON_REQUEST
from gongkai.models.data import EmbeddingCache, Example, Prepared, prepare
from gongkai.models.heads import MIN_CLASS_EXAMPLES, CategoryHead, fit_category_head, fit_topic_head, topic_descriptions
from gongkai.models.rules import apply_rules

FOLDS = 5
SEED = 0
ECE_BINS = 10
BASELINE_C = 10.0
MODEL_NAME = "encoder+ngram+rules"
BASELINE_NAME = "tfidf-char-lr"


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
class HeldOutReport:
    """Category on documents outside the training set: both fitted on every training document."""

    documents: int
    labelled: dict[str, int]
    model: ClassifierReport
    baseline: ClassifierReport
    unlearned: dict[str, dict[str, int]]  # category the model has too few examples of → what it suggested


@dataclass
class EvaluationReport:
    """What evaluate() measured; the cross-validated parts are None when it was asked to skip them (training
    with a fixed evaluation set: the gate measures on that set only)."""

    documents: int
    labelled: dict[str, int]
    category_model: ClassifierReport | None
    category_baseline: ClassifierReport | None
    topic_zero_shot: dict[str, Any]
    topic_learned: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    held_out: HeldOutReport | None = None

    def metrics(self) -> dict[str, float | None]:
        held_out, model, baseline = self.held_out, self.category_model, self.category_baseline
        return {"category_macro_f1": model.macro_f1 if model else None, "category_ece": model.ece if model else None,
                "baseline_macro_f1": baseline.macro_f1 if baseline else None,
                "held_out_macro_f1": held_out.model.macro_f1 if held_out else None,
                "held_out_baseline_macro_f1": held_out.baseline.macro_f1 if held_out else None,
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


@dataclass
class CategoryPredictions:
    """The model's and the baseline's category for each test document, with their confidences."""

    model: list[str] = field(default_factory=list)
    model_confidence: list[float] = field(default_factory=list)
    baseline: list[str] = field(default_factory=list)
    baseline_confidence: list[float] = field(default_factory=list)

    def add(self, train: list[Prepared], train_labels: list[str], train_vectors: np.ndarray,
            test: list[Prepared], test_vectors: np.ndarray, head: CategoryHead | None = None) -> None:
        """Fit the model (heads + rules) and the baseline on the same training documents; predict the test ones.
        `head`, when given, is the model already fitted on exactly these training documents."""
        head = head or fit_category_head(train_vectors, [p.model_text for p in train], train_labels)
        for prepared, row in zip(test, head.probabilities(test_vectors, [p.model_text for p in test])):
            learned = dict(zip(head.classes, row))
            outcome = apply_rules({c: float(learned.get(c, 0.0)) for c in CATEGORIES},
                                  prepared.elements, prepared.personal_data)
            best = max(outcome.probabilities, key=outcome.probabilities.get)
            self.model.append(best)
            self.model_confidence.append(outcome.probabilities[best])
        baseline = _tfidf_regression([p.model_text for p in train], train_labels)
        for row in baseline.predict_proba([p.model_text for p in test]):
            self.baseline.append(str(baseline.classes_[row.argmax()]))
            self.baseline_confidence.append(float(row.max()))

    def reports(self, truth: list[str], classes: list[str]) -> tuple[ClassifierReport, ClassifierReport]:
        return (classifier_report(MODEL_NAME, truth, self.model, classes, np.array(self.model_confidence)),
                classifier_report(BASELINE_NAME, truth, self.baseline, classes, np.array(self.baseline_confidence)))


def _learned_only(prepared: list[Prepared], labels: list[str], vectors: np.ndarray):
    """The documents of categories with enough examples to learn (依申请公开 has almost none)."""
    learned = sorted(c for c, n in Counter(labels).items() if n >= MIN_CLASS_EXAMPLES)
    keep = [i for i, label in enumerate(labels) if label in learned]
    return [prepared[i] for i in keep], [labels[i] for i in keep], vectors[keep], learned


def evaluate_category(prepared: list[Prepared], labels: list[str], vectors: np.ndarray
                      ) -> tuple[ClassifierReport, ClassifierReport]:
    """Stratified k-fold cross-validation; the model and the baseline see the same splits."""
    prepared, labels, vectors, learned = _learned_only(prepared, labels, vectors)
    predictions, order = CategoryPredictions(), []
    for train, test in _folds(labels):
        predictions.add([prepared[i] for i in train], [labels[i] for i in train], vectors[train],
                        [prepared[i] for i in test], vectors[test])
        order += list(test)
    return predictions.reports([labels[i] for i in order], learned)


def evaluate_category_held_out(train: list[Prepared], train_labels: list[str], train_vectors: np.ndarray,
                               test: list[Prepared], test_labels: list[str], test_vectors: np.ndarray,
                               head: CategoryHead | None = None
                               ) -> tuple[ClassifierReport, ClassifierReport, dict[str, dict[str, int]]]:
    """Fit on all training documents (or take `head`, fitted on them), measure on documents neither has seen.
    The scores cover the learned categories; documents of the others (依申请公开) are counted by what the
    model suggested for them."""
    train, train_labels, train_vectors, learned = _learned_only(train, train_labels, train_vectors)
    predictions = CategoryPredictions()
    predictions.add(train, train_labels, train_vectors, test, test_vectors, head)
    keep = [i for i, label in enumerate(test_labels) if label in learned]
    scored = CategoryPredictions(*([values[i] for i in keep] for values in (
        predictions.model, predictions.model_confidence, predictions.baseline, predictions.baseline_confidence)))
    unlearned: dict[str, Counter] = {}
    for label, suggested in zip(test_labels, predictions.model):
        if label not in learned:
            unlearned.setdefault(label, Counter())[suggested] += 1
    return (*scored.reports([test_labels[i] for i in keep], learned),
            {label: dict(counts) for label, counts in unlearned.items()})


def evaluate_topic_zero_shot(prepared: list[Prepared], topics: list[str], vectors: np.ndarray,
                             cache: EmbeddingCache, catalogue: Catalogue) -> dict[str, Any]:
    """Documents vs catalogue descriptions, no training: encoder cosine vs TF-IDF cosine."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not topics:
        return {"documents": 0, "model_accuracy": None, "baseline_accuracy": None, "truth": [], "model": [],
                "baseline": []}
    descriptions = topic_descriptions(catalogue)
    head = fit_topic_head(dict(zip(descriptions, cache.embed(list(descriptions.values()), "query"))))
    model = [head.keys[i] for i in head.probabilities(vectors).argmax(1)]
    tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    tfidf.fit([p.model_text for p in prepared] + list(descriptions.values()))
    similarity = tfidf.transform([p.model_text for p in prepared]) @ tfidf.transform(list(descriptions.values())).T
    baseline = [head.keys[i] for i in np.asarray(similarity.argmax(1)).ravel()]
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


def evaluate(examples: list[Example], cache: EmbeddingCache, catalogue: Catalogue,
             held_out: list[Example] | None = None, cross_validate: bool = True,
             category_head: CategoryHead | None = None) -> EvaluationReport:
    """Cross-validation on `examples` (unless `cross_validate` is False); with `held_out`, also fitted on all
    of them — or `category_head`, already fitted on them — and measured on those."""
    prepared = [prepare(example.text) for example in examples]
    vectors = cache.embed([p.model_text for p in prepared])
    labelled = [i for i, example in enumerate(examples) if example.category]
    labels = [examples[i].category for i in labelled]
    model, baseline = (evaluate_category([prepared[i] for i in labelled], labels, vectors[labelled])
                       if cross_validate else (None, None))
    mapped = [i for i, example in enumerate(examples) if example.topic]
    zero_shot = evaluate_topic_zero_shot([prepared[i] for i in mapped], [examples[i].topic for i in mapped],
                                         vectors[mapped], cache, catalogue)
    zero_shot["with_source_topic"] = sum(1 for example in examples if example.source_topic)
    sourced = [i for i, example in enumerate(examples) if example.source_topic]
    learned_topics = (evaluate_topic_learned([prepared[i] for i in sourced], [examples[i].source_topic for i in sourced],
                                             vectors[sourced], cache) if cross_validate
                      else {"documents": 0, "model_accuracy": None, "baseline_accuracy": None, "classes": {}})
    notes = []
    if Counter(labels)[ON_REQUEST] < MIN_CLASS_EXAMPLES:
        notes.append(f"依申请公开 只有 {Counter(labels)[ON_REQUEST]} 个已标注样本，模型不学习该类；仅当规则触发（含身份证号/"
                     f"银行卡号等个人信息）时建议依申请公开 / 依申请公开 has {Counter(labels)[ON_REQUEST]} labelled "
                     "examples (public documents rarely are): the model does not learn it; it is suggested only "
                     "by rule (personal data identifying a person, 条例 第十五条).")
    report = EvaluationReport(len(examples), dict(Counter(labels)), model, baseline, zero_shot, learned_topics, notes)
    test = [prepare(example.text) for example in held_out or [] if example.category]
    if test:  # an evaluation set without a labelled document measures nothing (the gate then refuses)
        test_labels = [example.category for example in held_out if example.category]
        report.held_out = HeldOutReport(len(held_out), dict(Counter(test_labels)), *evaluate_category_held_out(
            [prepared[i] for i in labelled], labels, vectors[labelled],
            test, test_labels, cache.embed([p.model_text for p in test]), category_head))
    return report


def _format_category(result: ClassifierReport) -> list[str]:
    lines = [f"  {result.name:19} macro-F1 {result.macro_f1:.4f}  accuracy {result.accuracy:.4f}  ECE {result.ece:.4f}"]
    for name, figures in result.per_class.items():
        lines.append(f"    {name:6} P {figures['precision']:.3f}  R {figures['recall']:.3f}  "
                     f"F1 {figures['f1']:.3f}  n {figures['support']}")
    lines.append(f"    confusion (rows true, cols predicted {result.classes}): {result.confusion}")
    return lines


def format_report(report: EvaluationReport) -> str:
    lines = [f"文档 documents: {report.documents}; 已标注 labelled: {report.labelled}"]
    if report.category_model and report.category_baseline:
        lines.append(f"类别 category, {FOLDS}-fold stratified (seed {SEED}), label lines removed:")
        lines += _format_category(report.category_model) + _format_category(report.category_baseline)
    if report.held_out:
        held_out = report.held_out
        lines.append(f"类别 category, held out: fitted on all {sum(report.labelled.values())} labelled documents, "
                     f"measured on {held_out.documents} others (labelled {held_out.labelled}):")
        lines += _format_category(held_out.model) + _format_category(held_out.baseline)
        for label, suggested in held_out.unlearned.items():
            lines.append(f"  {label} (not learned): the model suggested {suggested}")
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

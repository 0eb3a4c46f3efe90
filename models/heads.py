"""The two heads on top of the document embedding, stored as plain arrays (no pickles in the model store).

Category: logistic regression on the embedding, calibrated by vector scaling (a shared scale and a
per-class bias, fitted on out-of-fold scores: Platt scaling when there are two classes). Its weights
also score each sentence's contextual vector, which says which sentences weighed most.

Topic: a prototype per catalogue topic. With no labelled example the prototype is the embedding of
the topic's name, description and keywords (zero-shot); each labelled example pulls it toward the
mean of that topic's documents, so the head learns as reviewers' decisions arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gongkai.catalogue import Catalogue

CATEGORY_C = 4.0  # inverse regularisation of the category regression; fixed a priori, not tuned on the corpus
MIN_CLASS_EXAMPLES = 5  # a category needs this many labelled documents to be learned
CALIBRATION_FOLDS = 5
TOPIC_TEMPERATURE = 0.02  # e5 cosines crowd into 0.7–0.9: a small temperature spreads them
TOPIC_PRIOR_WEIGHT = 5.0  # the description counts as this many labelled examples


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


@dataclass
class CategoryHead:
    classes: list[str]
    coef: np.ndarray  # (n_classes, dim); binary problems are stored as ±w/2 so both rows score
    intercept: np.ndarray  # (n_classes,)
    scale: float
    bias: np.ndarray  # (n_classes,)

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        return vectors @ self.coef.T + self.intercept

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        return _softmax(self.scale * self.logits(vectors) + self.bias)

    def sentence_weights(self, sentence_vectors: np.ndarray, category: str) -> np.ndarray:
        """How much each sentence's vector favours `category` over the other classes (larger: more)."""
        index = self.classes.index(category)
        logits = self.scale * (sentence_vectors @ self.coef.T)
        others = np.delete(logits, index, axis=1)
        return logits[:, index] - others.max(axis=1)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"category_classes": np.array(self.classes), "category_coef": self.coef,
                "category_intercept": self.intercept, "category_scale": np.array(self.scale),
                "category_bias": self.bias}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> CategoryHead:
        return cls([str(c) for c in arrays["category_classes"]], arrays["category_coef"],
                   arrays["category_intercept"], float(arrays["category_scale"]), arrays["category_bias"])


def _regression(vectors: np.ndarray, labels: list[str]):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=CATEGORY_C, class_weight="balanced", max_iter=5000).fit(vectors, labels)


def _as_rows(model) -> tuple[np.ndarray, np.ndarray]:
    if len(model.classes_) == 2:  # sklearn keeps one row for two classes: score = w·x + b for class 1
        return np.vstack([-model.coef_[0], model.coef_[0]]) / 2, np.array([-1.0, 1.0]) * model.intercept_[0] / 2
    return model.coef_, model.intercept_


def fit_category_head(vectors: np.ndarray, labels: list[str], seed: int = 0) -> CategoryHead:
    """Fit on every class with at least MIN_CLASS_EXAMPLES examples; calibrate on out-of-fold logits."""
    from scipy.optimize import minimize
    from sklearn.model_selection import StratifiedKFold

    counts = {label: labels.count(label) for label in set(labels)}
    keep = [i for i, label in enumerate(labels) if counts[label] >= MIN_CLASS_EXAMPLES]
    vectors, labels = vectors[keep], [labels[i] for i in keep]
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError(f"需要至少两个类别各 {MIN_CLASS_EXAMPLES} 个样本 / need two categories with "
                         f"≥ {MIN_CLASS_EXAMPLES} labelled documents each, got {counts}")
    targets = np.array([classes.index(label) for label in labels])
    folds = min(CALIBRATION_FOLDS, min(np.bincount(targets)))
    out_of_fold = np.zeros((len(labels), len(classes)))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(vectors, targets):
        coef, intercept = _as_rows(_regression(vectors[train], [labels[i] for i in train]))
        out_of_fold[test] = vectors[test] @ coef.T + intercept

    def negative_log_likelihood(params: np.ndarray) -> float:
        calibrated = params[0] * out_of_fold + np.append(0.0, params[1:])
        calibrated -= calibrated.max(axis=1, keepdims=True)
        return float(-(calibrated[np.arange(len(targets)), targets] - np.log(np.exp(calibrated).sum(1))).mean())

    params = minimize(negative_log_likelihood, np.append(1.0, np.zeros(len(classes) - 1)), method="L-BFGS-B").x
    coef, intercept = _as_rows(_regression(vectors, labels))
    return CategoryHead(classes, coef, intercept, float(params[0]), np.append(0.0, params[1:]))


@dataclass
class TopicHead:
    keys: list[str]
    prototypes: np.ndarray  # (n_topics, dim), L2-normalised
    examples: np.ndarray  # (n_topics,) labelled examples behind each prototype

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        return _softmax(vectors @ self.prototypes.T / TOPIC_TEMPERATURE)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"topic_keys": np.array(self.keys), "topic_prototypes": self.prototypes,
                "topic_examples": self.examples}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> TopicHead:
        return cls([str(k) for k in arrays["topic_keys"]], arrays["topic_prototypes"], arrays["topic_examples"])


def topic_descriptions(catalogue: Catalogue) -> dict[str, str]:
    """What each topic is about, as an e5 query (the documents are the passages)."""
    return {topic.key: f"{topic.name}：{topic.description}。{'、'.join(topic.keywords)}" for topic in catalogue.topics}


def fit_topic_head(description_vectors: dict[str, np.ndarray], vectors: np.ndarray | None = None,
                   topics: list[str | None] | None = None) -> TopicHead:
    """Prototypes = (description × TOPIC_PRIOR_WEIGHT + sum of the topic's example embeddings), normalised.
    Examples whose topic is not in the catalogue are ignored."""
    keys = list(description_vectors)
    prototypes = np.stack([description_vectors[key] * TOPIC_PRIOR_WEIGHT for key in keys]).astype(np.float64)
    counts = np.zeros(len(keys))
    for vector, topic in zip(vectors if vectors is not None else [], topics or []):
        if topic in keys:
            prototypes[keys.index(topic)] += vector
            counts[keys.index(topic)] += 1
    prototypes /= np.linalg.norm(prototypes, axis=1, keepdims=True)
    return TopicHead(keys, prototypes.astype(np.float32), counts)

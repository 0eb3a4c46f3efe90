"""The two heads on top of the document, stored as plain arrays (no pickles in the model store).

Category: two channels of learned evidence, each a logistic regression: one on the encoder's document
embedding (what the document is about), one on character 1–3-gram TF-IDF (the exact wording: 内部,
经营, 会议纪要 …). Their logits are combined and calibrated together by vector scaling (a scale per
channel and a per-class bias, fitted on out-of-fold logits). The same weights score each sentence,
which says which sentences weighed most.

Topic: a prototype per catalogue topic. With no labelled example the prototype is the embedding of
the topic's name, description and keywords (zero-shot); each labelled example pulls it toward the
mean of that topic's documents, so the head learns as reviewers' decisions arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gongkai.catalogue import Catalogue

CATEGORY_C = 4.0  # inverse regularisation of the embedding regression; fixed a priori, not tuned on the corpus
LEXICAL_C = 10.0  # the same as the TF-IDF baseline's, so the lexical channel is that baseline's model
LEXICAL_FEATURES = 2**20  # hashed n-gram slots: no vocabulary to store; a few hundred thousand n-grams rarely collide
MIN_CLASS_EXAMPLES = 5  # a category needs this many labelled documents to be learned
CALIBRATION_FOLDS = 5
TOPIC_TEMPERATURE = 0.02  # e5 cosines crowd into 0.7–0.9: a small temperature spreads them
TOPIC_PRIOR_WEIGHT = 5.0  # the description counts as this many labelled examples


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def _hashed_ngrams(texts: list[str]):
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer="char", ngram_range=(1, 3), n_features=LEXICAL_FEATURES,
                             alternate_sign=False, norm=None).transform(texts)


def fit_idf(texts: list[str]) -> np.ndarray:
    """Smoothed inverse document frequency of each n-gram slot, as scikit-learn's TfidfTransformer."""
    counts = _hashed_ngrams(texts).tocsc()
    document_frequency = np.diff(counts.indptr)
    return (np.log((1 + len(texts)) / (1 + document_frequency)) + 1).astype(np.float32)


def lexical_features(texts: list[str], idf: np.ndarray):
    """Sublinear TF × IDF, L2-normalised rows (sparse)."""
    from sklearn.preprocessing import normalize

    counts = _hashed_ngrams(texts).astype(np.float64)
    counts.data = 1 + np.log(counts.data)
    return normalize(counts.multiply(idf).tocsr())


@dataclass
class CategoryHead:
    classes: list[str]
    coef: np.ndarray  # (n_classes, dim) on the embedding; binary problems are stored as ±w/2 so both rows score
    intercept: np.ndarray  # (n_classes,)
    idf: np.ndarray  # (LEXICAL_FEATURES,)
    lexical_coef: np.ndarray  # (n_classes, LEXICAL_FEATURES)
    lexical_intercept: np.ndarray  # (n_classes,)
    scales: np.ndarray  # (2,): embedding channel, lexical channel
    bias: np.ndarray  # (n_classes,)

    def logits(self, vectors: np.ndarray, texts: list[str]) -> np.ndarray:
        """Calibrated logits of the two channels together."""
        return self.scales[0] * self._embedding_logits(vectors) + self.scales[1] * self._lexical_logits(texts) \
            + self.bias

    def probabilities(self, vectors: np.ndarray, texts: list[str]) -> np.ndarray:
        return _softmax(self.logits(vectors, texts))

    def sentence_weights(self, sentence_vectors: np.ndarray, sentences: list[str], category: str) -> np.ndarray:
        """How much each sentence (its contextual vector and its wording) favours `category` over the others."""
        index = self.classes.index(category)
        logits = self.scales[0] * (sentence_vectors @ self.coef.T) \
            + self.scales[1] * np.asarray(lexical_features(sentences, self.idf) @ self.lexical_coef.T)
        others = np.delete(logits, index, axis=1)
        return logits[:, index] - others.max(axis=1)

    def _embedding_logits(self, vectors: np.ndarray) -> np.ndarray:
        return vectors @ self.coef.T + self.intercept

    def _lexical_logits(self, texts: list[str]) -> np.ndarray:
        return np.asarray(lexical_features(texts, self.idf) @ self.lexical_coef.T) + self.lexical_intercept

    def arrays(self) -> dict[str, np.ndarray]:
        return {"category_classes": np.array(self.classes), "category_coef": self.coef,
                "category_intercept": self.intercept, "category_idf": self.idf,
                "category_lexical_coef": self.lexical_coef, "category_lexical_intercept": self.lexical_intercept,
                "category_scales": self.scales, "category_bias": self.bias}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> CategoryHead:
        return cls([str(c) for c in arrays["category_classes"]], arrays["category_coef"],
                   arrays["category_intercept"], arrays["category_idf"], arrays["category_lexical_coef"],
                   arrays["category_lexical_intercept"], arrays["category_scales"], arrays["category_bias"])


def _regression(features, labels: list[str], c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(features, labels)


def _as_rows(model) -> tuple[np.ndarray, np.ndarray]:
    if len(model.classes_) == 2:  # sklearn keeps one row for two classes: score = w·x + b for class 1
        return np.vstack([-model.coef_[0], model.coef_[0]]) / 2, np.array([-1.0, 1.0]) * model.intercept_[0] / 2
    return model.coef_, model.intercept_


def _channels(vectors: np.ndarray, texts: list[str], labels: list[str]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both regressions fitted on (vectors, texts): coef, intercept, idf, lexical coef, lexical intercept."""
    idf = fit_idf(texts)
    coef, intercept = _as_rows(_regression(vectors, labels, CATEGORY_C))
    lexical_coef, lexical_intercept = _as_rows(_regression(lexical_features(texts, idf), labels, LEXICAL_C))
    return coef, intercept, idf, lexical_coef.astype(np.float32), lexical_intercept


def fit_category_head(vectors: np.ndarray, texts: list[str], labels: list[str], seed: int = 0) -> CategoryHead:
    """Fit on every class with at least MIN_CLASS_EXAMPLES examples; calibrate on out-of-fold logits.
    `texts` are the model inputs the `vectors` embed."""
    from scipy.optimize import minimize
    from sklearn.model_selection import StratifiedKFold

    counts = {label: labels.count(label) for label in set(labels)}
    keep = [i for i, label in enumerate(labels) if counts[label] >= MIN_CLASS_EXAMPLES]
    vectors, texts, labels = vectors[keep], [texts[i] for i in keep], [labels[i] for i in keep]
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError(f"需要至少两个类别各 {MIN_CLASS_EXAMPLES} 个样本 / need two categories with "
                         f"≥ {MIN_CLASS_EXAMPLES} labelled documents each, got {counts}")
    targets = np.array([classes.index(label) for label in labels])
    folds = min(CALIBRATION_FOLDS, min(np.bincount(targets)))
    out_of_fold = np.zeros((2, len(labels), len(classes)))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(vectors, targets):
        fold = CategoryHead(classes, *_channels(vectors[train], [texts[i] for i in train],
                                                [labels[i] for i in train]), np.ones(2), np.zeros(len(classes)))
        out_of_fold[0, test] = fold._embedding_logits(vectors[test])
        out_of_fold[1, test] = fold._lexical_logits([texts[i] for i in test])

    def negative_log_likelihood(params: np.ndarray) -> float:
        calibrated = params[0] * out_of_fold[0] + params[1] * out_of_fold[1] + np.append(0.0, params[2:])
        calibrated -= calibrated.max(axis=1, keepdims=True)
        return float(-(calibrated[np.arange(len(targets)), targets] - np.log(np.exp(calibrated).sum(1))).mean())

    params = minimize(negative_log_likelihood, np.append([1.0, 1.0], np.zeros(len(classes) - 1)),
                      method="L-BFGS-B").x
    return CategoryHead(classes, *_channels(vectors, texts, labels), params[:2], np.append(0.0, params[2:]))


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

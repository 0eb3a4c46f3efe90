"""The suggestion `gongkai check` and the review flow show: category and topic, each with a calibrated
confidence and why. Only a promoted (trained and gated) model makes suggestions:

    suggester = promoted_suggester(settings)   # None without a promoted model; loads the encoder once
    suggester.add_to(report)                   # fills report.suggestion, adds suggestion_disagrees if due
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from gongkai.catalogue import Catalogue, load_catalogue
from gongkai.document.check import DocumentCheck, Suggestion
from gongkai.document.elements import DocumentElements
from gongkai.document.labels import CATEGORIES
from gongkai.document.pii import PersonalData
from gongkai.models.data import Prepared, prepare_checked
from gongkai.models.features import sentence_spans
from gongkai.models.heads import CategoryHead, TopicHead, fit_topic_head, topic_descriptions
from gongkai.models.rules import apply_rules

if TYPE_CHECKING:
    from gongkai.models.encoder import Encoder, EncoderChoice, SpanVectors
    from gongkai.models.store import ModelStore
    from gongkai.settings import Settings

EVIDENCE_SENTENCES = 2
_QUOTE_CHARS = 60


class Suggester:
    def __init__(self, encoder, topic_head: TopicHead, catalogue: Catalogue,
                 category_head: CategoryHead | None = None, version: str | None = None) -> None:
        self.encoder = encoder
        self.topic_head = topic_head
        self.category_head = category_head
        self.catalogue = catalogue
        self.version = version

    def suggest(self, masked_text: str, elements: DocumentElements,
                personal_data: list[PersonalData] | None = None) -> Suggestion:
        """`masked_text` and `elements` as gongkai.document.check produces them; the label is removed here."""
        return self.suggest_many([(masked_text, elements, personal_data or [])])[0]

    def suggest_many(self, documents: list[tuple[str, DocumentElements, list[PersonalData]]]) -> list[Suggestion]:
        """`suggest` for several documents, embedded in shared batches."""
        prepared = [prepare_checked(text, elements, personal_data) for text, elements, personal_data in documents]
        spans = [sentence_spans(document.model_text) for document in prepared]
        vectors = self.encoder.embed_spans_many([(document.model_text, document_spans)
                                                 for document, document_spans in zip(prepared, spans)])
        return [self._suggestion(*arguments) for arguments in zip(prepared, spans, vectors)]

    def _suggestion(self, prepared: Prepared, spans: list[tuple[int, int]], vectors: SpanVectors) -> Suggestion:
        why: list[str] = []
        category, category_confidence, rule_decided = self._category(vectors.document, vectors.spans, spans,
                                                                     prepared, why)
        topic_probabilities = self.topic_head.probabilities(vectors.document[None, :])[0]
        best = int(np.argmax(topic_probabilities))
        topic = self.topic_head.keys[best]
        topic_name = self.catalogue.topic(topic).name
        keywords = [word for word in self.catalogue.topic(topic).keywords if word in prepared.model_text]
        learned = int(self.topic_head.examples[best])
        basis = f"目录描述与 {learned} 个已标注文件 / description and {learned} labelled documents" if learned \
            else "目录描述（零样本） / catalogue description (zero-shot)"
        why.append(f"主题“{topic_name}”最接近{basis}" + (f"；关键词：{'、'.join(keywords[:5])}" if keywords else ""))
        return Suggestion(category, category_confidence, topic, float(topic_probabilities[best]), why,
                          topic_name, self.version, rule_decided)

    def _category(self, document: np.ndarray, sentence_vectors: np.ndarray, spans: list[tuple[int, int]],
                  prepared, why: list[str]) -> tuple[str | None, float | None, bool]:
        if self.category_head is None:
            probabilities = {category: 1.0 / len(CATEGORIES) for category in CATEGORIES}
        else:
            learned = dict(zip(self.category_head.classes,
                               self.category_head.probabilities(document[None, :], [prepared.model_text])[0]))
            probabilities = {category: float(learned.get(category, 0.0)) for category in CATEGORIES}
        outcome = apply_rules(probabilities, prepared.elements, prepared.personal_data)
        why += outcome.reasons
        if self.category_head is None and not outcome.decided:
            why.append("尚无训练好的类别模型，仅主题建议 / no trained category model yet: topic only")
            return None, None, False
        category = max(outcome.probabilities, key=outcome.probabilities.get)
        if not outcome.decided and self.category_head and category in self.category_head.classes and spans:
            sentences = [prepared.model_text[start:end] for start, end in spans]
            weights = self.category_head.sentence_weights(sentence_vectors, sentences, category)
            for index in np.argsort(-weights)[:EVIDENCE_SENTENCES]:
                if weights[index] > 0:
                    start, end = spans[index]
                    quote = " ".join(prepared.model_text[start:end].split())[:_QUOTE_CHARS]
                    why.append(f"倾向{category}的句子 / sentence weighing toward {category}: “{quote}”")
        return category, outcome.probabilities[category], outcome.decided


    def add_to(self, report: DocumentCheck) -> None:
        """Fill the report's suggestion and warn when a confident one disagrees with the drafter's label."""
        report.add_suggestion(self.suggest(report.text, report.elements, report.personal_data),
                              self.category_head.classes if self.category_head else [])


def promoted_suggester(settings: Settings) -> Suggester | None:
    """The suggester when a trained model has been promoted; None otherwise (no encoder is loaded)."""
    from gongkai.models.encoder import EncoderChoice
    from gongkai.models.store import ModelStore

    store = ModelStore(settings.model_dir)
    if not store.promoted_version():
        return None
    return load_suggester(store, load_catalogue(settings.catalogue), EncoderChoice.from_settings(settings))


def load_suggester(store: ModelStore, catalogue: Catalogue, choice: EncoderChoice | None = None,
                   encoder: Encoder | None = None) -> Suggester:
    """The promoted model version; without one, a zero-shot topic head and rules only for the category.
    `encoder` is used as it is; else `choice` is loaded as the version was trained — the same quantisation,
    the same number of tokens read — since the heads only fit the embeddings they were trained on."""
    from gongkai.models.encoder import shared_encoder

    stored = store.load_promoted()
    if encoder is None:
        assert choice is not None, "an encoder or the choice of one"
        trained = stored.metadata.get("encoder", {}) if stored else {}
        # versions from before max_tokens was recorded read 4,096 tokens
        encoder = shared_encoder(replace(choice, int8=trained.get("int8", choice.int8),
                                         max_tokens=trained.get("max_tokens", 4096 if stored else choice.max_tokens)))
    if stored is not None:
        topic_head = TopicHead.from_arrays(stored.arrays)
        if set(topic_head.keys) == {topic.key for topic in catalogue.topics}:
            return Suggester(encoder, topic_head, catalogue, CategoryHead.from_arrays(stored.arrays), stored.version)
        category_head = CategoryHead.from_arrays(stored.arrays)  # the catalogue changed: topics restart zero-shot
    else:
        category_head = None
    descriptions = topic_descriptions(catalogue)
    vectors = encoder.embed(list(descriptions.values()), "query")
    topic_head = fit_topic_head(dict(zip(descriptions, vectors)))
    return Suggester(encoder, topic_head, catalogue, category_head, stored.version if stored else None)

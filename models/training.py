"""Train a model version from examples, evaluate it, store it, and let the gate decide on promotion.

With an evaluation set (the default: GONGKAI_EVALUATION_SET), a version is judged as it will be used:
fitted on every training example, measured on that fixed set, which is never trained on. Versions
trained on more data (reviewers' decisions keep arriving) stay comparable that way. Without one, a
version is judged by cross-validation on its own training data, comparable only with versions trained
on the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gongkai.catalogue import Catalogue, load_catalogue
from gongkai.models.data import (
    EmbeddingCache,
    Example,
    data_hash,
    examples_from_decisions,
    examples_from_sources,
    prepare,
)
from gongkai.models.evaluation import EvaluationReport, evaluate
from gongkai.models.heads import fit_category_head, fit_topic_head, topic_descriptions
from gongkai.models.store import CROSS_VALIDATED_METRIC, HELD_OUT_METRIC, GateDecision, ModelStore
from gongkai.settings import STARTER_CORPUS, Settings

STARTER_EMBEDDINGS = STARTER_CORPUS / "embeddings"


@dataclass
class TrainingResult:
    version: str
    report: EvaluationReport
    decision: GateDecision
    left_out: int  # training examples dropped because the evaluation set holds the same text


def embedding_cache(encoder, settings: Settings) -> EmbeddingCache:
    """Embeddings of training texts kept beside the encoder cache: retraining embeds only what is new; those
    of the starter corpus ship with it."""
    return EmbeddingCache(encoder, settings.encoder_cache.parent / "embeddings", seeds=(STARTER_EMBEDDINGS,))


def _same_text(text: str) -> str:
    return "".join(text.split())


def train(examples: list[Example], evaluation_set: list[Example] | None, cache: EmbeddingCache, store: ModelStore,
          catalogue: Catalogue) -> TrainingResult:
    """Fit both heads on all `examples`, evaluate, save a version with its metadata and promote it if it
    is not worse than the promoted one on the same evaluation."""
    encoder = cache.encoder
    held_out_texts = {_same_text(example.text) for example in evaluation_set or []}
    training = [example for example in examples if _same_text(example.text) not in held_out_texts]
    texts = [prepare(example.text).model_text for example in training]
    vectors = cache.embed(texts)
    labelled = [i for i, example in enumerate(training) if example.category]
    category_head = fit_category_head(vectors[labelled], [texts[i] for i in labelled],
                                      [training[i].category for i in labelled])
    # with a fixed evaluation set the gate measures this very head there, and nothing else needs fitting;
    # without one, versions are compared by cross-validation on their own training data
    report = evaluate(training, cache, catalogue, evaluation_set or None, cross_validate=not evaluation_set,
                      category_head=category_head)
    descriptions = topic_descriptions(catalogue)
    topic_head = fit_topic_head(dict(zip(descriptions, cache.embed(list(descriptions.values()), "query"))),
                                vectors, [example.topic for example in training])
    metadata = {
        "data_hash": data_hash(training), "evaluation_hash": data_hash(evaluation_set or training),
        "gate_metric": HELD_OUT_METRIC if evaluation_set else CROSS_VALIDATED_METRIC,
        "examples": len(training), "labelled": report.labelled,
        "metrics": report.metrics(), "encoder": encoder.description,
        "category_classes": category_head.classes, "topics_with_examples": int((topic_head.examples > 0).sum()),
        "notes": report.notes,
    }
    version = store.save({**category_head.arrays(), **topic_head.arrays()}, metadata)
    return TrainingResult(version, report, store.promote_if_not_worse(version), len(examples) - len(training))


def train_from_settings(settings: Settings, sources: list[Path] | None = None,
                        decisions: list[tuple[str, str | None, str | None]] | None = None,
                        evaluation_source: Path | None = None) -> TrainingResult:
    """What `gongkai train` and the scheduled retraining run: the configured (or given) sources, plus the
    reviewers' decisions the caller read from the ledger, measured on the configured (or given) evaluation set."""
    from gongkai.models.encoder import EncoderChoice, shared_encoder

    catalogue = load_catalogue(settings.catalogue)
    examples = examples_from_sources(sources or settings.training_sources, catalogue)
    examples += examples_from_decisions(decisions or [])
    evaluation = evaluation_source or settings.evaluation_set
    return train(examples, examples_from_sources([evaluation], catalogue) if evaluation else None,
                 embedding_cache(shared_encoder(EncoderChoice.from_settings(settings)), settings),
                 ModelStore(settings.model_dir), catalogue)

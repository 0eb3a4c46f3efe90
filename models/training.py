"""Train a model version from examples, evaluate it, store it, and let the gate decide on promotion."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gongkai.catalogue import Catalogue, load_catalogue
from models.data import EmbeddingCache, Example, data_hash, prepare
from models.evaluation import EvaluationReport, evaluate
from models.heads import fit_category_head, fit_topic_head, topic_descriptions
from models.store import GateDecision, ModelStore


@dataclass
class TrainingResult:
    version: str
    report: EvaluationReport
    decision: GateDecision


def embedding_cache(encoder, folder: Path | None = None) -> EmbeddingCache:
    from gongkai.settings import Settings

    return EmbeddingCache(encoder, folder or Settings().encoder_cache.parent / "embeddings")


def train(examples: list[Example], evaluation_examples: list[Example] | None = None, encoder=None,
          store: ModelStore | None = None, catalogue: Catalogue | None = None) -> TrainingResult:
    """Fit both heads on all `examples`, evaluate by cross-validation on `evaluation_examples` (default:
    the same examples), save a version with its metadata and promote it if it is not worse."""
    from models.encoder import shared_encoder

    encoder = encoder or shared_encoder()
    store = store or ModelStore()
    catalogue = catalogue or load_catalogue()
    cache = embedding_cache(encoder)
    evaluation_examples = evaluation_examples or examples
    report = evaluate(evaluation_examples, cache, catalogue)
    texts = [prepare(example.text).model_text for example in examples]
    vectors = cache.embed(texts)
    labelled = [i for i, example in enumerate(examples) if example.category]
    category_head = fit_category_head(vectors[labelled], [texts[i] for i in labelled],
                                      [examples[i].category for i in labelled])
    descriptions = topic_descriptions(catalogue)
    topic_head = fit_topic_head(dict(zip(descriptions, cache.embed(list(descriptions.values()), "query"))),
                                vectors, [example.topic for example in examples])
    metadata = {
        "data_hash": data_hash(examples), "evaluation_hash": data_hash(evaluation_examples),
        "examples": len(examples), "labelled": report.labelled,
        "metrics": report.metrics(), "encoder": encoder.description,
        "category_classes": category_head.classes, "topics_with_examples": int((topic_head.examples > 0).sum()),
        "notes": report.notes,
    }
    version = store.save({**category_head.arrays(), **topic_head.arrays()}, metadata)
    return TrainingResult(version, report, store.promote_if_not_worse(version))

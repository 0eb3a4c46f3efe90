"""Labelled examples from any source, prepared exactly as `gongkai check` prepares a document.

An example is (text, category, topic): category one of the three disclosure categories or None,
topic a catalogue key or None. Sources today: a folder of labelled files (the category is the
document's own printed label; a sub-folder named like a topic key gives the topic) and a JSONL
shaped like the corpus. Recorded reviewer decisions become examples the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gongkai.catalogue import Catalogue
from gongkai.document.elements import DocumentElements, parse_elements
from gongkai.document.labels import CATEGORIES
from gongkai.document.pii import PersonalData, find_personal_data, mask
from gongkai.models.features import model_input

# The corpus's gov.cn subject categories that correspond to a topic of config/catalogue.yaml. Only
# whole categories are mapped; the nuclear-safety ones and most ministries have no civil-affairs topic.
CORPUS_TOPIC_MAP = {
    "民政、扶贫、救灾\\扶贫": "social_assistance",
    "国务院组织机构\\其他": "organisation",
    "综合政务\\应急管理": "disaster_relief",
    "城乡建设、环境保护\\气象、水文、测绘、地震": "disaster_relief",
}


@dataclass(frozen=True)
class Example:
    text: str
    category: str | None = None
    topic: str | None = None
    source: str = ""
    source_topic: str | None = None  # the source's own subject label, kept for evaluation


@dataclass
class Prepared:
    """A document as the model sees it: personal data masked, elements parsed, label removed."""

    masked_text: str
    elements: DocumentElements
    personal_data: list[PersonalData]
    model_text: str


def prepare(text: str) -> Prepared:
    """The first stages of gongkai.document.check.check_extracted, then the model input."""
    personal_data = find_personal_data(text)
    masked = mask(text, personal_data)
    elements = parse_elements(masked)
    return Prepared(masked, elements, personal_data, model_input(masked, elements))


def prepare_checked(masked_text: str, elements: DocumentElements, personal_data: list[PersonalData]) -> Prepared:
    """The same, for a document `gongkai check` has already parsed."""
    return Prepared(masked_text, elements, personal_data, model_input(masked_text, elements))


def examples_from_jsonl(path: Path, topic_map: dict[str, str] = CORPUS_TOPIC_MAP) -> list[Example]:
    """Records with `text`, `label` (category or null) and optionally `topic` or `meta.topic_category`."""
    examples = []
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            source_topic = (record.get("meta") or {}).get("topic_category")
            category = record.get("label") if record.get("label") in CATEGORIES else None
            examples.append(Example(record["text"], category, record.get("topic") or topic_map.get(source_topic or ""),
                                    f"{path.name}:{number}", source_topic))
    return examples


def examples_from_folder(folder: Path, catalogue: Catalogue) -> list[Example]:
    """Every readable file under `folder`; category from its own label, topic from a topic-named sub-folder."""
    from gongkai import extractors
    from gongkai.extractors.base import ExtractionError

    topic_keys = {topic.key for topic in catalogue.topics}
    examples = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith((".", "~$")):
            continue
        try:
            text = extractors.extract(path).text
        except ExtractionError:
            continue
        label = parse_elements(text).label
        topic = next((part for part in path.relative_to(folder).parts[:-1] if part in topic_keys), None)
        examples.append(Example(text, label.category if label else None, topic, str(path)))
    return examples


def examples_from_sources(sources: list[Path], catalogue: Catalogue) -> list[Example]:
    """Folders of labelled files and corpus-shaped JSONL files, in order."""
    examples = []
    for source in sources:
        if source.is_dir():
            examples += examples_from_folder(source, catalogue)
        elif source.is_file():
            examples += examples_from_jsonl(source)
        else:
            raise FileNotFoundError(f"训练或评估数据不存在 / no such training or evaluation source: {source} "
                                    "(check GONGKAI_TRAINING_SOURCES / GONGKAI_EVALUATION_SET or the command line)")
    return examples


def examples_from_decisions(decisions: Iterable[tuple[str, str | None, str | None]]) -> list[Example]:
    """(text, category, topic) triples, e.g. reviewers' recorded decisions."""
    return [Example(text, category, topic, "decision") for text, category, topic in decisions]


def data_hash(examples: list[Example]) -> str:
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps([example.text, example.category, example.topic], ensure_ascii=False).encode())
    return digest.hexdigest()


class EmbeddingCache:
    """Embeddings of model inputs, keyed by text hash, kept in memory and optionally in one .npz per encoder
    (its checksum, quantisation and the tokens it reads), so evaluation and retraining embed only new texts.

    `seeds` are read-only folders of such files made elsewhere: the starter corpus ships the embeddings of
    its documents under the bundled encoder (models/corpus/embeddings/, written by
    scripts/starter-embeddings.py), so set-up trains the starter model without embedding 457 documents."""

    def __init__(self, encoder, folder: Path | None = None, seeds: tuple[Path, ...] = ()) -> None:
        self.encoder = encoder
        name = f"{encoder.checksum[:16]}-{'int8' if encoder.int8 else 'fp32'}-{encoder.max_tokens}.npz"
        self.file = folder / name if folder else None
        self.vectors: dict[str, np.ndarray] = {}
        for stored_file in [*(seed / name for seed in seeds), *([self.file] if self.file else [])]:
            if stored_file.is_file():
                with np.load(stored_file) as stored:
                    self.vectors.update({key: stored[key].astype(np.float32) for key in stored.files})

    @staticmethod
    def key(text: str, kind: str = "passage") -> str:
        return hashlib.sha256(f"{kind}\0{text}".encode()).hexdigest()

    def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        keys = [self.key(text, kind) for text in texts]
        missing = sorted({key: text for key, text in zip(keys, texts) if key not in self.vectors}.items())
        if missing:
            vectors = self.encoder.embed([text for _, text in missing], kind)
            self.vectors.update({key: vector for (key, _), vector in zip(missing, vectors)})
            if self.file:
                self.file.parent.mkdir(parents=True, exist_ok=True)
                np.savez(self.file, **self.vectors)
        return np.stack([self.vectors[key] for key in keys]) if keys else np.zeros((0, 0), np.float32)

"""Shared, expensive things built once per session: the encoder (first 512 tokens of each document, to
keep the suite fast on 2 cores) and the corpus embeddings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gongkai.models.data import EmbeddingCache, Example, examples_from_jsonl
from gongkai.settings import DEV_CORPUS, Settings

TEST_MAX_TOKENS = 512


@pytest.fixture(scope="session")
def encoder():
    from gongkai.models.encoder import Encoder, EncoderChoice

    return Encoder(replace(EncoderChoice.from_settings(Settings()), max_tokens=TEST_MAX_TOKENS))


@pytest.fixture(scope="session")
def corpus() -> list[Example]:
    return examples_from_jsonl(DEV_CORPUS)


@pytest.fixture(scope="session")
def embedding_cache(encoder, tmp_path_factory) -> EmbeddingCache:
    return EmbeddingCache(encoder, tmp_path_factory.mktemp("embeddings"))

"""Embed the starter corpus with the bundled encoder and write the seed set-up trains from.

Set-up (`make run`) trains the starter model without embedding the corpus's 457 documents (~4 minutes on
2 cores) because their embeddings ship in models/corpus/embeddings/, one .npz per encoder checksum,
quantisation and token count, keyed like gongkai's embedding cache (sha256 of the model input). Run this
after changing the corpus, the encoder conversion or the defaults (GONGKAI_ENCODER_INT8,
GONGKAI_ENCODER_MAX_TOKENS); tests/models/test_starter_model.py fails until it is run.

    .venv/bin/python scripts/starter-embeddings.py
"""

from __future__ import annotations

import numpy as np

from gongkai.models.data import EmbeddingCache, examples_from_jsonl, prepare
from gongkai.models.encoder import EncoderChoice, shared_encoder
from gongkai.models.training import STARTER_EMBEDDINGS
from gongkai.settings import DEV_CORPUS, HELD_OUT_CORPUS, Settings


def main() -> None:
    encoder = shared_encoder(EncoderChoice.from_settings(Settings()))
    cache = EmbeddingCache(encoder)
    texts = [prepare(example.text).model_text for corpus in (DEV_CORPUS, HELD_OUT_CORPUS)
             for example in examples_from_jsonl(corpus)]
    cache.embed(texts)
    STARTER_EMBEDDINGS.mkdir(parents=True, exist_ok=True)
    seed = STARTER_EMBEDDINGS / EmbeddingCache(encoder, STARTER_EMBEDDINGS).file.name
    for stale in STARTER_EMBEDDINGS.glob("*.npz"):
        stale.unlink()
    np.savez_compressed(seed, **cache.vectors)
    print(f"{len(cache.vectors)} embeddings → {seed} ({seed.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()

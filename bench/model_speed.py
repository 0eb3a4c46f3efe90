"""Encoder throughput on this machine: docs/s for 500- and 5,000-character documents, one at a time and
batched, fp32 and int8 (dynamic quantisation of the Linear layers), with the int8 embeddings' cosine to fp32.

    python bench/model_speed.py [--int8]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "real_docs_dev.jsonl"
DOCUMENTS = 20


def documents(length: int, count: int = DOCUMENTS) -> list[str]:
    """Real corpus text cut (or joined) to `length` characters, different documents each."""
    texts = [json.loads(line)["text"] for line in CORPUS.open(encoding="utf-8")]
    joined = "\n".join(texts)
    return [joined[i * length : (i + 1) * length] for i in range(count)]


def docs_per_second(encoder, texts: list[str], batched: bool) -> float:
    encoder.embed(texts[:1])  # warm-up
    start = time.perf_counter()
    if batched:
        encoder.embed(texts)
    else:
        for text in texts:
            encoder.embed([text])
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    from models.encoder import Encoder

    parser = argparse.ArgumentParser()
    parser.add_argument("--int8", action="store_true", help="also measure int8 dynamic quantisation")
    args = parser.parse_args()
    import torch

    print(f"torch threads: {torch.get_num_threads()}")
    variants = [False, True] if args.int8 else [False]
    reference = {}
    for int8 in variants:
        encoder = Encoder(int8=int8)
        name = "int8" if int8 else "fp32"
        for length in (500, 5000):
            texts = documents(length, DOCUMENTS if length == 500 else DOCUMENTS // 4)
            single = docs_per_second(encoder, texts, batched=False)
            batched = docs_per_second(encoder, texts, batched=True)
            vectors = encoder.embed(texts)
            agreement = ""
            if int8:
                agreement = f"  cosine to fp32: min {float(np.min((vectors * reference[length]).sum(1))):.4f}"
            else:
                reference[length] = vectors
            print(f"{name} {length:>5} chars: single {single:6.2f} docs/s  batched {batched:6.2f} docs/s{agreement}")
        del encoder
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()

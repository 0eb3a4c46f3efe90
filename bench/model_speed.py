"""Encoder throughput on this machine: docs/s for 500- and 5,000-character documents, one at a time and
batched, fp32 and int8 (dynamic quantisation of the Linear layers), with the int8 embeddings' cosine to fp32;
then the peak RSS of `gongkai check` on three .docx with a promoted model (trained here on 40 real documents).

    python bench/model_speed.py [--int8]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from gongkai.settings import DEV_CORPUS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for bench.corpus_accuracy

DOCUMENTS = 20


def documents(length: int, count: int = DOCUMENTS) -> list[str]:
    """Real corpus text cut (or joined) to `length` characters, different documents each."""
    texts = [json.loads(line)["text"] for line in DEV_CORPUS.open(encoding="utf-8")]
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
    from gongkai.models.encoder import Encoder, EncoderChoice
    from gongkai.settings import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--int8", action="store_true", help="also measure int8 dynamic quantisation")
    args = parser.parse_args()
    import torch

    print(f"torch threads: {torch.get_num_threads()}")
    variants = [False, True] if args.int8 else [False]
    reference = {}
    for int8 in variants:
        encoder = Encoder(replace(EncoderChoice.from_settings(Settings()), int8=int8))
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
    print(f"peak RSS of this benchmark process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"peak RSS of `gongkai check` on 3 .docx with a promoted model: {check_peak_rss_mib():.0f} MiB   target < 1024")


def check_peak_rss_mib() -> float:
    """Train and promote a small model in a temporary store, then run the real command in a child process."""
    import os
    import subprocess
    import tempfile

    from bench.corpus_accuracy import render
    from gongkai.catalogue import load_catalogue
    from gongkai.models.data import examples_from_jsonl
    from gongkai.models.encoder import EncoderChoice, shared_encoder
    from gongkai.models.store import ModelStore
    from gongkai.models.training import embedding_cache, train
    from gongkai.settings import Settings

    records = [json.loads(line) for line in DEV_CORPUS.open(encoding="utf-8")]
    with tempfile.TemporaryDirectory() as folder:
        store = ModelStore(Path(folder) / "store")
        examples = [e for e in examples_from_jsonl(DEV_CORPUS) if e.category]
        chosen = [e for e in examples if e.category == "主动公开"][:20] + [e for e in examples if e.category == "不予公开"][:20]
        settings = Settings()
        cache = embedding_cache(shared_encoder(EncoderChoice.from_settings(settings)), settings)
        train(chosen, None, cache, store, load_catalogue(settings.catalogue))
        files = [str(render(record, Path(folder), index)["docx"]) for index, record in enumerate(records[:3])]
        env = {**os.environ, "GONGKAI_MODEL_DIR": str(store.root), "HF_HUB_OFFLINE": "1"}
        command = [str(Path(sys.executable).with_name("gongkai")), "check", "--json", *files]
        # measured from a small intermediate process: a child forked from this (large) benchmark would
        # count the parent's pages in its own peak
        probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); "
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        result = subprocess.run([sys.executable, "-c", probe, *command], env=env, check=True,
                                capture_output=True, text=True)
    return int(result.stdout.strip()) / 1024


if __name__ == "__main__":
    main()

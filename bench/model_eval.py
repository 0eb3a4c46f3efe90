"""Acceptance figures of the suggestion model on the real corpus (label lines removed, 5-fold stratified):
category macro-F1 and ECE next to the TF-IDF baseline on the same splits, topic accuracy.

    python bench/model_eval.py [--int8]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "real_docs_dev.jsonl"
TARGET_MACRO_F1 = 0.95


def main() -> None:
    from gongkai.catalogue import load_catalogue
    from models.data import examples_from_jsonl
    from models.encoder import Encoder
    from models.evaluation import evaluate, format_report
    from models.training import embedding_cache

    parser = argparse.ArgumentParser()
    parser.add_argument("--int8", action="store_true", help="int8 dynamic quantisation of the encoder")
    args = parser.parse_args()
    start = time.perf_counter()
    report = evaluate(examples_from_jsonl(CORPUS), embedding_cache(Encoder(int8=args.int8)), load_catalogue())
    print(format_report(report))
    model, baseline = report.category_model.macro_f1, report.category_baseline.macro_f1
    print(f"acceptance: macro-F1 {model:.4f} ≥ {TARGET_MACRO_F1}: {'yes' if model >= TARGET_MACRO_F1 else 'NO'}; "
          f"above baseline {baseline:.4f}: {'yes' if model > baseline else 'NO'}")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()

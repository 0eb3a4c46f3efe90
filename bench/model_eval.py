"""Acceptance figures of the suggestion model on the real corpus (label lines removed, 5-fold stratified):
category macro-F1 and ECE next to the TF-IDF baseline on the same splits, topic accuracy; then both fitted
on the whole dev corpus and measured on real documents outside it (the starter corpus's real_docs_heldout.jsonl).

    python bench/model_eval.py [--fp32]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from gongkai.settings import DEV_CORPUS
from gongkai.settings import HELD_OUT_CORPUS as HELD_OUT

TARGET_MACRO_F1 = 0.95


def main() -> None:
    from gongkai.catalogue import load_catalogue
    from gongkai.models.data import examples_from_jsonl
    from gongkai.models.encoder import Encoder, EncoderChoice
    from gongkai.models.evaluation import evaluate, format_report
    from gongkai.models.training import embedding_cache
    from gongkai.settings import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--fp32", action="store_true", help="the encoder without int8 quantisation "
                                                             "(default: GONGKAI_ENCODER_INT8)")
    args = parser.parse_args()
    start = time.perf_counter()
    settings = Settings()
    choice = EncoderChoice.from_settings(settings)
    encoder = Encoder(replace(choice, int8=False) if args.fp32 else choice)
    report = evaluate(examples_from_jsonl(DEV_CORPUS), embedding_cache(encoder, settings), load_catalogue(),
                      examples_from_jsonl(HELD_OUT))
    print(format_report(report))
    measured = [("5-fold", report.category_model, report.category_baseline)]
    if report.held_out:
        measured.append(("held out", report.held_out.model, report.held_out.baseline))
    for name, model, baseline in measured:
        print(f"acceptance, {name}: macro-F1 {model.macro_f1:.4f} ≥ {TARGET_MACRO_F1}: "
              f"{'yes' if model.macro_f1 >= TARGET_MACRO_F1 else 'NO'}; baseline {baseline.macro_f1:.4f}: "
              f"{'above' if model.macro_f1 > baseline.macro_f1 else 'equal' if model.macro_f1 == baseline.macro_f1 else 'BELOW'}; "
              f"ECE {model.ece:.4f} vs {baseline.ece:.4f}")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()

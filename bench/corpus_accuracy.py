"""Accuracy of `gongkai check` on the real corpus, rendered to .docx and .txt.

Each record of real_docs_dev.jsonl is written as a .docx (python-docx, one paragraph per line of the
record's text) and as a UTF-8 .txt, then checked through the public API exactly as `gongkai check`
does. Prints, per format: label category agreement on labelled documents, no-label rate on the
others, 发文字号 agreement where the corpus says the number is in the text, 成文日期 agreement, and 名称 (title)
agreement where the corpus title is printed in the text (whitespace ignored).

    .venv/bin/python bench/corpus_accuracy.py [--corpus PATH] [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from datetime import date
from pathlib import Path

import docx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gongkai.document.check import check_file  # noqa: E402
from gongkai.document.elements import canonical_doc_number  # noqa: E402
from gongkai.document.textnorm import squeeze  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real_docs_dev.jsonl"
TARGETS = {"label": 0.98, "no_label": 0.98, "doc_number": 0.95, "signed_date": 0.95, "title": 0.85}


# Form feeds and other C0 controls (page breaks in some source texts) cannot be stored in XML.
_XML_INCOMPATIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def render(record: dict, folder: Path, index: int) -> dict[str, Path]:
    document = docx.Document()
    for line in record["text"].split("\n"):
        document.add_paragraph(_XML_INCOMPATIBLE.sub("", line))
    docx_path = folder / f"{index:04d}.docx"
    document.save(docx_path)
    txt_path = folder / f"{index:04d}.txt"
    txt_path.write_text(record["text"], encoding="utf-8")
    return {"docx": docx_path, "txt": txt_path}


def outcomes(record: dict, label: str | None, doc_number: str | None, signed_date: str | None,
             title: str | None = None) -> dict[str, bool]:
    """Which acceptance measures apply to this record, and whether the parsed values agree (`title` is
    measured when given)."""
    agree = {"label": label == record["label"]} if record["label"] else {"no_label": label is None}
    if record["meta"].get("doc_number_found_in") == "text":
        agree["doc_number"] = doc_number == canonical_doc_number(record["doc_number"])
    if record["date"]:
        agree["signed_date"] = signed_date == record["date"]
    if title is not None and record["title"] and squeeze(record["title"]) in squeeze(record["text"]):
        agree["title"] = squeeze(title) == squeeze(record["title"])
    return agree


def evaluate(records: list[dict], show_misses: bool) -> dict[str, dict[str, tuple[int, int]]]:
    scores: dict[str, dict[str, list[int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for index, record in enumerate(records):
            for fmt, path in render(record, Path(tmp), index).items():
                report = check_file(path, today=date(2026, 11, 25)).to_json()
                fmt_scores = scores.setdefault(fmt, {key: [0, 0] for key in TARGETS})
                found = outcomes(record, report["label"], report["doc_number"], report["signed_date"],
                                 report["title"] or "")
                for key, ok in found.items():
                    fmt_scores[key][0] += ok
                    fmt_scores[key][1] += 1
                    if show_misses and not ok and fmt == "txt":
                        print(f"miss {key} #{index}: expected {record.get(key if key != 'no_label' else 'label')!r} "
                              f"{record['doc_number'] if key == 'doc_number' else record['date'] if key == 'signed_date' else ''}"
                              f" got label={report['label']} number={report['doc_number']} date={report['signed_date']}")
    return {fmt: {key: (ok, total) for key, (ok, total) in values.items()} for fmt, values in scores.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    records = [json.loads(line) for line in args.corpus.open(encoding="utf-8")]
    results = evaluate(records, args.show_misses)
    print(f"corpus: {args.corpus.name}, {len(records)} documents")
    print(f"{'format':<6} {'measure':<12} {'agree':>7} {'of':>5} {'rate':>7} {'target':>7}")
    all_met = True
    for fmt, values in results.items():
        for key, (ok, total) in values.items():
            rate = ok / total if total else float("nan")
            met = rate >= TARGETS[key]
            all_met &= met
            print(f"{fmt:<6} {key:<12} {ok:>7} {total:>5} {rate:>7.1%} {TARGETS[key]:>7.0%} {'' if met else '  BELOW TARGET'}")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())

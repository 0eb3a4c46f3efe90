"""The acceptance figures of the check issue on the real corpus (models/corpus/real_docs_dev.jsonl),
rendered to .docx (python-docx, a paragraph per line) and .txt, through `check_file`."""

import json

import pytest

from bench.corpus_accuracy import TARGETS, evaluate, outcomes
from gongkai.document.elements import parse_elements
from gongkai.settings import DEV_CORPUS

pytestmark = pytest.mark.slow  # renders and checks all 379 documents twice: a minute on 2 cores


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, tuple[int, int]]]:
    records = [json.loads(line) for line in DEV_CORPUS.open(encoding="utf-8")]
    return evaluate(records, show_misses=False)


@pytest.mark.parametrize("fmt", ["docx", "txt"])
@pytest.mark.parametrize("measure", sorted(TARGETS))
def test_meets_target(results: dict[str, dict[str, tuple[int, int]]], fmt: str, measure: str) -> None:
    agree, total = results[fmt][measure]
    assert total > 100  # enough documents for the rate to mean something
    assert agree / total >= TARGETS[measure], f"{fmt} {measure}: {agree}/{total}"


def test_targets_hold_on_flat_text_without_line_breaks() -> None:
    """OCR output and web copies often lose every line break: the parser must not depend on them for the label,
    the number and the date (the title is measured on text with its lines: flat text can run the 版头 into it)."""
    records = [json.loads(line) for line in DEV_CORPUS.open(encoding="utf-8")]
    agree = {key: [0, 0] for key in TARGETS if key != "title"}
    for record in records:
        elements = parse_elements(record["text"].replace("\n", ""))
        found = outcomes(record, elements.label.category if elements.label else None, elements.doc_number,
                         elements.signed_date.isoformat() if elements.signed_date else None)
        for key, ok in found.items():
            agree[key][0] += ok
            agree[key][1] += 1
    for key, (ok, total) in agree.items():
        assert ok / total >= TARGETS[key], f"flat text {key}: {ok}/{total}"

"""The acceptance figures of the check issue on the real corpus (tests/data/real_docs_dev.jsonl),
rendered to .docx (python-docx, a paragraph per line) and .txt, through `check_file`."""

import json
from pathlib import Path

import pytest

from bench.corpus_accuracy import TARGETS, evaluate

CORPUS = Path(__file__).resolve().parents[1] / "data" / "real_docs_dev.jsonl"


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, tuple[int, int]]]:
    records = [json.loads(line) for line in CORPUS.open(encoding="utf-8")]
    return evaluate(records, show_misses=False)


@pytest.mark.parametrize("fmt", ["docx", "txt"])
@pytest.mark.parametrize("measure", sorted(TARGETS))
def test_meets_target(results: dict[str, dict[str, tuple[int, int]]], fmt: str, measure: str) -> None:
    agree, total = results[fmt][measure]
    assert total > 100  # enough documents for the rate to mean something
    assert agree / total >= TARGETS[measure], f"{fmt} {measure}: {agree}/{total}"

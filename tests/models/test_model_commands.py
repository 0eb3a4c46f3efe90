"""The model commands register on an argparse parser and run with the corpus."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from gongkai.cli.model_commands import add_commands


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gongkai")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def test_commands_are_registered():
    parser = _parser()
    for command in (["train"], ["evaluate", "--json"], ["build-encoder"]):
        args = parser.parse_args(command)
        assert callable(args.handler)


def test_models_package_imports_nothing_heavy():
    import subprocess
    import sys

    code = "import gongkai.cli.model_commands, sys; print(sorted(m for m in ('torch', 'transformers', 'sklearn') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


@pytest.mark.slow  # trains heads on the corpus
def test_train_on_a_folder_stores_a_version(tmp_path, monkeypatch, capsys):
    from docx import Document

    from gongkai.settings import DEV_CORPUS

    records = [json.loads(line) for line in DEV_CORPUS.open(encoding="utf-8")]
    chosen = [r for r in records if r["label"] == "主动公开"][:8] + [r for r in records if r["label"] == "不予公开"][:8]
    folder = tmp_path / "labelled" / "social_assistance"
    folder.mkdir(parents=True)
    for number, record in enumerate(chosen):
        document = Document()
        for line in record["text"].split("\n"):
            document.add_paragraph(line)
        document.save(folder / f"{number}.docx")
    # the evaluation set holds two of the labelled files (as text): they must not be trained on
    evaluation = tmp_path / "evaluation.jsonl"
    measured = chosen[:1] + chosen[8:9] + [r for r in records if r["label"]][-6:]
    evaluation.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in measured), encoding="utf-8")
    monkeypatch.setenv("GONGKAI_MODEL_DIR", str(tmp_path / "store"))
    args = _parser().parse_args(["train", "--json", str(tmp_path / "labelled"), "--evaluate-on", str(evaluation)])
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["decision"]["promoted"] is True and result["left_out"] == 2
    stored = json.loads((tmp_path / "store" / "versions" / result["version"] / "metadata.json").read_text())
    assert stored["examples"] == 14 and stored["encoder"]["encoder_checksum"]
    assert stored["gate_metric"] == "held_out_macro_f1" and stored["metrics"]["held_out_macro_f1"] >= 0.5
    assert stored["topics_with_examples"] == 1

    # with a promoted model, `gongkai check` suggests a category and a topic, and says why
    import os
    import subprocess
    import sys

    env = {**os.environ, "GONGKAI_MODEL_DIR": str(tmp_path / "store"), "HF_HUB_OFFLINE": "1"}
    checked = subprocess.run([str(Path(sys.executable).with_name("gongkai")), "check", "--json", str(folder / "0.docx")],
                             capture_output=True, text=True, env=env, timeout=300)
    suggestion = json.loads(checked.stdout)["suggestion"]
    assert suggestion["category"] in ("主动公开", "不予公开") and 0 <= suggestion["category_confidence"] <= 1
    assert suggestion["topic"] == "social_assistance" and suggestion["why"]


@pytest.mark.slow  # trains heads on the corpus
def test_evaluate_measures_documents_held_out_from_training(tmp_path, capsys):
    """Fitted on one part of the real corpus, measured on another part it never saw, next to the baseline."""
    from gongkai.settings import DEV_CORPUS

    records = [json.loads(line) for line in DEV_CORPUS.open(encoding="utf-8")]
    proactive = [r for r in records if r["label"] == "主动公开"]
    withheld = [r for r in records if r["label"] == "不予公开"]
    train, held_out = tmp_path / "train.jsonl", tmp_path / "held_out.jsonl"
    for path, chosen in ((train, proactive[:10] + withheld[:10]), (held_out, proactive[-4:] + withheld[-4:])):
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
    args = _parser().parse_args(["evaluate", "--json", str(train), "--held-out", str(held_out)])
    assert args.handler(args) == 0
    report = json.loads(capsys.readouterr().out)
    measured = report["held_out"]
    assert measured["documents"] == 8 and measured["labelled"] == {"主动公开": 4, "不予公开": 4}
    for result in (measured["model"], measured["baseline"]):
        assert sum(map(sum, result["confusion"])) == 8
    assert measured["model"]["accuracy"] >= 0.75  # 20 training documents already separate the two categories

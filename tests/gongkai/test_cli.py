"""`gongkai check` as a drafter and a script run it: the installed command, real files, exit status."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_docx

DATA = Path(__file__).resolve().parents[1] / "data"
GONGKAI = str(Path(sys.executable).with_name("gongkai"))


def run(*args: str | Path, today: str = "2026-03-10") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GONGKAI_TODAY": today}
    return subprocess.run([GONGKAI, *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


GOOD = ["广东省民政厅文件", "粤民发〔2026〕12号", "广东省民政厅关于做好2026年城乡低保工作的通知", "各地级以上市民政局：",
        "现将有关事项通知如下。", "广东省民政厅", "2026年3月5日", "（此件主动公开）"]


def test_good_document_json_and_exit_zero(tmp_path: Path) -> None:
    good = write_docx(tmp_path / "good.docx", GOOD)
    result = run("check", good, "--json")
    assert result.returncode == 0, result.stderr
    [report] = [json.loads(line) for line in result.stdout.splitlines()]
    assert report["format"] == "docx" and len(report["sha256"]) == 64
    assert report["label"] == "主动公开" and report["doc_number"] == "粤民发〔2026〕12号"
    assert report["publish_deadline"] == "2026-04-02" and report["problems"] == []


def test_error_level_problem_exits_one_with_plain_output_for_a_drafter(tmp_path: Path) -> None:
    unlabelled = write_docx(tmp_path / "unlabelled.docx", GOOD[:-1])
    result = run("check", unlabelled)
    assert result.returncode == 1
    assert "label_missing" in result.stdout and "未标注公开属性" in result.stdout
    assert "粤民发〔2026〕12号" in result.stdout and "结论" in result.stdout


def test_a_drafter_sees_which_parts_are_withheld(tmp_path: Path) -> None:
    partial = write_docx(tmp_path / "partial.docx", GOOD[:-1] + ["（此件正文公开，附件不予公开）"])
    result = run("check", partial)
    assert result.returncode == 0
    assert "不公开部分 withheld 附件" in result.stdout and "公开属性 label    主动公开" in result.stdout


def test_folder_with_an_unreadable_file_exits_two_and_reports_every_file(tmp_path: Path) -> None:
    write_docx(tmp_path / "a_good.docx", GOOD)
    broken = tmp_path / "b_broken.docx"
    broken.write_bytes((tmp_path / "a_good.docx").read_bytes()[:500])
    before = broken.read_bytes()
    (tmp_path / "~$a_good.docx").write_bytes(b"owner lock file")  # Word's lock file is skipped
    result = run("check", tmp_path, "--json")
    assert result.returncode == 2
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(report["file"]).name for report in reports] == ["a_good.docx", "b_broken.docx"]
    assert [problem["code"] for problem in reports[1]["problems"]] == ["corrupt_file"]
    assert reports[1]["format"] == "docx"
    assert "Traceback" not in result.stderr and broken.read_bytes() == before


def test_missing_path_exits_two() -> None:
    result = run("check", "/nonexistent/draft.docx", "--json")
    assert result.returncode == 2
    assert json.loads(result.stdout)["problems"][0]["code"] == "not_found"


def test_bad_usage_exits_two() -> None:
    assert run("check").returncode == 2
    assert run("frobnicate").returncode == 2


@pytest.mark.parametrize("name, doc_number, doc_type", [
    ("govdoc-cn_397.pdf", "发改办财金规〔2019〕860号", "通知"),
    ("ofdrw_n_luqiao_pifu.ofd", "路卫发〔2011〕76号", "批复"),
])
def test_real_binary_documents(tmp_path: Path, name: str, doc_number: str, doc_type: str) -> None:
    copy = tmp_path / name
    shutil.copyfile(DATA / name, copy)
    report = json.loads(run("check", copy, "--json").stdout)
    assert (report["doc_number"], report["doc_type"], report["label"]) == (doc_number, doc_type, None)


def test_label_on_an_incoming_document_form_is_not_taken(tmp_path: Path) -> None:
    copy = tmp_path / "form.ofd"
    shutil.copyfile(DATA / "ofdrw_signout_shouwen_chulijian.ofd", copy)
    assert json.loads(run("check", copy, "--json").stdout)["label"] is None


def test_help_lists_the_check_command() -> None:
    result = run("--help")
    assert result.returncode == 0 and "check" in result.stdout

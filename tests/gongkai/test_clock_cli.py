"""`gongkai request …`, `gongkai deadlines` and `gongkai report` as a clerk types them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gongkai.cli import main
from gongkai.settings import Settings
from gongkai.storage import open_storage
from tests.seeded_ledger import seed


@pytest.fixture
def clerk(local_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("GONGKAI_DATA_DIR", str(local_settings.data_dir))
    return local_settings


def test_a_request_from_registration_to_answer(clerk: Settings, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["request", "add", "--name", "张三", "--contact", "13912345678", "--received", "2026-03-02",
                 "--asked", "低保资金分配情况", "--office", "社救处"]) == 0
    assert "2026-0001" in capsys.readouterr().out
    assert main(["request", "extend", "2026-0001", "--reason", "需征求第三方意见", "--date", "2026-03-27"]) == 0
    assert "2026-04-28" in capsys.readouterr().out
    assert main(["request", "extend", "2026-0001", "--reason", "再延", "--date", "2026-04-01"]) == 2
    assert "最多延长 1 次" in capsys.readouterr().err
    assert main(["request", "answer", "2026-0001", "--type", "不予公开", "--date", "2026-04-20"]) == 2
    assert "须注明依据" in capsys.readouterr().err
    assert main(["request", "answer", "2026-0009", "--type", "予以公开", "--date", "2026-04-20"]) == 2
    assert main(["request", "answer", "2026-0001", "--type", "不予公开", "--ground", "保护第三方合法权益",
                 "--date", "2026-04-20"]) == 0
    assert "按时 on time" in capsys.readouterr().out
    monkeypatch.setenv("GONGKAI_TODAY", "2026-04-21")
    assert main(["request", "list", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(row["request_id"], row["answer"], row["due"]) for row in listed] == [("2026-0001", "不予公开", "2026-04-28")]
    assert "张三" not in listed[0]["requester"] and "13912345678" not in listed[0]["requester"]
    assert main(["request", "list", "--open"]) == 0 and capsys.readouterr().out == ""


def test_deadlines_lists_running_clocks_and_confirms_a_step(clerk: Settings, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    seed(open_storage(clerk), tmp_path)
    capsys.readouterr()
    monkeypatch.setenv("GONGKAI_TODAY", "2026-12-18")
    assert main(["deadlines", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(row["rule"], row["due"], row["working_days_left"]) for row in rows] == [
        ("publish_proactive", "2026-12-14", -4), ("answer_request", "2026-12-23", 3)]
    assert main(["deadlines", "--within", "-1"]) == 0
    out = capsys.readouterr().out
    assert "粤民函〔2026〕88号" in out and "2026-12-23" not in out
    assert main(["deadlines", "done", "gazette_submission", "粤民发〔2026〕12号"]) == 2
    assert "no gazette_submission clock" in capsys.readouterr().err
    assert main(["deadlines", "done", "publish_proactive", "粤民函〔2026〕88号"]) == 2


def test_report_on_an_empty_installation_exits_0(clerk: Settings, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--year", "2026", "--out", str(tmp_path / "report")]) == 0
    written = sorted(path.name for path in (tmp_path / "report").iterdir())
    assert "report-2026.md" in written and "report-2026.png" in written
    assert any(name.endswith(".csv") for name in written)
    assert "2026" in capsys.readouterr().out

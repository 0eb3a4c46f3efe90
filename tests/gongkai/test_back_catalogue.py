"""`gongkai import FOLDER`: a back catalogue into the 公开目录 in bulk, every document still passing the publish
blockers, resumable by content. The documents are generated for these tests (invented numbers and names)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gongkai.cli import main
from gongkai.publishing.layout import INDEX_KEY
from gongkai.settings import Settings
from gongkai.storage import Storage, get_json, open_storage
from tests.conftest import claim_file, write_docx
from tests.security.hostile import BANK_CARD, ID_NUMBER, docx_with, pdf_with

GONGKAI = str(Path(sys.executable).with_name("gongkai"))


def document(number: int, label: str = "（此件主动公开）", title: str = "关于做好城乡低保工作的通知") -> list[str]:
    return ["广东省民政厅文件", f"粤民发〔2019〕{number}号", f"广东省民政厅{title}", "各地级以上市民政局：",
            "为进一步规范城乡最低生活保障工作，现就有关事项通知如下。", "一、提高保障标准。", "广东省民政厅",
            "2019年3月5日", label]


def back_catalogue(folder: Path, first: int = 1) -> dict[str, str]:
    """A department's old documents: what should become of each (published or why not). `first`: the number of
    the first 发文字号, so that two catalogues hold different documents."""
    numbers = iter(range(first, first + 8))
    write_docx(folder / "2019" / "低保通知.docx", document(next(numbers)))
    write_docx(folder / "2019" / "养老通知.docx", document(next(numbers), title="关于开展养老服务检查的通知"))
    pdf_with(folder / "2019" / "救灾通知.pdf", {}, document(next(numbers), title="关于做好救灾物资储备的通知"))
    write_docx(folder / "2019" / "依申请.docx", document(next(numbers), label="（此件依申请公开）"))
    write_docx(folder / "2019" / "无标注.docx", document(next(numbers), label="抄送：省财政厅"))
    write_docx(folder / "2019" / "秘密.docx", ["机密★1年", *document(next(numbers))])
    listed = document(next(numbers))
    write_docx(folder / "2019" / "名单.docx", [*listed[:5], f"张三，身份证号 {ID_NUMBER}", *listed[5:]])
    docx_with(folder / "2019" / "页脚卡号.docx", {"footer": f"卡号 {BANK_CARD}"}, document(next(numbers)))
    (folder / "2019" / "损坏.pdf").write_bytes(b"%PDF-1.7\nthis is no pdf")
    (folder / "2019" / "副本.docx").write_bytes((folder / "2019" / "低保通知.docx").read_bytes())
    (folder / "链接.docx").symlink_to(folder / "2019" / "低保通知.docx")
    (folder / ".~lock.低保通知.docx#").write_text("lock")
    return {"2019/低保通知.docx": "published", "2019/养老通知.docx": "published", "2019/救灾通知.pdf": "published",
            "2019/依申请.docx": "registered", "2019/无标注.docx": "registered", "2019/秘密.docx": "registered",
            "2019/名单.docx": "registered", "2019/页脚卡号.docx": "registered", "2019/损坏.pdf": "failed",
            "2019/副本.docx": "duplicate", "链接.docx": "failed"}


def write_metadata(folder: Path) -> Path:
    path = folder.parent / "metadata.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["文件", "索引号", "发布日期", "主题", "状态"])
        writer.writerow(["2019/低保通知.docx", "006939756/2019-00321", "2019-03-08", "社会救助", "有效"])
        writer.writerow(["2019/养老通知.docx", "", "2019-03-20", "elderly_disability", "已废止"])
    return path


def catalogue_of(storage: Storage) -> dict[str, tuple[str, str | None, str]]:
    """发文字号 → (索引号, topic, status) of every catalogue entry."""
    return {entry["doc_number"]: (entry["index_no"], entry.get("topic"), entry["status"])
            for entry in get_json(storage.public, INDEX_KEY)["items"]}


@pytest.fixture
def importer_env(local_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    monkeypatch.setenv("GONGKAI_DATA_DIR", str(local_settings.data_dir))
    monkeypatch.setenv("GONGKAI_MODEL_DIR", str(tmp_path / "no-models"))  # topics from the CSV only: no model
    monkeypatch.chdir(tmp_path)
    return local_settings


def test_import_publishes_what_passes_and_lists_the_rest(importer_env: Settings, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "old"
    expected = back_catalogue(folder)
    assert main(["import", str(folder), "--csv", str(write_metadata(folder)), "--chunk", "4"]) == 0
    storage = open_storage(importer_env)
    catalogue = get_json(storage.public, INDEX_KEY)["items"]
    assert sorted(entry["doc_number"] for entry in catalogue) == ["粤民发〔2019〕1号", "粤民发〔2019〕2号", "粤民发〔2019〕3号"]
    by_number = {entry["doc_number"]: entry for entry in catalogue}
    kept = by_number["粤民发〔2019〕1号"]
    assert (kept["index_no"], kept["topic"]) == ("006939756/2019-00321", "social_assistance")  # the CSV's
    metadata = get_json(storage.public, "items/006939756-2019-00321/metadata.json")
    assert metadata["published_at"].startswith("2019-03-08") and metadata["imported"] is True
    assert by_number["粤民发〔2019〕2号"]["status"] == "已废止"
    # new numbers follow the one the CSV kept, in the folder's order (养 before 救)
    assert [by_number[f"粤民发〔2019〕{n}号"]["index_no"] for n in (2, 3)] == ["006939756/2019-00322",
                                                                           "006939756/2019-00323"]
    # nothing withheld reached a public object
    public = b"".join(storage.public.get(key) for key in storage.public.keys())
    for secret in (ID_NUMBER, BANK_CARD, "机密★", "依申请公开"):
        assert secret.encode() not in public
    with (tmp_path / "import-failures.csv").open(encoding="utf-8-sig") as stream:
        listed = {row["文件 file"]: row for row in csv.DictReader(stream)}
    assert {name.replace("/", "／"): outcome for name, outcome in expected.items() if outcome != "published"} == {
        name: row["结果 outcome"] for name, row in listed.items()}
    assert "依申请公开" in listed["2019／依申请.docx"]["原因 reasons"] and "密级" in listed["2019／秘密.docx"]["原因 reasons"]
    assert "corrupt_file" in listed["2019／损坏.pdf"]["原因 reasons"]
    registered = [key for key in storage.private.keys("register/") if key.endswith("metadata.json")]
    assert len(registered) == 5  # kept privately with the reasons, as a reviewer's record
    assert "published 3" in capsys.readouterr().out

    # started again: everything is done, nothing is written twice; a catalogue a stopped run left unbuilt is rebuilt
    before = {key: storage.public.get(key) for key in storage.public.keys()}
    storage.public.delete(INDEX_KEY)
    assert main(["import", str(folder), "--csv", str(write_metadata(folder))]) == 0
    assert "done earlier 10" in capsys.readouterr().out  # the 11 files less the link, which is never read
    with (tmp_path / "import-failures.csv").open(encoding="utf-8-sig") as stream:  # still the whole picture
        assert {row["文件 file"] for row in csv.DictReader(stream)} == set(listed) - {"2019／副本.docx"}
    assert {key: storage.public.get(key) for key in storage.public.keys()} == before


def test_an_imported_document_dropped_in_the_inbox_later_is_a_duplicate(importer_env: Settings, tmp_path: Path) -> None:
    from gongkai.outcomes import admit

    folder = tmp_path / "old"
    data = write_docx(folder / "a.docx", document(1)).read_bytes()
    assert main(["import", str(folder)]) == 0
    storage = open_storage(importer_env)
    claim = claim_file(storage, tmp_path, "again.docx", data)
    assert admit(storage, tmp_path / "returned", claim, lambda _: "never started") is None
    assert "already" in next((tmp_path / "returned").rglob("*.txt")).read_text()


def journalled(data: Path) -> int:
    """Documents the import's journal holds (one JSON list per written chunk)."""
    done = data / "storage" / "gongkai-private" / "imports" / "done"
    return sum(len(json.loads(path.read_text())) for path in done.glob("*.json")) if done.is_dir() else 0


def test_an_import_killed_halfway_finishes_with_the_same_catalogue(local_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "old"
    for number in range(1, 31):
        write_docx(folder / f"{number:02d}.docx", document(number, title=f"关于第{number}项工作的通知"))
    env = {**os.environ, "GONGKAI_MODEL_DIR": str(tmp_path / "no-models")}

    def run(data: Path, kill_after: int | None = None) -> str:
        command = [GONGKAI, "import", str(folder), "--chunk", "3", "--workers", "1"]
        process = subprocess.Popen(command, env={**env, "GONGKAI_DATA_DIR": str(data)}, cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        if kill_after is not None:
            while journalled(data) < kill_after:
                assert process.poll() is None, "the import finished before it could be killed"
                time.sleep(0.05)
            os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate(timeout=600)
        return output.decode()

    whole = tmp_path / "whole"
    assert "published 30" in run(whole)
    halves = tmp_path / "halves"
    run(halves, kill_after=15)
    done_at_kill = journalled(halves)
    assert 15 <= done_at_kill < 30
    finished = run(halves)
    redone = int(finished.split("published ")[1].split(",")[0]) - (30 - done_at_kill)
    assert redone <= 3  # a chunk is journalled once written: at most the chunk in hand (3 here) is redone
    storage_whole, storage_halves = (open_storage(Settings(storage="local", data_dir=data)) for data in (whole, halves))
    assert catalogue_of(storage_halves) == catalogue_of(storage_whole)
    numbers = [entry[0] for entry in catalogue_of(storage_halves).values()]
    assert len(numbers) == len(set(numbers)) == 30

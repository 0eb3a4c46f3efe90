"""The annual report's statistics (gongkai.annual_report) on the seeded year of tests/seeded_ledger.py, on an
empty installation, and the files `gongkai report` writes. Every expected figure is counted by hand from
tests/seeded_ledger.py (working days on the 2026 State Council schedule: 元旦 1.1–1.3 with Sunday 1.4 worked,
春节 2.15–2.23 with Saturdays 2.14 and 2.28 worked, 清明 4.4–4.6, 劳动节 5.1–5.5 with Saturday 5.9 worked)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from gongkai.annual_report import AnnualReport, Cell, ReportTable, annual_report
from gongkai.document.workdays import DEADLINE_RULES
from gongkai.outcomes import Decision, PublishRefused, apply_decision
from gongkai.publishing.items import set_status, withdraw
from gongkai.settings import Settings
from gongkai.storage import Storage, open_storage
from tests.conftest import claim_text
from tests.seeded_ledger import CATALOGUE, at, lines, seed

NORMATIVE_INDEX = "006939756/2026-00002"  # 粤民规〔2026〕1号, the second item the seed publishes
TABLE_KEYS = ["proactive_rules", "proactive_by_topic_month", "timeliness", "requests", "withheld_and_returned"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REQUEST_ROWS = 25  # 一, 二, 三（一）（二）, 8 + 3 + 5 + 3 grounds, 三（七）, 四
NEW, CARRIED_IN, CARRIED_OUT = "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "四、结转下年度继续办理"
RESULTS = "三、本年度办理结果："
# columns: 自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计
NOTHING = [0, 0, 0, 0, 0, 0, 0]


def report_of(storage: Storage, year: int) -> AnnualReport:
    return annual_report(storage, CATALOGUE, DEADLINE_RULES, year)


def by_label(table: ReportTable) -> dict[Cell, list[Cell]]:
    return {row[0]: row[1:] for row in table.rows}


def test_the_requests_and_publications_of_the_seeded_year(any_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(any_settings)
    seed(storage, tmp_path)
    report = report_of(storage, 2026)
    assert [table.key for table in report.tables] == TABLE_KEYS
    assert report.department == "广东省民政厅"

    requests = by_label(report.table("requests"))
    assert len(requests) == REQUEST_ROWS
    expected = {
        NEW: [2, 0, 0, 0, 1, 0, 3],  # 张三 (3.2) and 李四 (11.25) 自然人, the 律师事务所 (3.2) 法律服务机构
        CARRIED_IN: [1, 0, 0, 0, 0, 0, 1],  # 赵六, received 2025-12-22, answered 2026-01-09
        f"{RESULTS}（一）予以公开": [1, 0, 0, 0, 0, 0, 1],  # 赵六
        f"{RESULTS}（二）部分公开（区分处理的，只计这一情形，不计其他情形）": [1, 0, 0, 0, 0, 0, 1],  # 张三
        f"{RESULTS}（三）不予公开 4.保护第三方合法权益": [0, 0, 0, 0, 1, 0, 1],  # the 律师事务所, 5.6
        f"{RESULTS}（七）总计": [2, 0, 0, 0, 1, 0, 3],
        CARRIED_OUT: [1, 0, 0, 0, 0, 0, 1],  # 李四, not answered by 31 December
    }
    assert {label: cells for label, cells in requests.items() if cells != NOTHING} == expected
    assert f"{RESULTS}（五）不予处理 2.重复申请" in requests and f"{RESULTS}（六）其他处理 3.其他" in requests

    # 粤民规〔2026〕1号 signed 2.10, published 3.26, still 有效; the repealed notice (粤民发) is no 规范性文件
    assert by_label(report.table("proactive_rules")) == {"规章": [0, 0, 0, 0], "行政规范性文件": [1, 0, 1, 0]}

    months = by_label(report.table("proactive_by_topic_month"))
    assert list(months) == [topic.name for topic in CATALOGUE.topics] + ["合计 / total"]
    zero_year = [0] * 13
    published = {  # 12号 on 3.20 (社会救助), 规〔2026〕1号 on 3.26 (法规文件), the service guide on 4.8 (政务服务);
        # the pending 88号 is not published
        CATALOGUE.topic("social_assistance").name: [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        CATALOGUE.topic("regulations").name: [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        CATALOGUE.topic("services").name: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        "合计 / total": [0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3],
    }
    assert {name: cells for name, cells in months.items() if cells != zero_year} == published


def test_the_clocks_and_withheld_documents_of_the_seeded_year(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    seed(storage, tmp_path)
    report = report_of(storage, 2026)
    timeliness = {row[0]: row[2:] for row in report.table("timeliness").rows}
    # 本年办结, 按时, 逾期, 用时中位数（工作日）, 年末仍在计时, 其中已逾期
    assert timeliness == {
        # 12号 3.5→3.20: 11 days, on time; 规 1号 2.10→3.26: 28 days, late (due 3.16); the guide 4.3→4.8: 2 days;
        # median 11. The pending 88号 (signed 11.16, due 12.14) still runs on 31 December, overdue
        "publish_proactive": [3, 2, 1, 11, 1, 1],
        "publish_status_change": [1, 1, 0, 1, 0, 0],  # the repeal effective 6.1 (Monday), published 6.2
        "service_guide_change": [1, 0, 1, 2, 0, 0],  # due 4.7, published 4.8: 4.7 and 4.8 are 2 working days
        "gazette_submission": [1, 1, 0, 2, 0, 0],  # signed 2.10, sent 2.12
        # 2025-0001 12.22→1.9: 13 days; 2026-0001 3.2→3.20: 14; 2026-0002 3.2→5.6: 43, late (extended due 4.28);
        # 2026-0003 (due 12.23) still open on 31 December, overdue
        "answer_request": [3, 2, 1, 14, 1, 1],
    }
    assert [rule.key for rule in DEADLINE_RULES.rules] == list(timeliness)

    assert report.table("withheld_and_returned").rows == [
        ["2026-05-06", "粤民函〔2026〕41号 广东省民政厅关于内部考核安排的通知", "登记不公开 / recorded", "不予公开", "内部事务信息"],
        ["2026-05-06", "粤民函〔2026〕42号 广东省民政厅关于低保资金的通知", "退回起草处室 / returned", "主动公开", "缺少附件"],
    ]


def test_the_2025_report_counts_the_december_request_as_new_and_carried_over(local_settings: Settings,
                                                                               tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    seed(storage, tmp_path)
    report = report_of(storage, 2025)
    requests = by_label(report.table("requests"))
    # 赵六's request (2025-12-22) is 2025's only event: received, not answered by 31 December
    assert {label: cells for label, cells in requests.items() if cells != NOTHING} == {
        NEW: [1, 0, 0, 0, 0, 0, 1], CARRIED_OUT: [1, 0, 0, 0, 0, 0, 1]}
    timeliness = {row[0]: row[2:] for row in report.table("timeliness").rows}
    assert timeliness["answer_request"] == [0, 0, 0, None, 1, 0]  # due 2026-01-20: not overdue on 31 December
    assert timeliness["publish_proactive"] == [0, 0, 0, None, 0, 0]
    # the 规范性文件 was published in 2026: neither made nor in force in 2025
    assert by_label(report.table("proactive_rules")) == {"规章": [0, 0, 0, 0], "行政规范性文件": [0, 0, 0, 0]}
    assert report.table("proactive_by_topic_month").rows[-1] == ["合计 / total"] + [0] * 13
    assert report.table("withheld_and_returned").rows == []


def test_a_repeal_counts_in_the_year_it_takes_effect(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    seed(storage, tmp_path)
    with at("2026-12-20 10:00"):  # decided in December, effective 2027-01-15
        set_status(storage, CATALOGUE, NORMATIVE_INDEX, "失效", effective=date(2027, 1, 15))
    # 2026: made and still 有效 on 31 December; 2027: expired (失效 counts as 废止), nothing in force
    assert by_label(report_of(storage, 2026).table("proactive_rules"))["行政规范性文件"] == [1, 0, 1, 0]
    assert by_label(report_of(storage, 2027).table("proactive_rules"))["行政规范性文件"] == [0, 1, 0, 0]


def test_a_withdrawn_publication_still_counts_in_its_month(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    seed(storage, tmp_path)
    with at("2026-07-01 10:00"):
        withdraw(storage, CATALOGUE, NORMATIVE_INDEX, "误发 / published by mistake", "王审核")
    report = report_of(storage, 2026)
    assert by_label(report.table("proactive_by_topic_month"))[CATALOGUE.topic("regulations").name][2] == 1  # March
    # made in 2026 still, but no longer public: not in force
    assert by_label(report.table("proactive_rules"))["行政规范性文件"] == [1, 0, 0, 0]


def test_an_empty_installation_gives_zeros_and_valid_files(local_settings: Settings, tmp_path: Path) -> None:
    report = report_of(open_storage(local_settings), 2026)
    for key in ("proactive_rules", "proactive_by_topic_month", "requests"):
        table = report.table(key)
        assert table.rows and all(cell == 0 for row in table.rows for cell in row[1:]), key
    assert len(report.table("requests").rows) == REQUEST_ROWS
    timeliness = report.table("timeliness").rows
    assert [row[0] for row in timeliness] == [rule.key for rule in DEADLINE_RULES.rules]
    assert all(row[2:] == [0, 0, 0, None, 0, 0] for row in timeliness)
    assert report.table("withheld_and_returned").rows == []
    assert len(report.not_known) >= 4

    paths = report.write(tmp_path / "report")
    assert [path.name for path in paths] == ["report-2026.md", *(f"report-2026-{key}.csv" for key in TABLE_KEYS),
                                             "report-2026.png"]
    markdown = paths[0].read_text(encoding="utf-8")
    assert all(f"## {table.title}" in markdown for table in report.tables)
    assert "| 四、结转下年度继续办理 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |" in markdown
    assert "rows gongkai cannot know" in markdown and "行政复议" in markdown
    chart = paths[-1]
    assert chart.stat().st_size > 0 and chart.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(chart) as image:
        image.verify()


def test_the_csv_files_read_back_as_the_tables(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    seed(storage, tmp_path)
    report = report_of(storage, 2026)
    paths = report.write(tmp_path / "report")
    for table in report.tables:
        path = tmp_path / "report" / f"report-2026-{table.key}.csv"
        assert path in paths and path.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
        with path.open(encoding="utf-8-sig", newline="") as stream:
            header, *rows = list(csv.reader(stream))
        assert header == table.columns
        assert rows == [["" if cell is None else str(cell) for cell in row] for row in table.rows]


def test_no_personal_data_reaches_the_written_files(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    seed(storage, tmp_path)
    with at("2026-07-01 10:00"):  # a reviewer's comment that quotes personal data, and a refused publication
        claim, check = claim_text(storage, tmp_path, lines("粤民函〔2026〕50号", "关于核对低保对象的通知", "2026年6月29日"),
                                  "核对.txt", date(2026, 7, 1))
        apply_decision(storage, tmp_path / "returned", CATALOGUE, claim, check, Decision(
            "return", "主动公开", "social_assistance", "", "正文有申请人身份证 110105199001010010、电话 13912345678，请删除",
            "李审核"))
        claim, check = claim_text(storage, tmp_path, lines("粤民函〔2026〕51号", "关于内部审计的通知", "2026年6月30日",
                                                           "（此件不予公开）"), "审计.txt", date(2026, 7, 1))
        with pytest.raises(PublishRefused):
            apply_decision(storage, tmp_path / "returned", CATALOGUE, claim, check,
                           Decision("publish", "主动公开", "finance", "", "", "李审核"))
    report = report_of(storage, 2026)
    withheld = report.table("withheld_and_returned").rows
    assert [row[:3] for row in withheld[2:]] == [
        ["2026-07-01", "粤民函〔2026〕50号 广东省民政厅关于核对低保对象的通知", "退回起草处室 / returned"],
        ["2026-07-01", "粤民函〔2026〕51号 广东省民政厅关于内部审计的通知", "拒绝发布 / publication refused"]]
    assert "139****5678" in str(withheld[2][4]) and "不予公开" in str(withheld[3][4])

    written = [path.read_text(encoding="utf-8-sig") for path in report.write(tmp_path / "report")
               if path.suffix in (".md", ".csv")]
    for personal in ("张三", "赵六", "李四", "13912345678", "13812345678", "110105199001010010", "lisi@example.com"):
        assert not any(personal in text for text in written), personal

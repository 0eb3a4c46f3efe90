"""The statistics of the 政府信息公开工作年度报告 for one calendar year, in the layout of the template of
国办公开办函〔2021〕30号 where gongkai holds the data (`gongkai report --year YYYY`).

Data sources, all read-only: the audit ledger (`published`, `recorded`, `returned`, `publish_refused` and
`status_changed` entries: what was published when, under which topic, with which 成文日期 and 发文字号), the
public bucket's item metadata (what is public now and its status), the statutory clocks (gongkai.clocks, on the
rules of config/deadlines.yaml) and the 依申请公开 request register (gongkai.register, whose answer types are the
rows of the template's table 三). Dates are China dates. What the template asks and gongkai never records
(行政许可, 行政处罚, 复议和诉讼, the prose sections) is listed in `AnnualReport.not_known`, never guessed.

Outputs: a Markdown report, one CSV per table (UTF-8 with BOM so Excel opens the Chinese) and a PNG chart.
Personal data never reaches them: requests are only counted, and the reasons a reviewer typed are masked.
"""

from __future__ import annotations

import csv
import statistics
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, get_args

from gongkai.catalogue import Catalogue
from gongkai.clocks import Clock, all_clocks
from gongkai.document.pii import find_personal_data, mask
from gongkai.document.workdays import DeadlineRules
from gongkai.ledger import audit_entries
from gongkai.publishing.catalogue_feed import published_items
from gongkai.publishing.layout import AMENDED, EXPIRED, REPEALED, VALID, china_date
from gongkai.register import ANSWER_GROUNDS, Request, RequesterKind, all_requests
from gongkai.storage import Storage

Cell = str | int | float | None

REQUESTER_KINDS: tuple[str, ...] = get_args(RequesterKind)
RULES, NORMATIVE = "规章", "行政规范性文件"
REPORTED_OUTCOMES = {"recorded": "登记不公开 / recorded", "returned": "退回起草处室 / returned",
                     "publish_refused": "拒绝发布 / publication refused"}
CHINESE_FONT = "WenQuanYi Zen Hei"  # Debian fonts-wqy-zenhei (scripts/install-system-packages.sh)
FALLBACK_FONT = "DejaVu Sans"
FONT_WEIGHT_KEYS = ("font.weight", "axes.titleweight", "axes.labelweight", "figure.titleweight")
NONE_SHOWN = "—"

NOT_KNOWN = [
    "二、主动公开政府信息情况 第二十条第（五）项 行政许可 本年处理决定数量：gongkai 不掌握行政许可决定 / "
    "licensing decisions are not recorded in gongkai",
    "二、主动公开政府信息情况 第二十条第（六）项 行政处罚、行政强制 本年处理决定数量：gongkai 不掌握处罚和强制决定 / "
    "penalty and enforcement decisions are not recorded in gongkai",
    "二、主动公开政府信息情况 第二十条第（八）项 行政事业性收费 本年收费金额：gongkai 不掌握收费 / "
    "administrative fees are not recorded in gongkai",
    "四、政府信息公开行政复议、行政诉讼情况：gongkai 不登记复议和诉讼 / "
    "administrative reconsideration and litigation are not recorded in gongkai",
    "一、总体情况；五、存在的主要问题及改进情况；六、其他需要报告的事项：文字部分，由公开办撰写 / "
    "prose sections: written by the disclosure office, not recorded in gongkai",
]


@dataclass
class ReportTable:
    key: str  # ASCII slug: the CSV file is report-YYYY-<key>.csv
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    note: str = ""


@dataclass
class AnnualReport:
    year: int
    department: str
    tables: list[ReportTable]
    not_known: list[str]  # rows of the template gongkai cannot know, each with its reason

    def table(self, key: str) -> ReportTable:
        return next(table for table in self.tables if table.key == key)

    def markdown(self) -> str:
        lines = [f"# {self.department} {self.year} 年政府信息公开工作年度报告（统计数据）",
                 "", f"Government information disclosure annual report {self.year}: the figures gongkai records."]
        for table in self.tables:
            lines += ["", f"## {table.title}", "", _markdown_row(table.columns),
                      _markdown_row(["---"] * len(table.columns))]
            lines += [_markdown_row([_shown(cell) for cell in row]) for row in table.rows]
            if not table.rows:
                lines.append(_markdown_row(["（无 / none）"] + [""] * (len(table.columns) - 1)))
            if table.note:
                lines += ["", table.note]
        lines += ["", "## gongkai 无法统计的项目 / rows gongkai cannot know", ""]
        lines += [f"- {item}" for item in self.not_known]
        return "\n".join(lines) + "\n"

    def write(self, folder: Path) -> list[Path]:
        """report-YYYY.md, report-YYYY-<key>.csv per table and report-YYYY.png in `folder`; returns the paths."""
        folder.mkdir(parents=True, exist_ok=True)
        report = folder / f"report-{self.year}.md"
        report.write_text(self.markdown(), encoding="utf-8")
        paths = [report]
        for table in self.tables:
            path = folder / f"report-{self.year}-{table.key}.csv"
            with path.open("w", encoding="utf-8-sig", newline="") as stream:  # the BOM tells Excel it is UTF-8
                writer = csv.writer(stream)
                writer.writerow(table.columns)
                writer.writerows([["" if cell is None else cell for cell in row] for row in table.rows])
            paths.append(path)
        chart = folder / f"report-{self.year}.png"
        _draw_chart(self, chart)
        return paths + [chart]


def annual_report(storage: Storage, catalogue: Catalogue, rules: DeadlineRules, year: int) -> AnnualReport:
    """The report's tables for calendar `year` from what the ledger, the public bucket and the register hold."""
    entries = audit_entries(storage)
    items = published_items(storage)
    tables = [
        _proactive_rules(entries, items, year),
        _proactive_by_topic_month(entries, catalogue, year),
        _timeliness(all_clocks(storage, rules), rules, year),
        _requests(all_requests(storage), year),
        _withheld_and_returned(entries, year),
    ]
    return AnnualReport(year, catalogue.department, tables, list(NOT_KNOWN))


# --- 二、主动公开 ------------------------------------------------------------------------------------

def _rule_kind(doc_type: str | None, doc_number: str | None) -> str | None:
    """规章 (文种 令, or 令 in the 发文字号), 行政规范性文件 (规 in the 发文字号, as the gazette rule of
    config/deadlines.yaml), or neither."""
    number = doc_number or ""
    if doc_type == "令" or "令" in number:
        return RULES
    return NORMATIVE if "规" in number else None


def _latest_published(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """sha256 → the latest `published` entry of that version (ledger keys sort chronologically)."""
    return {entry["sha256"]: entry for entry in entries if entry["event"] == "published"}


def _proactive_rules(entries: list[dict[str, Any]], items: list[dict[str, Any]], year: int) -> ReportTable:
    year_end = date(year, 12, 31)
    made: dict[str, set[str]] = {RULES: set(), NORMATIVE: set()}
    published = _latest_published(entries)
    for sha256, entry in published.items():
        elements = entry["elements"]
        kind = _rule_kind(elements.get("doc_type"), elements.get("doc_number"))
        signed = elements.get("signed_date") or ""
        if kind and signed[:4] == str(year):
            made[kind].add(elements.get("doc_number") or sha256)  # a corrected file republished is one document

    by_index = {item["index_no"]: item for item in items}
    changes = [entry for entry in entries if entry["event"] == "status_changed"]
    # per item, the last change recorded among those effective in the year: a repeal undone within it counts not
    changed_in_year = {entry["index_no"]: entry for entry in changes if entry["effective"][:4] == str(year)}
    amended: Counter[str] = Counter()
    repealed: Counter[str] = Counter()
    for entry in changed_in_year.values():
        origin = published.get(entry["sha256"], {}).get("elements") or by_index.get(entry["index_no"], {})
        kind = _rule_kind(origin.get("doc_type"), origin.get("doc_number"))
        if kind and entry["status"] in (REPEALED, EXPIRED):
            repealed[kind] += 1
        elif kind and entry["status"] == AMENDED:
            amended[kind] += 1

    changes_by_item: dict[str, list[dict[str, Any]]] = {}
    for entry in changes:
        changes_by_item.setdefault(entry["index_no"], []).append(entry)
    in_force: Counter[str] = Counter()
    for item in items:
        kind = _rule_kind(item.get("doc_type"), item.get("doc_number"))
        if kind and china_date(item["published_at"]) <= year_end and _status_on(
                item, changes_by_item.get(item["index_no"], []), year_end) == VALID:
            in_force[kind] += 1

    return ReportTable(
        "proactive_rules", "二、主动公开政府信息情况（第二十条第（一）项）",
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数", "本年修改件数"],
        [[kind, len(made[kind]), repealed[kind], in_force[kind], amended[kind]] for kind in (RULES, NORMATIVE)],
        "规章：文种为“令”或发文字号含“令”；行政规范性文件：发文字号含“规”。本年制发：成文日期在本年且已发布，按发文字号计"
        "（发布后撤回的也计入）；本年废止：本年生效的废止、失效；现行有效：12月31日已发布且当日状态为有效；本年修改件数为模板外的"
        "补充列。/ 规章: 文种 令 or 令 in the 发文字号; 规范性文件: 规 in the 发文字号. Made: signed in the year and "
        "published, one per 发文字号 (withdrawn ones included); repealed: repeal or expiry effective in the year; in "
        "force: published and valid on 31 December; amended is an extra column.")


def _status_on(item: dict[str, Any], changes: list[dict[str, Any]], day: date) -> str:
    """An item's status on `day` from its `changes` in ledger order: the last one effective by then; before any
    change 有效; its present status when the ledger records no change for it at all."""
    if not changes:
        return item.get("status", VALID)
    effective = [entry for entry in changes if date.fromisoformat(entry["effective"]) <= day]
    return effective[-1]["status"] if effective else VALID


def _proactive_by_topic_month(entries: list[dict[str, Any]], catalogue: Catalogue, year: int) -> ReportTable:
    first_published: dict[str, date] = {}
    for entry in entries:
        if entry["event"] == "published":
            first_published.setdefault(entry["sha256"], china_date(entry["at"]))
    counts: Counter[tuple[str | None, int]] = Counter()
    for sha256, entry in _latest_published(entries).items():
        day = first_published[sha256]
        if day.year == year:
            counts[(entry["decision"].get("topic"), day.month)] += 1

    keys: list[str | None] = [topic.key for topic in catalogue.topics]
    keys += sorted({key for key, _ in counts if key and key not in keys})
    if any(key is None for key, _ in counts):
        keys.append(None)
    names = {topic.key: topic.name for topic in catalogue.topics}
    rows: list[list[Cell]] = []
    for key in keys:
        months = [counts[(key, month)] for month in range(1, 13)]
        rows.append([names.get(key, key) if key else "未分类 / no topic", *months, sum(months)])
    totals = [sum(count for (_, at), count in counts.items() if at == month) for month in range(1, 13)]
    rows.append(["合计 / total", *totals, sum(totals)])
    return ReportTable(
        "proactive_by_topic_month", "主动公开政府信息情况（按主题、月份）",
        ["主题", *(f"{month}月" for month in range(1, 13)), "合计"], rows,
        "按首次发布日（北京时间）计，同一版本只计一次；发布后撤回的仍计入发布当月。/ Each version once, in the month of "
        "its first publication (China time); a version withdrawn later still counts in the month it was published.")


# --- 法定期限 ---------------------------------------------------------------------------------------

def _timeliness(clocks: list[Clock], rules: DeadlineRules, year: int) -> ReportTable:
    year_end = date(year, 12, 31)
    rows: list[list[Cell]] = []
    for rule in rules.rules:
        own = [clock for clock in clocks if clock.rule.key == rule.key]
        closed = [clock for clock in own if clock.closed_on and clock.closed_on.year == year]
        on_time = sum(1 for clock in closed if clock.on_time)
        running = [clock for clock in own if clock.deadline.start <= year_end
                   and (clock.closed_on is None or clock.closed_on > year_end)]
        overdue = sum(1 for clock in running if clock.deadline.working_days_left(year_end) < 0)
        taken = [clock.working_days_taken for clock in closed if clock.working_days_taken is not None]
        rows.append([rule.key, rule.description.split("/ ")[0].strip(), len(closed), on_time, len(closed) - on_time,
                     _median(taken), len(running), overdue])
    return ReportTable(
        "timeliness", "法定期限执行情况",
        ["规则", "说明", "本年办结", "按时", "逾期", "用时中位数（工作日）", "年末仍在计时", "其中已逾期"], rows,
        "本年办结：本年内公开、答复或确认完成；按时：完成日不晚于到期日；用时：起算日至完成日的工作日数；年末仍在计时："
        "12月31日前起算、当日尚未完成，其中已逾期：到期日在12月31日之前。规则见 config/deadlines.yaml。/ Closed: published, "
        "answered or confirmed in the year; on time: by the due date; time taken in working days from the start; "
        "running at year end: started by 31 December and not closed then, overdue when due before it.")


def _median(values: list[int]) -> int | float | None:
    if not values:
        return None
    middle = statistics.median(values)
    return int(middle) if float(middle).is_integer() else middle


# --- 三、依申请公开 ----------------------------------------------------------------------------------

SECTION_NUMBERS = "一二三四五六七"
ANSWER_LABELS = {"部分公开": "部分公开（区分处理的，只计这一情形，不计其他情形）"}
RESULTS = "三、本年度办理结果："


def _requests(requests: list[Request], year: int) -> ReportTable:
    year_start, year_end = date(year, 1, 1), date(year, 12, 31)
    answered = [request for request in requests if request.answer and request.answer.on.year == year]
    groups: list[tuple[str, list[Request]]] = [
        ("一、本年新收政府信息公开申请数量", [request for request in requests if request.received.year == year]),
        ("二、上年结转政府信息公开申请数量", [request for request in requests if request.received < year_start
                                  and (request.answer is None or request.answer.on >= year_start)]),
    ]
    for number, (answer_type, grounds) in zip(SECTION_NUMBERS, ANSWER_GROUNDS.items()):
        label = f"{RESULTS}（{number}）{ANSWER_LABELS.get(answer_type, answer_type)}"
        of_type = [request for request in answered if request.answer and request.answer.type == answer_type]
        if not grounds:
            groups.append((label, of_type))
        groups += [(f"{label} {position}.{ground}",
                    [request for request in of_type if request.answer and request.answer.ground == ground])
                   for position, ground in enumerate(grounds, 1)]
    groups += [(f"{RESULTS}（{SECTION_NUMBERS[len(ANSWER_GROUNDS)]}）总计", answered),
               ("四、结转下年度继续办理", [request for request in requests if request.received <= year_end
                                  and (request.answer is None or request.answer.on > year_end)])]
    rows: list[list[Cell]] = []
    for label, selected in groups:
        by_kind = Counter(request.requester.kind for request in selected)
        rows.append([label, *(by_kind[kind] for kind in REQUESTER_KINDS), len(selected)])
    return ReportTable(
        "requests", "三、收到和处理政府信息公开申请情况", ["申请人情况", *REQUESTER_KINDS, "总计"], rows,
        "商业企业至其他为法人或其他组织。本年新收：收到日期在本年；上年结转：1月1日前收到、当日尚未答复；办理结果：答复日期在本年；"
        "结转下年度：12月31日前收到、当日尚未答复。第一项加第二项之和等于第三项（七）加第四项。/ 商业企业 … 其他 are "
        "organisations. New: received in the year; carried over: received before 1 January and not answered by "
        "then; results: answered in the year; carried forward: not answered by 31 December. 一 + 二 = 三（七）+ 四.")


# --- 未公开 -----------------------------------------------------------------------------------------

def _withheld_and_returned(entries: list[dict[str, Any]], year: int) -> ReportTable:
    rows: list[list[Cell]] = []
    for entry in entries:
        if entry["event"] not in REPORTED_OUTCOMES or china_date(entry["at"]).year != year:
            continue
        decision, elements = entry.get("decision") or {}, entry.get("elements") or {}
        document = " ".join(part for part in (elements.get("doc_number"), elements.get("title")) if part)
        reason = {"returned": decision.get("comment", ""), "recorded": decision.get("reason", ""),
                  "publish_refused": "；".join(entry.get("reasons", []))}[entry["event"]]
        rows.append([china_date(entry["at"]).isoformat(), _masked(document or entry.get("file", "")),
                     REPORTED_OUTCOMES[entry["event"]], decision.get("category", ""), _masked(reason)])
    return ReportTable(
        "withheld_and_returned", "退回、登记不公开和拒绝发布的文件", ["日期", "文件", "处理", "类别", "理由"], rows,
        "本年退回起草处室（审核意见）、登记而不公开（类别和理由）、发布时被拒（原因）的文件；其中的个人信息已遮盖。/ Drafts "
        "returned (the reviewer's comment), documents recorded rather than published (category and reason) and "
        "publications refused (the reasons) in the year; personal data masked.")


def _masked(text: str) -> str:
    return mask(text, find_personal_data(text))


# --- output -----------------------------------------------------------------------------------------

def _shown(cell: Cell) -> str:
    if cell is None:
        return NONE_SHOWN
    if isinstance(cell, float):
        return f"{cell:g}"
    return str(cell)


def _markdown_row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"


def _count(cell: Cell) -> int:
    return cell if isinstance(cell, int) else 0


def _draw_chart(report: AnnualReport, path: Path) -> None:
    """Two panels: 主动公开 per month, stacked by topic; per rule, clocks closed on time and late."""
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    chinese = next((font for font in font_manager.fontManager.ttflist if font.name == CHINESE_FONT), None)
    # WenQuanYi comes in one weight (500): asking for it saves a findfont warning per text style
    style = ({"font.family": chinese.name, **{key: chinese.weight for key in FONT_WEIGHT_KEYS}} if chinese
             else {"font.family": FALLBACK_FONT})
    style["axes.unicode_minus"] = False  # WenQuanYi has no U+2212
    by_month = report.table("proactive_by_topic_month").rows[:-1]  # the last row is the total
    timeliness = report.table("timeliness").rows
    with warnings.catch_warnings(), matplotlib.rc_context(style):
        if chinese is None:  # the labels then show boxes for Chinese characters: no warning for each
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figure = Figure(figsize=(11, 9), layout="constrained")
        FigureCanvasAgg(figure)
        monthly, clocks = figure.subplots(2, 1, height_ratios=(3, 2))
        months = list(range(1, 13))
        bottom = [0] * 12
        for row in by_month:
            counts = [_count(value) for value in row[1:13]]
            if any(counts):
                monthly.bar(months, counts, bottom=bottom, label=str(row[0]))
                bottom = [below + count for below, count in zip(bottom, counts)]
        if not any(bottom):
            monthly.bar(months, bottom)  # an empty year still shows its twelve months
        else:
            monthly.legend(fontsize="small", loc="upper left")
        monthly.set_xticks(months, [f"{month}月" for month in months])
        monthly.set_ylim(bottom=0)
        monthly.yaxis.set_major_locator(MaxNLocator(integer=True))
        monthly.set_title(f"{report.year} 年主动公开件数（按月）/ proactive disclosure per month")
        names = [str(row[0]) for row in timeliness]
        on_time = [_count(row[3]) for row in timeliness]
        late = [_count(row[4]) for row in timeliness]
        clocks.barh(names, on_time, color="#4c9a2a", label="按时 / on time")
        clocks.barh(names, late, left=on_time, color="#c0392b", label="逾期 / late")
        clocks.invert_yaxis()  # the rules in file order, top down
        clocks.set_xlim(left=0)
        clocks.xaxis.set_major_locator(MaxNLocator(integer=True))
        clocks.legend(fontsize="small", loc="best")
        clocks.set_title(f"{report.year} 年办结的法定期限 / statutory clocks closed in the year")
        figure.savefig(path, format="png", dpi=100)

"""The disclosure checks: every reason a document may not go out, each with a stable code.

Codes are a contract (JSON output, the review form, the audit ledger): add new ones, never rename.
Messages are for the drafter: Chinese first, then English, saying what is wrong and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from gongkai.document.elements import DocumentElements
from gongkai.document.labels import ON_REQUEST, PROACTIVE, WITHHELD, LabelMention
from gongkai.document.pii import ADDRESS, BANK_CARD, ID_NUMBER, MOBILE, PersonalData
from gongkai.document.workdays import Deadline
from gongkai.extractors.base import HIDDEN_PARTS

MARGINS = "margins"
PART_NAMES = {MARGINS: "页眉页脚 headers and footers", **HIDDEN_PARTS}  # every part of a file besides the body


class Severity(str, Enum):
    ERROR = "error"  # must be fixed; never publishable as it stands
    WARNING = "warning"  # a reviewer must look at it
    INFO = "info"


@dataclass(frozen=True)
class Problem:
    code: str
    severity: Severity
    message: str
    evidence: str | None = None  # the text it is about, already masked

    def to_json(self) -> dict[str, str | None]:
        return {"code": self.code, "severity": self.severity.value, "message": self.message,
                "evidence": self.evidence}


# 文种 that 条例 第十六条 lets an agency withhold as 过程性信息 (请示报告、讨论记录).
_USUALLY_WITHHELD_TYPES = {
    "请示": "请示是上行文，属于过程性信息",
    "报告": "向上级报送的报告属于过程性信息",
    "纪要": "会议纪要属于讨论记录等过程性信息",
}
_PII_PROBLEMS = {
    ID_NUMBER: (Severity.ERROR, "pii_id_number", "含有身份证号", "contains a national ID number"),
    BANK_CARD: (Severity.ERROR, "pii_bank_card", "含有银行卡号", "contains a bank card number"),
    # officials' contact numbers are often published on purpose: a reviewer decides
    MOBILE: (Severity.WARNING, "pii_mobile", "含有手机号码", "contains a mobile phone number"),
    # a party's address in a decision may be published in part: a reviewer decides what to redact
    ADDRESS: (Severity.WARNING, "pii_address", "含有个人住址", "contains a person's home address"),
}


def check_document(elements: DocumentElements, personal_data: list[PersonalData],
                   publish_deadline: Deadline | None, today: date, secrecy_part: str | None = None,
                   labels_elsewhere: list[tuple[str, LabelMention]] = ()) -> list[Problem]:
    """Every problem of the document. `personal_data` may lie in any part; `secrecy_part` names the part a
    secrecy marking was found in when not the body; `labels_elsewhere` are labels found outside the body."""
    problems: list[Problem] = []
    problems += _label_problems(elements)
    problems += _labels_elsewhere(elements, labels_elsewhere)
    if elements.secrecy:
        where = f"（{PART_NAMES[secrecy_part]}中）" if secrecy_part else ""
        problems.append(Problem(
            "secrecy_marking", Severity.ERROR,
            f"文件{where}标有密级“{elements.secrecy}”，涉密文件一律不得公开（条例第十四条） / Marked {elements.secrecy} "
            "(classified): it can never be published. Remove it from the disclosure workflow.",
            (f"{PART_NAMES[secrecy_part]}: " if secrecy_part else "") + elements.secrecy
            + (f"★{elements.secrecy_period}" if elements.secrecy_period else ""),
        ))
    category = elements.label.category if elements.label else None
    if category == PROACTIVE:
        problems += _proactive_problems(elements, personal_data)
    if elements.title is None:
        problems.append(Problem(
            "title_missing", Severity.WARNING,
            "未找到标题（名称），发布前须由审核人在审核表中填写 / No title found: the reviewer must enter it on the "
            "review form before the item can be published.",
        ))
    missing = [part for part in elements.withheld_parts
               if not any(section.is_named(part) for section in elements.attachment_sections)]
    if missing:
        names = "、".join(missing)
        problems.append(Problem(
            "withheld_part_not_found", Severity.WARNING,
            f"标注{names}不予公开，但文件中没有找到单独成页、以“{missing[0]}”一行开头的{names}；如附件在本文件中，"
            f"请退回起草处室按 GB/T 9704 编排，否则其文字会随正文公开 / {names} is marked as withheld but no "
            f"attachment starting with a line “{missing[0]}” was found in the file: if it is in this file, return "
            "it so the drafter lays it out on its own page, or its text is published with the body.",
            elements.label.line if elements.label else None,
        ))
    if elements.doc_number is None:
        problems.append(Problem(
            "doc_number_missing", Severity.WARNING,
            "未找到发文字号（如 粤民发〔2018〕12号） / No document number (发文字号) found: add it to the header.",
        ))
    if elements.signed_date is None:
        problems.append(Problem(
            "signed_date_missing", Severity.WARNING,
            "未找到成文日期，无法计算公开期限 / No signing date (成文日期) found: the publication deadline cannot "
            "be computed. Add the date under the signature.",
        ))
    if publish_deadline is not None:
        problems += _deadline_problems(publish_deadline, today)
    return problems


def _label_problems(elements: DocumentElements) -> list[Problem]:
    label = elements.label
    if label is None:
        return [Problem(
            "label_missing", Severity.ERROR,
            "未标注公开属性。请在成文日期下一行注明（此件主动公开）、（此件依申请公开）或（此件不予公开），"
            "后两者须说明理由 / No disclosure label: add （此件主动公开）, （此件依申请公开） or （此件不予公开） "
            "on the line after the signing date, with a reason for the last two.",
        )]
    problems = []
    if label.category is None:
        problems.append(Problem(
            "label_unknown", Severity.ERROR,
            f"公开属性“{label.value}”不是 主动公开、依申请公开 或 不予公开 之一 / Unknown disclosure value "
            f"“{label.value}”: use 主动公开, 依申请公开 or 不予公开.",
            label.line,
        ))
    for other in elements.conflicting_labels:
        problems.append(Problem(
            "label_conflict", Severity.ERROR,
            f"文件中有两个不同的公开属性：“{label.text}” 与 “{other.text}”，请只保留一个 / Two different "
            f"disclosure labels: “{label.text}” and “{other.text}”. Keep exactly one.",
            other.line,
        ))
    if label.category in (ON_REQUEST, WITHHELD) and not label.reason:
        problems.append(Problem(
            "label_reason_missing", Severity.WARNING,
            f"标注为{label.category}，但未说明理由（如“依申请公开或不予公开理由：内部事务信息”） / Labelled "
            f"{label.category} without a reason: state why (e.g. 理由：内部事务信息).",
            label.line,
        ))
    return problems


def _proactive_problems(elements: DocumentElements, personal_data: list[PersonalData]) -> list[Problem]:
    problems = []
    for item in personal_data:
        severity, code, chinese, english = _PII_PROBLEMS[item.kind]
        where = f"（{PART_NAMES[item.part]}中）" if item.part else ""
        where_english = f" in its {PART_NAMES[item.part].split(' ', 1)[1]}" if item.part else ""
        problems.append(Problem(
            code, severity,
            f"拟主动公开的文件{where}{chinese}（{item.masked}），公开前须删除或遮盖（条例第十五条） / Marked 主动公开 but "
            f"{english}{where_english} ({item.masked}): remove or redact it before publication.",
            item.masked,
        ))
    why = _USUALLY_WITHHELD_TYPES.get(elements.doc_type or "")
    if why:
        problems.append(Problem(
            "withheld_doc_type", Severity.WARNING,
            f"{why}，依条例第十六条通常不予公开，请确认确需主动公开 / A {elements.doc_type} is process information "
            "that 条例 第十六条 lets agencies withhold: confirm it really should be 主动公开.",
            elements.title,
        ))
    return problems


def _deadline_problems(publish_deadline: Deadline, today: date) -> list[Problem]:
    problems = []
    if publish_deadline.estimated:
        problems.append(Problem(
            "deadline_estimated", Severity.INFO,
            f"{publish_deadline.due.year} 年的放假安排尚未收录，公开期限 {publish_deadline.due} 按周末和固定节日估算，"
            f"可能偏早 / The holiday schedule for {publish_deadline.due.year} is not known yet: the deadline "
            f"{publish_deadline.due} counts weekends and fixed-date holidays only and may be a few days early.",
        ))
    days_left = publish_deadline.working_days_left(today)
    if days_left < 0:
        problems.append(Problem(
            "deadline_passed", Severity.WARNING,
            f"主动公开期限 {publish_deadline.due} 已过 {-days_left} 个工作日，请尽快公开 / The publication deadline "
            f"{publish_deadline.due} passed {-days_left} working days ago: publish without delay.",
        ))
    return problems


def _labels_elsewhere(elements: DocumentElements, labels_elsewhere: list[tuple[str, LabelMention]]) -> list[Problem]:
    """A label in another part of the file naming another category than the body's: a withholding label
    anywhere wins over 主动公开."""
    problems = []
    label = elements.label.category if elements.label else None
    for part, mention in labels_elsewhere:
        if label is not None and mention.category != label:
            problems.append(Problem(
                "label_conflict", Severity.ERROR,
                f"正文标注为{label}，但{PART_NAMES[part]}中标注“{mention.text}”，请只保留一个公开属性 / The body is "
                f"labelled {label}, but the {PART_NAMES[part].split(' ', 1)[1]} say “{mention.text}”: keep exactly "
                "one disclosure label.",
                f"{PART_NAMES[part]}: {mention.text}",
            ))
    return problems


def original_withheld_problem(reasons: list[str]) -> Problem:
    """`original_withheld` (warning): the original file will not be public, only its masked text and HTML."""
    return Problem(
        "original_withheld", Severity.WARNING,
        "原件不会公开，只公开文字版和网页版：" + "；".join(reasons) + " / The original file will not be published, only "
        "its text and HTML renditions.",
    )


CONFIDENT = 0.8  # a suggestion at least this confident that disagrees with the label is worth a warning


def suggestion_problem(category: str | None, confidence: float | None, why: list[str], rule_decided: bool,
                       elements: DocumentElements, learned: list[str] | None = None) -> Problem | None:
    """`suggestion_disagrees` (warning) when a confident suggestion names another category than the label.
    A label the model has never learned (依申请公开, without examples) is contradicted only by a rule:
    the model's confidence among the categories it knows says nothing about that one."""
    label = elements.label.category if elements.label else None
    if label is None or category is None or category == label or (confidence or 0.0) < CONFIDENT:
        return None
    if learned is not None and label not in learned and not rule_decided:
        return None
    shown = f"{confidence:.0%}"
    return Problem(
        "suggestion_disagrees", Severity.WARNING,
        f"文件标注为{label}，但模型以 {shown} 的置信度建议{category}，请复核 / Labelled {label}, but the model "
        f"suggests {category} with {shown} confidence: please double-check the label.",
        "; ".join(why[:2]) or None,
    )

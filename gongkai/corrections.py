"""The reviewers' corrections of parsed elements, read back from the audit ledger as test cases for the parser.

Each published or recorded decision keeps the elements as the reviewer left them on the form (`elements`, in
the spelling gongkai stores) and what was changed (`corrections`, from → to). `gongkai evaluate --elements`
parses each item's stored text again and says, per element, how often the parser now gives what the reviewer
confirmed — and, for the corrected ones, whether a parser change has caught up with the reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gongkai.document.check import DocumentCheck
from gongkai.document.elements import parse_elements
from gongkai.ledger import reviewed_items
from gongkai.outcomes import ELEMENT_FIELDS, parsed_elements
from gongkai.storage import Storage


@dataclass
class ElementScore:
    cases: int = 0  # reviewed items with this element confirmed or entered
    agree: int = 0  # the parser gives the reviewer's value today
    corrected: int = 0  # the reviewer had to change the parser's value
    corrected_now_right: int = 0  # … and the parser gives the reviewer's value today


@dataclass
class ElementReport:
    items: int = 0
    items_corrected: int = 0
    scores: dict[str, ElementScore] = field(default_factory=lambda: {name: ElementScore() for name in ELEMENT_FIELDS})
    misses: list[dict[str, Any]] = field(default_factory=list)  # sha256, element, parser, reviewer, corrected


def evaluate_elements(storage: Storage) -> ElementReport:
    """The current parser against every reviewed item whose decision carries the reviewer's elements."""
    report = ElementReport()
    for entry, text in reviewed_items(storage):
        reviewed = entry.get("elements")
        if not reviewed:
            continue  # decided before the form carried the elements
        corrected = entry.get("corrections") or {}
        report.items += 1
        report.items_corrected += bool(corrected)
        parsed = parsed_elements(DocumentCheck(file="", text=text, elements=parse_elements(text)))
        for name in ELEMENT_FIELDS:
            expected = reviewed[name]
            score = report.scores[name]
            score.cases += 1
            right = parsed[name] == expected
            score.agree += right
            if name in corrected:
                score.corrected += 1
                score.corrected_now_right += right
            if not right:
                report.misses.append({"sha256": entry["sha256"], "element": name, "parser": parsed[name] or None,
                                      "reviewer": expected or None, "corrected": name in corrected})
    return report


def format_element_report(report: ElementReport) -> str:
    lines = [f"审核记录 reviewed items: {report.items}（其中 {report.items_corrected} 件有人工更正 with corrections）",
             f"{'element':<12} {'cases':>6} {'agree':>6} {'rate':>7} {'corrected':>10} {'now right':>10}"]
    for name, score in report.scores.items():
        rate = f"{score.agree / score.cases:.1%}" if score.cases else "—"
        lines.append(f"{name:<12} {score.cases:>6} {score.agree:>6} {rate:>7} {score.corrected:>10} "
                     f"{score.corrected_now_right:>10}")
    if report.misses:
        lines.append("解析结果与审核人不一致 / the parser differs from the reviewer:")
        lines += [f"  {miss['sha256'][:16]} {miss['element']}: 解析 parser “{miss['parser'] or '—'}” · 审核人 reviewer "
                  f"“{miss['reviewer'] or '—'}”" + ("（已更正 corrected）" if miss["corrected"] else "")
                  for miss in report.misses]
    return "\n".join(lines)

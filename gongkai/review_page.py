"""The reviewer's page: what the document is, what is wrong, what is suggested, how long is left.

Markdown, shown by the Prefect UI next to the review form (and kept as an artifact of the run). Every
value that comes from the document or its file name is escaped: a title cannot add a link, emphasis or
HTML, and the excerpt sits in a code fence longer than any run of backticks in it, so the document cannot
close it and forge the sections that follow.
"""

from __future__ import annotations

import re
from datetime import date

from gongkai.document.check import ELEMENT_ROWS, DocumentCheck
from gongkai.document.checks import PART_NAMES
from gongkai.intake import Claim

_EXCERPT_CHARS = 600
_SEVERITY = {"error": "❌ 错误", "warning": "⚠️ 警告", "info": "ℹ️ 提示"}
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def review_page(claim: Claim, check: DocumentCheck, original_link: str, today: date, blockers: list[str]) -> str:
    report = check.to_json()
    rows = [
        ("文件 file", f"[{text(claim.name)}](<{original_link}>)"),
        ("处室 office", text(claim.office) or "—"),
        *[(name, text(str(report[key])) if report[key] else None) for name, key in ELEMENT_ROWS],
        ("公开属性 label", f"**{text(report['label'])}** — 原文 line: “{text(report['label_line'])}”" if report["label"]
         else "**未标注 none**"),
        ("理由 reason", text(report["label_reason"] or "")),
        ("不公开部分 withheld", _withheld(check)),
        ("公开期限 deadline", _deadline(check, today)),
        ("其他部分 other parts", "、".join(PART_NAMES[part] for part in check.hidden_parts)
         + "（已检查 all checked）" if check.hidden_parts else None),
        ("sha256", f"`{claim.sha256}`"),
    ]
    lines = ["## 公文审核 / Document review", "", "| 要素 element | 内容 value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows if value]
    lines += ["", "### 问题 / Problems", ""]
    lines += [f"- {_SEVERITY[p['severity']]} `{p['code']}` {text(p['message'])}" for p in report["problems"]] \
        or ["- 无 / none"]
    lines += ["", "### 建议 / Suggestion", ""]
    suggestion = check.suggestion
    if suggestion:
        if suggestion.category:
            lines.append(f"- 公开类别 category: **{suggestion.category}** (置信度 confidence "
                         f"{suggestion.category_confidence:.0%})")
        lines.append(f"- 目录主题 topic: **{text(suggestion.topic_name or '')}** ({suggestion.topic_confidence:.0%})")
        lines += [f"  - {text(why)}" for why in suggestion.why]
    else:
        lines.append("- 暂无模型建议（尚未训练并启用模型）/ no suggestion: no trained model has been promoted")
    if blockers:
        lines += ["", "### 不能发布 / Publishing is not offered", ""]
        lines += [f"- {text(reason)}" for reason in blockers]
    if check.original_withheld:
        lines += ["", "### 原件不公开 / The original file stays private", ""]
        lines += [f"- {text(reason)}" for reason in check.original_withheld]
    lines += ["", "### 正文摘录 / Excerpt (personal data masked)", "", *fenced(check.text[:_EXCERPT_CHARS])]
    return "\n".join(lines)


def text(value: str) -> str:
    """A value from the document as literal Markdown text: punctuation escaped, no HTML, on one line."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", " ".join(value.split()))


def fenced(block: str) -> list[str]:
    """`block` as a code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", block)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, block, fence]


def _withheld(check: DocumentCheck) -> str | None:
    """What a partly public document leaves out of every public file, and how much text that is."""
    if not check.elements.withheld_parts:
        return None
    found = check.elements.withheld_sections()
    cut = sum(section.end - section.start for section in found)
    where = (f"已从公开文本中删去 {'、'.join(section.name for section in found)}（{cut} 字）/ {cut} characters left out "
             "of the published text" if found else "文件中未找到，公开文本未删减 / not found in the file: nothing left out")
    return f"**{text('、'.join(check.elements.withheld_parts))}** — {where}"


def _deadline(check: DocumentCheck, today: date) -> str | None:
    deadline = check.publish_deadline
    if deadline is None:
        return None
    left = deadline.working_days_left(today)
    status = f"剩余 {left} 个工作日 / {left} working days left" if left >= 0 else f"已超期 {-left} 个工作日 / {-left} overdue"
    estimate = "（估算 estimated）" if deadline.estimated else ""
    return f"{deadline.due.isoformat()} — {status}{estimate}"

"""The reviewer's page: what the document is, what is wrong, what is suggested, how long is left.

Markdown, shown by the Prefect UI next to the review form (and kept as an artifact of the run).
"""

from __future__ import annotations

from datetime import date

from gongkai.document.check import ELEMENT_ROWS, DocumentCheck
from gongkai.intake import Claim

_EXCERPT_CHARS = 600
_SEVERITY = {"error": "❌ 错误", "warning": "⚠️ 警告", "info": "ℹ️ 提示"}


def review_page(claim: Claim, check: DocumentCheck, original_link: str, today: date, blockers: list[str]) -> str:
    report = check.to_json()
    rows = [
        ("文件 file", f"[{_cell(claim.name)}]({original_link})"),
        ("处室 office", claim.office or "—"),
        *[(name, report[key]) for name, key in ELEMENT_ROWS],
        ("公开属性 label", f"**{report['label']}** — 原文 line: “{_cell(report['label_line'])}”" if report["label"]
         else "**未标注 none**"),
        ("理由 reason", report["label_reason"]),
        ("公开期限 deadline", _deadline(check, today)),
        ("sha256", f"`{claim.sha256}`"),
    ]
    lines = ["## 公文审核 / Document review", "", "| 要素 element | 内容 value |", "|---|---|"]
    lines += [f"| {name} | {_cell(str(value))} |" for name, value in rows if value]
    lines += ["", "### 问题 / Problems", ""]
    lines += [f"- {_SEVERITY[p['severity']]} `{p['code']}` {p['message']}" for p in report["problems"]] or ["- 无 / none"]
    lines += ["", "### 建议 / Suggestion", ""]
    suggestion = check.suggestion
    if suggestion:
        if suggestion.category:
            lines.append(f"- 公开类别 category: **{suggestion.category}** (置信度 confidence "
                         f"{suggestion.category_confidence:.0%})")
        lines.append(f"- 目录主题 topic: **{suggestion.topic_name}** ({suggestion.topic_confidence:.0%})")
        lines += [f"  - {why}" for why in suggestion.why]
    else:
        lines.append("- 暂无模型建议（尚未训练并启用模型）/ no suggestion: no trained model has been promoted")
    if blockers:
        lines += ["", "### 不能发布 / Publishing is not offered", ""]
        lines += [f"- {reason}" for reason in blockers]
    lines += ["", "### 正文摘录 / Excerpt (personal data masked)", "", "```", check.text[:_EXCERPT_CHARS], "```"]
    return "\n".join(lines)


def _deadline(check: DocumentCheck, today: date) -> str | None:
    deadline = check.publish_deadline
    if deadline is None:
        return None
    left = deadline.working_days_left(today)
    status = f"剩余 {left} 个工作日 / {left} working days left" if left >= 0 else f"已超期 {-left} 个工作日 / {-left} overdue"
    estimate = "（估算 estimated）" if deadline.estimated else ""
    return f"{deadline.due.isoformat()} — {status}{estimate}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")

"""Policy interpretation (解读) goes out with the policy it explains (seed 三(一): 谁起草、谁解读, 同步发布).

A 解读 names its policy in its title — 《广东省最低生活保障办法》解读, 关于《……的通知》的政策解读 — or the
reviewer names the policy's 索引号 in the form. Publishing links the two both ways; a normative
document (规范性文件) reviewed while no 解读 of it is published gets a warning on the review page.
"""

from __future__ import annotations

import re
from typing import Any

from gongkai.document.checks import Problem, Severity
from gongkai.document.elements import DocumentElements
from gongkai.document.textnorm import normalise, squeeze

_INTERPRETS = re.compile(r"《(?P<title>[^》]{4,})》(?:的)?(?:政策)?(?:解读|问答|答记者问)")
# 规范性文件 carry 规 in their 发文字号 (粤民规〔2026〕1号, 发改办财金规〔2019〕860号) or issue a set of rules.
_NORMATIVE_NUMBER = re.compile(r"规〔")
_NORMATIVE_TITLE = re.compile(r"(?:办法|规定|规则|细则|实施意见|管理制度)(?:》)?(?:的通知)?$")


def interpreted_title(title: str | None) -> str | None:
    """The title of the policy a 解读 explains, or None when `title` is not a 解读."""
    match = _INTERPRETS.search(title or "")
    return _comparable(match.group("title")) if match else None


def looks_normative(elements: DocumentElements) -> bool:
    return bool((elements.doc_number and _NORMATIVE_NUMBER.search(elements.doc_number))
                or (elements.title and _NORMATIVE_TITLE.search(elements.title)))


def explains(interpreted: str, policy_title: str | None) -> bool:
    """A 解读 of 《X》 explains the policy titled X, or the one that issues X (关于印发《X》的通知)."""
    if not policy_title:
        return False
    policy = _comparable(policy_title)
    return interpreted == policy or f"《{interpreted}》" in policy


def find_interpretation(items: list[dict[str, Any]], policy_title: str | None) -> dict[str, Any] | None:
    return next((item for item in items if (interpreted := interpreted_title(item.get("title")))
                 and explains(interpreted, policy_title)), None)


def find_policy(items: list[dict[str, Any]], interpretation_title: str | None) -> dict[str, Any] | None:
    interpreted = interpreted_title(interpretation_title)
    if interpreted is None:
        return None
    return next((item for item in items if explains(interpreted, item.get("title"))), None)


def missing_interpretation(published: list[dict[str, Any]], elements: DocumentElements) -> Problem | None:
    """`interpretation_missing` (warning) for a normative document whose 解读 is not among `published`."""
    if not looks_normative(elements) or find_interpretation(published, elements.title):
        return None
    return Problem(
        "interpretation_missing", Severity.WARNING,
        "这是规范性文件，尚未发布其政策解读：解读应与文件同步发布（谁起草、谁解读） / A normative document "
        "without a published interpretation (解读): publish the interpretation together with it (seed 三(一)).",
        elements.title,
    )


def _comparable(title: str) -> str:
    return squeeze(normalise(title)).replace("(", "（").replace(")", "）")

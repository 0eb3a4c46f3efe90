"""Domain rules that steer the category suggestion (政府信息公开条例 2019, DOMAIN.md).

A rule either decides (a secrecy marking: 不予公开, always) or moves probability between categories
by a stated factor. The factors are priors, not learned: the public corpus has no labelled
请示/报告/纪要 and no 依申请公开 document, so nothing could be fitted for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from gongkai.document.elements import DocumentElements
from gongkai.document.labels import ON_REQUEST, PROACTIVE, WITHHELD
from gongkai.document.pii import BANK_CARD, ID_NUMBER, PersonalData

# 过程性信息 that 条例 第十六条 lets an agency withhold (same list as gongkai.document.checks).
PROCESS_DOC_TYPES = {"请示": "请示", "报告": "报告", "纪要": "会议纪要"}
PROCESS_ODDS_FACTOR = 4.0  # odds of 不予公开 against 主动公开 multiply by this for a 请示/报告/纪要
PERSONAL_DATA_SHIFT = 0.9  # share of 主动公开 probability moved to 依申请公开 when a person is identified
_IDENTIFYING = {ID_NUMBER: "身份证号", BANK_CARD: "银行卡号"}


@dataclass(frozen=True)
class RuleOutcome:
    probabilities: dict[str, float]
    reasons: list[str]
    decided: bool = False  # a rule fixed the category; the model's evidence did not count


def apply_rules(probabilities: dict[str, float], elements: DocumentElements,
                personal_data: list[PersonalData]) -> RuleOutcome:
    """Adjust the model's category probabilities by the rules that apply to this document."""
    if elements.secrecy:
        return RuleOutcome({PROACTIVE: 0.0, ON_REQUEST: 0.0, WITHHELD: 1.0},
                           [f"规则：标有密级“{elements.secrecy}”，涉密信息不得公开（条例第十四条） / "
                            f"rule: marked {elements.secrecy}, classified information is never disclosed"], decided=True)
    adjusted, reasons = dict(probabilities), []
    process_type = PROCESS_DOC_TYPES.get(elements.doc_type or "")
    if process_type:
        adjusted[WITHHELD] *= PROCESS_ODDS_FACTOR
        reasons.append(f"规则：{process_type}属于过程性信息，通常不予公开（条例第十六条） / rule: a {elements.doc_type} "
                       "is process information that agencies may withhold")
    identifying = sorted({_IDENTIFYING[item.kind] for item in personal_data if item.kind in _IDENTIFYING})
    if identifying:
        moved = adjusted[PROACTIVE] * PERSONAL_DATA_SHIFT
        adjusted[PROACTIVE] -= moved
        adjusted[ON_REQUEST] += moved
        reasons.append(f"规则：含{'、'.join(identifying)}，涉及个人隐私，不宜主动公开，可依申请公开（条例第十五条） / "
                       "rule: identifies a person (personal data), so not for proactive disclosure; on request instead")
    total = sum(adjusted.values())
    return RuleOutcome({category: value / total for category, value in adjusted.items()}, reasons)

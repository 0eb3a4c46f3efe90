"""The disclosure label (公开属性) in every phrasing seen in real documents, mapped to its category.

Printed in the 附注 position as a bracketed note — （此件社会公开） （此件公开发布） （此件主动公开）
（此件不予公开） and enterprise notes like （此件不公开发布，发至收文单位本部……） — or as a form field
on a cover sheet: 信息公开属性：不公开, 政府信息公开选项：依申请公开, 公开方式：☑主动公开 □依申请公开.
Distribution-scope notes (（此件发至县级） （此件有删减）) name no category and are not labels.
A note may withhold a part only — （此件正文公开，附件不予公开） （附件2不予公开） 公开方式：主动公开（附件不公开）:
the document is 主动公开 and the mention names the withheld parts; 部分公开 without a part stays unknown.
All patterns run on text normalised by `textnorm.normalise`, so full-width brackets and colons are ASCII.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gongkai.document.textnorm import squeeze

PROACTIVE = "主动公开"
ON_REQUEST = "依申请公开"
WITHHELD = "不予公开"
CATEGORIES = (PROACTIVE, ON_REQUEST, WITHHELD)


@dataclass(frozen=True)
class LabelMention:
    """One place where the text states a disclosure category."""

    category: str | None  # None: the text names a value gongkai does not know (label_unknown)
    text: str  # as printed
    value: str  # the value words, e.g. 社会公开 or 不公开
    reason: str | None
    start: int
    end: int
    withheld_parts: tuple[str, ...] = ()  # 附件 (all attachments) or 附件2 …: public document, withheld parts


# Order matters: negative phrasings contain the positive ones (不公开发布 ⊃ 公开发布).
_VALUE_TO_CATEGORY = (
    (re.compile(r"依申请(?:予以)?公开"), ON_REQUEST),
    # 不予公开, 不公开发布, 不对外公开, 不向社会公开, 暂不公开, 非公开, 免予公开
    (re.compile(r"(?:不|非|免)[^,，。;；]{0,5}公开"), WITHHELD),
    (re.compile(r"公开"), PROACTIVE),  # 社会公开, 公开发布, 主动公开, 删减后公开 …
)


# A form field offers a fixed list of values; anything else (部分公开, 半公开) is an unknown value.
_FIELD_VALUES = re.compile(r"(?:主动|依申请|不予|免予|社会|网上)?公开(?:发布)?|不公开")


def category_of(value: str) -> str | None:
    for pattern, category in _VALUE_TO_CATEGORY:
        if pattern.search(value):
            return category
    return None


# （此件……） notes. The inner text stops at the closing bracket; 120 characters covers the enterprise notes.
# Long notes wrap across lines in PDFs, so the inner text may contain line breaks.
_BRACKET_NOTE = re.compile(r"\(\s*(?:此\s*件|本\s*件|此\s*文|本\s*文)\s*(?P<inner>[^()]{0,160}?)\s*\)")
# The same note printed without brackets, alone on its line: 此件主动公开。
_LINE_NOTE = re.compile(r"^[ \t]*(?:此|本)[ \t]*(?:件|文件?)[ \t]*(?P<inner>(?:主动|社会|依申请|不予|不|免予|暂不|删减后)?"
                        r"公开(?:发布)?(?:[,，;；][^\n()]{0,80})?)[ \t]*[。.]?[ \t]*$", re.MULTILINE)
# A note about parts only: （附件不公开） （附件2不予公开） （正文公开，附件不予公开）.
_PARTS_NOTE = re.compile(r"\(\s*(?P<inner>(?:正\s*文|附\s*件)[^()]{0,60}?)\s*\)")
_WITHHOLDING = r"(?:不予公开|不公开(?:发布)?|不对外公开|不向社会公开|暂不公开|免予公开|依申请(?:予以)?公开)"
# 附件 / 附件2 / 附件1、3 / 附件1至3 followed by a withholding value: those parts are withheld.
_PART_SCOPE = re.compile(rf"附\s*件\s*(?P<numbers>\d+(?:\s*(?:[、,，和及]|至|-|~|—)\s*\d+)*)?\s*(?:内容)?\s*(?:均|予以)?"
                         rf"\s*{_WITHHOLDING}")
# A bare category in brackets, （主动公开）: a label only where it stands alone or right after the date.
_BARE_NOTE = re.compile(r"\(\s*(?P<inner>主动公开|依申请公开|不予公开|不公开|社会公开|公开发布)\s*\)")
# Form fields. The key must say 公开 and ends in a colon or a closing bracket; the value is read up to the end
# of the line or the next field.
_FIELD = re.compile(
    r"(?:[\[【][ \t]*)?(?P<key>(?:政府)?信息公开(?:属性|选项|方式|类别|类型|形式)|公开(?:属性|方式|类别|类型|选项|形式))"
    r"(?:[ \t]*:|[ \t]*[\]】][ \t]*:?)[ \t]*(?P<value>[^\n:]{1,60})"  # 公开方式： or 【公开方式】
)
_CHECKED = "☑☒■√✓✔▇◼●"
_UNCHECKED = "□☐◻○"
_OPTION = re.compile(r"(依申请公开|不予公开|不公开|主动公开|免予公开)")
_REASON = re.compile(r"(?:依申请公开或不予公开|依申请公开|不予公开|不公开)?(?:的)?理由\s*[:]?\s*(?P<reason>[^\n()。;]{1,80})")
_REASON_WINDOW = 160  # characters after a label in which a separate 理由 field still belongs to it


def _field_value(raw: str) -> str | None:
    """The chosen option of a form field, or None when the field is blank."""
    raw = raw.strip()
    if any(mark in raw for mark in _CHECKED):
        for option in _OPTION.finditer(raw):
            before = raw[max(0, option.start() - 2) : option.start()]
            if any(mark in before for mark in _CHECKED):
                return option.group(1)
        return None
    if any(mark in raw for mark in _UNCHECKED):
        return None  # a blank template lists every option behind empty boxes
    # A value ends at the first separator: "不公开  理由：内部事务" or "主动公开，".
    return re.split(r"[\s,，;；。(]", raw, maxsplit=1)[0] or None


def find_mentions(text: str) -> list[LabelMention]:
    """Every label mention in text order. `text` must be normalised (see module docstring)."""
    mentions: list[LabelMention] = []
    notes = [*_BRACKET_NOTE.finditer(text), *_LINE_NOTE.finditer(text), *_PARTS_NOTE.finditer(text)]
    for match in notes:
        inner = squeeze(match.group("inner"))  # a wrapped note: 不公\n开发布
        parts = withheld_parts(inner)
        if match.re is _PARTS_NOTE and not parts:
            continue  # （附件1） （正文略）: no label
        category = _note_category(inner, parts)
        if category is None and "部分公开" not in inner:
            continue  # 此件发至县级, 此件有删减: a distribution note, not a label
        reason = _REASON.search(inner)
        mentions.append(LabelMention(
            category=category,
            text=match.group(0).strip(),
            value=re.split(r"[,，;；。]", inner, maxsplit=1)[0].strip(),
            reason=reason.group("reason").strip() if reason else None,
            start=match.start() + len(match.group(0)) - len(match.group(0).lstrip()),  # a line note's indent
            end=match.end() - len(match.group(0)) + len(match.group(0).rstrip()),
            withheld_parts=parts if category == PROACTIVE else (),
        ))
    for match in _BARE_NOTE.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        alone = not text[line_start : match.start()].strip() and not text[match.end() : line_end if line_end >= 0 else None].strip()
        after_date = text[max(0, match.start() - 2) : match.start()].rstrip().endswith("日")
        if alone or after_date:
            mentions.append(LabelMention(category_of(match.group("inner")), match.group(0), match.group("inner"),
                                         None, match.start(), match.end()))
    for match in _FIELD.finditer(text):
        value = _field_value(match.group("value"))
        if value is None:
            continue
        known = _FIELD_VALUES.match(value)  # flat text runs on after the value: 不公开附件1……
        if known:
            value, category = known.group(0), category_of(known.group(0))
        elif len(value) <= 8:
            category = None
        else:
            continue  # prose such as 信息公开方式：通过政府网站…… is not a label
        end = text.find(value, match.start("value")) + len(value)
        # 主动公开（附件2不予公开） or 部分公开（附件不公开）: the scope follows the value on its line
        line_end = text.find("\n", end)
        scope = _PART_SCOPE.search(text, end, line_end if line_end >= 0 else len(text))
        parts = withheld_parts(text[end : scope.end()]) if scope else ()
        if parts and category in (PROACTIVE, None) and (category or value == "部分公开"):
            category, end = PROACTIVE, scope.end() + (text[scope.end() : scope.end() + 1] == ")")
        else:
            parts = ()
        mentions.append(LabelMention(category, text[match.start() : end], value,
                                     _reason_after(text, match.start("value")), match.start(), end, parts))
    mentions.sort(key=lambda mention: (mention.start, -mention.end))
    # 公开方式：主动公开（附件不公开） is one mention, not a field and a note
    return [mention for index, mention in enumerate(mentions)
            if not any(other.start <= mention.start and mention.end <= other.end for other in mentions[:index])]


def _note_category(inner: str, parts: tuple[str, ...]) -> str | None:
    """The category a note gives the document. Withholding named parts only leaves the document 主动公开
    (正文公开，附件不予公开); 部分公开 without naming a part is not a category gongkai knows."""
    if parts:
        whole = category_of(_PART_SCOPE.sub("", inner).replace("部分公开", "公开"))
        return whole or PROACTIVE
    return None if "部分公开" in inner else category_of(inner)


def withheld_parts(text: str) -> tuple[str, ...]:
    """The parts a note withholds, one name each: 附件 (every attachment), 附件2; 附件1至3 is 附件1, 附件2, 附件3."""
    parts: list[str] = []
    for scope in _PART_SCOPE.finditer(text):
        numbers = scope.group("numbers")
        if not numbers:
            parts.append("附件")
            continue
        tokens = re.findall(r"\d+|至|-|~|—", numbers)
        index = 0
        while index < len(tokens):
            first = int(tokens[index])
            if index + 2 < len(tokens) and not tokens[index + 1].isdigit():
                last = int(tokens[index + 2])
                parts += [f"附件{number}" for number in range(first, min(last, first + 50) + 1)]
                index += 3
            else:
                parts.append(f"附件{first}")
                index += 1
    return tuple(dict.fromkeys(parts))


def _reason_after(text: str, position: int) -> str | None:
    window = text[position : position + _REASON_WINDOW]
    reason = _REASON.search(window)
    return reason.group("reason").strip() if reason else None

"""Personal data that a 主动公开 document must not carry: 身份证号, mobile numbers, bank card numbers, home
addresses.

Only numbers that validate are reported (the ID check digit, Luhn for cards), so document numbers,
amounts and 统一社会信用代码 (public by law) are not flagged. An address counts only when the text says it
is where a person lives (住址, 家庭住址, 家住 …), so an agency's or a company's address (地址, 住所) is not
flagged. Every value leaves gongkai masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gongkai.document.textnorm import normalise

ID_NUMBER = "id_number"
MOBILE = "mobile"
BANK_CARD = "bank_card"
ADDRESS = "address"


@dataclass(frozen=True)
class PersonalData:
    kind: str
    masked: str
    start: int
    end: int
    part: str | None = None  # where it is when not in the body: a key of gongkai.document.check.PART_NAMES


# Numbers written in groups, a single space or hyphen between them (110105 19900101 002X, 6222-0202-…): an
# ID or card number is a run of whole groups, so "110105 19900101 002X 12" still holds one.
_GROUPED = re.compile(r"(?<![0-9A-Za-z])\d+[Xx]?(?:[ -]\d+[Xx]?)*(?![0-9A-Za-z])")
_GROUP = re.compile(r"\d+[Xx]?")
_ID_SHAPE = re.compile(r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]")
_MOBILE = re.compile(r"(?<![\d-])(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?![\d-])")
# Organisation accounts (对公账户) are public and fail Luhn; personal cards are UnionPay (62…) or
# named as a card just before the number.
_CARD_CONTEXT = re.compile(r"(?:卡号|银行卡|信用卡|借记卡|储蓄卡|社保卡)[^\d\n]{0,8}$")
# A person's address: introduced as where someone lives, and detailed down to a house, a room or a 村民小组.
_ADDRESS = re.compile(r"(?:家庭住址|家庭地址|现住址|居住地址|户籍地址|户籍所在地|住址|家住|现住)\s*(?:是|为|在)?[:\s]*"
                      r"(?P<address>[^\s:,。;、()（）]{4,60})")
_ADDRESS_DETAIL = re.compile(r"[\d一二三四五六七八九十]+(?:号|室|房|户|组|栋|幢|单元|弄)")
_ADDRESS_AREA = re.compile(r"^(?:[^\d号路街巷村组]{1,10}?(?:省|自治区|市|州|盟|区|县|旗))+")  # kept: names no one
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit_ok(number: str) -> bool:
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def find_personal_data(text: str) -> list[PersonalData]:
    norm = normalise(text)  # full-width digits too: １３９１２３４５６７８ is a mobile number
    found: list[PersonalData] = []
    for start, end, number in _group_runs(norm, 18, 18):
        if _ID_SHAPE.fullmatch(number) and id_check_digit_ok(number) and not _overlaps(start, end, _spans(found)):
            found.append(_masked_span(ID_NUMBER, norm, start, end, keep_first=6, keep_last=4))
    taken = [(item.start, item.end) for item in found]
    for match in _MOBILE.finditer(norm):
        if not _overlaps(match.start(), match.end(), taken):
            found.append(_masked(MOBILE, match, keep_first=3, keep_last=4, skip_country_code=True))
    taken = [(item.start, item.end) for item in found]
    for start, end, digits in _group_runs(norm, 16, 19):
        if not digits.isdigit() or _overlaps(start, end, _spans(found)) or not luhn_ok(digits):
            continue
        if digits.startswith("62") or _CARD_CONTEXT.search(norm[max(0, start - 16) : start]):
            found.append(_masked_span(BANK_CARD, norm, start, end, keep_first=4, keep_last=4))
    taken = [(item.start, item.end) for item in found]
    for match in _ADDRESS.finditer(norm):
        start, end = match.span("address")
        if _ADDRESS_DETAIL.search(match.group("address")) and not _overlaps(start, end, taken):
            found.append(_masked_address(match.group("address"), start, end))
    return sorted(found, key=lambda item: item.start)


def _masked_address(address: str, start: int, end: int) -> PersonalData:
    """The administrative area stays (广州市越秀区); the street, number and room are starred."""
    area = _ADDRESS_AREA.match(address)
    keep = min(area.end() if area else 0, max(0, len(address) - 4))
    return PersonalData(ADDRESS, address[:keep] + "*" * (len(address) - keep), start, end)


def _group_runs(norm: str, shortest: int, longest: int) -> list[tuple[int, int, str]]:
    """(start, end, characters without separators) of every run of whole consecutive groups, within a run
    of grouped numbers, that holds `shortest` to `longest` digits (an X only as the last one)."""
    found = []
    for run in _GROUPED.finditer(norm):
        if run.end() - run.start() < shortest:  # most runs are a year or a clause number
            continue
        groups = [(group.start(), group.end()) for group in _GROUP.finditer(norm, run.start(), run.end())]
        for first in range(len(groups)):
            length = 0
            for last in range(first, len(groups)):
                length += groups[last][1] - groups[last][0]
                if length > longest:
                    break
                if length < shortest:
                    continue
                number = norm[groups[first][0] : groups[last][1]].replace(" ", "").replace("-", "")
                if "X" not in number.upper()[:-1]:
                    found.append((groups[first][0], groups[last][1], number))
    return found


def _spans(found: list[PersonalData]) -> list[tuple[int, int]]:
    return [(item.start, item.end) for item in found]


def _masked(kind: str, match: re.Match[str], keep_first: int, keep_last: int,
            skip_country_code: bool = False) -> PersonalData:
    value = match.group(0)
    if skip_country_code and value.startswith(("+86", "86")):
        keep_first += 2
    return _masked_span(kind, match.string, match.start(), match.end(), keep_first, keep_last)


def _masked_span(kind: str, norm: str, start: int, end: int, keep_first: int, keep_last: int) -> PersonalData:
    """Star out the middle digits in place: same length, so masked text keeps every offset."""
    value = norm[start:end]
    digit_positions = [i for i, char in enumerate(value) if char.isdigit() or char in "Xx"]
    hidden = set(digit_positions[keep_first : len(digit_positions) - keep_last])
    masked = "".join("*" if i in hidden else char for i, char in enumerate(value))
    return PersonalData(kind, masked, start, end)


def mask(text: str, items: list[PersonalData]) -> str:
    """`text` with every item replaced by its masked form; lengths and offsets are unchanged."""
    chars = list(text)
    for item in items:
        chars[item.start : item.end] = item.masked
    return "".join(chars)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)

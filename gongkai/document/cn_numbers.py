"""Chinese numerals as written in dates: 二〇一八年三月五日, 二十八日, 一九九○年."""

from __future__ import annotations

DIGITS = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "O": 0, "o": 0, "◯": 0,
          "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
DIGIT_CHARS = "".join(DIGITS)


def year_value(text: str) -> int | None:
    """'二〇一八' or '2018' → 2018 (digit by digit)."""
    if text.isdigit():
        return int(text)
    if all(ch in DIGITS for ch in text):
        return int("".join(str(DIGITS[ch]) for ch in text))
    return None


def small_value(text: str) -> int | None:
    """Month or day: '3', '03', '十', '十二', '二十八', '三十一' → int."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return DIGITS.get(text) if len(text) == 1 else None
    tens, _, units = text.partition("十")
    tens_value = DIGITS.get(tens, -1) if tens else 1
    units_value = DIGITS.get(units, -1) if units else 0
    if tens_value < 0 or units_value < 0:
        return None
    return tens_value * 10 + units_value

"""What a reader sees of a line of text: the one cleaning every extracted line goes through (the registry does it).

Zero-width and other format characters (秘\u200b密 reads 秘密), bidirectional controls (U+202E), variation
selectors and blank letters are removed, and control characters become spaces, so nothing invisible can
split a word the checks look for, and no later stage, output or log carries such characters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1 controls except tab and line feed
# Blank "letters" that render as nothing (Hangul fillers), besides the format characters found below.
_BLANK_LETTERS = "\u115f\u1160\u3164\uffa0"


@cache
def _invisible() -> re.Pattern[str]:
    """Format characters (Cf: zero-width, bidirectional controls, BOM, tags), variation selectors, blank letters."""
    codes = [code for code in [*range(0x30000), *range(0xE0000, 0xE0200)] if not 0xD800 <= code < 0xE000
             and (unicodedata.category(chr(code)) == "Cf" or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF)]
    # as ranges: a class of single characters is searched one by one (40 µs a line, the check's slowest step)
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    spans = "".join(re.escape(chr(first)) + (f"-{re.escape(chr(last))}" if last > first else "") for first, last in ranges)
    return re.compile(f"[{spans}{_BLANK_LETTERS}]")


def visible(text: str) -> str:
    """`text` without invisible characters, control characters as spaces (tab and line feed kept)."""
    return _CONTROLS.sub(" ", _invisible().sub("", text))

"""Text as the rules see it.

Extracted text is already visible text only (gongkai.extractors.visible: no zero-width, format or control
characters). `normalise` gives every rule one spelling of it while keeping its length, so offsets found in
the normalised text point into the text the reviewer sees: full-width forms become ASCII, compatibility
characters their NFKC form (㊙ is 秘, ⼀ is 一) where that is one character, and the traditional forms of
the secrecy and disclosure words their simplified ones (機密 is 机密, 公開 is 公开).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# The characters of the secrecy markings and disclosure labels in traditional or variant form.
_TRADITIONAL = str.maketrans("機絕祕級開動請屬類", "机绝秘级开动请属类")


@cache
def _table() -> dict[int, int]:
    """One character for one: NFKC where it gives a single character, then the traditional forms."""
    table = {}
    for code in range(0x30000):
        if 0xD800 <= code < 0xE000:
            continue
        folded = unicodedata.normalize("NFKC", chr(code))
        if len(folded) == 1 and folded != chr(code):
            table[code] = ord(folded)
    table[0x3000] = 0x20  # ideographic space (NFKC gives it already; stated for the reader)
    for code, target in _TRADITIONAL.items():
        table[code] = target
        table.update({source: target for source, folded in table.items() if folded == code})
    return table


def normalise(text: str) -> str:
    """One spelling for the rules; length and positions are unchanged (see the module docstring)."""
    return text.translate(_table())


_SPACES = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Drop all whitespace: official documents space out characters (国 务 院) for layout only."""
    return _SPACES.sub("", text)

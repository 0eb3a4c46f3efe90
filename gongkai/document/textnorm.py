"""Length-preserving normalisation, so that offsets found in the normalised text point into the original."""

from __future__ import annotations

import re

# Full-width ASCII (！ to ～) → ASCII, ideographic space → space; one character for one, so spans stay valid.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
# Circle-like characters used for zero in Chinese numerals and 〇 look-alikes keep their meaning elsewhere.
_TRANSLATION = str.maketrans(_FULLWIDTH)


def normalise(text: str) -> str:
    """Full-width digits, letters and punctuation become ASCII; length and positions are unchanged."""
    return text.translate(_TRANSLATION)


_SPACES = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Drop all whitespace: official documents space out characters (国 务 院) for layout only."""
    return _SPACES.sub("", text)

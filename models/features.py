"""What the model may see: the document without its disclosure label, and its sentences.

The printed label (（此件不予公开） …) and its reason state the answer, so they are removed before any
feature is computed, both in training and at suggestion time. A label on a short line of its own
(the usual 附注 position) takes its line with it; in flat text (OCR, web copies with no line breaks)
only the label and its reason are cut, so the rest of the document stays.
"""

from __future__ import annotations

import re

from gongkai.document.elements import DocumentElements, parse_elements
from gongkai.document.labels import find_mentions
from gongkai.document.textnorm import normalise

_SHORT_LINE = 120  # characters: a label line, not a paragraph of flat text
_REASON_AFTER = re.compile(r"\s*(?:依申请公开或不予公开|依申请公开|不予公开|不公开)?(?:的)?理由\s*[:：]?\s*[^\n()（）。;；]{1,80}[。;；]?")
_SENTENCE_END = re.compile(r"[。！？!?；;]|\n")
_MIN_SENTENCE = 6  # characters; shorter pieces (numbering, blank lines) explain nothing


def label_spans(text: str, elements: DocumentElements | None = None) -> list[tuple[int, int]]:
    """Character spans of `text` that state a disclosure category or its reason."""
    elements = elements or parse_elements(text)
    spans = []
    norm = normalise(text)
    mentions = [(m.start, m.end) for m in find_mentions(norm)]
    mentions += [(label.start, label.end) for label in [elements.label, *elements.conflicting_labels] if label]
    for start, end in mentions:
        reason = _REASON_AFTER.match(norm, end)
        end = reason.end() if reason else end
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        if line_end - line_start <= _SHORT_LINE:
            start, end = line_start, line_end
        spans.append((start, end))
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def model_input(text: str, elements: DocumentElements | None = None) -> str:
    """The text the encoder and the baseline see: label lines removed, blank lines dropped."""
    kept, position = [], 0
    for start, end in label_spans(text, elements):
        kept.append(text[position:start])
        position = end
    kept.append(text[position:])
    lines = (line.strip() for line in "".join(kept).split("\n"))
    return "\n".join(line for line in lines if line)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences (and lines) of `text` as spans, for explaining which part weighed most."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if len(text[start : match.end()].strip()) >= _MIN_SENTENCE:
            spans.append((start, match.end()))
        start = match.end()
    if len(text[start:].strip()) >= _MIN_SENTENCE:
        spans.append((start, len(text)))
    return spans

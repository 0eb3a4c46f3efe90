"""A generated back catalogue sized like a department's real one: thousands of .docx and PDFs from the real corpus.

Each file holds the text of one record of models/corpus/real_docs_dev.jsonl (379 real documents, cycled in an
order the seed fixes). Half the files are .docx (python-docx, a paragraph per line of the record), half are text
PDFs (fpdf2, the wqy-zenhei font, A4 in the 公文 layout: 16 pt, about 27 characters a line and 22 lines a page).
A PDF runs 1–5 pages: a page count is drawn for it (1: 30 %, 2: 25 %, 3: 20 %, 4: 15 %, 5: 10 %); a record
shorter than that is padded by repeating sentences of its own body in the middle of the text (head, 发文字号,
title, signature, date and label stay where they are), a longer one is set smaller to keep to it (down to 12 pt;
down to 9 pt where it would not fit in 5 pages, and past that it loses the middle of its body). One record in
five is longer than 5 pages at 16 pt, so the spread comes out at 1: 19 %, 2: 20 %, 3: 18 %, 4: 19 %, 5: 24 %
(10,000 files, seed 1). `scan_share` of the PDFs are image-only scans of the first page (200 dpi, no text layer;
one page each: OCR is slow).

Every file is distinct in content: the body ends with a line （第N份） (N the file's number), and the 发文字号
printed in the text (where the record has one) gets a number of its own from the second cycle through the
corpus on (国办函〔2020〕109号, then 〔2020〕1109号 …), so the parsed 发文字号 stays unique over the catalogue.

Besides the files, the folder gets manifest.csv (path, format, pages, label, doc_number, title, scan) and
metadata.csv as `gongkai import --csv` takes it (文件, 索引号, 发布日期, 主题, 状态). Both lie in the folder: an
import of the folder itself lists them as two more (unsupported) files.

    .venv/bin/python bench/backcatalogue.py OUT_DIR --count N [--scans 0.05] [--seed 1] [--jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from gongkai.document.elements import canonical_doc_number, parse_elements  # noqa: E402

CORPUS = ROOT / "models" / "corpus" / "real_docs_dev.jsonl"
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")  # Debian package fonts-wqy-zenhei

PAGE_WEIGHTS = {1: 0.30, 2: 0.25, 3: 0.20, 4: 0.15, 5: 0.10}  # drawn page counts of the text PDFs
MAX_PAGES = 5
_FONT_SIZES = (16.0, 14.0, 12.0, 10.5, 9.0)  # 3号 first, smaller for what is longer than its drawn page count
_SMALLEST_TO_FIT = 12.0  # smaller than 小四 only to fit in MAX_PAGES
# GB/T 9704 公文 page: A4, margins top 37, bottom 35, left 28, right 26 mm
_PAGE_W, _PAGE_H, _TOP, _BOTTOM, _LEFT, _RIGHT = 210.0, 297.0, 37.0, 35.0, 28.0, 26.0
_PT = 25.4 / 72  # mm per point
_LINE_FACTOR = 1.75  # line height / font size: 22 lines a page at 16 pt
_SCAN_DPI = 200
# Characters the font lacks (or an XML part cannot hold) and what is printed instead.
_REPLACE = str.maketrans({"\xa0": " ", "\u2003": " ", "\u3000": "  ", "•": "·", "\ufffd": None, "\t": " "})
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NUMBER = re.compile(r"(\d{1,5})(\s*号)")
_SENTENCE_END = "。；！？"


@dataclass(frozen=True)
class GeneratedDocument:
    path: Path
    format: str  # docx | pdf
    pages: int  # a PDF's real page count; for a .docx, estimated with the PDF layout (16 pt, 27 × 22)
    label: str | None  # the record's disclosure category (主动公开, 不予公开 …), None when unlabelled
    doc_number: str | None  # the record's 发文字号 as printed here (else the one the parser reads in the head), or None
    title: str | None  # the record's title
    scan: bool = False  # an image-only PDF of the first page (the label may be on a later page, so not in it)


@dataclass(frozen=True)
class _Plan:
    """Everything a worker needs to write one file."""

    path: Path
    format: str
    scan: bool
    record: int  # index in the corpus file
    text: str  # the body, lines joined by newlines, with the varied 发文字号 and the （第N份） line
    insert_at: int  # where padding goes (a PDF shorter than its drawn page count)
    padding: tuple[str, ...]  # what is repeated there, sentence by sentence (flat text) or line by line
    inline: bool  # flat text: padding runs on in the same paragraph; else it is paragraphs of its own
    target_pages: int
    published: str  # the record's date, YYYY-MM-DD, or ""
    created: datetime
    label: str | None
    doc_number: str | None
    title: str | None


def load_records(corpus: Path = CORPUS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in corpus.open(encoding="utf-8") if line.strip()]


def generate(folder: Path, count: int, scan_share: float = 0.0, seed: int = 1, *, jobs: int = 1, labelled: bool = False,
             corpus: Path = CORPUS) -> list[GeneratedDocument]:
    """Write `count` files into `folder` (created if missing) and manifest.csv, metadata.csv beside them.
    `jobs` > 1 writes them in that many processes; the files are the same either way (but for the zip
    timestamps python-docx writes into a .docx)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    records = load_records(corpus)
    plans = plan(records, folder, count, scan_share, seed, labelled)
    with _font_for(records) as font:
        write = partial(_write, font=str(font))
        if jobs > 1:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                documents = list(pool.map(write, plans, chunksize=16))
        else:
            documents = [write(one) for one in plans]
    _write_csvs(folder, documents, plans)
    return documents


def plan(records: list[dict[str, Any]], folder: Path, count: int, scan_share: float, seed: int,
         labelled: bool = False) -> list[_Plan]:
    """What each file will hold: cheap and sequential, so the varied 发文字号 can be checked for uniqueness.
    `labelled`: a record that prints no disclosure label (200 of the 379: web copies of public documents) gets the
    line （此件主动公开） at its end, as a department's own published documents carry it since the 2019 条例."""
    rng = random.Random(seed)
    order = list(range(len(records)))
    rng.shuffle(order)
    pdfs = [index for index in range(count) if index % 2 == 1]
    scans = set(rng.sample(pdfs, round(scan_share * len(pdfs)))) if pdfs else set()
    targets = rng.choices(list(PAGE_WEIGHTS), weights=list(PAGE_WEIGHTS.values()), k=count)
    prepared: dict[int, tuple[str, list[tuple[str, list[tuple[int, int]]]], tuple[int, int, int, bool]]] = {}
    used_numbers: set[str] = set()
    plans = []
    for index in range(count):
        number = order[index % len(records)]
        record = records[number]
        if number not in prepared:  # parsed once a record: the renumbering below only shifts what follows it
            text = _clean(record["text"])
            prepared[number] = (text, _numbers(text, record.get("doc_number")), _padding_points(text))
        text, numbers, (opening, first, insert_at, inline) = prepared[number]
        text, doc_number, changes = _vary_numbers(text, numbers, index // len(records), used_numbers)
        opening, first, insert_at = (_shifted(at, changes) for at in (opening, first, insert_at))
        if labelled and not record.get("label"):
            text = text.rstrip() + "\n（此件主动公开）"
        text = text.rstrip() + f"\n（第{index + 1}份）"
        padding = _padding_units(text, opening, first, insert_at, inline)
        fmt = "docx" if index % 2 == 0 else "pdf"
        day = _iso_date(record.get("date"))
        plans.append(_Plan(folder / f"{index + 1:05d}.{fmt}", fmt, index in scans, number, text, insert_at, padding,
                           inline, targets[index], day, _created(day, index), record.get("label"), doc_number,
                           record.get("title")))
    return plans


def _clean(text: str) -> str:
    """The record's text as printed: characters the font lacks replaced, control characters dropped, and runs of
    blank lines (scraped web pages have dozens: a blank PDF page, which would be OCR'd) cut to one."""
    lines = [_CONTROLS.sub("", line.translate(_REPLACE)).rstrip() for line in text.replace("\r", "").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines).strip("\n"))


def _numbers(text: str, written: str | None) -> list[tuple[str, list[tuple[int, int]]]]:
    """The 发文字号 the text prints — the record's, and the one the parser reads in the head where that is another —
    each with its spelling and where its digits stand (every place it is printed)."""
    targets = {}
    if written and (canonical := canonical_doc_number(written)):
        targets[canonical] = written
    parsed = parse_elements(text).doc_number
    if parsed and parsed not in targets:
        targets[parsed] = parsed
    numbers, claimed = [], set()
    for target, spelling in targets.items():
        spans = [match.span(1) for match in _NUMBER.finditer(text) if match.span(1) not in claimed and any(
            canonical_doc_number(text[max(0, match.start() - back): match.end()]) == target
            for back in range(4, 48))]
        claimed.update(spans)
        if spans:
            numbers.append((spelling, spans))
    return numbers


def _vary_numbers(text: str, numbers: list[tuple[str, list[tuple[int, int]]]], cycle: int,
                  used: set[str]) -> tuple[str, str | None, list[tuple[int, int, str]]]:
    """The text with its 发文字号 renumbered for this cycle through the corpus (the first cycle keeps the real
    ones: 〔2020〕109号, then 〔2020〕1109号 …, or the next number free), the first as printed, and the changes
    made (start, end, digits put in)."""
    changes: list[tuple[int, int, str]] = []
    printed = None
    for spelling, spans in numbers:
        original = int("".join(str(unicodedata.digit(char)) for char in text[spans[0][0]:spans[0][1]]))
        candidate = original + 1000 * cycle
        while True:
            number = re.sub(r"\d{1,5}(?=\s*号\s*$)", str(candidate), spelling)
            canonical = canonical_doc_number(number)
            if candidate < 100_000 and canonical is not None and canonical not in used:
                break
            candidate = candidate + 1 if candidate < 100_000 else 1
        used.add(canonical)
        if candidate == original:
            printed = printed or spelling
        else:
            printed = printed or number
            changes += [(start, end, str(candidate)) for start, end in spans]
    for start, end, digits in sorted(changes, reverse=True):
        text = text[:start] + digits + text[end:]
    return text, printed, changes


def _shifted(position: int, changes: list[tuple[int, int, str]]) -> int:
    """A position in the record's text, in the renumbered text."""
    return position + sum(len(digits) - (end - start) for start, end, digits in changes if end <= position)


def _padding_points(text: str) -> tuple[int, int, int, bool]:
    """Where a short record is padded and with what: the body, which the parser says runs from the 主送机关 to the
    label or the first attachment, is padded at the sentence end (flat text) or paragraph end nearest its middle,
    with the body before that point less its first sentence. The head, title, signature, date and label are never
    repeated. Returns (body start, end of its first sentence, the padding point, whether the text is flat)."""
    inline = "\n" not in text
    elements = parse_elements(text)
    closing = min([len(text), *([elements.label.start] if elements.label else []),
                   *(section.start for section in elements.attachment_sections)])
    opening = elements.body_start or 0
    if inline:
        ends = [i + 1 for i in range(opening, closing) if text[i] in _SENTENCE_END]
    else:
        ends = [i for i in range(opening + 1, closing) if text[i] == "\n" and text[i - 1] in _SENTENCE_END]
    if not ends:  # no sentence in the body: pad after the first line (or sentence)
        first = min((i for i, char in enumerate(text) if char in "\n" + _SENTENCE_END), default=len(text) // 2)
        ends = [first + (text[first] != "\n")]
    insert_at = min(ends, key=lambda end: abs(end - (ends[0] + ends[-1]) // 2))
    return opening, ends[0], insert_at, inline


def _padding_units(text: str, opening: int, first: int, insert_at: int, inline: bool) -> tuple[str, ...]:
    padding = text[first:insert_at].strip("\n") or text[opening:insert_at].strip("\n") or text[:insert_at]
    if inline:
        units = re.findall(rf"[^{_SENTENCE_END}]*[{_SENTENCE_END}]|[^{_SENTENCE_END}]+$", padding)
    else:
        units = padding.split("\n")
    return tuple(unit for unit in units if unit.strip()) or (padding or text,)


def _iso_date(day: str | None) -> str:
    try:
        return date.fromisoformat(day).isoformat() if day else ""
    except ValueError:
        return ""


def _created(day: str, index: int) -> datetime:
    """The files' creation time: the record's date (or 2020-01-01), 09:00 UTC, plus the file's number in seconds."""
    base = datetime.combine(date.fromisoformat(day) if day else date(2020, 1, 1), datetime.min.time(), timezone.utc)
    return base + timedelta(hours=9, seconds=index)


# --- writing, in the worker -----------------------------------------------------------------------------------


def _write(one: _Plan, font: str) -> GeneratedDocument:
    if one.format == "docx":
        pages = _write_docx(one)
    elif one.scan:
        pages = _write_scan(one, font)
    else:
        pages = _write_pdf(one, font)
    return GeneratedDocument(one.path, one.format, pages, one.label, one.doc_number, one.title, one.scan)


def _write_docx(one: _Plan) -> int:
    import docx

    document = docx.Document()
    for line in one.text.split("\n"):
        document.add_paragraph(line)
    document.core_properties.created = one.created.replace(tzinfo=None)
    document.core_properties.modified = one.created.replace(tzinfo=None)
    document.save(one.path)
    return _estimated_pages(one.text, _FONT_SIZES[0])


def _layout(size: float) -> tuple[int, int, float]:
    """Characters a line, lines a page and the line height (mm) at a font size."""
    height = size * _PT * _LINE_FACTOR
    usable_width = _PAGE_W - _LEFT - _RIGHT - 2.0  # fpdf2 keeps a cell margin on each side
    return int(usable_width // (size * _PT)), int((_PAGE_H - _TOP - _BOTTOM) // height), height


def _width(line: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.55 for char in line)


def _estimated_lines(text: str, size: float) -> int:
    per_line = _layout(size)[0]
    return sum(max(1, math.ceil(_width(line) / per_line)) for line in text.split("\n"))


def _estimated_pages(text: str, size: float) -> int:
    return max(1, math.ceil(_estimated_lines(text, size) / _layout(size)[1]))


def _padded(one: _Plan, size: float) -> str:
    """The text with as much padding as brings it to its drawn page count (no padding if it is that long)."""
    _, per_page, _ = _layout(size)
    wanted = (one.target_pages - 1) * per_page + max(2, per_page // 3)
    per_line = _layout(size)[0]
    lines = float(_estimated_lines(one.text, size))
    added: list[str] = []
    while lines < wanted:
        unit = one.padding[len(added) % len(one.padding)]
        added.append(unit)
        lines += _width(unit) / per_line if one.inline else max(1, math.ceil(_width(unit) / per_line))
    if not added:
        return one.text
    joiner = "" if one.inline else "\n"
    return one.text[:one.insert_at] + joiner + joiner.join(added) + one.text[one.insert_at:]


def _trimmed(text: str, size: float, pages: int = MAX_PAGES) -> str:
    """The text less as much of the middle as brings it to `pages` at `size` (cut at sentence ends)."""
    while _estimated_pages(text, size) > pages:
        start = len(text) // 3
        end = start + max(200, len(text) // 10)
        start = next((i + 1 for i in range(start, 0, -1) if text[i] in _SENTENCE_END), start)
        end = next((i + 1 for i in range(end, len(text) * 2 // 3) if text[i] in _SENTENCE_END), end)
        text = text[:start] + text[end:]
    return text


def _new_pdf(font: str, created: datetime) -> Any:
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(_LEFT, _TOP, _RIGHT)
    pdf.set_auto_page_break(True, margin=_BOTTOM)
    pdf.set_creation_date(created)
    pdf.add_font("wqy", fname=font)
    # The font file is already a subset whose bounding boxes fontTools computed: recomputing them for every
    # PDF (fpdf2 re-subsets per document) was 2/3 of the time per file.
    pdf.fonts["wqy"].ttfont.recalcBBoxes = False
    return pdf


def _write_pdf(one: _Plan, font: str) -> int:
    estimate = {size: _estimated_pages(one.text, size) for size in _FONT_SIZES}
    if estimate[_FONT_SIZES[0]] <= one.target_pages:
        size = _FONT_SIZES[0]
        text = _padded(one, size)
    else:  # set smaller (down to 12 pt) to keep to the drawn page count, smaller still only to fit in MAX_PAGES
        size = next((size for size in _FONT_SIZES if size >= _SMALLEST_TO_FIT and estimate[size] <= one.target_pages),
                    None) or next((size for size in _FONT_SIZES if estimate[size] <= MAX_PAGES), _FONT_SIZES[-1])
        text = _trimmed(one.text, size)
    # the estimate can be a page short: then the next size down, and at the smallest, a shorter text
    attempts = [(smaller, MAX_PAGES) for smaller in _FONT_SIZES if smaller < size]
    attempts += [(_FONT_SIZES[-1], pages) for pages in range(MAX_PAGES - 1, 0, -1)]
    while True:
        pdf = _typeset(font, one.created, size, text, _layout(size)[2])
        if pdf.pages_count <= MAX_PAGES or not attempts:
            break
        size, pages = attempts.pop(0)
        text = _trimmed(one.text, size, pages)
    if pdf.pages_count > 1 and pdf.get_y() < _TOP + 1.5 * _layout(size)[2]:
        # a last page with one line (the （第N份） line, which makes a page without a text layer to speak of, read
        # by OCR): lines a little closer, so that it joins the page before
        tighter = _typeset(font, one.created, size, text, 0.94 * _layout(size)[2])
        if tighter.pages_count < pdf.pages_count:
            pdf = tighter
    pdf.output(str(one.path))
    return pdf.pages_count


def _typeset(font: str, created: datetime, size: float, text: str, line_height: float) -> Any:
    pdf = _new_pdf(font, created)
    pdf.add_page()
    pdf.set_font("wqy", size=size)
    pdf.multi_cell(0, line_height, text)
    return pdf


_PIL_FONTS: dict[tuple[str, int], Any] = {}


def _write_scan(one: _Plan, font: str) -> int:
    """The first page as a scanner delivers it: one grey image at 200 dpi, no text layer."""
    from PIL import Image, ImageDraw, ImageFont

    scale = _SCAN_DPI / 25.4
    size = _FONT_SIZES[0]
    pixels = round(size * _PT * scale)
    key = (str(CJK_FONT), pixels)
    if key not in _PIL_FONTS:
        _PIL_FONTS[key] = ImageFont.truetype(str(CJK_FONT), pixels)
    typeface = _PIL_FONTS[key]
    _, per_page, height = _layout(size)
    width = (_PAGE_W - _LEFT - _RIGHT) * scale
    lines: list[str] = []
    for paragraph in one.text.split("\n"):
        line = ""
        for char in paragraph:
            if line and typeface.getlength(line + char) > width:
                lines.append(line)
                line = ""
            line += char
        lines.append(line)
        if len(lines) >= per_page:
            break
    page = Image.new("L", (round(_PAGE_W * scale), round(_PAGE_H * scale)), 255)
    draw = ImageDraw.Draw(page)
    for number, line in enumerate(lines[:per_page]):
        draw.text((_LEFT * scale, (_TOP + number * height) * scale), line, font=typeface, fill=0)
    page.save(one.path, "PDF", resolution=_SCAN_DPI, creationDate=(when := one.created.utctimetuple()), modDate=when)
    return 1


@contextmanager
def _font_for(records: list[dict[str, Any]]) -> Iterator[Path]:
    """wqy-zenhei cut down to the characters the corpus uses (and ASCII, full-width digits): fpdf2 parses the
    font for every PDF, and the 17 MB collection takes 0.16 s to parse, the subset 0.01 s."""
    from fontTools import subset, ttLib

    characters = {chr(code) for code in range(0x20, 0x7F)} | set("（）〔〕第份号０１２３４５６７８９·…—")
    for record in records:
        for field in ("text", "title", "doc_number"):
            characters |= set(_clean(record.get(field) or ""))
    with tempfile.TemporaryDirectory(prefix="gongkai-font-") as tmp:
        font = ttLib.TTFont(str(CJK_FONT), fontNumber=0, recalcTimestamp=False)  # the same bytes every run
        subsetter = subset.Subsetter(subset.Options(notdef_outline=True, recommended_glyphs=True, name_IDs=["*"],
                                                    drop_tables=["FFTM", "BDF"]))
        subsetter.populate(unicodes=[ord(char) for char in characters])
        subsetter.subset(font)
        path = Path(tmp) / "wqy-zenhei-corpus.ttf"
        font.save(str(path))
        yield path


def _write_csvs(folder: Path, documents: list[GeneratedDocument], plans: list[_Plan]) -> None:
    with (folder / "manifest.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["path", "format", "pages", "label", "doc_number", "title", "scan"])
        for document in documents:
            writer.writerow([document.path.name, document.format, document.pages, document.label or "",
                             document.doc_number or "", document.title or "", int(document.scan)])
    with (folder / "metadata.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["文件", "索引号", "发布日期", "主题", "状态"])
        for document, one in zip(documents, plans, strict=True):
            writer.writerow([document.path.name, "", one.published, "", "有效"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, metavar="OUT_DIR")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--scans", type=float, default=0.0, help="share of the PDFs that are image-only scans")
    parser.add_argument("--labelled", action="store_true", help="（此件主动公开） on the records that print no label")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    began = time.perf_counter()
    documents = generate(args.folder, args.count, args.scans, args.seed, jobs=args.jobs, labelled=args.labelled)
    seconds = time.perf_counter() - began
    by_format: dict[str, int] = {}
    pages: dict[int, int] = {}
    for document in documents:
        kind = "scan" if document.scan else document.format
        by_format[kind] = by_format.get(kind, 0) + 1
        if document.format == "pdf" and not document.scan:
            pages[document.pages] = pages.get(document.pages, 0) + 1
    print(f"{len(documents)} files in {seconds:.1f} s ({len(documents) / seconds:.1f} files/s, {args.jobs} jobs): "
          + ", ".join(f"{kind} {number}" for kind, number in sorted(by_format.items()))
          + "; text PDF pages: " + ", ".join(f"{page}: {number}" for page, number in sorted(pages.items())))
    print(f"manifest: {args.folder / 'manifest.csv'}, metadata: {args.folder / 'metadata.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


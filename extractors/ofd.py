"""OFD (GB/T 33190): a zip of XML; text is read from each page's TextObject/TextCode elements.

A small reader rather than a PyPI package: easyofd pulls in PyMuPDF, reportlab and loguru and
parses XML without DTD protection; ofdparser has not been maintained since 2023. Here every XML
part goes through defusedxml, and text is ordered by page, then line (y), then x.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from xml.etree.ElementTree import Element

from gongkai.extractors.base import Extracted, ExtractionLimits
from gongkai.extractors.safety import GuardedZip, corrupt_file, library_errors, parse_xml, too_many_pages

_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass
class _Run:
    """One TextCode placed on the page: baseline y, x extent and glyph height, in mm."""

    y: float
    x_start: float
    x_end: float
    height: float
    text: str


def extract_ofd(path: Path, limits: ExtractionLimits) -> Extracted:
    archive = GuardedZip(path.read_bytes(), path, limits)
    package = _Package(archive, path)
    lines: list[str] = []
    page_count = 0
    visible: set[str] = set()  # page contents and templates: the text read as the body
    with library_errors(path):
        for document_path in package.document_paths():
            document = package.xml(document_path)
            base = posixpath.dirname(document_path)
            templates = {element.get("ID"): _resolve(base, element.get("BaseLoc", ""))
                         for element in _children(document, "CommonData", "TemplatePage")}
            pages = [_resolve(base, element.get("BaseLoc", ""))
                     for element in _children(document, "Pages", "Page")]
            page_count += len(pages)
            if page_count > limits.max_pages:
                raise too_many_pages(path, page_count, limits.max_pages)
            template_runs: dict[str, list[_Run]] = {}  # a template is shared by many pages
            visible.update(pages, templates.values())
            for page_path in pages:
                page = package.xml(page_path)
                runs = _runs(page)
                # Templates hold what repeats on pages, often the red 发文机关 header.
                for template in _children(page, "Template"):
                    template_path = templates.get(template.get("TemplateID"))
                    if template_path and template_path not in template_runs:
                        template_runs[template_path] = _runs(package.xml(template_path))
                    runs.extend(template_runs.get(template_path or "", []))
                lines.extend(_lines(runs))
        hidden, unread = _other_parts(archive, path, visible)
    return Extracted(format="ofd", lines=lines, page_count=page_count, hidden_parts=hidden, unread_parts=unread)


# Files that hold no text a reader could be shown: fonts, pictures, the seal and signature data.
_NO_TEXT = re.compile(r"\.(ttf|otf|ttc|png|jpe?g|bmp|gif|tiff?|jb2|esl|dat|sm2|p7s)$|(^|/)Signs/|/$", re.IGNORECASE)


def _other_parts(archive: GuardedZip, path: Path, visible: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Every XML part besides the pages read as the body (document information, annotations, custom tags …)
    as hidden text; anything else that may hold text (an attached file) as unread."""
    hidden: dict[str, list[str]] = {}
    unread = []
    for name in sorted(archive.names - visible):
        if _NO_TEXT.search(name):
            continue
        if not name.lower().endswith(".xml"):
            unread.append(name)
            continue
        kind = "properties" if name == "OFD.xml" else "annotations" if "annot" in name.lower() else "other_parts"
        root = parse_xml(archive.read(name), path, name)
        text = [*root.itertext(), *(value for element in root.iter() for value in element.attrib.values()
                                    if _WORTH_READING.search(value))]
        hidden.setdefault(kind, []).extend(text)
    return hidden, unread


_WORTH_READING = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|\d(?:[ -]?\d){10}")  # attributes that could say something


class _Package:
    def __init__(self, archive: GuardedZip, path: Path) -> None:
        self._archive = archive
        self._path = path

    def xml(self, name: str) -> Element:
        return parse_xml(self._archive.read(name), self._path, name)

    def document_paths(self) -> list[str]:
        if "OFD.xml" not in self._archive.names:
            raise corrupt_file(self._path, "no OFD.xml")
        roots = [_resolve("", (element.text or "").strip())
                 for element in _children(self.xml("OFD.xml"), "DocBody", "DocRoot")]
        if not roots:
            raise corrupt_file(self._path, "OFD.xml names no document")
        return roots


def _resolve(base_dir: str, location: str) -> str:
    """ST_Loc: absolute from the package root if it starts with '/', else relative to base_dir."""
    joined = location if location.startswith("/") else posixpath.join(base_dir, location)
    return posixpath.normpath(joined).lstrip("/")


def _local_name(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _children(element: Element, *names: str) -> list[Element]:
    """Elements reached by following child local names (namespace prefixes vary by producer)."""
    found = [element]
    for name in names:
        found = [child for parent in found for child in parent if _local_name(child) == name]
    return found


def _runs(content: Element) -> list[_Run]:
    runs: list[_Run] = []
    for text_object in content.iter():
        if _local_name(text_object) != "TextObject":
            continue
        left, top = [*_numbers(text_object.get("Boundary", "")), 0.0, 0.0][:2]
        a, b, c, d, e, f = _numbers(text_object.get("CTM", "")) or _IDENTITY
        size = float(text_object.get("Size", "0") or 0)
        height = size * abs(d)
        x = y = 0.0
        for code in text_object:
            if _local_name(code) != "TextCode" or not code.text:
                continue
            # A TextCode without X or Y continues from the previous one's position.
            x = float(code.get("X", x))
            y = float(code.get("Y", y))
            advance = _advance(code.get("DeltaX", ""), len(code.text), size)
            runs.append(_Run(
                y=top + b * x + d * y + f,
                x_start=left + a * x + c * y + e,
                x_end=left + a * (x + advance) + c * y + e,
                height=height,
                text=code.text,
            ))
    return runs


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _numbers(text: str) -> list[float]:
    return [float(number) for number in _NUMBER.findall(text)]


def _advance(delta_x: str, char_count: int, size: float) -> float:
    """Width of a TextCode: its DeltaX gaps ('g N value' means N times value), and a full
    em for the last glyph and for any glyph DeltaX leaves out."""
    tokens = delta_x.split()
    total, gaps, index = 0.0, 0, 0
    while index < len(tokens):
        if tokens[index] == "g" and index + 2 < len(tokens):
            repeat = int(float(tokens[index + 1]))
            total += repeat * float(tokens[index + 2])
            gaps += repeat
            index += 3
        else:
            total += float(tokens[index])
            gaps += 1
            index += 1
    return total + max(char_count - gaps, 1) * size


def _lines(runs: list[_Run]) -> list[str]:
    """Runs whose baselines lie within half a glyph height form a line, read left to right."""
    rows: list[list[_Run]] = []
    for run in sorted(runs, key=lambda run: run.y):
        if rows and abs(run.y - rows[-1][0].y) <= max(run.height, rows[-1][0].height) / 2:
            rows[-1].append(run)
        else:
            rows.append([run])
    lines = []
    for row in rows:
        row.sort(key=lambda run: run.x_start)
        line = row[0].text
        for previous, run in pairwise(row):
            # Runs a glyph apart or more are separate fields (label and value, name and date).
            line += (" " if run.x_start - previous.x_end > run.height else "") + run.text
        if line.strip():
            lines.append(line.strip())
    return lines

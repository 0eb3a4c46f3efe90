"""Word 2007+ (.docx): body paragraphs, tables and text boxes in reading order.

python-docx opens the package; the text is then read by one walk over the body XML children
(no XPath over the whole tree), so extraction costs little beyond python-docx's own parsing.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gongkai.extractors import OLE2_MAGIC
from gongkai.extractors.base import Extracted, ExtractionLimits, Table
from gongkai.extractors.safety import (
    GuardedZip,
    corrupt_file,
    encrypted,
    library_errors,
    parse_xml,
    unsafe_xml,
)

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _TR, _TC = f"{_W}p", f"{_W}tbl", f"{_W}tr", f"{_W}tc"
_T, _TAB, _PTAB, _BR, _CR = f"{_W}t", f"{_W}tab", f"{_W}ptab", f"{_W}br", f"{_W}cr"
_NO_BREAK_HYPHEN = f"{_W}noBreakHyphen"
_TEXT_BOX = f"{_W}txbxContent"
# Block wrappers whose children are paragraphs and tables again.
_BLOCK_WRAPPERS = {f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"}
_SKIPPED = {
    f"{_W}pPr", f"{_W}rPr",  # formatting (pPr's w:tabs/w:tab are tab stops, not tab characters)
    f"{_W}del", f"{_W}moveFrom",  # tracked deletions
    # mc:Fallback repeats a DrawingML text box as VML: read the text once.
    "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback",
}
_APP_XML = "docProps/app.xml"
_APP_PAGES = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}Pages"
_HEADER_FOOTER_RELTYPES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer",
)


def extract_docx(path: Path, limits: ExtractionLimits) -> Extracted:
    data = path.read_bytes()
    if data.startswith(OLE2_MAGIC):  # Office wraps a password-protected .docx in OLE2
        raise encrypted(path)
    archive = GuardedZip(data, path, limits)
    # python-docx parses every XML part with lxml (entities unresolved, no network); refusing
    # DTDs up front also stops a billion-laughs part before lxml ever sees it.
    for name in archive.names:
        if name.endswith((".xml", ".rels")) and archive.declares_dtd(name):
            raise unsafe_xml(path, name)
    if "word/document.xml" not in archive.names:
        raise corrupt_file(path, "no word/document.xml")

    with library_errors(path):
        import docx

        document = docx.Document(io.BytesIO(data))
        body = _BlockReader()
        body.read_blocks(document.element.body)
        margins = _BlockReader()
        for part in _header_footer_parts(document):
            margins.read_blocks(part.element)

    return Extracted(
        format="docx",
        lines=body.lines,
        tables=body.tables,
        margin_lines=margins.lines,
        page_count=_page_count(archive, path),
    )


class _BlockReader:
    """Collects lines (and tables) from a sequence of paragraphs and tables, in document order."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.tables: list[Table] = []

    def read_blocks(self, container: Element) -> None:  # body, cell, text box, header, footer
        for child in container:
            tag = child.tag
            if tag == _P:
                self._read_paragraph(child)
            elif tag == _TBL:
                self._read_table(child)
            elif tag in _BLOCK_WRAPPERS:
                self.read_blocks(child)

    def _read_paragraph(self, paragraph: Element) -> None:
        pieces: list[str] = []
        text_boxes: list[Element] = []
        _collect_text(paragraph, pieces, text_boxes)
        self.lines.extend(line for raw in "".join(pieces).split("\n") if (line := raw.strip()))
        # A text box is anchored in this paragraph: its text follows the paragraph's own.
        for box in text_boxes:
            self.read_blocks(box)

    def _read_table(self, table_element: Element) -> None:
        table = Table(rows=[])
        self.tables.append(table)  # before nested tables, so `tables` is in reading order too
        for row_element in table_element.iterchildren(_TR):
            row: list[str] = []
            for cell in row_element.iterchildren(_TC):
                first_line = len(self.lines)
                self.read_blocks(cell)
                # One entry per w:tc: a merged cell appears once, not repeated per grid column.
                row.append("\n".join(self.lines[first_line:]))
            table.rows.append(row)


def _collect_text(element: Element, pieces: list[str], text_boxes: list[Element]) -> None:
    for child in element:
        tag = child.tag
        if tag == _T:
            pieces.append(child.text or "")
        elif tag in (_TAB, _PTAB):
            pieces.append("\t")
        elif tag in (_BR, _CR):
            pieces.append("\n")
        elif tag == _NO_BREAK_HYPHEN:
            pieces.append("-")
        elif tag == _TEXT_BOX:
            text_boxes.append(child)
        elif tag not in _SKIPPED and len(child):
            _collect_text(child, pieces, text_boxes)


def _header_footer_parts(document: Any) -> list[Any]:
    """Header and footer parts, each once, headers first, in part-name order."""
    parts = {rel.target_part.partname: rel.target_part
             for rel in document.part.rels.values()
             if rel.reltype in _HEADER_FOOTER_RELTYPES and not rel.is_external}
    return [parts[name] for name in sorted(parts, key=lambda name: ("footer" in name, name))]


def _page_count(archive: GuardedZip, path: Path) -> int | None:
    """Page count Word stored when it last saved the file, if it did."""
    if _APP_XML not in archive.names:
        return None
    pages = parse_xml(archive.read(_APP_XML), path, _APP_XML).findtext(_APP_PAGES)
    return int(pages) if pages and pages.strip().isdigit() else None

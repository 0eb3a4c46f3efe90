"""Word 2007+ (.docx): body paragraphs, tables and text boxes in reading order.

python-docx opens the package; the text is then read by one walk over the body XML children
(no XPath over the whole tree), so extraction costs little beyond python-docx's own parsing.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gongkai.extractors import OLE2_MAGIC
from gongkai.extractors.base import Extracted, ExtractionLimits, Table
from gongkai.extractors.safety import GuardedZip, corrupt_file, encrypted, library_errors, parse_xml, unsafe_xml

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
        hidden = _HiddenText()
        hidden.read_marks(document.element)
        for part in _header_footer_parts(document):
            margins.read_blocks(part.element)
            hidden.read_marks(part.element)
        read = {"word/document.xml", *(part.partname.lstrip("/") for part in _header_footer_parts(document))}
        unread = [name for name in sorted(archive.names - read) if not hidden.read_part(name, archive)]

    return Extracted(
        format="docx",
        lines=body.lines,
        tables=body.tables,
        margin_lines=margins.lines,
        hidden_parts=hidden.parts,
        unread_parts=unread,
        page_count=_page_count(archive, path),
    )


# Parts that hold no text a reader could be shown: pictures, fonts, the page thumbnail, printer settings.
_NO_TEXT = re.compile(r"(^|/)(media|fonts)/|^docProps/thumbnail\.|/printerSettings/|/$", re.IGNORECASE)
_PART_KINDS = (
    (re.compile(r"^word/comments[A-Za-z]*\.xml$"), "comments"),
    (re.compile(r"^word/(footnotes|endnotes)\.xml$"), "notes"),
    (re.compile(r"^docProps/(core|app|custom)\.xml$"), "properties"),
)
_NOTE_PART = re.compile(r"^word/(comments|footnotes|endnotes)\.xml$")
_NOTE_TAGS = (f"{_W}comment", f"{_W}footnote", f"{_W}endnote")
_PICTURE_TEXT = ("descr", "title")
# Everything textual in raw XML: text between tags (not blank), CDATA, comments, processing instructions …
_XML_TEXT = re.compile(r">\s*([^<\s][^<]*)<")
_XML_ASIDES = re.compile(r"<!\[CDATA\[(.*?)\]\]>|<!--(.*?)-->|<\?(.*?)\?>", re.DOTALL)
# … and the attribute values that could say something: Chinese text, or eleven digits or more.
_XML_VALUE = re.compile(r'="([^"<>]*?(?:[\u3400-\u9fff\uf900-\ufaff]|\d(?:[ -]?\d){10})[^"<>]*)"|'
                        r"='([^'<>]*?(?:[\u3400-\u9fff\uf900-\ufaff]|\d(?:[ -]?\d){10})[^'<>]*)'")


class _HiddenText:
    """Text a reader of the printed page does not see: tracked deletions, field codes and alt text in the
    body and margins; comments, notes, properties and every other XML part of the package."""

    def __init__(self) -> None:
        self.parts: dict[str, list[str]] = {}

    def add(self, kind: str, lines: list[str]) -> None:
        self.parts.setdefault(kind, []).extend(line for line in lines if line.strip())

    def read_marks(self, root: Element) -> None:
        """Deleted and moved-away text, field instructions and pictures' alt text in a body-like part."""
        for deleted in root.iter(f"{_W}del", f"{_W}moveFrom"):
            self.add("tracked_changes", ["".join(deleted.itertext())])
        self.add("field_codes", [code.text or "" for code in root.iter(f"{_W}instrText")])
        for picture in root.iter("{*}docPr", "{*}cNvPr"):
            self.add("alt_text", [picture.get(name, "") for name in _PICTURE_TEXT])

    def read_part(self, name: str, archive: GuardedZip) -> bool:
        """Read any other part of the package; False when it is not text gongkai can read (an embedded object,
        a macro): then the original must not be published as it is."""
        if _NO_TEXT.search(name):
            return True
        if not name.endswith((".xml", ".rels", ".vml")):
            return False
        kind = next((kind for pattern, kind in _PART_KINDS if pattern.match(name)), "other_parts")
        data = archive.read(name)
        if _NOTE_PART.match(name):  # comments and notes are paragraphs: a word split over runs is read whole
            from lxml import etree

            # DTDs were refused for every part before python-docx opened the package; no entities, no network
            root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
            reader = _BlockReader()
            for note in root.iter(*_NOTE_TAGS):
                reader.read_blocks(note)
            self.add(kind, reader.lines)
        self.add(kind, _raw_text(data))  # and whatever else the part holds (authors, comments in the XML …)
        return True


# The parts a template brings (styles, theme, numbering: most of a .docx's bytes) are the same in every
# document made from it, so what they hold is read once per process. The key is the content's sha256, not the
# zip's CRC-32: a forged part must not pass for the clean one it collides with.
_READ_PARTS: dict[bytes, tuple[str, ...]] = {}
_READ_PARTS_KEPT = 256


def _raw_text(data: bytes) -> list[str]:
    """Every piece of text in an XML part, read from the raw XML: a part's size, not its element count, sets
    the cost (the styles and theme of a .docx hold thousands of elements and no words)."""
    key = hashlib.sha256(data).digest()
    found = _READ_PARTS.get(key)
    if found is None:
        found = tuple(_read_raw_text(data))
        if len(_READ_PARTS) >= _READ_PARTS_KEPT:
            del _READ_PARTS[next(iter(_READ_PARTS))]
        _READ_PARTS[key] = found
    return list(found)


def _read_raw_text(data: bytes) -> list[str]:
    text = data.decode("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8", errors="replace")
    found = _XML_TEXT.findall(text) + [double or single for double, single in _XML_VALUE.findall(text)]
    found += ["".join(groups) for groups in _XML_ASIDES.findall(text)]
    return [html.unescape(piece) for piece in found]


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

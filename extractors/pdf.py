"""PDF: the text layer page by page; pages without one are rendered and OCR'd.

pdfplumber opens the file (the page-count checks, encryption, annotations and the document's other hidden parts);
each page's text comes from pypdfium2, which reads a text layer 14–23 times faster than pdfplumber's layout
analysis (bench/pdf_text.py) and gives the parser the same elements. Where pypdfium2 cannot open the file or
counts its pages differently, the text comes from pdfplumber as before."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gongkai.extractors.base import Extracted, ExtractionLimits
from gongkai.extractors.ocr import ocr_image
from gongkai.extractors.safety import corrupt_file, encrypted, library_errors, parse_xml, too_many_pages

# A page whose text layer has fewer visible characters than this is treated as a scan
# (a stamped page number or a stray mark does not make a text layer).
_MIN_TEXT_LAYER_CHARS = 10
_OCR_DPI = 200
_MAX_RENDER_SIDE_PX = 5000  # caps memory for absurd page sizes: A4 at 200 dpi is 2339 px


def extract_pdf(path: Path, limits: ExtractionLimits) -> Extracted:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(path)
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise encrypted(path) from exc
        raise corrupt_file(path, f"{type(cause).__name__}: {cause}"[:200]) from exc

    lines: list[str] = []
    ocr_pages: list[int] = []
    hidden = _HiddenText()
    pdfium = _Pdfium(path)
    with pdf, pdfium, library_errors(path):
        declared = _declared_page_count(pdf)
        if declared > limits.max_pages:
            raise too_many_pages(path, declared, limits.max_pages)
        pages = pdf.pages
        if len(pages) > limits.max_pages:  # the declared count can lie
            raise too_many_pages(path, len(pages), limits.max_pages)
        for number, page in enumerate(pages, start=1):
            text = pdfium.text(number - 1, len(pages))
            text_lines = _split(page.extract_text() or "" if text is None else text)
            if sum(len(line) for line in text_lines) < _MIN_TEXT_LAYER_CHARS:
                ocr_pages.append(number)
                # A blank page reads as nothing; then keep the few characters the layer had.
                text_lines = ocr_image(pdfium.render(number - 1)) or text_lines
            lines.extend(text_lines)
            hidden.read_annotations(page, number)
            page.close()  # drop the page's parsed objects: memory stays flat on long files
        hidden.read_document(pdf, path)
    return Extracted(format="pdf", lines=lines, page_count=len(pages), ocr_pages=ocr_pages,
                     hidden_parts=hidden.parts, unread_parts=hidden.unread)


_ANNOTATION_TEXT = ("Contents", "T", "Subj", "RC", "TU", "CA")  # the text an annotation carries


class _HiddenText:
    """What a PDF holds besides its pages' text: annotations, metadata (Info and XMP), form values and
    bookmarks are read; attached files and scripts cannot be, so they are named as unread."""

    def __init__(self) -> None:
        self.parts: dict[str, list[str]] = {}
        self.unread: list[str] = []

    def add(self, kind: str, values: list[Any]) -> None:
        self.parts.setdefault(kind, []).extend(text for value in values if (text := _text(value)))

    def read_annotations(self, page: Any, number: int) -> None:
        from pdfminer.pdftypes import resolve1

        for annotation in page.annots:
            data = resolve1(annotation.get("data")) or {}
            if _name(data.get("Subtype")) == "FileAttachment":
                self.unread.append(f"第 {number} 页的附件注释 / attached file on page {number}")
            self.add("annotations", [annotation.get("uri"), *(resolve1(data.get(key)) for key in _ANNOTATION_TEXT)])

    def read_document(self, pdf: Any, path: Path) -> None:
        from pdfminer.pdftypes import resolve1

        catalog = pdf.doc.catalog
        self.add("metadata", [f"{key}: {_text(value)}" for key, value in pdf.metadata.items() if _text(value)])
        xmp = resolve1(catalog.get("Metadata"))
        if xmp is not None:
            self.add("metadata", list(parse_xml(xmp.get_data(), path, "XMP metadata").itertext()))
        names = resolve1(catalog.get("Names")) or {}
        if "EmbeddedFiles" in names or "AF" in catalog:
            self.unread.append("嵌入的附件 / embedded files")
        open_action = resolve1(catalog.get("OpenAction"))
        opens_a_script = isinstance(open_action, dict) and _name(resolve1(open_action.get("S"))) == "JavaScript"
        if "JavaScript" in names or "AA" in catalog or opens_a_script:
            self.unread.append("脚本 / JavaScript")
        form = resolve1(catalog.get("AcroForm")) or {}
        if "XFA" in form:
            self.unread.append("XFA 表单 / XFA form")
        self.add("form_fields", [value for field in _fields(resolve1(form.get("Fields")) or [])
                                 for value in (field.get("V"), field.get("TU"))])
        try:
            self.add("bookmarks", [title for _, title, *_ in pdf.doc.get_outlines()])
        except Exception:  # pdfminer raises PDFNoOutlines, or anything on a damaged outline tree
            pass


def _fields(fields: list[Any]) -> list[dict[str, Any]]:
    """Every form field, kids included (a field tree may nest)."""
    from pdfminer.pdftypes import resolve1

    found = []
    for reference in fields:
        field = resolve1(reference)
        if isinstance(field, dict):
            found.append({key: resolve1(value) for key, value in field.items()})
            found += _fields(resolve1(field.get("Kids")) or [])
    return found


def _name(value: Any) -> str | None:
    return getattr(value, "name", None)


def _text(value: Any) -> str:
    """A PDF string (bytes in PDFDocEncoding or UTF-16) or a Python string, as text; anything else: ''."""
    from pdfminer.utils import decode_text

    if isinstance(value, bytes):
        return decode_text(value).strip()
    return value.strip() if isinstance(value, str) else ""


def _split(text: str) -> list[str]:
    """Lines, stripped, blank ones dropped. pypdfium2 ends a line with \\r\\n (a form feed or NUL may stand
    between runs) and prints a hyphen that ends a line as U+FFFE (U+0002 elsewhere), joining the two lines:
    restored as pdfplumber reads them, "-" and a line break."""
    text = text.replace("\ufffe", "-\n").replace("\x02", "-\n")
    return [line for raw in _LINE_BREAK.split(text) if (line := raw.strip())]


_LINE_BREAK = re.compile(r"\r\n|[\r\n\f\x00]")


def _declared_page_count(pdf: Any) -> int:
    """/Count of the page tree root: known before any page object is built."""
    from pdfminer.pdftypes import resolve1

    count = resolve1(resolve1(pdf.doc.catalog.get("Pages")) or {}).get("Count", 0)
    return count if isinstance(count, int) else 0


class _Pdfium:
    """The file opened once with pypdfium2: each page's text layer, and the page as an image for OCR."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._document: Any = None
        self._failed = False

    def _open(self) -> Any:
        import pypdfium2

        if self._document is None:
            self._document = pypdfium2.PdfDocument(str(self._path))
        return self._document

    def text(self, page_index: int, page_count: int) -> str | None:
        """The page's text layer; None where pypdfium2 cannot open the file or counts other than `page_count`
        pages (pdfplumber's count, which the limits were checked against): the caller reads it with pdfplumber."""
        import pypdfium2

        if self._failed:
            return None
        try:
            document = self._open()
        except pypdfium2.PdfiumError:
            self._failed = True
            return None
        if len(document) != page_count:
            self._failed = True
            return None
        page = document[page_index]
        try:
            textpage = page.get_textpage()
            try:
                return textpage.get_text_range()
            finally:
                textpage.close()
        finally:
            page.close()

    def render(self, page_index: int) -> Any:
        page = self._open()[page_index]
        try:
            width, height = page.get_size()
            scale = min(_OCR_DPI / 72, _MAX_RENDER_SIDE_PX / max(width, height, 1))
            return page.render(scale=scale).to_pil()
        finally:
            page.close()

    def __enter__(self) -> _Pdfium:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._document is not None:
            self._document.close()

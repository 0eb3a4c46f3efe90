"""PDF: the text layer page by page (pdfplumber); pages without one are rendered and OCR'd."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gongkai.extractors.base import Extracted, ExtractionLimits
from gongkai.extractors.ocr import ocr_image
from gongkai.extractors.safety import corrupt_file, encrypted, library_errors, too_many_pages

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
    renderer = _Renderer(path)
    with pdf, renderer, library_errors(path):
        declared = _declared_page_count(pdf)
        if declared > limits.max_pages:
            raise too_many_pages(path, declared, limits.max_pages)
        pages = pdf.pages
        if len(pages) > limits.max_pages:  # the declared count can lie
            raise too_many_pages(path, len(pages), limits.max_pages)
        for number, page in enumerate(pages, start=1):
            text_lines = _split(page.extract_text() or "")
            if sum(len(line) for line in text_lines) < _MIN_TEXT_LAYER_CHARS:
                ocr_pages.append(number)
                # A blank page reads as nothing; then keep the few characters the layer had.
                text_lines = ocr_image(renderer.render(number - 1)) or text_lines
            lines.extend(text_lines)
            page.close()  # drop the page's parsed objects: memory stays flat on long files
    return Extracted(format="pdf", lines=lines, page_count=len(pages), ocr_pages=ocr_pages)


def _split(text: str) -> list[str]:
    return [line for raw in text.split("\n") if (line := raw.strip())]


def _declared_page_count(pdf: Any) -> int:
    """/Count of the page tree root: known before any page object is built."""
    from pdfminer.pdftypes import resolve1

    count = resolve1(resolve1(pdf.doc.catalog.get("Pages")) or {}).get("Count", 0)
    return count if isinstance(count, int) else 0


class _Renderer:
    """Opens the file with pypdfium2 only if some page needs OCR."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._document: Any = None

    def render(self, page_index: int) -> Any:
        import pypdfium2

        if self._document is None:
            self._document = pypdfium2.PdfDocument(str(self._path))
        page = self._document[page_index]
        width, height = page.get_size()
        scale = min(_OCR_DPI / 72, _MAX_RENDER_SIDE_PX / max(width, height, 1))
        return page.render(scale=scale).to_pil()

    def __enter__(self) -> _Renderer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._document is not None:
            self._document.close()

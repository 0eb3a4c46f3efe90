"""A PDF's text layer, page by page: what the lines look like, that text hidden on a page is read, and that the
pypdfium2 document is used safely (objects closed; pdfplumber reads the text where pypdfium2 cannot)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pypdfium2
import pytest
from fpdf import FPDF  # test-only dependency (fpdf2)
from fpdf.enums import TextMode

from gongkai.extractors import extract

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")  # Debian package fonts-wqy-zenhei

PAGE_ONE = ["XX市人民政府办公室文件", "X政办发〔2024〕15号", "关于做好2024年政府信息公开工作的通知",
            "各县（市、区）人民政府，市政府各部门：", "为深入贯彻落实《中华人民共和国政府信息公开条例》，现将有关事项通知如下。"]
PAGE_TWO = ["XX市人民政府办公室", "2024年3月15日", "（此件公开发布）"]


def _pdf(path: Path, pages: list[list[str]], hyphenated: bool = False) -> Path:
    pdf = FPDF()
    pdf.add_font("wqy", fname=str(CJK_FONT))
    for lines in pages:
        pdf.add_page()
        pdf.set_font("wqy", size=14)
        for line in lines:
            pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    if hyphenated:
        pdf.multi_cell(0, 8, "英文名称：Government Information Dis-\nclosure Office，电话0551-\n62603311。")
    pdf.output(str(path))
    return path


def test_lines_come_page_by_page_as_printed(tmp_path: Path) -> None:
    result = extract(_pdf(tmp_path / "notice.pdf", [PAGE_ONE, PAGE_TWO]))

    assert result.format == "pdf"
    assert result.page_count == 2
    assert result.ocr_pages == []
    assert result.lines == PAGE_ONE + PAGE_TWO  # no \r, no blank or padded lines


def test_a_line_that_ends_in_a_hyphen_keeps_it_and_its_line_break(tmp_path: Path) -> None:
    # pypdfium2 joins such a line with the next, writing U+FFFE for the hyphen
    result = extract(_pdf(tmp_path / "hyphen.pdf", [PAGE_ONE], hyphenated=True))

    assert result.lines[-3:] == ["英文名称：Government Information Dis-", "closure Office，电话0551-", "62603311。"]
    assert not any("\ufffe" in line or "\x02" in line for line in result.lines)


def test_text_hidden_on_the_page_is_read(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("wqy", fname=str(CJK_FONT))
    pdf.set_font("wqy", size=12)
    pdf.text(20, 20, "关于做好政府信息公开工作的通知")
    pdf.set_text_color(255, 255, 255)
    pdf.text(20, 30, "白色文字：经办人张三，手机13800138000")
    pdf.set_text_color(0, 0, 0)
    pdf.text(20, 400, "页面以外的文字：不予公开")
    pdf.text_mode = TextMode.INVISIBLE
    pdf.text(20, 60, "不可见的文字：机密★1年")
    pdf.text_mode = TextMode.FILL
    pdf.set_font_size(0.5)
    pdf.text(20, 70, "极小的文字：身份证号110105199001010029")
    path = tmp_path / "hidden.pdf"
    pdf.output(str(path))

    text = extract(path).text

    for hidden in ("13800138000", "不予公开", "机密★1年", "110105199001010029"):
        assert hidden in text


@pytest.fixture
def pdfium_objects(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Counts the pages and text pages pypdfium2 opens and closes."""
    counts = {"pages": 0, "pages_closed": 0, "textpages": 0, "textpages_closed": 0}
    get_page, get_textpage = pypdfium2.PdfDocument.get_page, pypdfium2.PdfPage.get_textpage
    close_page, close_textpage = pypdfium2.PdfPage.close, pypdfium2.PdfTextPage.close

    def counting_get_page(self, index):
        counts["pages"] += 1
        return get_page(self, index)

    def counting_get_textpage(self, *args, **kwargs):
        counts["textpages"] += 1
        return get_textpage(self, *args, **kwargs)

    def counting_close_page(self, *args, **kwargs):
        counts["pages_closed"] += 1
        return close_page(self, *args, **kwargs)

    def counting_close_textpage(self, *args, **kwargs):
        counts["textpages_closed"] += 1
        return close_textpage(self, *args, **kwargs)

    monkeypatch.setattr(pypdfium2.PdfDocument, "get_page", counting_get_page)
    monkeypatch.setattr(pypdfium2.PdfPage, "get_textpage", counting_get_textpage)
    monkeypatch.setattr(pypdfium2.PdfPage, "close", counting_close_page)
    monkeypatch.setattr(pypdfium2.PdfTextPage, "close", counting_close_textpage)
    yield counts


def test_every_pdfium_page_and_text_page_is_closed(tmp_path: Path, pdfium_objects: dict[str, int]) -> None:
    extract(_pdf(tmp_path / "notice.pdf", [PAGE_ONE, PAGE_TWO, PAGE_ONE]))

    assert pdfium_objects["pages_closed"] >= pdfium_objects["pages"]
    assert pdfium_objects["textpages_closed"] >= pdfium_objects["textpages"]


def test_where_pdfium_cannot_open_the_file_pdfplumber_reads_the_text(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = _pdf(tmp_path / "notice.pdf", [PAGE_ONE, PAGE_TWO])

    def refuse(*args, **kwargs):
        raise pypdfium2.PdfiumError("refused by the test")

    monkeypatch.setattr(pypdfium2, "PdfDocument", refuse)

    assert extract(path).lines == PAGE_ONE + PAGE_TWO


def test_where_pdfium_counts_other_pages_pdfplumber_reads_the_text(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = _pdf(tmp_path / "notice.pdf", [PAGE_ONE, PAGE_TWO])
    monkeypatch.setattr(pypdfium2.PdfDocument, "__len__", lambda self: 1)

    result = extract(path)

    assert result.page_count == 2
    assert result.lines == PAGE_ONE + PAGE_TWO

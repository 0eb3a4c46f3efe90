"""Scans: an image-only PDF page and an image file are read by OCR."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from gongkai.extractors import extract

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")  # Debian package fonts-wqy-zenhei

SCANNED_LINES = [
    "XX市人民政府办公室文件",
    "X政办发〔2024〕15号",
    "关于做好2024年政府信息公开工作的通知",
    "各县（市、区）人民政府，市政府各部门：",
    "为深入贯彻落实《中华人民共和国政府信息公开条例》，",
    "进一步提升政府信息公开工作质量，经市政府同意，现将有关",
    "事项通知如下。请各地各部门认真抓好贯彻落实。",
    "XX市人民政府办公室",
    "2024年3月15日",
    "（此件公开发布）",
]


def character_recall(expected: str, actual: str) -> float:
    """Share of the expected characters (whitespace ignored) found, in order, in the actual text."""
    expected = "".join(expected.split())
    actual = "".join(actual.split())
    matcher = difflib.SequenceMatcher(None, expected, actual, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(expected)


@pytest.fixture(scope="module")
def scanned_page() -> Image.Image:
    """An A4 page at 200 dpi with the notice typeset in a CJK font, as a scanner would deliver it."""
    assert CJK_FONT.exists(), "install the Debian package fonts-wqy-zenhei"
    font = ImageFont.truetype(str(CJK_FONT), 44)
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    for number, line in enumerate(SCANNED_LINES):
        draw.text((160, 200 + 90 * number), line, font=font, fill=0)
    return page


def test_scanned_text_is_long_enough() -> None:
    assert len("".join(SCANNED_LINES)) >= 100


def test_image_only_pdf_is_ocred(tmp_path: Path, scanned_page: Image.Image) -> None:
    path = tmp_path / "scan.pdf"
    scanned_page.save(path, resolution=200)  # Pillow writes the page as one image: no text layer

    result = extract(path)

    assert result.format == "pdf"
    assert result.ocr_pages == [1]
    assert character_recall("".join(SCANNED_LINES), result.text) >= 0.95
    assert result.lines[0] == "XX市人民政府办公室文件"
    assert result.lines[-1] == "（此件公开发布）"


def test_png_image_is_ocred(tmp_path: Path, scanned_page: Image.Image) -> None:
    path = tmp_path / "photo.png"
    scanned_page.save(path)

    result = extract(path)

    assert result.format == "image"
    assert result.ocr_pages == [1]
    assert result.page_count == 1
    assert character_recall("".join(SCANNED_LINES), result.text) >= 0.95

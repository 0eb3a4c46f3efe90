"""Plain text in Chinese encodings, format sniffing by content, and lazy imports."""

from __future__ import annotations

import codecs
import io
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gongkai.extractors import extract, sniff_format

_NOTICE = "关于做好2024年政府信息公开工作的通知\r\n\r\n各县（市、区）人民政府：\r\n　　现将有关事项通知如下。\r\n"
_NOTICE_LINES = ["关于做好2024年政府信息公开工作的通知", "各县（市、区）人民政府：", "现将有关事项通知如下。"]


@pytest.mark.parametrize("encoded", [
    _NOTICE.encode("gb18030"),
    codecs.BOM_UTF8 + _NOTICE.encode("utf-8"),
    _NOTICE.encode("utf-8"),
    _NOTICE.encode("utf-16"),  # with BOM, as Windows Notepad writes "Unicode"
], ids=["gb18030", "utf-8-bom", "utf-8", "utf-16"])
def test_txt_encodings_and_crlf(tmp_path: Path, encoded: bytes) -> None:
    path = tmp_path / "notice.txt"
    path.write_bytes(encoded)

    result = extract(path)

    assert result.format == "txt"
    assert result.lines == _NOTICE_LINES
    assert result.warnings == []


def test_gb18030_text_cut_inside_a_character_is_still_text() -> None:
    head = ("通知" * 3000).encode("gb18030")[:8191]  # ends with half a character
    assert sniff_format(head) == "txt"


def _zip_with(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("head", "expected"), [
    (_zip_with("[Content_Types].xml", "word/document.xml"), "docx"),
    (_zip_with("OFD.xml", "Doc_0/Document.xml"), "ofd"),
    (_zip_with("mimetype", "content.xml"), None),  # an OpenDocument file is not supported
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
    (b"\x89PNG\r\n\x1a\n" + bytes(32), "image"),
    (b"\xff\xd8\xff\xe0" + bytes(32), "image"),
    (b"II*\x00" + bytes(32), "image"),
    (b"MM\x00*" + bytes(32), "image"),
    (b"\x7fELF\x02\x01\x01" + bytes(64), None),
    (b"{\\rtf1\\ansi\\deff0 {\\fonttbl}", None),  # RTF is markup, not plain text
    (b"", None),
])
def test_sniff_format_from_content(head: bytes, expected: str | None) -> None:
    assert sniff_format(head) == expected


def test_random_bytes_are_not_text() -> None:
    assert sniff_format(random.Random(0).randbytes(8192)) is None


def test_package_import_is_light_and_fast() -> None:
    heavy = ["pdfplumber", "pdfminer", "docx", "onnxruntime", "rapidocr_onnxruntime", "pypdfium2",
             "PIL", "olefile", "numpy"]
    code = ("import sys, time; start = time.perf_counter(); import extractors; "
            "elapsed = time.perf_counter() - start; "
            f"print(elapsed, [m for m in {heavy!r} if m in sys.modules])")
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True, cwd=Path(__file__).resolve().parents[2]).stdout.split(" ", 1)
    assert output[1].strip() == "[]"
    assert float(output[0]) < 1.0

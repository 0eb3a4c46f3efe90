"""Broken, hostile and unsupported files: one stable error code each, and the file left intact."""

from __future__ import annotations

import random
import struct
import zipfile
from pathlib import Path

import docx
import pytest
from fpdf import FPDF  # test-only dependency (fpdf2): writes password-protected PDFs

from gongkai.extractors import ExtractionError, ExtractionLimits, extract

_BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"""


def _expect_error(path: Path, code: str, unchanged, limits: ExtractionLimits | None = None) -> None:
    intact = unchanged(path)
    with pytest.raises(ExtractionError) as caught:
        extract(path, limits or ExtractionLimits())
    assert caught.value.code == code
    assert path.name in caught.value.message  # says which file
    assert " / " in caught.value.message  # in Chinese and English
    intact()


def _small_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("关于印发某某办法的通知")
    document.save(path)
    return path


def _rewrite_zip(source: Path, target: Path, replace: dict[str, bytes] | None = None,
                 add: dict[str, bytes] | None = None) -> Path:
    replace = replace or {}
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            copy.writestr(item.filename, replace.get(item.filename, original.read(item.filename)))
        for name, data in (add or {}).items():
            copy.writestr(name, data)
    return target


def test_zero_byte_file(tmp_path: Path, unchanged) -> None:
    path = tmp_path / "empty.docx"
    path.touch()
    _expect_error(path, "empty_file", unchanged)


def test_file_over_size_limit(tmp_path: Path, unchanged) -> None:
    path = tmp_path / "notice.txt"
    path.write_text("通知" * 1000, encoding="utf-8")
    _expect_error(path, "too_large", unchanged, ExtractionLimits(max_file_bytes=1000))


def test_truncated_docx(tmp_path: Path, unchanged) -> None:
    whole = _small_docx(tmp_path / "whole.docx").read_bytes()
    path = tmp_path / "truncated.docx"
    path.write_bytes(whole[: len(whole) // 2])
    _expect_error(path, "corrupt_file", unchanged)


def test_corrupt_pdf(tmp_path: Path, unchanged) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + random.Random(1).randbytes(4000))
    _expect_error(path, "corrupt_file", unchanged)


def test_encrypted_pdf(tmp_path: Path, unchanged) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Confidential notice")
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    path = tmp_path / "locked.pdf"
    pdf.output(str(path))
    _expect_error(path, "encrypted", unchanged)


def test_pdf_with_more_pages_than_allowed(data_file, unchanged) -> None:
    _expect_error(data_file("govdoc-cn_397.pdf"), "too_many_pages", unchanged,
                  ExtractionLimits(max_pages=4))


def test_zip_bomb_docx_huge_member(tmp_path: Path, unchanged) -> None:
    path = _rewrite_zip(_small_docx(tmp_path / "small.docx"), tmp_path / "bomb.docx",
                        add={"word/media/padding.bin": bytes(20 * 1024 * 1024)})
    assert path.stat().st_size < 200_000  # highly compressible
    _expect_error(path, "too_large", unchanged, ExtractionLimits(max_uncompressed_bytes=10 * 1024 * 1024))


def test_zip_with_too_many_entries(tmp_path: Path, unchanged) -> None:
    extra = {f"extra/item{number}.xml": b"<x/>" for number in range(50)}
    path = _rewrite_zip(_small_docx(tmp_path / "small.docx"), tmp_path / "many.docx", add=extra)
    _expect_error(path, "too_large", unchanged, ExtractionLimits(max_zip_entries=40))


def _understate_size(path: Path, member: str) -> None:
    """Make the central directory claim `member` inflates to just 100 bytes."""
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the central directory follows all member data
    while not data.startswith(member.encode(), entry + 46):
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, entry + 28)
        entry += 46 + name_length + extra_length + comment_length
    struct.pack_into("<I", data, entry + 24, 100)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("source", "member"), [
    ("small.docx", "word/document.xml"),  # inflated by python-docx
    ("ofdrw_bengbu_han.ofd", "Doc_0/Pages/Page_0/Content.xml"),  # inflated by our own reader
])
def test_zip_member_larger_than_its_header_says(tmp_path: Path, data_file, unchanged,
                                                source: str, member: str) -> None:
    original = (_small_docx(tmp_path / source) if source.endswith(".docx") else data_file(source))
    with zipfile.ZipFile(original) as archive:
        padded = archive.read(member) + b"<!--" + b" " * (20 * 1024 * 1024) + b"-->"
    path = _rewrite_zip(original, tmp_path / f"liar{original.suffix}", replace={member: padded})
    _understate_size(path, member)
    _expect_error(path, "corrupt_file", unchanged, ExtractionLimits(max_uncompressed_bytes=10 * 1024 * 1024))


@pytest.mark.parametrize(("part", "xml"), [
    ("word/document.xml", _BILLION_LAUGHS),
    ("word/document.xml", _BILLION_LAUGHS.replace(b'"UTF-8"', b'"UTF-16"').decode().encode("utf-16")),
    # Behind a long comment, far past the first block the prolog check reads.
    ("word/styles.xml", _BILLION_LAUGHS.replace(b"<!DOCTYPE", b"<!--" + b" x" * 50_000 + b" -->\n<!DOCTYPE")),
], ids=["document-utf8", "document-utf16", "styles-after-comment"])
def test_docx_with_billion_laughs(tmp_path: Path, unchanged, part: str, xml: bytes) -> None:
    path = _rewrite_zip(_small_docx(tmp_path / "small.docx"), tmp_path / "laughs.docx",
                        replace={part: xml})
    _expect_error(path, "unsafe_xml", unchanged)


def test_ofd_with_entity(tmp_path: Path, unchanged) -> None:
    ofd_xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE ofd:OFD [<!ENTITY doc SYSTEM "file:///etc/passwd">]>
<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" DocType="OFD" Version="1.1">
<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml&doc;</ofd:DocRoot></ofd:DocBody></ofd:OFD>"""
    path = tmp_path / "entity.ofd"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("OFD.xml", ofd_xml)
    _expect_error(path, "unsafe_xml", unchanged)


def test_ofd_missing_its_document(tmp_path: Path, unchanged) -> None:
    path = tmp_path / "hollow.ofd"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("OFD.xml", b'<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody>'
                                    b"<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
    _expect_error(path, "corrupt_file", unchanged)


def test_truncated_doc(tmp_path: Path, data_file, unchanged) -> None:
    whole = data_file("shangrao_2019_tineng_tongzhi.doc").read_bytes()
    path = tmp_path / "truncated.doc"
    path.write_bytes(whole[: len(whole) // 2])
    _expect_error(path, "corrupt_file", unchanged)


def _compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (version 3) holding up to three streams of 4096 bytes or more.

    Written by hand because no installed package writes new OLE2 files.
    """
    end_of_chain, free, fat_sector, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    fat = [fat_sector, end_of_chain]  # sector 0 holds the FAT, sector 1 the directory
    data = b""
    entries = []
    for index, (name, content) in enumerate(streams.items(), start=1):
        content = content.ljust(-(-len(content) // 512) * 512, b"\0")
        first = len(fat)
        sectors = len(content) // 512
        fat += list(range(first + 1, first + sectors)) + [end_of_chain]
        right = index + 1 if index < len(streams) else no_stream
        entries.append((name, 2, no_stream, right, no_stream, first, len(content)))
        data += content
    entries.insert(0, ("Root Entry", 5, no_stream, no_stream, 1, end_of_chain, 0))
    directory = b""
    for name, kind, left, right, child, start, size in entries:
        encoded = (name + "\0").encode("utf-16-le")
        directory += struct.pack("<64sHBBIII16sI16sIQ", encoded, len(encoded), kind, 1, left, right,
                                 child, b"", 0, b"", start, size)
    directory = directory.ljust(512, b"\0")
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")
    difat = struct.pack("<109I", 0, *([free] * 108))
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("d0cf11e0a1b11ae1"), b"", 0x3E, 3,
                         0xFFFE, 9, 6, b"", 0, 1, 1, 0, 4096, end_of_chain, 0, end_of_chain, 0)
    return header + difat + fat_bytes + directory + data


def test_password_protected_docx(tmp_path: Path, unchanged) -> None:
    path = tmp_path / "locked.docx"
    path.write_bytes(_compound_file({"EncryptionInfo": bytes(4096), "EncryptedPackage": bytes(4096)}))
    _expect_error(path, "encrypted", unchanged)


def test_ole2_file_that_is_not_word(tmp_path: Path, unchanged) -> None:
    path = tmp_path / "budget.doc"  # a spreadsheet under a Word name
    path.write_bytes(_compound_file({"Workbook": bytes(4096)}))
    _expect_error(path, "unknown_format", unchanged)


def test_unknown_binary_format(tmp_path: Path, unchanged) -> None:
    path = tmp_path / "mystery.docx"
    path.write_bytes(random.Random(0).randbytes(4096))
    _expect_error(path, "unknown_format", unchanged)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError) as caught:
        extract(tmp_path / "nowhere.pdf")
    assert caught.value.code == "not_found"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError) as caught:
        extract(tmp_path)
    assert caught.value.code == "unreadable"


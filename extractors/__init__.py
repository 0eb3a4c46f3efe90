"""The one registry of extractors: recognise a file by its content and hand it to its module.

Format modules are imported only when a file of that format turns up, so importing this package
(and starting the CLI) never loads pdfplumber, python-docx or onnxruntime.

Every extractor returns stripped, non-blank lines. The file is only ever opened for reading.
"""

from __future__ import annotations

import codecs
import importlib
import io
import stat
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

from gongkai.extractors import safety
from gongkai.extractors.base import Extracted, ExtractionError, ExtractionLimits, Table
from gongkai.extractors.visible import visible

__all__ = ["Extracted", "ExtractionError", "ExtractionLimits", "Table", "extract", "file_extension", "sniff_format"]

HEAD_BYTES = 8192
_DEFAULT_LIMITS = ExtractionLimits()

# format -> "module:function"; each function takes (path, limits) and returns Extracted.
_EXTRACTORS: dict[str, str] = {
    "docx": "gongkai.extractors.docx:extract_docx",
    "pdf": "gongkai.extractors.pdf:extract_pdf",
    "doc": "gongkai.extractors.doc:extract_doc",
    "wps": "gongkai.extractors.doc:extract_wps",
    "ofd": "gongkai.extractors.ofd:extract_ofd",
    "txt": "gongkai.extractors.txt:extract_txt",
    "image": "gongkai.extractors.ocr:extract_image",
}

_ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGICS = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
    b"BM",  # BMP
)


def sniff_format(data_head: bytes, path: Path | None = None, suffix: str | None = None) -> str | None:
    """Name the format of a file from its bytes, never from its extension.

    `data_head` is the start of the file, or all of it. Zip and OLE2 containers are opened — from `path`,
    else from these bytes — to look at their member names; the extension (`suffix`, else the path's) is
    consulted only to tell .wps from .doc, which share one binary format, and to name a damaged zip
    whose member names could not be read.
    """
    suffix = (suffix if suffix is not None else path.suffix if path is not None else "").lower()
    if data_head.startswith(_ZIP_MAGIC):
        return _sniff_zip(data_head, path, suffix)
    if data_head.startswith(OLE2_MAGIC):
        return _sniff_ole2(data_head, path, suffix)
    if data_head.lstrip().startswith(b"%PDF-"):
        return "pdf"
    if data_head.startswith(_IMAGE_MAGICS):
        return "image"
    if data_head.startswith(b"{\\rtf"):
        return None  # text, but markup: read as plain text it would be noise, not the document
    if _looks_like_text(data_head[:HEAD_BYTES]):
        return "txt"
    return None


def extract(path: Path, limits: ExtractionLimits = _DEFAULT_LIMITS) -> Extracted:
    """Read the text of one file in reading order, whatever its format.

    Raises ExtractionError (with a stable `code`) for anything that cannot be read.
    """
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise safety.unreadable(path, "not a regular file")
        with path.open("rb") as file:
            head = file.read(HEAD_BYTES)
    except FileNotFoundError as exc:
        raise safety.not_found(path) from exc
    except OSError as exc:
        raise safety.unreadable(path, exc.strerror or type(exc).__name__) from exc
    if info.st_size == 0:
        raise safety.empty_file(path)
    if info.st_size > limits.max_file_bytes:
        raise safety.too_large(path, f"{info.st_size} bytes > {limits.max_file_bytes}")

    file_format = sniff_format(head, path)
    if file_format is None:
        raise safety.unknown_format(path)
    try:
        return _cleaned(_extractor_for(file_format)(path, limits))
    except ExtractionError as error:
        error.format = file_format  # an encrypted *pdf*: the reader wants to know what it was
        raise


def _cleaned(extracted: Extracted) -> Extracted:
    """Every line without invisible and control characters (extractors.visible), blank lines dropped: what no
    reader sees can neither hide a word from the checks nor reach an output."""
    def lines(raw: list[str]) -> list[str]:
        return [line for text in raw if (line := visible(text).strip())]

    extracted.lines = lines(extracted.lines)
    extracted.margin_lines = lines(extracted.margin_lines)
    extracted.hidden_parts = {part: kept for part, text in extracted.hidden_parts.items() if (kept := lines(text))}
    for table in extracted.tables:
        table.rows = [[visible(cell) for cell in row] for row in table.rows]
    return extracted


_EXTENSIONS = {"docx": "docx", "pdf": "pdf", "doc": "doc", "wps": "wps", "ofd": "ofd", "txt": "txt"}
_IMAGE_EXTENSIONS = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpg", b"II*\x00": "tif", b"MM\x00*": "tif", b"BM": "bmp"}


def file_extension(file_format: str | None, data_head: bytes) -> str:
    """The extension a file of this sniffed format is stored and published under (never the drafter's)."""
    if file_format == "image":
        return next((extension for magic, extension in _IMAGE_EXTENSIONS.items() if data_head.startswith(magic)),
                    "bin")
    return _EXTENSIONS.get(file_format or "", "bin")


def _extractor_for(file_format: str) -> Callable[[Path, ExtractionLimits], Extracted]:
    module_name, function_name = _EXTRACTORS[file_format].split(":")
    return getattr(importlib.import_module(module_name), function_name)


def _sniff_zip(data_head: bytes, path: Path | None, suffix: str) -> str | None:
    try:
        with zipfile.ZipFile(path if path is not None else io.BytesIO(data_head)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        # Truncated archive: no central directory, but local headers still spell member names.
        names = [name for name in ("word/document.xml", "OFD.xml")
                 if name.encode() in data_head]
        if not names:
            return {".docx": "docx", ".ofd": "ofd"}.get(suffix)
    if "word/document.xml" in names:
        return "docx"
    if "OFD.xml" in names:
        return "ofd"
    return None


def _sniff_ole2(data_head: bytes, path: Path | None, suffix: str) -> str | None:
    """OLE2 holding a WordDocument stream is Word 97-2003 binary: `.doc`, or Kingsoft `.wps`.

    Current WPS Office writes the same Word-97 format and the same Kingsoft markers into both
    .doc and .wps files it saves, so content cannot tell them apart: the extension names it.
    A password-protected .docx is also OLE2 (an EncryptedPackage stream); the docx reader
    reports it as encrypted.
    """
    import olefile  # light (pure Python), and only needed for OLE2 files

    try:
        with olefile.OleFileIO(path if path is not None else data_head) as ole:
            if ole.exists("EncryptedPackage"):
                return "docx"
            is_word = ole.exists("WordDocument")
    except Exception:  # olefile raises assorted errors on damaged files
        # A damaged compound file: let the Word reader report it as corrupt if it claims to be Word.
        is_word = suffix in (".doc", ".wps")
    if not is_word:
        return None
    return "wps" if suffix == ".wps" else "doc"


def _looks_like_text(data_head: bytes) -> bool:
    text = _decode_head(data_head)
    if not text:
        return False
    controls = sum(1 for char in text
                   if unicodedata.category(char) == "Cc" and char not in "\t\n\r\f\v")
    return controls <= len(text) // 100


def _decode_head(data_head: bytes) -> str | None:
    """Decode the head of a text file; the head may end inside a multi-byte character."""
    if data_head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            return codecs.getincrementaldecoder(encoding)().decode(data_head, final=False)
        except UnicodeDecodeError:
            continue
    return None

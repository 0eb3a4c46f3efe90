"""Guards shared by all extractors: bilingual errors, zip-bomb limits and XML without DTDs.

Every error message names the file, says what is wrong and what to do, in Chinese and English,
because it is shown as-is to the person who submitted the file.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from gongkai.extractors.base import ExtractionError, ExtractionLimits

_RESAVE = "请用原软件重新保存（或另存为 PDF）后再提交 / Save it again (or export it as PDF) and resubmit"


def _error(code: str, path: Path, problem_zh: str, problem_en: str, action: str = _RESAVE,
           detail: str = "") -> ExtractionError:
    detail = f" ({detail})" if detail else ""
    return ExtractionError(code, f"{problem_zh} / {problem_en}: {path.name}{detail}. {action}.")


def empty_file(path: Path) -> ExtractionError:
    return _error("empty_file", path, "文件为空（0 字节）", "The file is empty (0 bytes)",
                  "请检查上传是否完整后重新提交 / Check that the upload completed and resubmit")


def too_large(path: Path, detail: str) -> ExtractionError:
    return _error("too_large", path, "文件过大或解压后过大，已拒绝读取",
                  "The file is too large, or expands to too much data, to be read",
                  "请拆分或压缩图片后再提交 / Split it or shrink its images and resubmit", detail)


def too_slow(path: Path, seconds: float) -> ExtractionError:
    return _error("too_slow", path, "文件读取超时，已停止读取", "Reading the file took too long and was stopped",
                  "请另存为 PDF 或拆分后再提交；如确需处理，请联系管理员 / Export it as PDF or split it and resubmit; "
                  "if it must be read as it is, ask the administrator", f"over {seconds:g} s")


def corrupt_file(path: Path, detail: str = "") -> ExtractionError:
    return _error("corrupt_file", path, "文件已损坏或不完整，无法读取",
                  "The file is damaged or truncated and cannot be read", detail=detail)


def encrypted(path: Path) -> ExtractionError:
    return _error("encrypted", path, "文件已加密或设有打开密码，无法读取",
                  "The file is encrypted or password-protected and cannot be read",
                  "请去除密码后再提交 / Remove the password and resubmit")


def unsafe_xml(path: Path, part: str) -> ExtractionError:
    return _error("unsafe_xml", path, "文件内含 DTD/实体声明（可能是恶意构造），已拒绝读取",
                  "The file contains DTD or entity declarations (possibly malicious) and was refused",
                  detail=part)


def too_many_pages(path: Path, pages: int, limit: int) -> ExtractionError:
    return _error("too_many_pages", path, "页数超过上限", "The document has too many pages",
                  "请拆分后分别提交 / Split it and submit the parts separately",
                  f"{pages} > {limit}")


def unknown_format(path: Path, detail: str = "") -> ExtractionError:
    return _error("unknown_format", path, "无法识别的文件格式",
                  "The file format is not recognised or not supported",
                  "请提交 DOCX、DOC、WPS、PDF、OFD、TXT 或图片文件 / "
                  "Submit a DOCX, DOC, WPS, PDF, OFD, TXT or image file", detail)


def not_found(path: Path) -> ExtractionError:
    return _error("not_found", path, "找不到文件", "The file does not exist",
                  "请检查路径 / Check the path")


def unreadable(path: Path, detail: str) -> ExtractionError:
    return _error("unreadable", path, "无法打开文件（不是普通文件或没有读取权限）",
                  "The file cannot be opened (not a regular file, or no permission to read it)",
                  "请检查路径和权限 / Check the path and its permissions", detail)


@contextmanager
def library_errors(path: Path) -> Iterator[None]:
    """Turn whatever a parsing library raises on a malformed file into `corrupt_file`."""
    try:
        yield
    except (ExtractionError, MemoryError):  # out of memory is the file's size, not damage (extractors.bounded)
        raise
    except Exception as exc:  # third-party parsers raise anything from KeyError to struct.error
        raise corrupt_file(path, f"{type(exc).__name__}: {exc}"[:200]) from exc


class GuardedZip:
    """A zip archive (.docx, .ofd) checked against the limits before any member is inflated."""

    def __init__(self, data: bytes, path: Path, limits: ExtractionLimits) -> None:
        self._path = path
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            members = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
            raise corrupt_file(path, f"zip: {exc}") from exc
        if len(members) > limits.max_zip_entries:
            raise too_large(path, f"{len(members)} zip entries > {limits.max_zip_entries}")
        declared = sum(member.file_size for member in members)
        if declared > limits.max_uncompressed_bytes:
            raise too_large(path, f"{declared} bytes uncompressed > {limits.max_uncompressed_bytes}")
        self.names = frozenset(member.filename for member in members)
        # Also counted while inflating, in case a member's header understates its size.
        self._budget = limits.max_uncompressed_bytes

    def read(self, name: str) -> bytes:
        if name not in self.names:
            raise corrupt_file(self._path, f"missing part {name}")
        try:
            with self._zip.open(name) as member:
                data = member.read(self._budget + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise corrupt_file(self._path, f"{name}: {exc}") from exc
        if len(data) > self._budget:
            raise too_large(self._path, f"{name} inflates past the uncompressed limit")
        self._budget -= len(data)
        return data

    def declares_dtd(self, name: str) -> bool:
        """True if XML member `name` declares a DOCTYPE (the only place ENTITYs can live).

        A DTD can only stand before the root element, so just the prolog is inflated: checking
        every part of a .docx stays cheap however large its styles.xml is.
        """
        try:
            with self._zip.open(name) as member:
                data = member.read(_PROLOG_CHUNK)
                utf16 = _UTF16_STARTS.get(data[:2])
                if utf16:
                    data = (data + member.read()).decode(utf16, errors="replace").encode()
                while (verdict := _prolog_declares_dtd(data)) is None:
                    chunk = member.read(len(data))  # doubling: a long comment costs linear time
                    if not chunk:
                        return False  # no root element: the XML parser reports it as corrupt
                    data += chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise corrupt_file(self._path, f"{name}: {exc}") from exc
        return verdict


_PROLOG_CHUNK = 1024
_UTF16_STARTS = {b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16", b"<\x00": "utf-16-le",
                 b"\x00<": "utf-16-be"}
_PROLOG_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)  # declaration, PI, comment


def _prolog_declares_dtd(xml_start: bytes) -> bool | None:
    """Whether the prolog holds a DTD; None when `xml_start` ends before the prolog does."""
    position = len(codecs.BOM_UTF8) if xml_start.startswith(codecs.BOM_UTF8) else 0
    while match := _PROLOG_ITEM.match(xml_start, position):
        position = match.end()
    rest = xml_start[position:].lstrip()
    if len(rest) < 4 or rest.startswith((b"<!--", b"<?")):  # cut inside a comment or PI
        return None
    return rest.startswith(b"<!")


def parse_xml(xml: bytes, path: Path, part: str) -> Element:
    """Parse untrusted XML with defusedxml: DTDs, entities and external references are refused."""
    try:
        return defused_fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise unsafe_xml(path, part) from exc
    except (ParseError, ValueError) as exc:
        raise corrupt_file(path, f"{part}: {exc}") from exc

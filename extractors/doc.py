"""Word 97-2003 binary (.doc) and Kingsoft WPS (.wps, same format): text via the piece table.

A small reader on top of the maintained `olefile` package: it reads the FIB and the piece table
(CLX) per [MS-DOC] and decodes each piece as UTF-16LE or cp1252. Tried on the real corpus file,
it returns the full Chinese text with the correct signature date, where catdoc (which ignores the
piece table of fast-saved files) loses the year; antiword is also right but needs an apt package,
and LibreOffice costs ~300 MB and seconds per start, so neither pays for itself here.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING

from gongkai.extractors.base import Extracted, ExtractionLimits
from gongkai.extractors.safety import corrupt_file, encrypted, library_errors, unknown_format

if TYPE_CHECKING:
    from olefile import OleFileIO

_WORD97_MAGIC = 0xA5EC
_FIRST_WORD97_NFIB = 0x00C1  # nFib of Word 97; Word 6/95 files use a different FIB
_F_ENCRYPTED = 0x0100  # FibBase flags: encrypted or XOR-obfuscated
_F_WHICH_TABLE = 0x0200  # FibBase flags: piece table lives in 1Table (set) or 0Table
_FC_CLX_INDEX = 33  # position of the fcClx/lcbClx pair in FibRgFcLcb97

# Character positions run through the stories in this order ([MS-DOC] 2.8.1); the FibRgLw97
# indices of their lengths: main text, footnotes, headers, macros, comments, endnotes,
# text boxes, header text boxes.
_CCP_TEXT, _CCP_FTN, _CCP_HDD, _CCP_MCR, _CCP_ATN, _CCP_EDN, _CCP_TXBX, _CCP_HDR_TXBX = range(3, 11)

_FIELD_BEGIN, _FIELD_SEPARATOR, _FIELD_END = "\x13", "\x14", "\x15"
# Paragraph, cell/row end, line break, page/section break: all end a line.
_LINE_BREAKS = str.maketrans({"\r": "\n", "\x07": "\n", "\x0b": "\n", "\x0c": "\n",
                              "\x1e": "-"})  # \x1e is a non-breaking hyphen


def extract_doc(path: Path, limits: ExtractionLimits) -> Extracted:
    return _extract_word97(path, "doc")


def extract_wps(path: Path, limits: ExtractionLimits) -> Extracted:
    return _extract_word97(path, "wps")


def _extract_word97(path: Path, format_name: str) -> Extracted:
    import olefile

    with library_errors(path), olefile.OleFileIO(str(path)) as ole:
        if not ole.exists("WordDocument"):
            raise unknown_format(path, "OLE2 file without a WordDocument stream")
        word_document = ole.openstream("WordDocument").read()
        fib = _Fib(word_document, path)
        table_stream = "1Table" if fib.flags & _F_WHICH_TABLE else "0Table"
        if not ole.exists(table_stream):
            raise corrupt_file(path, f"missing {table_stream} stream")
        table = ole.openstream(table_stream).read()
        text = _PieceTable(table, fib.fc_clx, fib.lcb_clx, path).text(word_document)
        page_count = _saved_page_count(ole)
        properties = _properties(ole)
        unread = [name for stream, name in _UNREAD_STREAMS if ole.exists(stream)]

    story_lengths = fib.story_lengths
    stories: dict[int, str] = {}
    start = 0
    for index in range(_CCP_TEXT, _CCP_HDR_TXBX + 1):
        stories[index] = text[start:start + story_lengths[index]]
        start += story_lengths[index]
    # Text boxes have no anchor position in the piece table, so they follow the body;
    # footnotes and endnotes come after it as on paper.
    body = "".join(stories[i] + "\r" for i in (_CCP_TEXT, _CCP_TXBX, _CCP_FTN, _CCP_EDN))
    margins = stories[_CCP_HDD] + "\r" + stories[_CCP_HDR_TXBX]
    hidden = {"comments": _lines(stories[_CCP_ATN]), "properties": properties,
              "field_codes": _field_codes(text[: sum(story_lengths[_CCP_TEXT:_CCP_HDR_TXBX + 1])])}
    return Extracted(format=format_name, lines=_lines(body), margin_lines=_lines(margins), hidden_parts=hidden,
                     unread_parts=unread, page_count=page_count)


# Streams whose content gongkai cannot read: embedded objects and macros.
_UNREAD_STREAMS = (("ObjectPool", "嵌入对象 / embedded objects"), ("Macros", "宏 / macros"),
                   ("_VBA_PROJECT_CUR", "宏 / macros"))
_SUMMARY_FIELDS = ("title", "subject", "author", "keywords", "comments", "last_saved_by", "company", "manager",
                   "category")


def _properties(ole: OleFileIO) -> list[str]:
    """The summary information Word keeps beside the text (author, comments …)."""
    try:
        metadata = ole.get_metadata()
    except Exception:  # a damaged summary stream does not make the text unreadable
        return []
    values = [getattr(metadata, name, None) for name in _SUMMARY_FIELDS]
    return [value.decode("gb18030", errors="replace") if isinstance(value, bytes) else str(value)
            for value in values if value]


def _field_codes(story: str) -> list[str]:
    """The instructions of fields ({begin} code {separator} result {end}), which the text leaves out."""
    codes: list[str] = []
    open_fields: list[list[str] | None] = []  # per open field: its code so far, or None once in its result
    for char in story:
        if char == _FIELD_BEGIN:
            open_fields.append([])
        elif char in (_FIELD_SEPARATOR, _FIELD_END) and open_fields:
            code = open_fields.pop() if char == _FIELD_END else open_fields[-1]
            if code is not None:
                codes.append("".join(code))
            if char == _FIELD_SEPARATOR:
                open_fields[-1] = None
        elif open_fields and (code := open_fields[-1]) is not None:
            code.append(char)
    return [code.strip() for code in codes if code.strip()]


def _saved_page_count(ole: OleFileIO) -> int | None:
    """Page count Word stored in the summary when it last saved the file, if it did."""
    try:
        pages = ole.get_metadata().num_pages
    except Exception:  # a damaged summary stream does not make the text unreadable
        return None
    return pages if isinstance(pages, int) and pages > 0 else None


class _Fib:
    """The parts of the File Information Block ([MS-DOC] 2.5.1) needed to find the text."""

    def __init__(self, word_document: bytes, path: Path) -> None:
        try:
            magic, nfib = struct.unpack_from("<HH", word_document, 0)
            (self.flags,) = struct.unpack_from("<H", word_document, 0x0A)
            (csw,) = struct.unpack_from("<H", word_document, 0x20)
            rg_lw_at = 0x22 + 2 * csw
            (cslw,) = struct.unpack_from("<H", word_document, rg_lw_at)
            self.story_lengths = struct.unpack_from(f"<{cslw}i", word_document, rg_lw_at + 2)
            rg_fc_lcb_at = rg_lw_at + 2 + 4 * cslw
            (cb_rg_fc_lcb,) = struct.unpack_from("<H", word_document, rg_fc_lcb_at)
            self.fc_clx, self.lcb_clx = struct.unpack_from(
                "<II", word_document, rg_fc_lcb_at + 2 + 8 * _FC_CLX_INDEX)
        except struct.error as exc:
            raise corrupt_file(path, "WordDocument stream too short for its FIB") from exc
        if magic != _WORD97_MAGIC:
            raise corrupt_file(path, "WordDocument stream has no Word signature")
        if nfib < _FIRST_WORD97_NFIB:
            raise unknown_format(path, "Word 6/95 or older; save it as .docx")
        if self.flags & _F_ENCRYPTED:
            raise encrypted(path)
        if cslw <= _CCP_HDR_TXBX or cb_rg_fc_lcb <= _FC_CLX_INDEX:
            raise corrupt_file(path, "FIB too short")
        if any(length < 0 for length in self.story_lengths[_CCP_TEXT:_CCP_HDR_TXBX + 1]):
            raise corrupt_file(path, "negative story length in FIB")


class _PieceTable:
    """The CLX's PlcPcd ([MS-DOC] 2.9.38, 2.9.177): where each run of characters is stored."""

    def __init__(self, table: bytes, fc_clx: int, lcb_clx: int, path: Path) -> None:
        self._path = path
        clx = table[fc_clx:fc_clx + lcb_clx]
        position = 0
        try:
            while clx[position] == 0x01:  # Prc: property modifiers, skipped
                (cb_grpprl,) = struct.unpack_from("<h", clx, position + 1)
                position += 3 + cb_grpprl
            if clx[position] != 0x02:
                raise corrupt_file(path, "piece table not found")
            (lcb,) = struct.unpack_from("<I", clx, position + 1)
            plc = clx[position + 5:position + 5 + lcb]
            count = (lcb - 4) // 12  # n+1 CPs of 4 bytes and n Pcds of 8 bytes
            self._cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
            self._fcs = [struct.unpack_from("<I", plc, 4 * (count + 1) + 8 * i + 2)[0]
                         for i in range(count)]
        except (IndexError, struct.error) as exc:
            raise corrupt_file(path, "piece table truncated") from exc

    def text(self, word_document: bytes) -> str:
        pieces = []
        for index, fc_value in enumerate(self._fcs):
            length = self._cps[index + 1] - self._cps[index]
            if fc_value & 0x40000000:  # fCompressed: one byte per character, cp1252
                start = (fc_value & 0x3FFFFFFF) // 2
                raw, encoding = word_document[start:start + length], "cp1252"
            else:
                start = fc_value & 0x3FFFFFFF
                raw, encoding = word_document[start:start + 2 * length], "utf-16-le"
            if length < 0 or len(raw) != (length if encoding == "cp1252" else 2 * length):
                raise corrupt_file(self._path, "piece points outside the WordDocument stream")
            pieces.append(raw.decode(encoding, errors="replace"))
        return "".join(pieces)


def _lines(story: str) -> list[str]:
    visible = _drop_field_codes(story).translate(_LINE_BREAKS)
    # Remaining controls mark pictures, footnote references and the like: not text.
    visible = "".join(char for char in visible if char >= " " or char in "\t\n")
    return [line for raw in visible.split("\n") if (line := raw.strip())]


def _drop_field_codes(story: str) -> str:
    """Keep field results, drop field instructions: {begin} code {separator} result {end}."""
    if _FIELD_BEGIN not in story:
        return story
    kept: list[str] = []
    showing: list[bool] = []  # per open field: inside its result (True) or its code (False)
    for char in story:
        if char == _FIELD_BEGIN:
            showing.append(False)
        elif char == _FIELD_SEPARATOR and showing:
            showing[-1] = True
        elif char == _FIELD_END and showing:
            showing.pop()
        elif all(showing):
            kept.append(char)
    return "".join(kept)

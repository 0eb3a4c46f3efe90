"""The one result type every extractor returns, and the one error type it raises."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExtractionLimits:
    """Caps that keep hostile or broken files from exhausting the machine."""

    max_file_bytes: int = 200 * 1024 * 1024
    max_uncompressed_bytes: int = 300 * 1024 * 1024  # total of all zip members (.docx, .ofd)
    max_zip_entries: int = 5_000
    max_pages: int = 1_000
    # each file is read in a child process (extractors.bounded): wall-clock seconds, and memory it may add
    max_seconds: float = 300.0
    max_memory_bytes: int = 1536 * 1024 * 1024


@dataclass
class Table:
    rows: list[list[str]]


# The parts of a file besides its body and margins, by the key extractors file them under. The check reads
# every one of them (a secrecy mark, a withholding label or personal data there counts as much as in the
# body), and the review page names them.
HIDDEN_PARTS = {
    "comments": "批注 comments",
    "tracked_changes": "修订删除的文字 tracked deletions",
    "notes": "脚注和尾注 footnotes and endnotes",
    "properties": "文档属性 document properties",
    "alt_text": "图片替代文字 alt text",
    "field_codes": "域代码 field codes",
    "other_parts": "文件内其他部件 other parts of the file",
    "annotations": "PDF 注释 annotations",
    "metadata": "元数据 metadata",
    "form_fields": "表单域 form fields",
    "bookmarks": "书签 bookmarks",
}


@dataclass
class Extracted:
    """Text of one file in reading order, whatever its format.

    `lines` is the body in reading order: one entry per paragraph (docx), text line (pdf, ofd, ocr)
    or line (txt); table cells and text boxes are inlined where they stand, so the parser sees the
    版记 table and a label printed inside it. Running headers and footers go to `margin_lines`;
    everything else in the file that holds text goes to `hidden_parts` (keys of HIDDEN_PARTS), and
    what holds content gongkai cannot read (an embedded workbook, a macro, a PDF's attached file) is
    named in `unread_parts`: the original is then never published as it is.
    """

    format: str  # docx | pdf | doc | wps | ofd | txt | image
    lines: list[str]
    tables: list[Table] = field(default_factory=list)
    margin_lines: list[str] = field(default_factory=list)
    hidden_parts: dict[str, list[str]] = field(default_factory=dict)
    unread_parts: list[str] = field(default_factory=list)
    page_count: int | None = None
    ocr_pages: list[int] = field(default_factory=list)  # 1-based page numbers read by OCR
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class ExtractionError(Exception):
    """A file that cannot be read. `code` is stable (used in JSON output); `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.format: str | None = None  # set by the registry once the format is known

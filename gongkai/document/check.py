"""`check`: extract → parse → find personal data → deadline → checks, for one file, with no server.

The flows call the same stages; `gongkai check` prints the report (JSON Lines contract in DESIGN.md).
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from gongkai import extractors
from gongkai.document.checks import (
    MARGINS,
    PART_NAMES,
    Problem,
    Severity,
    check_document,
    original_withheld_problem,
    suggestion_problem,
)
from gongkai.document.elements import DocumentElements, parse_elements, secrecy_marking
from gongkai.document.labels import PROACTIVE, LabelMention, find_mentions
from gongkai.document.pii import PersonalData, find_personal_data, mask
from gongkai.document.textnorm import normalise
from gongkai.document.workdays import PUBLISH_PROACTIVE, Deadline, deadline
from gongkai.extractors.base import Extracted, ExtractionError, ExtractionLimits
from gongkai.extractors.bounded import run_bounded


@dataclass
class Suggestion:
    category: str | None
    category_confidence: float | None
    topic: str | None
    topic_confidence: float | None
    why: list[str] = field(default_factory=list)
    topic_name: str | None = None
    model_version: str | None = None
    rule_decided: bool = False  # a rule (a secrecy marking) fixed the category, whatever the model learned

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category,
                "category_confidence": _rounded(self.category_confidence),
                "topic": self.topic, "topic_name": self.topic_name,
                "topic_confidence": _rounded(self.topic_confidence),
                "why": self.why, "model_version": self.model_version}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


# The elements both the drafter's output and the review page show, with their bilingual names.
ELEMENT_ROWS = (("标题 title", "title"), ("文种 type", "doc_type"), ("发文字号 number", "doc_number"),
                ("发文机关 issuer", "issuer"), ("成文日期 signed", "signed_date"), ("密级 secrecy", "secrecy"))


@dataclass
class DocumentCheck:
    """What one file is and every reason it may not go out. `text` is already masked."""

    file: str
    sha256: str | None = None
    format: str | None = None
    text: str = ""
    elements: DocumentElements = field(default_factory=DocumentElements)
    personal_data: list[PersonalData] = field(default_factory=list)
    publish_deadline: Deadline | None = None
    problems: list[Problem] = field(default_factory=list)
    unreadable: bool = False  # extraction failed: the problems say why
    page_count: int | None = None
    ocr_pages: list[int] = field(default_factory=list)
    hidden_parts: list[str] = field(default_factory=list)  # keys of HIDDEN_PARTS that hold text (all were read)
    unread_parts: list[str] = field(default_factory=list)  # what the file holds that could not be read
    # Why the original file may not be published as it is ([]: it may); the masked text and HTML still can.
    original_withheld: list[str] = field(default_factory=list)
    suggestion: Suggestion | None = None  # filled by gongkai.models.suggest when a trained model is promoted

    def add_suggestion(self, suggestion: Suggestion | None, learned: list[str]) -> None:
        """The model's suggestion (None: no model promoted), and a warning when a confident one disagrees with
        the drafter's label; `learned` are the categories the model has examples of."""
        self.suggestion = suggestion
        if suggestion is not None:
            problem = suggestion_problem(suggestion.category, suggestion.category_confidence, suggestion.why,
                                         suggestion.rule_decided, self.elements, learned)
            if problem is not None:
                self.problems.append(problem)

    def public_text(self) -> str:
        """The masked text as it may be published: each withheld attachment replaced by a line saying so."""
        text, end = [], 0
        for section in self.elements.withheld_sections():
            text += [self.text[end : section.start], f"（{section.name}不予公开）\n"]
            end = section.end
        return "".join(text) + self.text[end:]

    @property
    def has_errors(self) -> bool:
        return any(problem.severity is Severity.ERROR for problem in self.problems)

    def to_json(self) -> dict[str, Any]:
        elements = self.elements
        label = elements.label
        return {
            "file": self.file,
            "sha256": self.sha256,
            "format": self.format,
            "title": elements.title,
            "doc_type": elements.doc_type,
            "doc_number": elements.doc_number,
            "issuer": "、".join(elements.issuers) or None,
            "issuers": elements.issuers,
            "signed_date": elements.signed_date.isoformat() if elements.signed_date else None,
            "signers": elements.signers,
            "recipients": elements.recipients,
            "attachments": elements.attachments,
            "secrecy": elements.secrecy,
            "secrecy_period": elements.secrecy_period,
            "urgency": elements.urgency,
            "cc": elements.cc,
            "printed_by": elements.printed_by,
            "printed_date": elements.printed_date.isoformat() if elements.printed_date else None,
            "label": label.category if label else None,
            "label_text": label.text if label else None,
            "label_line": label.line if label else None,
            "label_reason": label.reason if label else None,
            "withheld_parts": elements.withheld_parts,
            "pii": [{"kind": p.kind, "masked": p.masked, "start": p.start, "end": p.end, "part": p.part}
                    for p in self.personal_data],
            "suggestion": self.suggestion.to_json() if self.suggestion else None,
            "publish_deadline": self.publish_deadline.due.isoformat() if self.publish_deadline else None,
            "deadline_estimated": bool(self.publish_deadline and self.publish_deadline.estimated),
            "page_count": self.page_count,
            "ocr_pages": self.ocr_pages,
            "hidden_parts": self.hidden_parts,
            "unread_parts": self.unread_parts,
            "original_withheld": self.original_withheld,
            "problems": [problem.to_json() for problem in self.problems],
        }


def check_extracted(extracted: Extracted, today: date) -> DocumentCheck:
    """The stages after extraction. The body is parsed as a 公文; every other part of the file — margins,
    comments, tracked deletions, properties … — is read for what must never go out: a secrecy marking,
    a disclosure label other than the body's, personal data. What cannot be read keeps the original back."""
    text = extracted.text
    personal_data = find_personal_data(text)
    masked_text = mask(text, personal_data)  # everything downstream sees masked text only
    elements = parse_elements(masked_text)
    parts = {MARGINS: extracted.margin_lines, **extracted.hidden_parts}
    labels_elsewhere: list[tuple[str, LabelMention]] = []
    secrecy_part: str | None = None  # the part a secrecy marking was found in, when not the body
    for part, lines in parts.items():
        found = find_personal_data(part_text := "\n".join(lines))
        personal_data += [replace(item, part=part) for item in found]
        masked_part = mask(part_text, found)
        labels_elsewhere += [(part, mention) for mention in find_mentions(normalise(masked_part))]
        if not elements.secrecy:
            elements.secrecy, elements.secrecy_period = secrecy_marking(masked_part.split("\n"))
            secrecy_part = part if elements.secrecy else None
    publish_deadline = None
    if elements.label and elements.label.category == PROACTIVE and elements.signed_date:
        publish_deadline = deadline(PUBLISH_PROACTIVE, elements.signed_date)
    report = DocumentCheck(file="", format=extracted.format, text=masked_text, elements=elements,
                           personal_data=personal_data, publish_deadline=publish_deadline,
                           page_count=extracted.page_count, ocr_pages=extracted.ocr_pages,
                           hidden_parts=sorted(extracted.hidden_parts), unread_parts=extracted.unread_parts)
    report.original_withheld = original_withheld(report)
    # personal data in an attachment that is not published is no reason to hold the rest back
    withheld = elements.withheld_sections()
    published_data = [item for item in personal_data if item.part is not None
                      or not any(section.start <= item.start < section.end for section in withheld)]
    report.problems = check_document(elements, published_data, publish_deadline, today, secrecy_part,
                                     labels_elsewhere)
    if elements.label and elements.label.category == PROACTIVE and report.original_withheld:
        report.problems.append(original_withheld_problem(report.original_withheld))
    report.problems += _extraction_notes(extracted)
    return report


# Formats whose original is never published as it is: the Word 97 binary format keeps comments, revisions and
# embedded objects in structures gongkai does not read one by one; a scan's picture carries what OCR may miss.
_NOT_PUBLISHED_AS_IS = {
    "doc": "Word 97-2003 二进制文件中的批注、修订和嵌入对象无法逐一核查 / a Word 97-2003 binary file may hold "
           "comments, revisions and embedded objects gongkai cannot check one by one",
    "wps": "WPS 二进制文件中的批注、修订和嵌入对象无法逐一核查 / a WPS binary file may hold comments, revisions and "
           "embedded objects gongkai cannot check one by one",
    "image": "扫描图片只公开识别出的文字，图片本身可能含有识别不到的内容 / a scanned picture may hold what OCR did not read",
}
_EDITING_TRACES = ("comments", "tracked_changes")


def original_withheld(report: DocumentCheck) -> list[str]:
    """Why the original file may not be published as it is; the renditions (masked text, HTML) still can be."""
    reasons = []
    if report.format in _NOT_PUBLISHED_AS_IS:
        reasons.append(_NOT_PUBLISHED_AS_IS[report.format])
    if report.unread_parts:
        reasons.append(f"文件含有无法检查的部分：{'、'.join(report.unread_parts)} / the file holds parts gongkai cannot "
                       "read")
    traces = [PART_NAMES[part] for part in _EDITING_TRACES if part in report.hidden_parts]
    if traces:
        reasons.append(f"文件含有{'、'.join(traces)}，请接受修订、删除批注后重新提交 / the file keeps editing traces: accept "
                       "the changes and delete the comments, then submit it again")
    if report.elements.withheld_parts:
        parts = "、".join(report.elements.withheld_parts)
        reasons.append(f"{parts}不予公开，原件无法拆分，只公开其余部分的文字版和网页版 / {parts} is withheld and the "
                       "original cannot be split: only the text and HTML of the public part are published")
    if report.personal_data:
        reasons.append("文件含有个人信息，只公开已遮盖的文字版 / the file holds personal data: only the masked text is "
                       "published")
    return reasons


def check_file(path: Path, today: date, limits: ExtractionLimits = ExtractionLimits()) -> DocumentCheck:
    """Check one file. Never raises for bad input: an unreadable file gives a report that says why."""
    try:
        extracted = extractors.extract(path, limits)
    except ExtractionError as error:
        return _unreadable(path, error)
    report = check_extracted(extracted, today)
    report.file, report.sha256 = str(path), _sha256_or_none(path)
    return report


def check_bytes(data: bytes, name: str, extension: str, today: date,
                limits: ExtractionLimits = ExtractionLimits()) -> DocumentCheck:
    """Check bytes held in memory (a claimed snapshot) as `check_file` checks a file; `name` is only shown,
    `extension` is the one sniffed at claim time (it tells .wps from .doc, and names a damaged .docx).
    The bytes pass through a private temporary file. Every claimed file takes this path, so the check runs in
    a child process bounded by `limits` (time, memory: gongkai.extractors.bounded)."""
    with tempfile.TemporaryDirectory(prefix="gongkai-") as folder:  # mode 0700
        path = Path(folder) / f"original.{extension}"
        path.write_bytes(data)
        try:
            report = run_bounded(lambda: check_file(path, today, limits), path, limits)
        except ExtractionError as error:
            report = _unreadable(path, error)
    report.file = name
    return report


_WARM_UP = ["广东省民政厅文件", "粤民函〔2026〕1号", "广东省民政厅关于预热的通知", "各地级以上市民政局：", "正文。", "广东省民政厅",
            "2026年1月5日", "（此件主动公开）"]


@functools.cache
def warm_up() -> None:
    """Once per process: check a small .docx of gongkai's own once in this process, and import the PDF readers. Every claimed file
    is checked in a forked child (check_bytes), and what the readers build on first use — lazy imports, compiled
    patterns, the parts of python-docx's default template — dies with each child unless the parent built it
    first (measured on 2 cores: 98 ms a generated .docx in a cold parent, 26 ms in a warm one)."""
    import docx
    import pdfplumber  # noqa: F401
    import pypdfium2  # noqa: F401

    import gongkai.extractors.pdf  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="gongkai-") as folder:
        path = Path(folder) / "warm-up.docx"
        document = docx.Document()
        for line in _WARM_UP:
            document.add_paragraph(line)
        document.save(path)
        check_file(path, date(date.today().year + 1, 12, 31))


def _unreadable(path: Path, error: ExtractionError) -> DocumentCheck:
    return DocumentCheck(file=str(path), format=error.format, sha256=_sha256_or_none(path), unreadable=True,
                         problems=[Problem(error.code, Severity.ERROR, error.message)])


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sha256_or_none(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None


def _extraction_notes(extracted: Extracted) -> list[Problem]:
    notes = [Problem("extraction_warning", Severity.INFO, warning) for warning in extracted.warnings]
    if extracted.ocr_pages:
        pages = "、".join(str(page) for page in extracted.ocr_pages)
        notes.append(Problem(
            "ocr_used", Severity.INFO,
            f"第 {pages} 页没有文字层，文字由 OCR 识别，请核对发文字号、日期和公开属性 / Page(s) {pages} are scans "
            "read by OCR: verify the document number, date and disclosure label.",
        ))
    return notes

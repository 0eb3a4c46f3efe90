"""`check`: extract → parse → find personal data → deadline → checks, for one file, with no server.

The flows call the same stages; `gongkai check` prints the report (JSON Lines contract in DESIGN.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gongkai import extractors
from gongkai.document.checks import Problem, Severity, check_document
from gongkai.document.elements import DocumentElements, parse_elements
from gongkai.document.labels import PROACTIVE
from gongkai.document.pii import PersonalData, find_personal_data, mask
from gongkai.document.workdays import PUBLISH_PROACTIVE, Deadline, deadline
from gongkai.extractors.base import Extracted, ExtractionError, ExtractionLimits


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
    extracted: Extracted | None = None
    suggestion: Suggestion | None = None  # filled by gongkai.models.suggest when a trained model is promoted

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
            "pii": [{"kind": p.kind, "masked": p.masked, "start": p.start, "end": p.end}
                    for p in self.personal_data],
            "suggestion": self.suggestion.to_json() if self.suggestion else None,
            "publish_deadline": self.publish_deadline.due.isoformat() if self.publish_deadline else None,
            "deadline_estimated": bool(self.publish_deadline and self.publish_deadline.estimated),
            "page_count": self.extracted.page_count if self.extracted else None,
            "ocr_pages": self.extracted.ocr_pages if self.extracted else [],
            "problems": [problem.to_json() for problem in self.problems],
        }


def check_extracted(extracted: Extracted, today: date) -> DocumentCheck:
    """The stages after extraction; flows call this with the extraction they persisted."""
    text = extracted.text
    personal_data = find_personal_data(text)
    masked_text = mask(text, personal_data)  # everything downstream sees masked text only
    elements = parse_elements(masked_text, extracted.margin_lines)
    publish_deadline = None
    if elements.label and elements.label.category == PROACTIVE and elements.signed_date:
        publish_deadline = deadline(PUBLISH_PROACTIVE, elements.signed_date)
    problems = check_document(elements, personal_data, publish_deadline, today)
    problems += _extraction_notes(extracted)
    return DocumentCheck(file="", format=extracted.format, text=masked_text, elements=elements,
                         personal_data=personal_data, publish_deadline=publish_deadline,
                         problems=problems, extracted=extracted)


def check_file(path: Path, today: date, limits: ExtractionLimits = ExtractionLimits()) -> DocumentCheck:
    """Check one file. Never raises for bad input: an unreadable file gives a report that says why."""
    try:
        extracted = extractors.extract(path, limits)
    except ExtractionError as error:
        return DocumentCheck(file=str(path), format=error.format, sha256=_sha256_or_none(path), unreadable=True,
                             problems=[Problem(error.code, Severity.ERROR, error.message)])
    report = check_extracted(extracted, today)
    report.file, report.sha256 = str(path), _sha256_or_none(path)
    return report


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

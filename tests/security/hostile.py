"""Hostile documents for the security tests, generated here (invented names and numbers).

A drafter's .docx with something placed in a part a reader does not see — a header or footer, a
comment, a tracked deletion, a footnote, a document property, a picture's alt text, a document
variable, an embedded object — and text PDFs with annotations, metadata or attached files. Every
number below is invented but valid by its check digit (ID) or Luhn (card), so a detector must see it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import docx
from docx.oxml.ns import qn

ID_NUMBER = "110105199001010029"
ID_SPACED = "110105 19900101 0029"
ID_DASHED = "110105-1990-0101-0029"
MOBILE = "13912345678"
BANK_CARD = "6222020200112233446"  # UnionPay prefix, Luhn-valid

BODY = ["广东省民政厅文件", "粤民函〔2026〕31号", "广东省民政厅关于做好冬季救助工作的通知", "各地级以上市民政局：",
        "现将冬季救助工作有关事项通知如下。", "广东省民政厅", "2026年11月20日", "（此件主动公开）"]

PARTS = ("body", "header", "footer", "comment", "tracked_deletion", "footnote", "core_property",
         "custom_property", "alt_text", "document_variable")

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"


def docx_with(path: Path, hidden: dict[str, str], body: list[str] | None = None) -> Path:
    """A .docx whose body is `body` (default: a clean 主动公开 notice) and whose other parts hold `hidden`
    (part name from PARTS → text)."""
    document = docx.Document()
    for line in body if body is not None else BODY:
        document.add_paragraph(line)
    paragraph = document.paragraphs[min(4, len(document.paragraphs) - 1)]
    for part, text in hidden.items():
        if part == "body":
            document.add_paragraph(text)
        elif part == "header":
            document.sections[0].header.paragraphs[0].text = text
        elif part == "footer":
            document.sections[0].footer.paragraphs[0].text = text
        elif part == "comment":
            document.add_comment(paragraph.runs, text=text, author="审核人")
        elif part == "tracked_deletion":
            deletion = paragraph._p.makeelement(qn("w:del"), {qn("w:id"): "901", qn("w:author"): "起草人"})
            run = deletion.makeelement(qn("w:r"), {})
            deleted = run.makeelement(qn("w:delText"), {})
            deleted.text = text
            run.append(deleted)
            deletion.append(run)
            paragraph._p.append(deletion)
        elif part == "core_property":
            document.core_properties.comments = text
            document.core_properties.author = "起草人"
        elif part == "alt_text":
            document.add_picture(io.BytesIO(_png()))
            for properties in document.paragraphs[-1]._p.iter(f"{{{_DRAWING}}}docPr"):
                properties.set("descr", text)
        elif part not in ("footnote", "custom_property", "document_variable"):
            raise ValueError(part)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    if "footnote" in hidden:
        _add_footnote(path, hidden["footnote"])
    if "custom_property" in hidden:
        _add_custom_property(path, hidden["custom_property"])
    if "document_variable" in hidden:
        variable = f'<w:docVars><w:docVar w:name="备注" w:val={quoteattr(hidden["document_variable"])}/></w:docVars>'
        _rewrite_part(path, "word/settings.xml", lambda xml: xml.replace("</w:settings>", variable + "</w:settings>"))
    return path


def docx_with_embedded_object(path: Path) -> Path:
    """A clean notice that carries an embedded workbook (word/embeddings/…), a part gongkai cannot read."""
    docx_with(path, {})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("word/embeddings/Microsoft_Excel_Worksheet.xlsx", b"PK\x03\x04 not read by gongkai")
    return path


def _png() -> bytes:
    """A small white PNG, for a picture that carries alt text."""
    from PIL import Image

    stream = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(stream, "PNG")
    return stream.getvalue()


def _rewrite_part(path: Path, name: str, change: Callable[[str], str]) -> None:
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[name] = change(parts[name].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for part_name, data in parts.items():
            target.writestr(part_name, data)


def _add_footnote(path: Path, text: str) -> None:
    footnotes = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{_W}">'
                 f'<w:footnote w:id="1"><w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p></w:footnote></w:footnotes>')
    _rewrite_part(path, "[Content_Types].xml", lambda xml: xml.replace("</Types>", (
        '<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'wordprocessingml.footnotes+xml"/></Types>')))
    _rewrite_part(path, "word/_rels/document.xml.rels", lambda xml: xml.replace("</Relationships>", (
        f'<Relationship Id="rIdFootnotes" Type="{_REL}/footnotes" Target="footnotes.xml"/></Relationships>')))
    _rewrite_part(path, "word/document.xml", lambda xml: re.sub(
        r"(</w:t></w:r>)", r'\1<w:r><w:footnoteReference w:id="1"/></w:r>', xml, count=1))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("word/footnotes.xml", footnotes)


def _add_custom_property(path: Path, text: str) -> None:
    custom = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://schemas.'
              'openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/'
              'officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" '
              f'name="经办人"><vt:lpwstr>{escape(text)}</vt:lpwstr></property></Properties>')
    _rewrite_part(path, "[Content_Types].xml", lambda xml: xml.replace("</Types>", (
        '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'custom-properties+xml"/></Types>')))
    _rewrite_part(path, "_rels/.rels", lambda xml: xml.replace("</Relationships>", (
        f'<Relationship Id="rIdCustom" Type="{_REL}/custom-properties" Target="docProps/custom.xml"/>'
        "</Relationships>")))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("docProps/custom.xml", custom)


CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")  # Debian package fonts-wqy-zenhei


def pdf_with(path: Path, hidden: dict[str, str], body: list[str] | None = None) -> Path:
    """A text PDF of `body` whose annotation, metadata or attached file holds `hidden`
    (annotation | author | subject | keywords | attachment)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("wqy", fname=str(CJK_FONT))
    pdf.set_font("wqy", size=12)
    for line in body if body is not None else BODY:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    for part, text in hidden.items():
        if part == "annotation":
            pdf.text_annotation(20, 120, text)
        elif part == "author":
            pdf.set_author(text)
        elif part == "subject":
            pdf.set_subject(text)
        elif part == "keywords":
            pdf.set_keywords(text)
        elif part == "attachment":
            pdf.embed_file(basename="名单.txt", bytes=text.encode())
        else:
            raise ValueError(part)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path

"""The HTML rendition of an item: semantic HTML5 from its masked text, escaped, no scripts."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date
from typing import Any

from gongkai.publishing.index_numbers import index_slug
from gongkai.publishing.layout import VALID

_H2 = re.compile(r"^(?:[一二三四五六七八九十百]+、|第[一二三四五六七八九十百]+[章部分])")
_H3 = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_DATE_LINE = re.compile(r"^(?:\d{4}|[〇○零一二三四五六七八九]{4})年[\d〇○零一二三四五六七八九十]{1,3}月"
                        r"[\d〇○零一二三四五六七八九十]{1,3}日$")
_LABEL_LINE = re.compile(r"^[（(]?此件.{0,20}公开")


# Lines that belong to the page or the 版记, not to the text: page numbers, 抄送, the 印发 line, 共印 N 份.
_NOT_BODY = re.compile(r"^(?:[—\-－]\s*[\d０-９]+\s*[—\-－]|抄\s*送\s*[:：]|共印\s*[\d０-９]|.{2,40}\d{4}\s*年.{1,6}印\s*发$)")


def body_lines(text: str, body_start: int | None, title: str | None, doc_number: str | None = None,
               issuer: str | None = None) -> list[str]:
    """The body: from the 主送机关, where the check found it (`body_start`, an offset into `text`), else after
    the 版头, 发文字号 and title lines; without page numbers, 版记 lines and the closing issuer, date and label."""
    if body_start is not None:
        lines = [line.strip() for line in text[body_start:].splitlines() if line.strip()]
    else:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        start = 0
        for number, line in enumerate(lines[:25]):
            if (doc_number and doc_number in line and len(line) < 40) or (title and len(line) >= 2
                                                                          and title.endswith(line)):
                start = number + 1  # the last header line (number or the title's last line) closes the header
        lines = lines[start:]
    body = [line for line in lines if not _NOT_BODY.match(line)]
    issuers = set(re.split(r"[、，,\s]+", issuer)) if issuer else set()
    while body and (_DATE_LINE.match(body[-1]) or _LABEL_LINE.match(body[-1]) or body[-1] in issuers):
        body.pop()
    return body


# Formats whose text comes in the page's lines, not in paragraphs.
_WRAPPED_FORMATS = ("pdf", "ofd")
_PARAGRAPH_END = tuple("。！？；：:;!?")
_NEW_ITEM = re.compile(r"^(?:[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.．、]|第[一二三四五六七八九十百]+[章条节])")
_FULL_LINE = 0.8  # of the page's line width: shorter lines end a paragraph (or are headings)


def _display_width(line: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.5 for char in line)


def unwrap(lines: list[str]) -> list[str]:
    """Join lines a page wrapped back into paragraphs: a line as wide as the page's lines that does not end
    a sentence continues on the next, unless the next starts a numbered item (一、 （一） 1. 第一条)."""
    widths = sorted(_display_width(line) for line in lines)
    if not widths:
        return []
    full = _FULL_LINE * widths[int(0.9 * (len(widths) - 1))]
    paragraphs: list[str] = []
    last_width = 0.0
    for line in lines:
        if paragraphs and last_width >= full and not paragraphs[-1].endswith(_PARAGRAPH_END) \
                and not _NEW_ITEM.match(line):
            paragraphs[-1] += line
        else:
            paragraphs.append(line)
        last_width = _display_width(line)
    return paragraphs


def render_html(metadata: dict[str, Any], text: str) -> str:
    """Semantic HTML5 of one item: escaped, no scripts, no styles beyond what the web team adds."""
    esc = html.escape
    title = metadata.get("title") or metadata.get("index_no") or ""
    out = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{esc(title)}</title>"]
    if metadata.get("summary"):
        out.append(f'<meta name="description" content="{esc(metadata["summary"])}">')
    out += ["</head>", "<body>", "<article>", "<header>", f"<h1>{esc(title)}</h1>"]
    if metadata.get("doc_number"):
        out.append(f'<p class="doc-number">{esc(metadata["doc_number"])}</p>')
    out.append('<dl class="metadata">')
    rows: list[tuple[str, str]] = [("索引号", esc(metadata.get("index_no") or ""))]
    if metadata.get("issuer"):
        rows.append(("发布机构", esc(metadata["issuer"])))
    if metadata.get("signed_date"):
        rows.append(("成文日期", _time(metadata["signed_date"])))
    if metadata.get("doc_type"):
        rows.append(("文种", esc(metadata["doc_type"])))
    if metadata.get("topic_name"):
        rows.append(("主题分类", esc(metadata["topic_name"])))
    rows.append(("效力状态", esc(metadata.get("status") or VALID)))
    if metadata.get("interpretation"):
        rows.append(("政策解读", _item_link(metadata["interpretation"])))
    if metadata.get("interpretation_of"):
        rows.append(("解读的文件", _item_link(metadata["interpretation_of"])))
    if metadata.get("superseded_by"):
        rows.append(("替代文件", _item_link(metadata["superseded_by"])))
    for supersedes in metadata.get("supersedes") or []:
        rows.append(("所替代文件", _item_link(supersedes)))
    out += [f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows]
    out += ["</dl>", "</header>", '<section class="body">']
    lines = body_lines(text, metadata.get("content_body_start"), metadata.get("title"), metadata.get("doc_number"),
                       metadata.get("issuer"))
    if metadata.get("format") in _WRAPPED_FORMATS:
        lines = unwrap(lines)
    for line in lines:
        short = len(line) <= 40 and not line.endswith(("。", "；", "：", ":"))
        tag = "h2" if short and _H2.match(line) else "h3" if short and _H3.match(line) else "p"
        out.append(f"<{tag}>{esc(line)}</{tag}>")
    out.append("</section>")
    if metadata.get("attachments"):
        out += ['<section class="attachments">', "<h2>附件</h2>", "<ol>"]
        out += [f"<li>{esc(name)}</li>" for name in metadata["attachments"]]
        out += ["</ol>", "</section>"]
    out.append("<footer>")
    if metadata.get("issuer"):
        out.append(f'<p class="issuer">{esc(metadata["issuer"])}</p>')
    if metadata.get("signed_date"):
        out.append(f'<p class="date">{_time(metadata["signed_date"])}</p>')
    out += ["</footer>", "</article>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _time(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f'<time datetime="{day.isoformat()}">{day.year}年{day.month}月{day.day}日</time>'


def _item_link(index_no: str) -> str:
    return f'<a href="../{html.escape(index_slug(index_no))}/content.html">{html.escape(index_no)}</a>'


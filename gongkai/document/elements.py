"""The official-document parser: the elements of a 公文 per GB/T 9704-2012, from its text.

Works on text with line breaks (docx, pdf, ofd) and on flat text (OCR output, web copies with no
breaks), because real documents arrive both ways. Every pattern runs on `textnorm.normalise(text)`,
which keeps positions, so spans point into the text the reviewer sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from gongkai.document import labels
from gongkai.document.cn_numbers import DIGIT_CHARS, small_value, year_value
from gongkai.document.labels import LabelMention
from gongkai.document.textnorm import normalise, squeeze

# The 15 document types of 党政机关公文处理工作条例 第八条; 命令 before 令 (复函 ends in 函 anyway).
DOC_TYPES = ("决议", "决定", "命令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示",
             "批复", "议案", "纪要", "函", "令")
_TYPE_ALIASES = {"令": "命令"}  # 令 is the short form of 命令
SECRECY_LEVELS = ("绝密", "机密", "秘密")
URGENCY_LEVELS = ("特急", "加急", "特提", "平急")

_CJK = "\u4e00-\u9fff"
_OPEN = r"[〔\[【(（{]"
_CLOSE = r"[〕\]】)）}]"
# 机关代字 + 〔year〕 + number + 号. The prefix may be spaced out by layout (国 发), never across lines.
_DOC_NUMBER = re.compile(
    rf"(?P<prefix>(?:[{_CJK}A-Za-z][ ]{{0,2}}){{1,24}})\s*{_OPEN}\s*(?P<year>\d{{4}})\s*{_CLOSE}\s*"
    rf"(?:第\s*)?(?P<number>\d{{1,5}})\s*号"
)
_DATE = re.compile(
    rf"(?P<year>\d{{4}}|[{DIGIT_CHARS}]{{4}})\s*年\s*"
    r"(?P<month>\d{1,2}|十[一二]?|[一二三四五六七八九])\s*月\s*"
    r"(?P<day>\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])\s*日"
)
# What may follow a signature date: the end of its line, the label, the 版记, an attachment.
_AFTER_SIGNATURE = re.compile(r"[ \t]*(?:\n|$|\(\s*(?:此|本)\s*(?:件|文)|抄\s*送|主题词|附\s*件)")
# Words before a date that make it part of a sentence ("于2018年3月5日召开").
_SENTENCE_BEFORE = re.compile(r"(?:于|在|至|从|自|到|截至|截止|是|为|前|后|日|年|,|，|、|;|;|《|“|\")\s*$")
_ISSUER_SUFFIX = re.compile(
    r"(?:人民政府|政府|委员会|办公厅|办公室|厅|局|部|院|委|会|署|行|公司|集团|中心|处|室|所|站|社|团|队|军委|总局|银行)$"
)
_RECIPIENTS_LINE = re.compile(r"^[^:。!?]{2,300}:\s*$")
_ATTACHMENT_HEADING = re.compile(r"^\s*附\s*件\s*\d*\s*[:]?\s*$")
_ATTACHMENT_NOTE = re.compile(r"附\s*件\s*[:]\s*(?P<first>[^\n]*)")
_SIGNER = re.compile(r"签\s*发\s*人\s*[:]\s*(?P<names>[^\n]{2,40})")
_CC = re.compile(r"抄\s*送\s*[:]\s*(?P<cc>[^\n]+(?:\n[ \t]+[^\n]+)*)")
_PRINTED = re.compile(rf"(?P<office>[{_CJK}、]{{2,40}})\s*(?P<date>{_DATE.pattern})\s*印\s*发")
_SECRECY_FIELD = re.compile(r"密\s*级\s*[:]\s*(?P<level>绝密|机密|秘密)")
_SECRECY_MARK = re.compile(r"(?P<level>绝密|机密|秘密)\s*★\s*(?P<period>[^\s,，、]{0,8})")
# A marking on a line of its own (squeezed): the 份号 may stand before it, the period and urgency after it.
_SECRECY_LINE = re.compile(r"^(?:份号:?)?\d{0,8}(?P<level>绝密|机密|秘密)★?(?P<period>\d{1,3}(?:年|个月|月|天)|长期)?"
                           r"(?:特急|加急|特提|平急)?$")
# Forms about ANOTHER document (a 收文处理笺 for an incoming file): their label is not this document's.
_INCOMING_FORM = re.compile(r"收文处理|收文登记|文件处理笺|来文单位|来文字号|阅办单")
# The colon after the 主送机关 in flat text; the 签发人/密级 fields of the 版头 have colons too.
_HEAD_COLON = re.compile(r"(?<!签发人)(?<!密级)(?<!份号)(?<!保密期限)(?<!紧急程度):")
_HEAD_CHARS = 400  # flat text: how far from the start the 版头 (header) may reach


@dataclass
class DisclosureLabel:
    category: str | None
    text: str
    value: str
    reason: str | None
    start: int
    end: int
    line: str  # the whole line it stands on, for the reviewer

    @classmethod
    def from_mention(cls, mention: LabelMention, text: str) -> DisclosureLabel:
        line_start = text.rfind("\n", 0, mention.start) + 1
        line_end = text.find("\n", mention.end)
        return cls(mention.category, text[mention.start : mention.end], mention.value, mention.reason,
                   mention.start, mention.end, text[line_start : line_end if line_end >= 0 else len(text)].strip())


@dataclass(frozen=True)
class AttachmentSection:
    """An attachment printed in the file after the signature: from its 附件 / 附件2 line to the next one or
    to the closing 版记."""

    name: str  # 附件 when unnumbered, else 附件2
    start: int
    end: int

    def is_named(self, part: str) -> bool:
        """Whether a withheld part (附件: all of them; 附件2: this one) names this section."""
        return part in ("附件", self.name) or (self.name == "附件" and part == "附件1")


@dataclass
class DocumentElements:
    title: str | None = None
    doc_type: str | None = None
    doc_number: str | None = None
    issuers: list[str] = field(default_factory=list)
    signed_date: date | None = None
    signers: list[str] = field(default_factory=list)
    recipients: str | None = None
    attachments: list[str] = field(default_factory=list)
    secrecy: str | None = None
    secrecy_period: str | None = None
    urgency: str | None = None
    cc: str | None = None
    printed_by: str | None = None
    printed_date: date | None = None
    # Where the body starts (the 主送机关 line, after 版头 and title), when the parser found it.
    body_start: int | None = None
    label: DisclosureLabel | None = None
    # Other labels in the document's own part that name a different category (label_conflict).
    conflicting_labels: list[DisclosureLabel] = field(default_factory=list)
    # Parts a 主动公开 document withholds (（此件正文公开，附件不予公开）): 附件, 附件2 …; [] when none.
    withheld_parts: list[str] = field(default_factory=list)
    attachment_sections: list[AttachmentSection] = field(default_factory=list)

    def withheld_sections(self) -> list[AttachmentSection]:
        return [section for section in self.attachment_sections
                if any(section.is_named(part) for part in self.withheld_parts)]


@dataclass(frozen=True)
class _DateMatch:
    value: date | None
    start: int
    end: int


def _dates(text: str) -> list[_DateMatch]:
    found = []
    for match in _DATE.finditer(text):
        found.append(_DateMatch(_to_date(match.group("year"), match.group("month"), match.group("day")),
                                match.start(), match.end()))
    return found


def _to_date(year: str, month: str, day: str) -> date | None:
    values = year_value(year), small_value(month), small_value(day)
    if None in values:
        return None
    try:
        return date(*values)  # type: ignore[arg-type]
    except ValueError:
        return None  # 2月30日: not a date, not a crash


def normalise_doc_number(prefix: str, year: str, number: str) -> str:
    """One spelling for every variant: 六角括号, ASCII digits, no spaces, no leading zeros."""
    return f"{squeeze(prefix)}〔{year}〕{int(number)}号"


def canonical_doc_number(written: str) -> str | None:
    """A 发文字号 as written anywhere (粤民发[2018]12号, 国办函（２０２０）１０９号) in its one spelling."""
    match = _DOC_NUMBER.search(normalise(written))
    return normalise_doc_number(match["prefix"], match["year"], match["number"]) if match else None


def parse_elements(text: str) -> DocumentElements:
    """Parse the official-document elements of `text` (lines joined by newlines, or flat)."""
    doc = _Text(text)
    elements = DocumentElements()
    head_end = _head_end(doc)

    elements.secrecy, elements.secrecy_period = secrecy_marking(text.split("\n"))
    elements.urgency = _urgency(doc, head_end)
    elements.doc_number = _doc_number(doc, head_end)
    elements.title = _title_digits(_title(doc, head_end))
    elements.doc_type = doc_type_of(elements.title)
    recipients = _recipients(doc, head_end)
    if recipients:
        elements.recipients, elements.body_start = recipients
    signer = _SIGNER.search(doc.norm, 0, head_end + 200)
    if signer:
        elements.signers = [name for name in re.split(r"[\s、,，]+", doc.original(signer, "names")) if name]

    mentions = [m for m in labels.find_mentions(doc.norm) if not _inside_incoming_form(doc, m.start)]
    sections = _attachment_sections(doc, head_end)
    own = _own_mentions(mentions, sections)
    signature = _signature_date(doc, own, head_end)
    elements.signed_date = signature.value if signature else None
    elements.attachment_sections = sections
    if own:
        elements.label = DisclosureLabel.from_mention(own[0], text)
        elements.conflicting_labels = [DisclosureLabel.from_mention(m, text) for m in own[1:]
                                       if m.category != own[0].category]
        if own[0].category == labels.PROACTIVE:
            parts = [part for m in own if m.category == labels.PROACTIVE for part in m.withheld_parts]
            elements.withheld_parts = list(dict.fromkeys(parts))
    elements.issuers = _issuers(doc, signature, elements.title)
    elements.attachments = _attachments(doc, signature)
    cc = _CC.search(doc.norm)
    if cc:
        elements.cc = re.sub(r"\s+", " ", doc.original(cc, "cc")).strip().rstrip("。.")
    printed = _PRINTED.search(doc.norm)
    if printed:
        elements.printed_by = squeeze(doc.original(printed, "office"))
        elements.printed_date = _to_date(printed.group("year"), printed.group("month"), printed.group("day"))
    return elements


def doc_type_of(title: str | None) -> str | None:
    if not title:
        return None
    stripped = title.rstrip(" )）")
    for doc_type in DOC_TYPES:  # longest and most specific first: 复函 is a 函, 命令 before 令
        if stripped.endswith(doc_type):
            return _TYPE_ALIASES.get(doc_type, doc_type)
    return None


# --- layout ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str  # normalised, whitespace squeezed: for matching
    original: str  # as written, whitespace squeezed: for output

    def __bool__(self) -> bool:
        return bool(self.text)


class _Text:
    """The text twice — as written and normalised, same positions — and its lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.norm = normalise(text)
        self.lines: list[_Line] = []
        position = 0
        for raw in text.split("\n"):
            end = position + len(raw)
            self.lines.append(_Line(position, end, squeeze(self.norm[position:end]), squeeze(raw)))
            position = end + 1

    def original(self, match: re.Match[str], group: str | int = 0) -> str:
        """What a match on the normalised text covers, as written."""
        return self.text[match.start(group) : match.end(group)]


def _head_end(doc: _Text) -> int:
    """Where the 版头 and title end: the 主送机关 line, else the first colon, within reach of the start."""
    for line in doc.lines:
        if line.start > 2 * _HEAD_CHARS:
            break
        if _RECIPIENTS_LINE.match(line.text) and not line.text.startswith(("签发人", "密级")):
            return line.start
    for colon in _HEAD_COLON.finditer(doc.norm, 0, _HEAD_CHARS):
        return colon.start()
    return min(len(doc.norm), _HEAD_CHARS)


# --- header elements ------------------------------------------------------------------------------

def _secrecy_line(squeezed_lines: list[str]) -> tuple[str | None, str | None]:
    """A marking line is short — 机密 / 000123机密特急 / 秘密1年 — where prose mentioning 秘密 is long."""
    for text in squeezed_lines:
        marking = _SECRECY_LINE.match(text)
        if marking:
            return marking.group("level"), marking.group("period")
    return None, None


def secrecy_marking(lines: list[str]) -> tuple[str | None, str | None]:
    """(密级, 保密期限) marked anywhere in the lines of a body or of another part of a file (a running header,
    a comment, a property): a 密级 field, a ★ marking, or a line that is nothing but a marking. The 版头 is
    where GB/T 9704 puts it, but a marking anywhere counts: none of the 457 real documents has one by
    accident."""
    norm = normalise("\n".join(lines))
    field_match = _SECRECY_FIELD.search(norm)
    if field_match:
        return field_match.group("level"), None
    star = _SECRECY_MARK.search(norm)
    if star:
        return star.group("level"), star.group("period") or None
    return _secrecy_line([squeeze(line) for line in norm.split("\n")])


def _urgency(doc: _Text, head_end: int) -> str | None:
    for line in [line for line in doc.lines if line and line.start < head_end][:6]:
        for level in URGENCY_LEVELS:
            if level in line.text and len(line.text) <= 12:
                return level
    return None


def _doc_number(doc: _Text, head_end: int) -> str | None:
    """The document's own 发文字号 sits in the header, before the title or just under it.

    Numbers cited in the body (《……》（国发〔2018〕1号）) come later or inside a sentence.
    """
    for match in _DOC_NUMBER.finditer(doc.norm, 0, head_end):
        prefix = _strip_header_words(squeeze(match.group("prefix")))
        if "》" in doc.norm[max(0, match.start() - 2) : match.start()] or not prefix:
            continue
        return normalise_doc_number(prefix, match.group("year"), match.group("number"))
    return None


# Flat text runs the 版头 into the number: 内部事项国家电网有限公司办公室办督〔2021〕6号. What precedes
# the 机关代字 is a marking (份号/密级/紧急程度/文件) or the issuing organisation's name.
_HEADER_MARKERS = re.compile(r"^.*(?:文件|事项|特急|加急|平急|特提|明电|稿纸|会议纪要)(?=.)")
# Flat text may also run the title into the number: ……奖励的决定国发〔2018〕44号
_TITLE_END = re.compile(rf"^.*(?:的(?:{'|'.join(DOC_TYPES)})|意见|复函|答复)(?=.)")
_ORGANISATION_END = re.compile(r"^.{2,}(?:有限公司|公司|办公室|办公厅|委员会|人民政府|中心|管理局)(?=.)")
_SHORT_ORGANISATION_END = re.compile(r"^.{3,}?[厅局](?=...)")
_LONGEST_CODE = 9  # 机关代字 seen in real documents have 2–9 characters (总经理办公会议纪要)


def _strip_header_words(prefix: str) -> str:
    prefix = _TITLE_END.sub("", _HEADER_MARKERS.sub("", prefix))
    if len(prefix) <= _LONGEST_CODE:
        return prefix
    organisation = _ORGANISATION_END.match(prefix) or _SHORT_ORGANISATION_END.match(prefix)
    return prefix[organisation.end():] if organisation else prefix


# In flat text the body runs on after the title: it never crosses the body's first heading (一、); the first
# 关于 is the title's.
_FLAT_TITLE = re.compile(rf"[^。:;\n]{{0,40}}?关于(?:(?!一、)[^。:;]){{2,200}}(?:{'|'.join(DOC_TYPES)})")


def _title(doc: _Text, head_end: int) -> str | None:
    """Title lines (one or several) end with a 文种; they stand above the 主送机关."""
    head_lines = [line for line in doc.lines if line and line.end <= head_end]
    for index, line in enumerate(head_lines):
        if "关于" not in line.text and not _ends_like_title(line.text) and not _REPLY_OPENING.search(line.text):
            continue
        parts: list[_Line] = []
        if line.text.startswith("关于") and index and _issuer_line(head_lines[index - 1].text):
            parts.append(head_lines[index - 1])  # 国务院、中央军委 / 关于……的批复: the issuers head the title
        for following in head_lines[index : index + 5]:
            if _DOC_NUMBER.search(following.text) or _DATE.fullmatch(following.text):
                break
            parts.append(following)
            joined = "".join(part.text for part in parts)
            if _ends_like_title(joined) and ("关于" in joined or _REPLY_OPENING.search(joined)
                                             or len(parts) == 1 and len(joined) < 40):
                return _strip_header("".join(part.original for part in parts))
    flat = _FLAT_TITLE.search(doc.norm, 0, head_end)  # flat text: the run ending in a 文种 before the 主送机关
    return _strip_header(squeeze(doc.original(flat))) if flat else None


# Documents published beside 公文 that are titled without a 文种: 《……》解读, 答记者问, and the replies to 建议 and
# 提案, titled 国务院办公厅对……第2741号提案的答复 without 关于.
_OTHER_TITLE_ENDINGS = ("解读", "答记者问", "问答", "答复")
_REPLY_OPENING = re.compile(r"^.{2,30}?(?:厅|院|部|委|局|政府|委员会)对")


def _ends_like_title(text: str) -> bool:
    return doc_type_of(text) is not None or text.rstrip(" )）").endswith(_OTHER_TITLE_ENDINGS)


def _title_digits(title: str | None) -> str | None:
    """Full-width digits in a title are a typing artefact (GB/T 9704 uses Arabic numerals); brackets stay."""
    return title.translate(_FULL_WIDTH_DIGITS) if title else title


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _issuer_line(text: str) -> bool:
    """A line of issuing organisations only (国务院、中央军委; 国务院办公厅转发国家地震局), not the 发文机关标志."""
    names = [name for name in re.split(r"[、,，\s]", text) if name]
    return (0 < len(text) <= 40 and not text.endswith("文件") and not _DOC_NUMBER.search(text)
            and all(_ISSUER_SUFFIX.search(name) for name in names))


# Before a flat title: a masked 签发人 (XXX), a marking (…内部事项 and its urgency, #), a number without its
# year (鲁机发589号), or the 发文机关标志 printed without 文件 before a title that repeats it.
_LEADING_NOISE = re.compile(rf"^(?:.*?内部事项(?:特急|加急|平急|特提)?|[A-Za-z#*]+|[{_CJK}]{{0,6}}\d*号"
                            rf"|(?P<issuer>.{{4,30}}?)(?=(?P=issuer)))(?=[{_CJK}])")


def _strip_header(title: str) -> str:
    """Cut what precedes the title on a flat line: the 发文机关标志 (…文件, never the 文件 of 规范性文件 after 关于),
    the 发文字号, and noise such as a masked 签发人."""
    about = title.find("关于")
    if about == -1:
        title = title.rsplit("文件", 1)[-1] if "文件" in title[:-4] else title
    elif (mark := title.rfind("文件", 0, about)) != -1:
        title = title[mark + 2:]
    numbers = list(_DOC_NUMBER.finditer(title))
    title = title[numbers[-1].end():] if numbers else title
    stripped = _LEADING_NOISE.sub("", title)
    return stripped if "关于" in stripped or "关于" not in title else title


_WRAPPED_RECIPIENT_LINES = 4  # a long 主送机关 list wraps over this many lines at most above its colon


def _recipients(doc: _Text, head_end: int) -> tuple[str, int] | None:
    """The 主送机关 and where it starts. A long list wraps (PDF, OFD: one line per printed line); the lines
    above the one ending in the colon belong to it when they run up to the title or the 发文字号."""
    lines = [line for line in doc.lines if line]
    for index, line in enumerate(lines):
        if line.start == head_end and _RECIPIENTS_LINE.match(line.text):
            first = index
            while first > 0 and index - first < _WRAPPED_RECIPIENT_LINES and _continues_list(lines[first - 1].text):
                first -= 1
            if first < index and (first == 0 or not _closes_header(lines[first - 1].text)):
                first = index  # not under a title: an issuer or a sentence, not part of the list
            return "".join(part.original for part in lines[first : index + 1]).rstrip(":："), lines[first].start
    return None


_SENTENCE_END = ("。", "!", "?", ":", "！", "？", "：")
_NAMES = re.compile(r"^[\u4e00-\u9fff（）()、，,\s]{2,}")


def _continues_list(text: str) -> bool:
    """A printed line of a wrapped 主送机关 list: names and separators, not a title, 版头 or sentence."""
    return (bool(_NAMES.match(text)) and not _closes_header(text) and not text.endswith(_SENTENCE_END)
            and "关于" not in text and not text.endswith("文件"))


def _closes_header(text: str) -> bool:
    """The title's last line or the 发文字号 line: what a 主送机关 stands under."""
    return _ends_like_title(text) or bool(_DOC_NUMBER.search(text))


# --- signature, label, 版记 -----------------------------------------------------------------------

def _standalone_dates(doc: _Text, head_end: int) -> list[_DateMatch]:
    """Dates that end their line (or run into the label, the 版记 or an attachment in flat text),
    are not part of a sentence and are not the 印发 date: where a 成文日期 stands."""
    found = []
    for candidate in _dates(doc.norm):
        if candidate.value is None or candidate.start < head_end // 2:
            continue
        if _is_sentence_or_printing_date(doc, candidate):
            continue
        if _AFTER_SIGNATURE.match(doc.norm, candidate.end):
            found.append(candidate)
    return found


def _is_sentence_or_printing_date(doc: _Text, candidate: _DateMatch) -> bool:
    if doc.norm[candidate.end : candidate.end + 8].lstrip().startswith("印发"):
        return True
    return bool(_SENTENCE_BEFORE.search(doc.norm[max(0, candidate.start - 4) : candidate.start]))


def _own_mentions(mentions: list[LabelMention], sections: list[AttachmentSection]) -> list[LabelMention]:
    """The labels that belong to this document, not to an attached draft or form.

    Once the document has been signed, a line 附件 / 附件2 on its own starts an attachment: labels in it are
    the attachment's. GB/T 9704 puts the 版记 after the attachments, so a label in the closing block of the
    file (next to 抄送 and the 印发 line, or a label line ending the file) is the document's again — unless it
    stands right under a date, where an attached draft prints its own 附注.
    """
    if not sections:
        return mentions
    closing = sections[-1].end
    return [m for m in mentions if m.start < sections[0].start or m.start >= closing]


def _attachment_sections(doc: _Text, head_end: int) -> list[AttachmentSection]:
    """The attachments printed after the signature, each up to the next one; the last up to the closing 版记."""
    standalone = _standalone_dates(doc, head_end)
    if not standalone:
        return []
    headings = [line for line in doc.lines if line.start > standalone[0].end and _ATTACHMENT_HEADING.match(line.text)]
    if not headings:
        return []
    closing = _closing_block_start(doc, headings[-1].end)
    ends = [heading.start for heading in headings[1:]] + [closing]
    return [AttachmentSection(re.sub(r"[:：\s]", "", heading.text), heading.start, end)
            for heading, end in zip(headings, ends)]


# Lines of the 版记 (GB/T 9704 §7.4.5–7.4.6) and what may stand between them.
_CLOSING_ANCHOR = re.compile(r"^(?:抄送|分送|抄报|发送|报送|主题词)[:：]|印发$|^共印\d+份")
_PRINTED_DATE_ONLY = re.compile(f"^(?:{_DATE.pattern})印发$")
_CC_WORDS = ("抄送", "分送", "抄报", "发送", "报送")
_ENDS_WITH_DATE = re.compile(f"(?:{_DATE.pattern})$")
_FILLER = re.compile(r"^(?:[─━—_=\-~·.]{3,}|[-—–]?\d{1,3}[-—–]?)$")  # rules and page numbers


def _closing_block_start(doc: _Text, after: int) -> int:
    """Where the file's closing block begins: the last run of 版记 lines (抄送 and its wrapped lines, the 印发
    line, rules, page numbers) and label lines, read up from the end of the file; len(text) when none."""
    lines = [line for line in doc.lines if line and line.start >= after]
    kinds: list[str] = []
    in_cc = False
    for index, line in enumerate(lines):
        anchor = bool(_CLOSING_ANCHOR.search(line.text))
        if anchor or (in_cc and len(line.text) <= 60):  # a 抄送 list wraps until its full stop
            kinds.append("anchor")
            in_cc = (line.text.startswith(_CC_WORDS) or not anchor) and not line.text.endswith(("。", "."))
            continue
        in_cc = False
        if _FILLER.match(line.text):
            kinds.append("filler")
        elif _is_label_line(line) and not (index and _ENDS_WITH_DATE.search(lines[index - 1].text)):
            kinds.append("label")
        else:
            kinds.append("other")
    for index in range(1, len(lines)):  # a table cell per part: the 印发机关 above a line 2026年3月6日印发
        office = lines[index - 1].text
        if kinds[index - 1] == "other" and _PRINTED_DATE_ONLY.match(lines[index].text) and len(office) <= 40:
            kinds[index - 1] = "anchor"
    start = len(lines)
    while start and kinds[start - 1] != "other":
        start -= 1
    if not {"anchor", "label"} & set(kinds[start:]):
        return len(doc.norm)
    return lines[start].start if start < len(lines) else len(doc.norm)


def _is_label_line(line: _Line) -> bool:
    """A line that is one disclosure label and nothing else: 公开方式：主动公开, （此件主动公开）."""
    found = labels.find_mentions(line.text)
    return len(found) == 1 and found[0].start == 0 and found[0].end >= len(line.text.rstrip("。."))


def _signature_date(doc: _Text, own_mentions: list[LabelMention], head_end: int) -> _DateMatch | None:
    """成文日期: a 成文日期 field, else the date right before the label, else the first standalone date."""
    form_date = re.search(rf"成\s*文\s*日\s*期\s*[:]\s*(?P<date>{_DATE.pattern})", doc.norm)
    if form_date:
        return _DateMatch(_to_date(form_date.group("year"), form_date.group("month"), form_date.group("day")),
                          form_date.start("date"), form_date.end("date"))
    dates = [d for d in _dates(doc.norm) if d.value is not None and d.start >= head_end // 2]
    for mention in own_mentions:
        before = [d for d in dates if d.end <= mention.start and mention.start - d.end <= 40]
        if before:
            return before[-1]
    standalone = _standalone_dates(doc, head_end)
    # a signature block names its issuer right above the date; a date alone in a table cell does not
    signed = [candidate for candidate in standalone if _signature_names(doc, candidate)]
    if signed or standalone:
        return (signed or standalone)[0]
    # flat text may run the date into whatever follows (a web page footer): the last date written
    # right after an organisation's name, outside a sentence and not the 印发 date
    after_issuer = [d for d in dates if not _is_sentence_or_printing_date(doc, d) and _signature_names(doc, d)]
    return after_issuer[-1] if after_issuer else None


def _inside_incoming_form(doc: _Text, position: int) -> bool:
    return bool(_INCOMING_FORM.search(doc.norm, max(0, position - 600), position))


def _organisations(raw: str) -> list[str]:
    """Names on one signature line: 广东省民政厅　　广东省财政厅 → two; 国 务 院 → one."""
    parts = [squeeze(part) for part in re.split(r"\s{2,}|[、,，]", raw.strip()) if part.strip()]
    if len(parts) > 1 and all(_ISSUER_SUFFIX.search(part) for part in parts):
        return parts
    whole = squeeze(raw)
    return [whole] if whole else []


def _signature_names(doc: _Text, signature: _DateMatch) -> list[str]:
    """The 发文机关署名: organisation names on the date's line or on the lines right above it."""
    line_start = doc.norm.rfind("\n", 0, signature.start) + 1
    same_line = doc.text[line_start : signature.start]
    if squeeze(same_line):
        # flat text, or 署名 and date on one line: the organisation name right before the date
        tail = re.split(r"[。;；!?！？:：)）”]", same_line)[-1]
        return [name for name in _organisations(tail) if _ISSUER_SUFFIX.search(name)]
    names: list[str] = []
    for line in reversed([line for line in doc.lines if signature.start - 200 <= line.end < signature.start]):
        if not line:
            continue
        if len(line.text) > 30 or not _ISSUER_SUFFIX.search(line.text):
            break
        names[:0] = _organisations(doc.text[line.start : line.end])
    return names


def _issuers(doc: _Text, signature: _DateMatch | None, title: str | None) -> list[str]:
    """The 发文机关署名 above the date; else the 发文机关标志 (…文件); else the title's prefix."""
    names = _signature_names(doc, signature) if signature else []
    if names:
        return names
    header = re.search(rf"([{_CJK}、 ]{{2,60}}?)文\s*件", doc.norm[:_HEAD_CHARS])
    if header:
        return [name for name in re.split(r"[、\s]+", doc.original(header, 1)) if name]
    if title and "关于" in title:
        return [name for name in re.split(r"[、,，]", title.split("关于", 1)[0]) if name]
    return []


def _attachments(doc: _Text, signature: _DateMatch | None) -> list[str]:
    """附件说明: 附件：1.名称 with following numbered lines, between the body and the signature."""
    end = signature.start if signature else len(doc.norm)
    notes = list(_ATTACHMENT_NOTE.finditer(doc.norm, 0, end))
    if not notes:
        return []
    note = notes[-1]
    items = [doc.original(note, "first")]
    for line in doc.lines:
        if note.end() < line.start < end:
            if not re.match(r"^\d+[.、]", line.text):
                break
            items.append(doc.text[line.start : line.end])
    names = [re.sub(r"^\d+\s*[.、．]\s*", "", squeeze(item)) for item in items]
    return [name for name in names if name]

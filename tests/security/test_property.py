"""A property, over hostile documents and any reviewer decision: nothing forbidden reaches the public bucket,
and no unmasked number reaches any output.

Hypothesis writes .docx drafts whose body is a clean 主动公开 notice (or carries another label), and puts
secrecy markings, withholding labels and ID, bank card or mobile numbers — in every spelling gongkai must
recognise — into any part of the file, under a hostile file name. Each draft goes through gongkai's own
intake, check, review page and outcome for a drawn decision, on a fresh local store. The oracle is the
generator itself, not gongkai: a draft that was given a marking, a withholding label, an ID or a card
number must not be public; one that was not, and that the reviewer publishes, must be.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongkai.catalogue import load_catalogue
from gongkai.document.check import check_bytes
from gongkai.outcomes import Decision, PublishRefused, apply_decision, publish_blockers
from gongkai.review_page import review_page
from gongkai.settings import Settings
from gongkai.storage import open_storage
from tests.conftest import claim_file
from tests.security.hostile import BODY, PARTS, docx_with

pytestmark = [pytest.mark.security, pytest.mark.slow]
CATALOGUE = load_catalogue()
TODAY = date(2026, 11, 25)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def grouped(*sizes: int, separator: str = " ", prefix: str = "") -> str:
    """A shape that writes a number in groups of `sizes` (the last takes the rest)."""
    def shape(number: str) -> str:
        groups, start = [], 0
        for size in sizes:
            groups.append(number[start:start + size])
            start += size
        return prefix + separator.join([*groups, number[start:]] if start < len(number) else groups)
    return shape  # type: ignore[return-value]


def plain(prefix: str = "") -> str:
    return lambda number: prefix + number  # type: ignore[return-value]


def full_width(number: str) -> str:
    return number.translate(FULL_WIDTH)


SECRECY = ["机密★1年", "绝密★长期", "秘密", "秘\u200b密★6个月", "機密★1年", "000123　机密　特急", "密级：机密", "㊙密★1年",
           "机\u2060密"]
WITHHOLDING = ["（此件不予公开）", "(此件依申请公开)", "信息公开属性：不予公开", "公开方式：依申请公开", "（不公开）"]
# (digits as a person would be identified by, the ways a drafter writes them)
IDS = [("110105199001010029", [plain(), grouped(6, 8), grouped(6, 4, 4, separator="-"), full_width,
                                plain("身份证号：")]),
       ("44010619851203459X", [plain(), grouped(6, 8)])]
CARDS = [("6222020200112233446", [plain("卡号"), grouped(4, 4, 4, 4), grouped(4, 4, 4, 4, separator="-", prefix="卡号 ")])]
MOBILES = [("13912345678", [plain(), grouped(3, 4, separator="-"), plain("+86 "), full_width])]
BENIGN = ["请各地认真贯彻执行。", "联系处室：社会救助处", "第 2 页 共 3 页", "2026年度工作安排", "保守国家秘密是每个公民的义务。"]
NAMES = ["通知.docx", "申请\n表.docx", "evil\u202excod.docx", "长" * 70 + ".docx", "通知..docx", "a\\b.docx",
         "{id}张三.docx", "{mobile}.docx", "\u200b.docx"]


@dataclass
class Draft:
    hidden: dict[str, str] = field(default_factory=dict)
    body_label: str = "（此件主动公开）"
    forbidden: bool = False  # the generator put in something that must keep it out of the public bucket
    numbers: list[str] = field(default_factory=list)  # digits that must never be output unmasked


@st.composite
def drafts(draw: st.DrawFn) -> Draft:
    draft = Draft(body_label=draw(st.sampled_from(["（此件主动公开）"] * 4 + ["（此件不予公开，理由：内部事务）", ""])))
    draft.forbidden = draft.body_label != "（此件主动公开）"
    for part in draw(st.lists(st.sampled_from(PARTS), max_size=3, unique=True)):
        kind = draw(st.sampled_from(["secrecy", "label", "id", "card", "mobile", "benign"]))
        if kind == "secrecy":
            text = draw(st.sampled_from(SECRECY))
        elif kind == "label":
            text = draw(st.sampled_from(WITHHOLDING))
        elif kind == "benign":
            text = draw(st.sampled_from(BENIGN))
        else:
            number, shapes = draw(st.sampled_from({"id": IDS, "card": CARDS, "mobile": MOBILES}[kind]))
            text = f"经办人信息 {draw(st.sampled_from(shapes))(number)} 。"
            draft.numbers.append(number)
        draft.forbidden |= kind in ("secrecy", "label", "id", "card")
        draft.hidden[part] = text
    return draft


def leaked_numbers(data: bytes, numbers: list[str]) -> list[str]:
    """Numbers found in `data` as written or with their separators gone; a .docx is read part by part."""
    texts = [data]
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            texts = [archive.read(name) for name in archive.namelist()]
    found = []
    for raw in texts:
        text = raw.decode("utf-8", errors="replace").translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        squeezed = "".join(char for char in text if char not in " -\u3000")
        found += [number for number in numbers if number in text or number in squeezed]
    return found


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(draft=drafts(), name=st.sampled_from(NAMES),
       decision=st.sampled_from(["publish", "publish", "return", "record"]),
       category=st.sampled_from(["主动公开", "主动公开", "依申请公开", "不予公开"]))
def test_nothing_forbidden_and_no_unmasked_number_gets_out(draft: Draft, name: str, decision: str,
                                                           category: str) -> None:
    name = name.format(id="110105199001010029", mobile="13912345678")
    numbers = draft.numbers + ["110105199001010029", "13912345678"]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        storage = open_storage(Settings(storage="local", data_dir=root / "data"))
        body = [line for line in [*BODY[:-1], draft.body_label] if line]
        data = docx_with(root / "draft.docx", draft.hidden, body=body).read_bytes()
        claim = claim_file(storage, root, name, data)
        check = check_bytes(data, claim.name, claim.extension, TODAY)
        page = review_page(claim, check, "http://127.0.0.1:4201/x", TODAY, publish_blockers(check, "主动公开"))
        reason = "" if category == "主动公开" else "内部事务"
        chosen = Decision(decision, category, "social_assistance", reason, "审核意见", "李审核")
        try:
            apply_decision(storage, root / "returned", CATALOGUE, claim, check, chosen)
        except PublishRefused:
            pass

        items = storage.public.keys("items/")
        if draft.forbidden:
            assert items == [], (draft, check.problems)
        elif decision == "publish" and category == "主动公开":
            assert items, (draft, check.problems)  # not vacuous: what may go out does
        public = [storage.public.get(key) for key in storage.public.keys()]
        private_outputs = [storage.private.get(key) for key in storage.private.keys()
                           if key.startswith(("audit/", "registry/", "register/") ) and "/original." not in key]
        notes = [path.read_bytes() for path in (root / "returned").rglob("*.问题说明.txt")]
        for output in [*public, *private_outputs, *notes, page.encode(), claim.name.encode()]:
            assert leaked_numbers(output, numbers) == [], (draft, name)

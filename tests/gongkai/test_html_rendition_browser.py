"""content.html of real corpus documents, as a browser renders it.

Three real documents of the starter corpus (models/corpus/real_docs_dev.jsonl) go through the publishing path
(gongkai.decisions.publish → gongkai.publishing.publish_item, local storage backend); the content.html
each one leaves on disk is opened in headless Debian chromium (Playwright's Python package, never
`playwright install`) and checked from the rendered page: the title as gongkai parsed it in a visible
<h1>, the canonical 发文字号 visible, lang zh-CN, no console errors, and a sentence of the body shown.

The documents are picked by a fixed rule (see `pick_records`): in file order, the first record of each
source repository that has a title, a 发文字号 written in its text, line breaks, and the label 主动公开
(so the publish step accepts it). The first one's page is saved as docs/html-rendition.png.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from gongkai.catalogue import load_catalogue
from gongkai.document.elements import canonical_doc_number
from gongkai.outcomes import Decision, publish
from gongkai.settings import DEV_CORPUS, Settings
from gongkai.storage import get_json, open_storage
from tests.conftest import browser_page, claim_text

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "html-rendition.png"
RECORDS_WANTED = 3
CATALOGUE = load_catalogue()
APPROVE = Decision("publish", "主动公开", None, "", "", "李审核")


def pick_records() -> list[dict[str, Any]]:
    """The first publishable record of each source repository, in file order, three of them."""
    picked: list[dict[str, Any]] = []
    sources: set[str] = set()
    for line in DEV_CORPUS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        source = record["source"].split(":", 1)[0]
        if (source in sources or not record.get("title") or not record.get("doc_number")
                or "\n" not in record.get("text", "") or record.get("label") != "主动公开"
                or (record.get("meta") or {}).get("doc_number_found_in") != "text"):
            continue
        picked.append(record)
        sources.add(source)
        if len(picked) == RECORDS_WANTED:
            break
    return picked


RECORDS = pick_records()


def squeeze(text: str) -> str:
    """Text without any whitespace: Chinese has no spaces, and line wrapping differs between text and page."""
    return re.sub(r"\s+", "", text)


def body_sentence(record: dict[str, Any], title: str) -> str:
    """A whole sentence of the record's body, long enough to be unmistakable.

    Sentences end at 。 (or at a "." after a character that is not a digit: some extractions turn 。 into
    "."); a colon also ends a piece, so the 主送机关 line is not glued to the first sentence.
    """
    pieces = re.split(r"(?<=[。：:])|(?<=[^0-9０-９]\.)", squeeze(record["text"]))
    for piece in pieces:
        if len(piece) >= 20 and piece.endswith(("。", ".")) and squeeze(title) not in piece:
            return piece
    raise AssertionError(f"no body sentence in {record['source']}")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with browser_page(browser, 1024, 800) as opened:
        yield opened


def test_the_rule_picks_three_records_of_three_sources() -> None:
    assert len(RECORDS) == RECORDS_WANTED
    assert len({record["source"].split(":", 1)[0] for record in RECORDS}) == RECORDS_WANTED


@pytest.mark.parametrize("position", range(RECORDS_WANTED), ids=lambda n: f"record{n + 1}")
def test_published_html_renders_in_chromium(position: int, local_settings: Settings, tmp_path: Path,
                                            page: Any) -> None:
    record = RECORDS[position]
    storage = open_storage(local_settings)
    claim, check = claim_text(storage, tmp_path, record["text"].splitlines(), f"record{position + 1}.txt",
                              date(2026, 3, 6))
    prefix = publish(storage, claim, check, APPROVE, CATALOGUE)

    metadata = get_json(storage.public, f"{prefix}/metadata.json")
    title, number = metadata["title"], canonical_doc_number(record["doc_number"])
    assert title and title == check.elements.title
    assert number and metadata["doc_number"] == number
    html_file = storage.public.root / prefix / "content.html"  # the local backend keeps objects as files
    assert html_file.is_file() and html_file.read_bytes() == storage.public.get(f"{prefix}/content.html")

    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    page.goto(html_file.as_uri(), wait_until="load")

    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    heading = page.locator("h1")
    expect(heading).to_have_count(1)
    expect(heading).to_be_visible()
    assert heading.inner_text() == title
    assert page.title() == title
    expect(page.get_by_text(number, exact=True).first).to_be_visible()
    body = page.locator("section.body")
    expect(body).to_be_visible()
    sentence = body_sentence(record, title)
    assert sentence in squeeze(body.inner_text()), sentence
    if position == 0:
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert problems == []

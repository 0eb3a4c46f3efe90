"""A reviewer in a real browser: the Prefect UI's runs list → the waiting run → Resume → the typed form.

Headless Debian chromium driven by Playwright's Python package (never `playwright install`), against the
whole stack of tests.stack.py (`gongkai up`, its own Prefect server, moto's S3 server).

Selectors, from the live page: the form is Prefect's schema form inside the dialog (role "dialog"); each
field is a `.schema-form-property` whose `.schema-form-property__label` holds the field's English title
(审核结论 Decision, 公开类别 Category, 目录主题 Topic, 名称 Title, 理由 Reason, 审核意见 Comment, 审核人 Reviewer …). Text fields are a `textarea`; choices are a
prefect-design select button whose options (role "option") open from the keyboard (ArrowDown): a mouse
click on that button does not open them in headless chromium.

The test also writes the screenshots of docs/: review-form.png (the form with the review page above it)
and review-run.png (the run page after the decision).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import browser_page
from tests.stack import GOOD, SECRET, Stack

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # tall enough for the dialog to show most of the review page above the form
    with browser_page(browser, 1280, 1800) as opened:
        yield opened


def ui_url(stack: Stack) -> str:
    return stack.api_url.removesuffix("/api")


def form_field(dialog: Any, title: str) -> Any:
    """One field of Prefect's schema form, found by the title the UI shows for it ("Topic (Optional)")."""
    # a `has=` locator is matched inside each candidate, so it starts from the page, not the dialog
    label = dialog.page.locator(".schema-form-property__label", has_text=re.compile(rf"(^|\s){title}\b"))
    return dialog.locator(".schema-form-property").filter(has=label)


def open_choices(page: Any, dialog: Any, title: str) -> Any:
    """Open a select of the form; returns its button (the options are role "option", outside the dialog)."""
    button = form_field(dialog, title).locator("button.p-select-button__control")
    button.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("listbox")).to_be_visible()
    return button


def choose(page: Any, dialog: Any, title: str, value: str) -> None:
    button = open_choices(page, dialog, title)
    page.get_by_role("option", name=value, exact=True).click()
    expect(button).to_have_text(value)


def reloaded_shows(page: Any, text: str) -> bool:
    page.reload()
    try:
        expect(page.get_by_text(text, exact=True).first).to_be_visible(timeout=5_000)
    except AssertionError:
        return False
    return True


def open_review_form(page: Any) -> Any:
    page.get_by_role("button", name="Resume").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Resume Flow Run")).to_be_visible()
    expect(dialog.get_by_role("heading", name="公文审核 / Document review")).to_be_visible()
    return dialog


def test_reviewer_publishes_from_the_prefect_ui(stack: Stack, stack_storage: Any, page: Any) -> None:
    stack.drop("good.docx", GOOD)
    [run] = stack.wait_for_runs(1, "Suspended")

    # the reviewer starts from the runs list and opens the waiting run by its document name
    page.goto(f"{ui_url(stack)}/runs")
    page.get_by_role("link", name=run.name, exact=True).click()
    page.wait_for_url(f"**/runs/flow-run/{run.id}")
    expect(page.get_by_text("Suspended", exact=True).first).to_be_visible()

    dialog = open_review_form(page)
    expect(dialog.get_by_text("粤民发〔2026〕12号").first).to_be_visible()  # the review page, above the form
    choose(page, dialog, "Decision", "publish")
    choose(page, dialog, "Category", "主动公开")
    choose(page, dialog, "Topic", "社会救助")
    form_field(dialog, "Comment").locator("textarea").fill("同意发布，请网站组上线")
    form_field(dialog, "Reviewer").locator("textarea").fill("王审核")
    DOCS.mkdir(exist_ok=True)
    dialog.locator(".p-modal__card").screenshot(path=DOCS / "review-form.png")
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog).to_be_hidden()

    assert stack.wait_final(run.id).state.name == "Completed"
    # the UI polls: the page may still show the last state it fetched, so reload until it shows the new one
    stack.wait_for(lambda: reloaded_shows(page, "Completed"), 60, "the run page to show Completed")
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.screenshot(path=DOCS / "review-run.png")

    public_keys = stack_storage.public.keys("items/")
    metadata_key = next(key for key in public_keys if key.endswith("metadata.json"))
    metadata = json.loads(stack_storage.public.get(metadata_key))
    assert metadata["doc_number"] == "粤民发〔2026〕12号" and metadata["topic"] == "social_assistance"
    audits = [json.loads(stack_storage.private.get(key)) for key in stack_storage.private.keys("audit/")]
    published = next(entry for entry in audits if entry["event"] == "published")
    assert published["decision"]["reviewer"] == "王审核"
    assert published["decision"]["comment"] == "同意发布，请网站组上线"


def test_the_form_of_a_secret_document_does_not_offer_publish(stack: Stack, page: Any) -> None:
    stack.drop("secret.docx", SECRET)
    [run] = stack.wait_for_runs(1, "Suspended")
    page.goto(f"{ui_url(stack)}/runs/flow-run/{run.id}")
    dialog = open_review_form(page)
    expect(dialog.get_by_text("不能发布 / Publishing is not offered")).to_be_visible()
    open_choices(page, dialog, "Decision")
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(2)
    assert options.all_inner_texts() == ["return", "record"]


def test_a_missing_title_is_entered_in_the_form_before_publishing(stack: Stack, stack_storage: Any,
                                                                  page: Any) -> None:
    # text that starts at the 主送机关 (generated): the parser finds no title
    stack.drop("无标题.docx", ["各地级以上市民政局：", "现就城乡低保有关事项通知如下。", "广东省民政厅", "2026年11月20日",
                               "（此件主动公开）"])
    [run] = stack.wait_for_runs(1, "Suspended")
    page.goto(f"{ui_url(stack)}/runs/flow-run/{run.id}")
    dialog = open_review_form(page)
    expect(dialog.get_by_text("title_missing").first).to_be_visible()  # the review page flags it
    choose(page, dialog, "Decision", "publish")
    form_field(dialog, "Reviewer").locator("textarea").fill("王审核")
    dialog.get_by_role("button", name="Submit").click()
    # the UI checks the form against the run's schema and marks the field; the run still waits for its reviewer
    expect(form_field(dialog, "Title").get_by_text(re.compile("does not match"))).to_be_visible()
    expect(dialog).to_be_visible()
    assert stack.wait_for_runs(1, "Suspended")[0].id == run.id

    form_field(dialog, "Title").locator("textarea").fill("广东省民政厅关于做好城乡低保有关工作的通知")
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog).to_be_hidden()
    assert stack.wait_final(run.id).state.name == "Completed"
    [key] = [key for key in stack_storage.public.keys("items/") if key.endswith("metadata.json")]
    metadata = json.loads(stack_storage.public.get(key))
    assert metadata["title"] == "广东省民政厅关于做好城乡低保有关工作的通知"
    assert metadata["corrections"]["title"]["from"] is None

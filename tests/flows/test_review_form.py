"""The review form offers the marks of config/deadlines.yaml that start a rule, and nothing else."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gongkai.catalogue import load_catalogue
from gongkai.document.workdays import DEADLINE_RULES
from gongkai.flows.review_form import review_form_for

CATALOGUE = load_catalogue()
DEFAULTS = {"category": "主动公开", "topic": CATALOGUE.topics[0].name, "title": "关于调整低保办理条件的通知",
            "doc_number": "粤民函〔2026〕30号", "signed_date": "2026-04-03", "issuer": "广东省民政厅", "doc_type": "通知"}
FORM = {"decision": "publish", "category": "主动公开", "topic": CATALOGUE.topics[-1].name, "reviewer": "李审核"}


def test_the_marks_are_the_reviewer_choices_of_the_rules() -> None:
    marks = DEADLINE_RULES.reviewer_choices()
    assert marks == ("办事条件变更",)
    form = review_form_for(CATALOGUE, True, DEFAULTS, marks)
    schema = form.model_json_schema()["properties"]["marks"]
    assert schema["items"]["enum"] == ["办事条件变更"] and schema["default"] == []
    assert form(**FORM, marks=["办事条件变更"]).marks == ["办事条件变更"]
    assert form(**FORM).marks == []
    with pytest.raises(ValidationError):
        form(**FORM, marks=["随便什么"])


def test_without_rules_that_ask_for_a_mark_the_form_shows_none() -> None:
    form = review_form_for(CATALOGUE, True, DEFAULTS)
    assert "marks" not in form.model_json_schema()["properties"]

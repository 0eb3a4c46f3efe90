"""Working days follow the State Council schedule with 调休; unknown years are estimates, not guesses."""

from datetime import date
from pathlib import Path

import pytest
import yaml

from gongkai.document.workdays import (
    DEADLINE_RULES,
    DEFAULT_DEADLINES,
    PUBLISH_PROACTIVE,
    DocumentFacts,
    deadline,
    load_deadline_rules,
    workday,
)


def test_adjusted_weekend_days_are_working_days_in_2026() -> None:
    # DOMAIN.md: 2026 调休 working days include 01-04 (Sunday) and 10-10 (Saturday)
    assert workday(date(2026, 1, 4)).is_workday
    assert workday(date(2026, 10, 10)).is_workday
    assert not workday(date(2026, 10, 5)).is_workday  # 国庆 holiday on a Monday
    assert not workday(date(2026, 1, 4)).estimated


def test_twenty_working_days_skip_the_national_day_holiday() -> None:
    due = deadline(PUBLISH_PROACTIVE, date(2026, 9, 25))
    # Sep 28–30 are 3 working days; Oct 1–7 are holidays; Oct 8, 9, 10 (调休 Saturday) …
    assert due.due == date(2026, 10, 29) and not due.estimated


def test_plain_weekday_count_without_holidays() -> None:
    due = deadline(PUBLISH_PROACTIVE, date(2026, 3, 5))  # no holiday in March 2026
    assert due.due == date(2026, 4, 2)


def test_year_without_published_schedule_is_an_estimate() -> None:
    due = deadline(PUBLISH_PROACTIVE, date(2026, 12, 20))
    assert due.estimated
    assert due.due == date(2027, 1, 18)  # weekdays from 12-21, New Year's Day 2027 skipped
    far = deadline(PUBLISH_PROACTIVE, date(2031, 6, 2))
    assert far.estimated and far.due == date(2031, 6, 30)


def test_working_days_left_and_overdue() -> None:
    due = deadline(PUBLISH_PROACTIVE, date(2026, 3, 5))
    assert due.working_days_left(date(2026, 3, 5)) == 20
    assert due.working_days_left(date(2026, 4, 2)) == 0
    assert due.working_days_left(date(2026, 4, 7)) == -2  # Apr 3 (Fri), 4–6 清明 holiday, 7 (Tue)


# The rules of config/deadlines.yaml (issue: every statutory clock), on the same calendar.

def test_a_service_guide_change_signed_before_national_day_is_due_after_the_holiday() -> None:
    rule = DEADLINE_RULES.rule("service_guide_change")
    assert deadline(rule, date(2026, 9, 30)).due == date(2026, 10, 8)  # Oct 1–7 are holidays


def test_an_adjusted_saturday_counts_as_a_working_day() -> None:
    gazette = DEADLINE_RULES.rule("gazette_submission")  # 3 working days from signing
    # Oct 8 (Thu), Oct 9 (Fri), Oct 10 (调休 Saturday): due on the Saturday, not the Monday after
    assert deadline(gazette, date(2026, 10, 7)).due == date(2026, 10, 10)


def test_a_count_into_2027_is_marked_estimated() -> None:
    answer = deadline(DEADLINE_RULES.rule("answer_request"), date(2026, 12, 15))
    assert answer.estimated
    assert not deadline(DEADLINE_RULES.rule("answer_request"), date(2026, 11, 2)).estimated


def test_a_request_is_extended_once_to_forty_working_days_and_never_twice() -> None:
    received = date(2026, 3, 2)
    first = deadline(DEADLINE_RULES.rule("answer_request"), received)
    extended = first.extended()
    assert first.working_days_left(received) == 20 and extended.working_days_left(received) == 40
    with pytest.raises(ValueError, match="at most"):
        extended.extended()
    with pytest.raises(ValueError, match="at most"):  # a rule without an extension
        deadline(PUBLISH_PROACTIVE, received).extended()


def test_rules_apply_by_category_topic_doc_number_and_reviewer_choice() -> None:
    def keys(event: str, **facts: object) -> set[str]:
        return {rule.key for rule in DEADLINE_RULES.applying(event, DocumentFacts(**facts))}

    assert keys("signed", category="主动公开", doc_number="粤民发〔2026〕12号") == {"publish_proactive"}
    assert keys("signed", category="主动公开", doc_number="粤民规〔2026〕1号") == {"publish_proactive",
                                                                               "gazette_submission"}
    assert keys("signed", category="主动公开", topic="services") == {"publish_proactive"}  # no change marked
    assert keys("signed", category="主动公开", topic="services", reviewer_choices=frozenset({"办事条件变更"})) == {
        "publish_proactive", "service_guide_change"}
    assert keys("signed", category="不予公开", doc_number="粤民发〔2026〕12号") == set()
    assert keys("request_received") == {"answer_request"}
    assert keys("status_changed", doc_number="粤民规〔2026〕1号") == {"publish_status_change"}


def test_a_department_adds_a_rule_without_code_and_mistakes_name_the_file(tmp_path: Path) -> None:
    shipped = yaml.safe_load(DEFAULT_DEADLINES.read_text(encoding="utf-8"))
    own = {"key": "meeting_minutes", "working_days": 5, "counts_from": "signed", "applies_to": {"doc_types": ["纪要"]},
           "description": "会议纪要 5 个工作日内公开", "source": "本厅规定"}
    path = tmp_path / "deadlines.yaml"
    path.write_text(yaml.safe_dump({"rules": [*shipped["rules"], own]}, allow_unicode=True), encoding="utf-8")
    rules = load_deadline_rules(path)
    assert [rule.key for rule in rules.applying("signed", DocumentFacts(doc_type="纪要"))] == ["meeting_minutes"]

    path.write_text(yaml.safe_dump({"rules": [own, own]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=r"(?s)deadlines\.yaml.*meeting_minutes"):
        load_deadline_rules(path)  # given twice, and gongkai's own two rules are missing


def test_a_request_rule_ends_with_the_answer_and_only_it_does(tmp_path: Path) -> None:
    shipped = yaml.safe_load(DEFAULT_DEADLINES.read_text(encoding="utf-8"))
    assert load_deadline_rules(DEFAULT_DEADLINES).rule("gazette_submission").closed_by == "confirmation"
    for rule in shipped["rules"]:
        if rule["key"] == "answer_request":
            rule["closed_by"] = "publication"
    path = tmp_path / "deadlines.yaml"
    path.write_text(yaml.safe_dump(shipped, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="closed_by answer.*answer_request"):
        load_deadline_rules(path)

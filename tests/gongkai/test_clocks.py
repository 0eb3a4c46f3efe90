"""Every clock gongkai sees, on a seeded year (tests/seeded_ledger.py). The calendar itself: test_workdays.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gongkai.clocks import all_clocks, confirm_done, running_clocks
from gongkai.document.workdays import DEADLINE_RULES
from gongkai.settings import Settings
from gongkai.storage import open_storage
from tests.seeded_ledger import at, seed


def test_the_clocks_of_a_seeded_year(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    seeded = seed(storage, tmp_path)
    clocks = {(clock.rule.key, clock.subject): clock for clock in all_clocks(storage, DEADLINE_RULES)}
    expected = {  # (rule, subject): (due, closed on)
        ("publish_proactive", seeded.notice): (date(2026, 4, 2), date(2026, 3, 20)),
        ("publish_proactive", seeded.normative): (date(2026, 3, 16), date(2026, 3, 26)),
        ("gazette_submission", seeded.normative): (date(2026, 2, 13), date(2026, 2, 12)),
        ("publish_proactive", seeded.guide): (date(2026, 5, 7), date(2026, 4, 8)),
        ("service_guide_change", seeded.guide): (date(2026, 4, 7), date(2026, 4, 8)),
        ("publish_status_change", seeded.notice): (date(2026, 6, 30), date(2026, 6, 2)),
        ("publish_proactive", seeded.pending): (date(2026, 12, 14), None),
        ("answer_request", seeded.requests[0]): (date(2026, 1, 20), date(2026, 1, 9)),
        ("answer_request", seeded.requests[1]): (date(2026, 3, 30), date(2026, 3, 20)),
        ("answer_request", seeded.requests[2]): (date(2026, 4, 28), date(2026, 5, 6)),  # extended, still late
        ("answer_request", seeded.requests[3]): (date(2026, 12, 23), None),
    }
    assert {key: (clock.deadline.due, clock.closed_on) for key, clock in clocks.items()} == expected
    assert clocks[("service_guide_change", seeded.guide)].on_time is False
    assert clocks[("publish_proactive", seeded.notice)].working_days_taken == 11
    # the recorded 不予公开 and the returned draft start no publication clock; names show no personal data
    assert all("张三" not in clock.name and "13912345678" not in clock.name for clock in clocks.values())

    overdue, due_soon = running_clocks(list(clocks.values()), date(2026, 12, 18), warning_days=3)
    assert [clock.subject for clock in overdue] == [seeded.pending]
    assert [clock.subject for clock in due_soon] == [seeded.requests[3]]
    assert running_clocks(list(clocks.values()), date(2026, 12, 1), warning_days=3) == ([], [])


def test_confirming_a_step_stops_its_clock_once(local_settings: Settings, tmp_path: Path) -> None:
    storage = open_storage(local_settings)
    seeded = seed(storage, tmp_path)
    with pytest.raises(ValueError, match="无需确认"):
        confirm_done(storage, DEADLINE_RULES, "publish_proactive", "粤民规〔2026〕1号", date(2026, 3, 1))
    with pytest.raises(LookupError, match="no gazette_submission clock"):
        confirm_done(storage, DEADLINE_RULES, "gazette_submission", "粤民发〔2026〕12号", date(2026, 3, 1))
    with at("2026-12-01 09:00"):  # a second confirmation keeps the first date
        again = confirm_done(storage, DEADLINE_RULES, "gazette_submission", seeded.normative, date(2026, 3, 1))
    assert again.closed_on == date(2026, 2, 12)

"""Working days follow the State Council schedule with 调休; unknown years are estimates, not guesses."""

from datetime import date

from gongkai.document.workdays import PUBLISH_PROACTIVE, deadline, workday


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

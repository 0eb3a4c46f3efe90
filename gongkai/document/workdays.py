"""Working days on the State Council holiday schedule (调休 included), and the deadline rules built on them.

The schedule comes from `chinesecalendar`, which knows each year once the State Council publishes it
(usually in November for the next year). For a year it does not know, the fallback counts Monday to
Friday minus the fixed-date statutory holidays (元旦 1.1, 劳动节 5.1–5.2, 国庆节 10.1–10.3, per
全国年节及纪念日放假办法 2024) and marks the result `estimated`: the lunar holidays and 调休 of that
year are unknown, so the real deadline may fall a few days later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

_FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}


@dataclass(frozen=True)
class WorkdayAnswer:
    is_workday: bool
    estimated: bool


def workday(day: date) -> WorkdayAnswer:
    try:
        return WorkdayAnswer(chinese_calendar.is_workday(day), estimated=False)
    except NotImplementedError:  # the library says: no schedule for this year
        return WorkdayAnswer(day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS, estimated=True)


@dataclass(frozen=True)
class DeadlineRule:
    """A time limit counted in working days from an event. Later rules plug in beside these."""

    key: str
    working_days: int
    description: str
    source: str


PUBLISH_PROACTIVE = DeadlineRule(
    key="publish_proactive",
    working_days=20,
    description="主动公开的政府信息自形成之日起 20 个工作日内公开 / publish within 20 working days of signing",
    source="政府信息公开条例 第二十六条; seed 一(四)",
)


STATUS_CHANGE = DeadlineRule(
    key="publish_status_change",
    working_days=20,
    description="文件修改、废止、失效等情况自变动之日起 20 个工作日内公开 / publish a change of status "
                "within 20 working days",
    source="政府信息公开条例 第二十六条; seed 一(三)",
)


@dataclass(frozen=True)
class Deadline:
    rule: DeadlineRule
    start: date
    due: date
    estimated: bool  # some day in the count fell in a year without a published schedule

    def working_days_left(self, today: date) -> int:
        """Working days from today (exclusive) to the due date (inclusive); negative when overdue."""
        if today <= self.due:
            return _count_workdays(today, self.due)
        return -_count_workdays(self.due, today)


def deadline(rule: DeadlineRule, start: date) -> Deadline:
    """The day on which the `rule.working_days`-th working day after `start` ends."""
    day, counted, estimated = start, 0, False
    while counted < rule.working_days:
        day += timedelta(days=1)
        answer = workday(day)
        estimated = estimated or answer.estimated
        counted += answer.is_workday
    return Deadline(rule, start, day, estimated)


def _count_workdays(after: date, until: date) -> int:
    """Working days in (after, until]; exact, and fast for documents decades old."""
    total = _running_total(until) - _running_total(after)
    return total + sum(_year_running_totals(year)[-1] for year in range(after.year, until.year))


def _running_total(day: date) -> int:
    return _year_running_totals(day.year)[day.timetuple().tm_yday - 1]


@lru_cache(maxsize=None)
def _year_running_totals(year: int) -> tuple[int, ...]:
    """For each day of `year`, the working days from 1 January up to and including it."""
    totals, running, day = [], 0, date(year, 1, 1)
    while day.year == year:
        running += workday(day).is_workday
        totals.append(running)
        day += timedelta(days=1)
    return tuple(totals)

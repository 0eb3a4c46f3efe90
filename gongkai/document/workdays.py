"""Working days on the State Council holiday schedule (调休 included), and the deadline rules built on them.

The schedule comes from `chinesecalendar`, which knows each year once the State Council publishes it
(usually in November for the next year). For a year it does not know, the fallback counts Monday to
Friday minus the fixed-date statutory holidays (元旦 1.1, 劳动节 5.1–5.2, 国庆节 10.1–10.3, per
全国年节及纪念日放假办法 2024) and marks the result `estimated`: the lunar holidays and 调休 of that
year are unknown, so the real deadline may fall a few days later.

The rules themselves are configuration, `config/deadlines.yaml`: how many working days, from which event,
for which documents, extendable or not. One calendar serves them all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

import chinese_calendar
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_DEADLINES = Path(__file__).resolve().parents[2] / "config" / "deadlines.yaml"

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
class DocumentFacts:
    """What a rule's `applies_to` is matched against."""

    category: str | None = None
    doc_type: str | None = None
    topic: str | None = None
    doc_number: str | None = None
    reviewer_choices: frozenset[str] = frozenset()


class AppliesTo(BaseModel):
    """Every condition given must hold; an empty one does not restrict."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    doc_number_contains: tuple[str, ...] = ()
    reviewer_choices: tuple[str, ...] = ()

    def matches(self, facts: DocumentFacts) -> bool:
        number = facts.doc_number or ""
        return ((not self.categories or facts.category in self.categories)
                and (not self.doc_types or facts.doc_type in self.doc_types)
                and (not self.topics or facts.topic in self.topics)
                and (not self.doc_number_contains or any(part in number for part in self.doc_number_contains))
                and (not self.reviewer_choices or bool(facts.reviewer_choices & set(self.reviewer_choices))))


class Extension(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    working_days: int = Field(ge=1)
    times: int = Field(default=1, ge=1)


class DeadlineRule(BaseModel):
    """A time limit counted in working days from an event, for the documents it applies to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    working_days: int = Field(ge=1)
    counts_from: Literal["signed", "status_changed", "request_received"]
    applies_to: AppliesTo = AppliesTo()
    extension: Extension | None = None
    # what stops the clock: publishing the document (or its status change), answering the request, or someone
    # confirming the step was done (`gongkai deadlines done`), for steps outside gongkai such as the gazette
    closed_by: Literal["publication", "answer", "confirmation"] = "publication"
    description: str
    source: str


class DeadlineRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[DeadlineRule, ...]

    @model_validator(mode="after")
    def _keys_once_and_built_ins_present(self) -> DeadlineRules:
        if requests := [rule.key for rule in self.rules if (rule.counts_from == "request_received")
                        != (rule.closed_by == "answer")]:
            raise ValueError(f"依申请公开的期限以答复结束，且只有它们如此 / a rule counted from request_received is "
                             f"closed_by answer, and only such a rule: {', '.join(requests)}")
        keys = [rule.key for rule in self.rules]
        if repeated := sorted({key for key in keys if keys.count(key) > 1}):
            raise ValueError(f"规则键重复 / rule keys given twice: {', '.join(repeated)}")
        if missing := sorted(set(BUILT_IN_KEYS) - set(keys)):
            raise ValueError(f"缺少 gongkai 使用的规则 / rules gongkai uses are missing: {', '.join(missing)}")
        return self

    def rule(self, key: str) -> DeadlineRule:
        return next(rule for rule in self.rules if rule.key == key)

    def reviewer_choices(self) -> tuple[str, ...]:
        """What a reviewer can mark on the form to start a rule (办事条件变更 …), in the file's order."""
        return tuple(dict.fromkeys(choice for rule in self.rules for choice in rule.applies_to.reviewer_choices))

    def applying(self, event: str, facts: DocumentFacts) -> list[DeadlineRule]:
        """The rules whose clock `event` starts for a document with these facts."""
        return [rule for rule in self.rules if rule.counts_from == event and rule.applies_to.matches(facts)]


BUILT_IN_KEYS = ("publish_proactive", "publish_status_change", "answer_request")


def load_deadline_rules(path: Path = DEFAULT_DEADLINES) -> DeadlineRules:
    """Read and validate the rules; a mistake in the file names the file and the field."""
    with path.open(encoding="utf-8") as stream:
        try:
            return DeadlineRules.model_validate(yaml.safe_load(stream))
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None


DEADLINE_RULES = load_deadline_rules()
PUBLISH_PROACTIVE = DEADLINE_RULES.rule("publish_proactive")
STATUS_CHANGE = DEADLINE_RULES.rule("publish_status_change")


@dataclass(frozen=True)
class Deadline:
    rule: DeadlineRule
    start: date
    due: date
    estimated: bool  # some day in the count fell in a year without a published schedule
    extensions: int = 0

    def working_days_left(self, today: date) -> int:
        """Working days from today (exclusive) to the due date (inclusive); negative when overdue."""
        return working_days_between(today, self.due)

    def extended(self) -> Deadline:
        """The deadline moved by the rule's extension; ValueError when the rule allows none or no more."""
        extension = self.rule.extension
        if extension is None or self.extensions >= extension.times:
            allowed = extension.times if extension else 0
            raise ValueError(f"{self.rule.key} 最多延长 {allowed} 次 / can be extended {allowed} time(s) at most")
        due, estimated = _after_workdays(self.due, extension.working_days)
        return replace(self, due=due, estimated=self.estimated or estimated, extensions=self.extensions + 1)


def deadline(rule: DeadlineRule, start: date) -> Deadline:
    """The day on which the `rule.working_days`-th working day after `start` ends."""
    due, estimated = _after_workdays(start, rule.working_days)
    return Deadline(rule, start, due, estimated)


def _after_workdays(start: date, working_days: int) -> tuple[date, bool]:
    day, counted, estimated = start, 0, False
    while counted < working_days:
        day += timedelta(days=1)
        answer = workday(day)
        estimated = estimated or answer.estimated
        counted += answer.is_workday
    return day, estimated


def working_days_between(after: date, until: date) -> int:
    """Working days in (after, until]; negative, counted back, when `until` comes first. Exact, and fast for
    documents decades old."""
    if until < after:
        return -working_days_between(until, after)
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

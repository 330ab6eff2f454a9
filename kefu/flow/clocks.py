"""The deadline clocks of the case engine: pure functions of (start, duration, calendar, settings).

No ORM and no clock here (STYLE 4): callers pass a ``WorkCalendar`` and the
settings in, so tests use tables of dates. Four units, chosen per step in the
settings with the seed's wording as default:

- ``workdays`` (工作日): the end (23:59:59 Asia/Shanghai) of the N-th working
  day after the start day, on China's calendar with its adjusted days (调休);
- ``days`` (天 / 日 alone): the end of the calendar day N days after the start day;
- ``hours`` (小时 / H): exactly N hours after the start, through nights,
  weekends and holidays (000 4.5: 48 h for an 8D reply, 004: 24 h for a car owner);
- ``work_hours``: N hours counted only within the working hours of working days
  (``clock.workday_start`` / ``clock.workday_end``), for a setting that says so.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from kefu.core.workcalendar import TZ, WorkCalendar

END_OF_DAY = dt.time(23, 59, 59)

WORKDAYS, DAYS, HOURS, WORK_HOURS = "workdays", "days", "hours", "work_hours"
UNITS = (WORKDAYS, DAYS, HOURS, WORK_HOURS)
_WORDS = {
    WORKDAYS: ("workdays", "workday", "working days", "working day", "wd", "工作日"),
    DAYS: ("days", "day", "d", "calendar days", "calendar day", "天", "日"),
    HOURS: ("hours", "hour", "h", "小时"),
    WORK_HOURS: ("work_hours", "work hours", "work hour", "working hours", "working hour", "wh", "工作小时"),
}
_UNIT_OF_WORD = {word: unit for unit, words in _WORDS.items() for word in words}
_DURATION = re.compile(r"^\s*(\d{1,5})\s*([^\d\s].*?)?\s*$")
MAX_AMOUNT = {WORKDAYS: 3660, DAYS: 3660, HOURS: 24 * 3660, WORK_HOURS: 24 * 3660}


@dataclass(frozen=True)
class Duration:
    """How long a step (or a case) may take: an amount of one unit."""

    amount: int
    unit: str = WORKDAYS

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}; units: {', '.join(UNITS)}")
        if not 0 <= self.amount <= MAX_AMOUNT[self.unit]:
            raise ValueError(f"{self.amount} {self.unit}: out of range")

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"

    @classmethod
    def parse(cls, value) -> Duration:
        """``3`` (working days, the settings of earlier versions), ``"3 workdays"``, ``"48 hours"``,
        ``"48h"``, ``"7 days"``, ``"8 work_hours"``, ``"3 工作日"``; raises ValueError otherwise."""
        if isinstance(value, Duration):
            return value
        if isinstance(value, bool):
            raise ValueError(f"not a duration: {value!r}")
        if isinstance(value, int):
            return cls(value, WORKDAYS)
        if isinstance(value, dict):
            return cls(int(value.get("amount", -1)), str(value.get("unit", WORKDAYS)))
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"not a duration: {value!r} (e.g. '3 workdays', '48 hours', '7 days')")
        amount, word = match.groups()
        unit = _UNIT_OF_WORD.get((word or WORKDAYS).strip().lower())
        if unit is None:
            raise ValueError(f"unknown unit in {value!r}; units: {', '.join(UNITS)}")
        return cls(int(amount), unit)


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=TZ)


def start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=TZ)


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


@dataclass(frozen=True)
class WorkHours:
    """The working window of a working day, for the ``work_hours`` unit."""

    start: dt.time = dt.time(8, 30)
    end: dt.time = dt.time(17, 30)

    @classmethod
    def from_settings(cls, settings: dict) -> WorkHours:
        start = dt.time.fromisoformat(str(settings.get("clock.workday_start", "08:30")))
        end = dt.time.fromisoformat(str(settings.get("clock.workday_end", "17:30")))
        if end <= start:
            raise ValueError("clock.workday_end must be after clock.workday_start")
        return cls(start, end)


def due(
    start: dt.datetime, duration: Duration, calendar: WorkCalendar, settings: dict | None = None
) -> dt.datetime:
    """When a step (or case) that starts at ``start`` and may take ``duration`` falls due.

    2026-09-30 10:00 + 1 workday -> 2026-10-08 23:59:59 (National Day); Friday + 1 workday
    before an adjusted Saturday -> that Saturday; + 48 hours -> exactly two days later, weekend or not.
    """
    n = duration.amount
    if duration.unit == WORKDAYS:
        return end_of_day(calendar.add_workdays(local_date(start), n))
    if duration.unit == DAYS:
        return end_of_day(local_date(start) + dt.timedelta(days=n))
    if duration.unit == HOURS:
        return start + dt.timedelta(hours=n)
    return _add_work_hours(start, n, calendar, WorkHours.from_settings(settings or {}))


def _add_work_hours(start: dt.datetime, hours: int, calendar: WorkCalendar, window: WorkHours) -> dt.datetime:
    """``hours`` counted inside the working window of working days, from ``start`` on."""
    left = dt.timedelta(hours=hours)
    moment = start.astimezone(TZ)
    day = moment.date()
    for _ in range(3660 * 2):
        if calendar.is_workday(day):
            opens = dt.datetime.combine(day, window.start, tzinfo=TZ)
            closes = dt.datetime.combine(day, window.end, tzinfo=TZ)
            begin = max(moment, opens)
            if begin < closes:
                if begin + left <= closes:
                    return begin + left
                left -= closes - begin
        day += dt.timedelta(days=1)
        moment = dt.datetime.combine(day, dt.time.min, tzinfo=TZ)
    raise ValueError("work hours: no end within ten years")


def extend(
    due_at: dt.datetime, duration: Duration, calendar: WorkCalendar, settings: dict | None = None
) -> dt.datetime:
    """A deadline moved by ``duration`` (an approved extension, 002 篇1 第十一条(三))."""
    return due(due_at, duration, calendar, settings)


# --- how late, how much left ---------------------------------------------------------------


def late_workdays(due_at: dt.datetime, moment: dt.datetime, calendar: WorkCalendar) -> int:
    """How many working days ``moment`` is past ``due_at`` (at least 1 when it is past at all)."""
    if moment <= due_at:
        return 0
    return max(1, calendar.workdays_between(local_date(due_at), local_date(moment)))


def remaining_workdays(due_at: dt.datetime, now: dt.datetime, calendar: WorkCalendar) -> int:
    """Working days left after today until the due day (0: due today); negative when late."""
    if now > due_at:
        return -late_workdays(due_at, now, calendar)
    return calendar.workdays_between(local_date(now), local_date(due_at))


def _hours(delta: dt.timedelta) -> int:
    """Whole hours, rounded up: 1 minute late is 1 hour late."""
    return -(-int(delta.total_seconds()) // 3600)


@dataclass(frozen=True)
class Reading:
    """A step's clock as a page shows it: late by, or left, in the step's own unit."""

    unit: str  # workdays for day-based clocks, hours for hour-based ones
    late_by: int  # 0 when not late
    remaining: int | None  # None when done or late; 0: due today (days) / within the hour (hours)
    done: bool


def read(
    due_at: dt.datetime, done_at: dt.datetime | None, now: dt.datetime, unit: str, calendar: WorkCalendar
) -> Reading:
    """Due, remaining or late by: working days for day clocks, hours for hour clocks."""
    hourly = unit in (HOURS, WORK_HOURS)
    shown = HOURS if hourly else WORKDAYS
    if done_at is not None:
        late = _hours(done_at - due_at) if hourly else late_workdays(due_at, done_at, calendar)
        return Reading(shown, max(late, 0), None, True)
    if now > due_at:
        late = _hours(now - due_at) if hourly else late_workdays(due_at, now, calendar)
        return Reading(shown, late, None, False)
    left = (
        int((due_at - now).total_seconds()) // 3600 if hourly else remaining_workdays(due_at, now, calendar)
    )
    return Reading(shown, 0, left, False)


# --- escalation of reminder notices (R5.3) ---------------------------------------------------

ESCALATION_KEYS = (None, "escalation.manager_after_workdays", "escalation.gm_after_workdays")


def escalation_thresholds(due_at: dt.datetime, settings: dict, calendar: WorkCalendar) -> list[dt.datetime]:
    """When each reminder level becomes due: level 0 when the step is overdue, level 1 (manager)
    and level 2 (GM) once it is still overdue after 1 and 2 more working days (R5.3), whatever
    the step's own unit. The sweep also waits a working day after the level below went out
    (``sweep.escalation_since``), which a sweep that runs every few minutes always has."""
    out = [due_at]
    for key in ESCALATION_KEYS[1:]:
        out.append(end_of_day(calendar.add_workdays(local_date(due_at), int(settings[key]))))
    return out


def reached_levels(
    due_at: dt.datetime, now: dt.datetime, settings: dict, calendar: WorkCalendar
) -> list[int]:
    """Reminder levels whose time has come at ``now`` (empty when the step is not overdue)."""
    return [level for level, at in enumerate(escalation_thresholds(due_at, settings, calendar)) if now > at]


MAX_CUTOFF_SEARCH_DAYS = 3660


def level_cutoffs(now: dt.datetime, settings: dict, calendar: WorkCalendar) -> list[dt.datetime]:
    """For each reminder level, the due time before which a step has reached it at ``now``.

    ``due_at < level_cutoffs(now, ...)[n]`` if and only if ``n in reached_levels(due_at, now, ...)``,
    so the sweep decides the levels of all its steps in SQL. Level 0 is ``now``. A higher level's
    threshold depends only on the due day and never decreases with it (``add_workdays`` is
    monotonic), so the days that reached it are those up to the last day ``d`` with
    ``now > end of (d + k working days)``; the cut-off is midnight after that day.
    """
    out = [now]
    today = local_date(now)
    for key in ESCALATION_KEYS[1:]:
        days = int(settings[key])
        day = today
        for _ in range(MAX_CUTOFF_SEARCH_DAYS):
            if now > end_of_day(calendar.add_workdays(day, days)):
                break
            day -= dt.timedelta(days=1)
        else:  # only with an escalation of years: cut off ten years back
            day -= dt.timedelta(days=1)
        out.append(start_of_day(day + dt.timedelta(days=1)))
    return out

"""Working-day arithmetic for mainland China (R5.1).

Sources in order of precedence: the admin's ``CalendarDay`` table, then the
``chinese-calendar`` package for the years it publishes, then Monday-Friday
for any year neither covers (the admin dashboard reports such years).

``WorkCalendar`` is a pure value object: build it once (one query) and pass
it to the deadline functions, which never touch the database or the clock.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import chinese_calendar

TZ = ZoneInfo("Asia/Shanghai")  # every local date and working day of kefu

MAX_SPAN_DAYS = 3660  # refuse absurd requests instead of looping for ever
CACHE_SECONDS = 30.0
_cached: tuple[float, WorkCalendar] | None = None


def package_years() -> range:
    """Years that the installed chinese-calendar package publishes."""
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    return range(years[0], years[-1] + 1)


_PACKAGE_YEARS = package_years()


@dataclass(frozen=True)
class WorkCalendar:
    overrides: dict[dt.date, bool] = field(default_factory=dict)

    @classmethod
    def load(cls) -> WorkCalendar:
        from .models import CalendarDay

        return cls(dict(CalendarDay.objects.values_list("date", "is_workday")))

    @classmethod
    def cached(cls) -> WorkCalendar:
        """``load()`` kept per process for ``CACHE_SECONDS`` (intake, sweep); saving or deleting a
        ``CalendarDay`` drops it at once in this process (signals, ``kefu.core.apps``)."""
        global _cached
        if _cached is None or time.monotonic() - _cached[0] >= CACHE_SECONDS:
            _cached = (time.monotonic(), cls.load())
        return _cached[1]

    def admin_years(self) -> set[int]:
        return {d.year for d in self.overrides}

    def covers(self, year: int) -> bool:
        return year in _PACKAGE_YEARS or year in self.admin_years()

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in _PACKAGE_YEARS:
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def add_workdays(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (``start`` itself never counts).

        ``days == 0`` gives ``start`` if it is a working day, else the next one.
        Negative ``days`` count backwards.
        """
        if abs(days) > MAX_SPAN_DAYS:
            raise ValueError(f"days: at most {MAX_SPAN_DAYS} in either direction")
        if days == 0:
            day = start
            while not self.is_workday(day):
                day += dt.timedelta(days=1)
            return day
        step = dt.timedelta(days=1 if days > 0 else -1)
        remaining = abs(days)
        day = start
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end == start:
            return 0
        sign = 1 if end > start else -1
        lo, hi = (start, end) if sign > 0 else (end, start)
        count = 0
        day = lo
        while day < hi:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return sign * count


def invalidate(**_) -> None:
    """Forget this process's calendar (a ``CalendarDay`` was saved or deleted)."""
    global _cached
    _cached = None


def missing_years(calendar: WorkCalendar, years: range) -> list[int]:
    return [y for y in years if not calendar.covers(y)]

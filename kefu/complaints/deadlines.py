"""Deadlines of a complaint: pure functions of (event time, settings, calendar) (STYLE 4, R5.2).

No ORM and no clock here: callers pass ``config.snapshot()`` and a
``WorkCalendar`` in, so tests use tables of dates.

A deadline "N working days after" a moment falls at the end of that working
day (23:59:59 Asia/Shanghai); a case deadline "N calendar days after
registration" at the end of that calendar day.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from kefu.core.workcalendar import WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")
END_OF_DAY = dt.time(23, 59, 59)


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=TZ)


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


def case_days(region: str, settings: dict) -> int:
    return int(settings["case_days_foreign" if region == "foreign" else "case_days_domestic"])


def case_due(registered_at: dt.datetime, region: str, settings: dict) -> dt.datetime:
    """Whole case: 15 calendar days domestic / 20 foreign from registration (002 篇4 第十条)."""
    return end_of_day(local_date(registered_at) + dt.timedelta(days=case_days(region, settings)))


def answer_by(registered_at: dt.datetime, region: str, settings: dict) -> dt.date:
    """The date promised to the customer in the acknowledgement (R3.5, 000 5.3.3)."""
    key = "ack_answer_days_foreign" if region == "foreign" else "ack_answer_days_domestic"
    return local_date(registered_at) + dt.timedelta(days=int(settings[key]))


def workdays_due(started_at: dt.datetime, days: int, calendar: WorkCalendar) -> dt.datetime:
    """End of the ``days``-th working day after the start day (2026-09-30 + 1 -> 2026-10-08)."""
    return end_of_day(calendar.add_workdays(local_date(started_at), days))


def step_days(step: str, severity: str, settings: dict) -> int:
    """Working days allowed for a step; a severity-specific key wins (``step_days.countermeasure.major``)."""
    specific = f"step_days.{step}.{severity}"
    if specific in settings:
        return int(settings[specific])
    return int(settings[f"step_days.{step}"])


def step_due(
    step: str, started_at: dt.datetime, severity: str, settings: dict, calendar: WorkCalendar
) -> dt.datetime:
    return workdays_due(started_at, step_days(step, severity, settings), calendar)


# --- workflow (issue 4): extensions, escalation, lateness, the working-day clock ---

ESCALATION_KEYS = (None, "escalation.manager_after_workdays", "escalation.gm_after_workdays")


def extended_due(due_at: dt.datetime, days: int, calendar: WorkCalendar) -> dt.datetime:
    """A step's deadline moved by ``days`` working days (002 篇1 第十一条(三))."""
    return workdays_due(due_at, days, calendar)


def escalation_thresholds(due_at: dt.datetime, settings: dict, calendar: WorkCalendar) -> list[dt.datetime]:
    """When each reminder level becomes due: level 0 when the step is overdue, level 1 (manager)
    and level 2 (GM) once it is still overdue after 1 and 2 more working days (R5.3)."""
    out = [due_at]
    for key in ESCALATION_KEYS[1:]:
        out.append(workdays_due(due_at, int(settings[key]), calendar))
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
    ``now > workdays_due(d, k)``; the cut-off is midnight after that day.
    """
    out = [now]
    today = local_date(now)
    for key in ESCALATION_KEYS[1:]:
        days = int(settings[key])
        day = today
        for _ in range(MAX_CUTOFF_SEARCH_DAYS):
            if now > workdays_due(end_of_day(day), days, calendar):
                break
            day -= dt.timedelta(days=1)
        else:  # only with an escalation of years: cut off ten years back
            day -= dt.timedelta(days=1)
        out.append(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=TZ))
    return out


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

"""The engine's three clocks on China's calendar (issue 12): working days, calendar days, clock hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kefu.core.workcalendar import WorkCalendar
from kefu.flow import clocks
from kefu.flow.clocks import Duration

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()


def at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def eod(y, m, d):
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=TZ)


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        # 48 clock hours run through the weekend (000 4.5: the 8D reply)
        (at(2026, 11, 6, 16), "48 hours", at(2026, 11, 8, 16)),
        # ... and through National Day (10-01..10-07)
        (at(2026, 9, 30, 9), "48 hours", at(2026, 10, 2, 9)),
        (at(2026, 9, 30, 9), "48h", at(2026, 10, 2, 9)),
        # 24 hours: a car owner's answer (004), the revision of a report sent back (000 4.7)
        (at(2026, 11, 7, 23, 30), "24 hours", at(2026, 11, 8, 23, 30)),
        # 5 calendar days over a holiday: the holiday counts
        (at(2026, 9, 29), "5 days", eod(2026, 10, 4)),
        (at(2026, 9, 29), "5 天", eod(2026, 10, 4)),
        # working days skip National Day; the adjusted Saturday 10-10 is a working day
        (at(2026, 9, 30), "1 workdays", eod(2026, 10, 8)),
        (at(2026, 10, 9), "1 workday", eod(2026, 10, 10)),
        (at(2026, 9, 30), "3 工作日", eod(2026, 10, 10)),
        (at(2026, 9, 30), 3, eod(2026, 10, 10)),  # a bare number: working days, as the older settings
        # working hours (08:30-17:30 on working days): Friday 16:00 + 4 h = 1.5 h Friday + 2.5 h Monday: 11:00
        (at(2026, 11, 6, 16), "4 work_hours", at(2026, 11, 9, 11, 0)),
        # from before opening: the day starts at 08:30; 9 h fill exactly one working day
        (at(2026, 11, 9, 7), "9 work hours", at(2026, 11, 9, 17, 30)),
        # across National Day: 09-30 17:00 + 2 h = 10-08 09:30
        (at(2026, 9, 30, 17), "2 work_hours", at(2026, 10, 8, 10, 0)),
    ],
)
def test_due_times_on_each_clock(start, duration, due):
    assert clocks.due(start, Duration.parse(duration), CAL, {}) == due


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("3 workdays", 3, "workdays"),
        ("1 working day", 1, "workdays"),
        ("7 days", 7, "days"),
        ("7 calendar days", 7, "days"),
        ("48 hours", 48, "hours"),
        ("48 H", 48, "hours"),
        ("24小时", 24, "hours"),
        ("8 work_hours", 8, "work_hours"),
        ({"amount": 2, "unit": "days"}, 2, "days"),
        (5, 5, "workdays"),
    ],
)
def test_durations_read_the_seeds_wording(text, amount, unit):
    assert Duration.parse(text) == Duration(amount, unit)


@pytest.mark.parametrize("text", ["", "soon", "3 weeks", "-1 days", True, "99999999 hours"])
def test_a_duration_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        Duration.parse(text)


def test_working_hours_come_from_the_settings():
    settings = {"clock.workday_start": "09:00", "clock.workday_end": "12:00"}
    assert clocks.due(at(2026, 11, 9, 11), Duration(2, "work_hours"), CAL, settings) == at(2026, 11, 10, 10)


def test_an_admin_calendar_day_wins_for_every_day_clock():
    cal = WorkCalendar({dt.date(2026, 11, 9): False})  # a plant holiday on Monday
    assert clocks.due(at(2026, 11, 6), Duration(1, "workdays"), cal) == eod(2026, 11, 10)
    assert clocks.due(at(2026, 11, 6, 16), Duration(2, "work_hours"), cal) == at(2026, 11, 10, 9, 0)
    assert clocks.due(at(2026, 11, 6, 16), Duration(48, "hours"), cal) == at(2026, 11, 8, 16)


@pytest.mark.parametrize(
    ("due_at", "now", "unit", "reading"),
    [
        (at(2026, 11, 8, 16), at(2026, 11, 8, 13), "hours", (0, 3)),
        (at(2026, 11, 8, 16), at(2026, 11, 8, 16, 1), "hours", (1, None)),
        (at(2026, 11, 8, 16), at(2026, 11, 9, 17), "hours", (25, None)),
        (eod(2026, 11, 5), at(2026, 11, 2), "workdays", (0, 3)),
        (eod(2026, 11, 5), at(2026, 11, 5), "workdays", (0, 0)),
        (eod(2026, 11, 6), at(2026, 11, 9), "workdays", (1, None)),  # the weekend is not late
        (eod(2026, 9, 30), at(2026, 10, 8), "days", (1, None)),
    ],
)
def test_the_clock_reads_late_by_or_left_in_the_steps_unit(due_at, now, unit, reading):
    r = clocks.read(due_at, None, now, unit, CAL)
    assert (r.late_by, r.remaining) == reading

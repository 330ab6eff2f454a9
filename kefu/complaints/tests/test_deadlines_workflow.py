"""Deadlines of the workflow steps on the working-day clock (R5.1, R5.2; SPEC section 4)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from kefu.complaints.apps import CASE_DAY_PRESETS
from kefu.complaints.services import take_action
from kefu.complaints.tests.workflow_factory import TZ, complaint, steps, walk_to
from kefu.complaints.workflow import FLOW
from kefu.core import config
from kefu.core.models import Setting
from kefu.core.workcalendar import WorkCalendar
from kefu.flow import clocks, engine

CAL = WorkCalendar()
SETTINGS = dict(config.DEFAULTS)


def step_days(step: str, severity: str, settings: dict = SETTINGS) -> int:
    """The step's duration in working days for a complaint of this severity (from the settings)."""
    duration = engine.duration_of(FLOW, FLOW.steps[step], SimpleNamespace(severity=severity), settings)
    assert duration.unit == "workdays"
    return duration.amount


def step_due(step: str, start, severity: str) -> dt.datetime:
    duration = engine.duration_of(FLOW, FLOW.steps[step], SimpleNamespace(severity=severity), SETTINGS)
    return clocks.due(start, duration, CAL, SETTINGS)


def at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def eod(y, m, d):
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=TZ)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (at(2026, 9, 30), eod(2026, 10, 8)),  # National Day 10-01..10-07
        (at(2026, 10, 9), eod(2026, 10, 10)),  # Friday + 1 = the adjusted working Saturday
        (at(2026, 11, 6), eod(2026, 11, 9)),  # Friday + 1 = Monday
        (at(2026, 11, 7, 23, 30), eod(2026, 11, 9)),  # from a Saturday evening
    ],
)
def test_one_working_day_steps_on_the_spec_holiday_examples(start, due):
    for step in ("assign", "proposal", "synthesis", "approval", "reply"):
        assert step_due(step, start, "general") == due


@pytest.mark.parametrize(
    ("step", "severity", "days"),
    [
        ("assign", "general", 1),
        ("investigation", "serious", 3),
        ("countermeasure", "general", 1),
        ("countermeasure", "major", 3),
        ("countermeasure", "serious", 3),
        ("rd_opinion", "general", 2),
        ("proposal", "major", 1),
        ("synthesis", "general", 1),
        ("approval", "general", 1),
        ("reply", "general", 1),
    ],
)
def test_default_working_days_per_step(step, severity, days):
    assert step_days(step, severity) == days


def test_investigation_started_before_national_day_is_due_on_the_adjusted_saturday():
    # 09-30 + 3 working days: 10-08, 10-09, 10-10 (adjusted Saturday)
    assert step_due("investigation", at(2026, 9, 30), "general") == eod(2026, 10, 10)


def test_the_action_stores_the_next_deadline_from_the_calendar(org):
    c = complaint(org, now=at(2026, 9, 29, 9))
    assert c.due_at == eod(2026, 9, 30)
    take_action(c.number, "assign", by=org["gmoffice"], now=at(2026, 9, 30, 16))
    step = steps(c).get(code="investigation")
    assert step.started_at == at(2026, 9, 30, 16) and step.due_at == eod(2026, 10, 10)
    c.refresh_from_db()
    assert c.status == "investigating" and c.due_at == step.due_at


def test_countermeasure_of_a_major_complaint_gets_three_working_days(org):
    c = complaint(org, severity="major", now=at(2026, 11, 2, 9))
    walk_to(org, c, "countermeasure", now=at(2026, 11, 2, 9))
    step = steps(c).get(code="countermeasure")
    assert step.due_at == eod(2026, 11, 5)


def test_step_days_are_settings_an_admin_edits(org):
    Setting.objects.create(key="due.complaint.investigation", value="5 workdays")
    c = complaint(org, now=at(2026, 11, 2, 9))
    take_action(c.number, "assign", by=org["gmoffice"], now=at(2026, 11, 2, 9))
    assert steps(c).get(code="investigation").due_at == eod(2026, 11, 9)


@pytest.mark.parametrize(
    ("region", "preset", "due"),
    [
        ("domestic", None, eod(2026, 11, 17)),
        ("foreign", None, eod(2026, 11, 22)),
        ("domestic", "002 篇15", eod(2026, 11, 15)),
        ("foreign", "002 篇15", eod(2026, 11, 19)),
    ],
)
def test_case_deadline_15_20_calendar_days_or_the_13_17_preset(org, region, preset, due):
    if preset:
        for key, value in CASE_DAY_PRESETS[preset].items():
            Setting.objects.create(key=key, value=value)
    c = complaint(org, now=at(2026, 11, 2, 9), region=region, code=f"C-{region}")
    assert c.case_due_at == due


def test_escalation_thresholds_count_working_days_after_the_deadline():
    # due Friday 10-09: manager after Saturday 10-10 (a working day), GM after Monday 10-12
    assert clocks.escalation_thresholds(eod(2026, 10, 9), SETTINGS, CAL) == [
        eod(2026, 10, 9),
        eod(2026, 10, 10),
        eod(2026, 10, 12),
    ]
    assert clocks.reached_levels(eod(2026, 10, 9), at(2026, 10, 9, 20), SETTINGS, CAL) == []
    assert clocks.reached_levels(eod(2026, 10, 9), at(2026, 10, 10, 9), SETTINGS, CAL) == [0]
    assert clocks.reached_levels(eod(2026, 10, 9), at(2026, 10, 11, 9), SETTINGS, CAL) == [0, 1]
    assert clocks.reached_levels(eod(2026, 10, 9), at(2026, 10, 13, 9), SETTINGS, CAL) == [0, 1, 2]


def test_the_working_day_clock():
    due = eod(2026, 9, 30)
    assert clocks.remaining_workdays(due, at(2026, 9, 30), CAL) == 0  # due today
    assert (
        clocks.remaining_workdays(eod(2026, 10, 8), at(2026, 9, 30), CAL) == 1
    )  # the holiday does not count
    assert clocks.late_workdays(due, at(2026, 10, 8), CAL) == 1
    assert clocks.late_workdays(due, at(2026, 10, 12), CAL) == 4  # 10-08, 10-09, 10-10, 10-12
    assert clocks.remaining_workdays(due, at(2026, 10, 12), CAL) == -4
    assert clocks.late_workdays(due, due, CAL) == 0


def test_extension_moves_by_working_days():
    assert clocks.extend(eod(2026, 9, 30), clocks.Duration(2, "workdays"), CAL) == eod(2026, 10, 9)

"""Advance notices (``kefu.flow.notices``): the time before a date on China's calendar, and the
notice pass leaving the reminder sweep alone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kefu.core.workcalendar import WorkCalendar
from kefu.flow import notices
from kefu.flow.models import Notice

TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=9, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


@pytest.mark.parametrize(
    ("moment", "duration", "expected"),
    [
        (at(2026, 11, 9), "2 workdays", at(2026, 11, 5)),  # Monday -> Thursday, the weekend skipped
        (at(2026, 11, 9), "1 workdays", at(2026, 11, 6)),  # Monday -> Friday
        (at(2026, 10, 9), "2 workdays", at(2026, 9, 30)),  # after National Day -> before it
        (at(2026, 10, 12), "1 workdays", at(2026, 10, 10)),  # the adjusted working Saturday
        (at(2026, 11, 16), "7 days", at(2026, 11, 9)),  # a calendar week
        (at(2026, 11, 9, 16), "1 hours", at(2026, 11, 9, 15)),
        (at(2026, 11, 9, 0, 30), "1 hours", at(2026, 11, 8, 23, 30)),
    ],
)
def test_before_counts_back_on_chinas_calendar(moment, duration, expected):
    assert notices.before(moment, duration, WorkCalendar()) == expected


def test_before_refuses_a_bad_duration():
    with pytest.raises(ValueError):
        notices.before(at(2026, 11, 9), "soon", WorkCalendar())


@pytest.mark.django_db
def test_the_pass_with_nothing_due_only_reads(django_assert_max_num_queries):
    Notice.objects.create(
        record_type="nowhere",
        record_id=1,
        record_key="X-1",
        code="x",
        about=at(2026, 11, 9),
        at=at(2026, 11, 5),
    )
    with django_assert_max_num_queries(3):  # the read, and the savepoint of its transaction
        result = notices.send_due(now=at(2026, 11, 4))
    assert (result.sent, result.skipped) == (0, 0)
    result = notices.send_due(now=at(2026, 11, 6))  # a record type no longer known: marked, no mail
    assert (result.sent, result.skipped) == (0, 1)
    assert Notice.objects.get().skipped == "gone"

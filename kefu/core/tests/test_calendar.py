"""R5.1: working days of mainland China, the admin table and the Monday-Friday fallback."""

import datetime as dt

import pytest

from kefu.core.models import CalendarDay
from kefu.core.workcalendar import WorkCalendar, missing_years

D = dt.date


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (D(2026, 9, 30), 1, D(2026, 10, 8)),  # National Day 10-01..10-07 (SPEC worked example)
        (D(2026, 10, 9), 1, D(2026, 10, 10)),  # adjusted working Saturday (SPEC worked example)
        (D(2026, 10, 10), 1, D(2026, 10, 12)),  # Sunday 10-11 is a normal weekend day
        (D(2026, 11, 27), 1, D(2026, 11, 30)),  # Friday -> Monday
        (D(2026, 11, 30), 3, D(2026, 12, 3)),  # across a month boundary
        (
            D(2026, 12, 31),
            1,
            D(2027, 1, 1),
        ),  # unpublished year: Mon-Fri fallback knows no New Year (a Friday)
        (D(2026, 10, 8), -1, D(2026, 9, 30)),  # backwards over the holiday
        (D(2026, 10, 3), 0, D(2026, 10, 8)),  # zero days on a holiday: the next working day
        (D(2026, 10, 8), 0, D(2026, 10, 8)),
    ],
)
def test_add_workdays_follows_the_statutory_calendar(start, days, expected):
    assert WorkCalendar().add_workdays(start, days) == expected


def test_adjusted_saturday_is_a_workday_and_holiday_weekday_is_not():
    cal = WorkCalendar()
    assert cal.is_workday(D(2026, 10, 10)) is True  # Saturday, 调休上班
    assert cal.is_workday(D(2026, 10, 5)) is False  # Monday in the National Day holiday
    assert cal.is_workday(D(2026, 10, 11)) is False  # plain Sunday


@pytest.mark.django_db
def test_admin_calendar_table_wins_over_the_package():
    # The package says 2026-10-09 (Fri) is a working day and 10-10 (Sat) is adjusted working.
    CalendarDay.objects.create(date=D(2026, 10, 9), is_workday=False, name="公司停电")
    CalendarDay.objects.create(date=D(2026, 10, 10), is_workday=False, name="调休取消")
    cal = WorkCalendar.load()
    assert cal.is_workday(D(2026, 10, 9)) is False
    assert cal.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert cal.add_workdays(D(2026, 10, 8), 1) == D(2026, 10, 12)


@pytest.mark.django_db
def test_unpublished_year_falls_back_to_monday_to_friday_until_the_admin_enters_it():
    cal = WorkCalendar.load()
    assert 2027 in missing_years(cal, range(2026, 2028))
    assert cal.is_workday(D(2027, 2, 8)) is True  # a Monday; no data for 2027 Spring Festival yet
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=D(2027, 2, 6) + dt.timedelta(days=i), is_workday=False, name="春节")
            for i in range(9)
        ]
    )
    cal = WorkCalendar.load()
    assert missing_years(cal, range(2026, 2028)) == []
    assert cal.is_workday(D(2027, 2, 8)) is False
    assert cal.add_workdays(D(2027, 2, 5), 1) == D(2027, 2, 15)


def test_workdays_between_counts_the_holiday_gap():
    cal = WorkCalendar()
    assert cal.workdays_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert cal.workdays_between(D(2026, 10, 8), D(2026, 9, 30)) == -1
    assert cal.workdays_between(D(2026, 10, 8), D(2026, 10, 8)) == 0


def test_absurd_spans_are_refused():
    with pytest.raises(ValueError, match="days"):
        WorkCalendar().add_workdays(D(2026, 1, 1), 100000)


@pytest.mark.django_db
class TestCalendarApi:
    def test_add_workdays_worked_examples(self, api):
        client = api("quality")
        r = client.get("/api/v1/calendar/add-workdays", {"start": "2026-09-30", "days": 1})
        assert r.status_code == 200 and r.json() == {"date": "2026-10-08"}
        r = client.get("/api/v1/calendar/add-workdays", {"start": "2026-10-09", "days": 1})
        assert r.json() == {"date": "2026-10-10"}

    def test_is_workday(self, api):
        client = api("quality")
        assert client.get("/api/v1/calendar/is-workday", {"date": "2026-10-10"}).json()["workday"] is True
        assert client.get("/api/v1/calendar/is-workday", {"date": "2026-10-01"}).json()["workday"] is False

    def test_impossible_date_is_a_400_naming_the_field(self, api):
        r = api("quality").get("/api/v1/calendar/add-workdays", {"start": "2026-02-30", "days": 1})
        assert r.status_code == 400
        assert "start" in r.json()["detail"]

    def test_non_integer_days_is_refused(self, api):
        r = api("quality").get("/api/v1/calendar/add-workdays", {"start": "2026-09-30", "days": "x"})
        assert r.status_code == 400 and "days" in r.json()["detail"]

    def test_huge_days_is_refused(self, api):
        r = api("quality").get("/api/v1/calendar/add-workdays", {"start": "2026-09-30", "days": 999999})
        assert r.status_code == 400 and r.json()["detail"].startswith("days:")

    def test_no_token_is_401(self, client):
        r = client.get("/api/v1/calendar/is-workday", {"date": "2026-10-10"})
        assert r.status_code == 401
        assert "detail" in r.json()

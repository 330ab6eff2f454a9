"""Intake cost (docs/performance.md): a POST answers from the rows it wrote, in a fixed number of queries."""

from __future__ import annotations

import pytest

from kefu.core import config
from kefu.core.models import Setting

from .test_api_intake import URL, body, customers, media  # noqa: F401  (fixtures)

# customer, savepoint, serial (UPDATE ... RETURNING), complaint, step, audit rows, release
# (+ the token when this process has not seen it for auth.CACHE_SECONDS, + settings, calendar and
# departments when this process's copies are stale, + one INSERT per attachment)
QUERIES = 7


def test_intake_runs_a_fixed_number_of_queries(api, customers, django_assert_num_queries):  # noqa: F811
    client = api("sales")
    client.post(URL, body(), content_type="application/json")  # token, settings, calendar cached
    for _ in range(3):
        with django_assert_num_queries(QUERIES):
            r = client.post(URL, body(), content_type="application/json")
        assert r.status_code == 201


def test_the_answer_is_the_detail_the_api_shows_afterwards(api, customers):  # noqa: F811
    r = api("sales").post(URL, body(), content_type="application/json")
    assert r.status_code == 201
    created = r.json()
    again = api("sales").get(f"{URL}/{created['number']}").json()
    assert created == again
    assert [e["action"] for e in created["history"]] == ["register", "acknowledge"]


def test_a_saved_setting_is_seen_at_once_in_this_process(org):
    assert config.snapshot()["due.complaint.case.domestic"] == "15 days"
    Setting.objects.update_or_create(key="due.complaint.case.domestic", defaults={"value": "13 days"})
    assert config.snapshot()["due.complaint.case.domestic"] == "13 days"
    Setting.objects.filter(key="due.complaint.case.domestic").delete()
    assert config.snapshot()["due.complaint.case.domestic"] == "15 days"


@pytest.mark.django_db
def test_a_saved_calendar_day_is_seen_at_once_in_this_process():
    import datetime as dt

    from kefu.core.models import CalendarDay
    from kefu.core.workcalendar import WorkCalendar

    day = dt.date(2027, 2, 8)  # a Monday of a year the package does not publish
    assert WorkCalendar.cached().is_workday(day) is True
    CalendarDay.objects.create(date=day, is_workday=False, name="春节")
    assert WorkCalendar.cached().is_workday(day) is False
    CalendarDay.objects.filter(date=day).delete()
    assert WorkCalendar.cached().is_workday(day) is True

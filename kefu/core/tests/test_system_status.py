"""R5.1: the admin is told when the calendar has no data for a year that deadlines reach."""

import datetime as dt

import pytest
import time_machine

from kefu.core.models import CalendarDay


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC))
def test_system_page_names_the_missing_year_until_the_admin_enters_it(page):
    client = page("admin")
    html = client.get("/system/").content.decode()
    assert "2027" in html and "/admin/core/calendarday/" in html
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, name="元旦")
    response = client.get("/system/")
    assert response.context["missing_years"] == []


@pytest.mark.django_db
def test_system_page_is_for_admins_only(page):
    assert page("quality").get("/system/").status_code == 302

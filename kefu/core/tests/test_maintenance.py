"""Planner statistics: refreshed on SQLite by the daily schedule and `kefu analyze`; autovacuum's on PostgreSQL."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django_q.models import Schedule

from kefu.core import maintenance


@pytest.mark.django_db
def test_the_nightly_schedule_is_installed_by_the_migrations():
    schedule = Schedule.objects.get(name=maintenance.STATISTICS_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        "kefu.core.maintenance.scheduled",
        Schedule.DAILY,
        -1,
    )


@pytest.mark.django_db
def test_analyze_writes_statistics_for_the_complaint_indexes_on_sqlite(org):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's statistics table")
    from kefu.complaints.tests.workflow_factory import complaint

    complaint(org)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("DELETE FROM sqlite_stat1")
    out = io.StringIO()
    call_command("analyze", stdout=out)
    assert out.getvalue().startswith("sqlite: ANALYZE done")
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'complaints_complaint'")
        indexes = {row[0] for row in cursor.fetchall()}
    assert {"complaint_recent_idx", "complaint_status_due_idx"} <= indexes


@pytest.mark.django_db
def test_postgresql_is_left_to_autovacuum_and_says_when_it_last_analyzed():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's autovacuum")
    assert maintenance.scheduled().startswith("postgresql: left to autovacuum (complaints last analyzed ")

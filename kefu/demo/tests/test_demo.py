"""Demo data (issue 3, part 8): the organisation, customers and a year of numbered complaints."""

import datetime as dt
import io
import random
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from kefu.complaints.models import Complaint
from kefu.customers.models import Customer
from kefu.demo import data as demo

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=TZ)


def test_customer_rows_are_reproducible_unique_and_partly_foreign():
    rows = demo.customer_rows(40, random.Random(7))
    assert rows == demo.customer_rows(40, random.Random(7))
    assert len({r["name"] for r in rows}) == len({r["code"] for r in rows}) == 40
    foreign = [r for r in rows if r["region"] == "foreign"]
    assert 3 <= len(foreign) <= 8
    assert {r["owner"] for r in rows} == {"sales", "sales2"}
    assert all(r["contacts"] and r["contacts"][0]["is_primary"] for r in rows)
    assert all(r["name"].endswith("有限公司") for r in rows if r["region"] == "domestic")


@pytest.mark.django_db
def test_demo_loads_users_customers_and_complaints_numbered_by_month():
    result = demo.load(customers=6, complaints=20, seed=1, now=NOW)
    assert (result.users, result.customers, result.complaints) == (len(demo.USERS), 6, 20)

    User = get_user_model()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(demo.DEMO_PASSWORD)
    assert admin.has_perm("customers.export_customer")
    assert User.objects.get(username="salesmgr").has_perm("customers.export_customer")
    assert not User.objects.get(username="sales").has_perm("customers.export_customer")
    sales = User.objects.get(username="sales")
    assert sales.get_full_name() == "林晓燕"  # family name first, no space
    assert set(sales.memberships.values_list("department__code", "role")) == {("sales", "clerk")}

    assert Customer.objects.count() == 6
    assert set(Customer.objects.values_list("owner__username", flat=True)) == {"sales", "sales2"}

    # The workflow demo may add follow-up complaints (reopened cases); the originals are ours.
    assert Complaint.objects.filter(parent__isnull=True).count() == 20
    complaints = list(Complaint.objects.all())
    serials = defaultdict(list)
    for c in complaints:
        local = c.registered_at.astimezone(TZ)
        assert NOW - dt.timedelta(days=demo.HISTORY_DAYS + 1) < c.registered_at < NOW
        assert c.period == local.year * 100 + local.month
        assert c.number == f"{c.period}-{c.serial:04d}"
        assert c.received_at <= c.registered_at
        assert c.title and c.description and c.case_due_at and c.answer_by
        serials[c.period].append(c.serial)
    # gap-free per month, and the originals numbered in the order of registration
    for period, numbers in serials.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), period
        by_time = Complaint.objects.filter(period=period, parent__isnull=True).order_by("registered_at", "id")
        assert [c.serial for c in by_time] == sorted(c.serial for c in by_time)


@pytest.mark.django_db
def test_demo_command_is_idempotent_and_adds_complaints_on_request():
    out = io.StringIO()
    call_command("demo", "--customers", "4", "--complaints", "20", stdout=out)
    assert "20 new complaints" in out.getvalue()
    assert f"password: {demo.DEMO_PASSWORD}" in out.getvalue() and "salesmgr" in out.getvalue()

    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "not loaded" in out.getvalue()
    # the demo survey's written comment is registered as a complaint too (channel survey)
    originals = Complaint.objects.filter(parent__isnull=True).exclude(channel="survey")
    assert originals.count() == 20
    assert Complaint.objects.filter(channel="survey").count() == 1

    call_command("demo", "--customers", "4", stdout=io.StringIO())
    assert (Customer.objects.count(), originals.count()) == (4, 20)

    call_command("demo", "--customers", "4", "--complaints", "5", "--no-workflow", stdout=io.StringIO())
    assert originals.count() == 25
    newest = originals.order_by("-id")[:5]
    assert {c.status for c in newest} == {"registered"}
    assert get_user_model().objects.count() == len(demo.USERS)


def _open_lateness(now):
    lateness = demo.lateness(now)
    late_steps = sum(lateness.late_steps.values())
    return lateness, late_steps


@pytest.mark.django_db
def test_default_demo_open_work_is_recent_and_mostly_on_time():
    # The engine walk (the default demo's path), smaller than the default size to stay quick.
    result = demo.load(customers=10, complaints=150, seed=5, now=NOW, bulk=False)
    assert result.workflow and not result.bulk

    lateness, late_steps = _open_lateness(NOW)
    assert lateness.open_steps >= 5  # the work lists are not empty
    assert late_steps <= 0.2 * lateness.open_steps, lateness.describe()
    assert max(lateness.late_steps, default=0) <= 5, lateness.describe()
    assert max(lateness.late_cases, default=0) <= 10, lateness.describe()
    # Old complaints are closed; the open ones are recent.
    stale = Complaint.objects.filter(closed_at__isnull=True, registered_at__lt=NOW - dt.timedelta(days=45))
    assert not stale.exists(), list(stale.values_list("number", "status"))
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert {"closed", "not_established"} <= statuses and len(statuses) >= 5, statuses
    # Registered over fifteen months, every step walked by the engine (audit row per action).
    first = Complaint.objects.order_by("registered_at").first().registered_at
    assert NOW - first > dt.timedelta(days=300)


def _check_histories(now):
    """Every complaint's steps and audit rows tell one consistent story (what the engine writes)."""
    from kefu.complaints.workflow import FLOW
    from kefu.core.models import AuditEvent
    from kefu.core.workcalendar import WorkCalendar
    from kefu.flow import clocks
    from kefu.flow.models import Inquiry, Step

    calendar = WorkCalendar.cached()
    closed = 0
    for c in Complaint.objects.all():
        rows = list(Step.objects.filter(record_type="complaint", record_id=c.pk).order_by("started_at", "id"))
        case = [s for s in rows if s.kind == "case"]
        steps = [s for s in rows if s.kind == "step"]
        assert len(case) == 1 and case[0].due_at == c.case_due_at
        assert steps[0].started_at == c.registered_at
        actions = [
            a
            for a in AuditEvent.objects.filter(object_type="complaint", object_id=c.number).values_list(
                "action", flat=True
            )
        ]
        assert actions[:2] == ["register", "acknowledge"], (c.number, actions)
        # One audit row per action that closed a step, and per action that did a task.
        specs = [FLOW.actions[a] for a in actions[2:] if a in FLOW.actions]
        main = [a for a in specs if a.closes_step and not a.task]
        assert len(main) == len([s for s in steps if s.done_at is not None]), (c.number, actions)
        tasks = [s for s in rows if s.kind == "task"]
        assert len([a for a in specs if a.task]) == len([s for s in tasks if s.done_at is not None])
        for task in tasks:
            assert task.done_at is None or task.started_at <= task.done_at < now
        previous = c.registered_at
        for s in steps:
            assert s.started_at == previous, (c.number, s.code)
            if s.extended == 0 and s.unit == clocks.WORKDAYS:
                assert s.due_at == clocks.due(s.started_at, clocks.Duration(s.allowed, s.unit), calendar)
            if s.done_at is None:
                break
            assert s.started_at <= s.done_at < now, (c.number, s.code)
            previous = s.done_at
        if c.is_open:
            assert [s for s in steps if s.done_at is None] == [steps[-1]], c.number
            assert c.due_at == steps[-1].due_at and c.closed_at is None
            assert case[0].done_at is None
        else:
            closed += 1
            assert steps[-1].done_at == c.closed_at == case[0].done_at and c.due_at is None, c.number
            # Inquiries at closing for what was late by then (tasks done later are not asked about).
            late = {s.pk for s in rows if s.done_at and s.due_at < s.done_at <= c.closed_at}
            assert set(Inquiry.objects.filter(record_id=c.pk).values_list("step_id", flat=True)) == late
    return closed


@pytest.mark.django_db
def test_many_complaints_copy_engine_histories_consistently(client):
    from kefu.core.models import Notification
    from kefu.flow.models import Inquiry, Reminder

    result = demo.load(customers=8, complaints=300, seed=9, now=NOW, bulk=True, templates=40)
    assert result.bulk and result.workflow and result.complaints == 300

    closed = _check_histories(NOW)
    assert closed >= 150
    # The templates' actions went through the engine, which queued notices; the copies' did not.
    walked = set(Notification.objects.filter(object_type="complaint").values_list("object_id", flat=True))
    copies = Complaint.objects.filter(closed_at__isnull=False).exclude(number__in=walked)
    assert copies.count() >= 100 and 0 < len(walked) <= 80
    assert Inquiry.objects.filter(answered_at__isnull=False).exists()
    lateness, late_steps = _open_lateness(NOW)
    assert late_steps <= 0.25 * lateness.open_steps and max(lateness.late_steps, default=0) <= 5
    overdue = lateness.open_steps and late_steps
    assert Reminder.objects.count() >= (1 if overdue else 0)

    # The pages render a copied case with its steps, its letter to the customer and its history.
    copied = copies.filter(status="closed", validity="valid").order_by("-registered_at").first()
    reply = copied.replies.get()
    assert reply.recorded_at < copied.closed_at  # closing waits for the customer's confirmation
    client.force_login(get_user_model().objects.get(username="gm"))
    page = client.get(f"/complaints/{copied.number}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert copied.number in html and reply.letter in html
    assert client.get("/work/").status_code == 200

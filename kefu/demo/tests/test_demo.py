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
        assert NOW - dt.timedelta(days=366) < c.registered_at < NOW
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
    originals = Complaint.objects.filter(parent__isnull=True)
    assert originals.count() == 20

    call_command("demo", "--customers", "4", stdout=io.StringIO())
    assert (Customer.objects.count(), originals.count()) == (4, 20)

    call_command("demo", "--customers", "4", "--complaints", "5", "--no-workflow", stdout=io.StringIO())
    assert originals.count() == 25
    newest = originals.order_by("-id")[:5]
    assert {c.status for c in newest} == {"registered"}
    assert get_user_model().objects.count() == len(demo.USERS)

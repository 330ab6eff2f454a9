"""Helpers of the customer tests: customers owned by ``sales`` and ``sales2``."""

import pytest
from django.utils import timezone

from kefu.customers import services


@pytest.fixture
def make_customer(org):
    """``make_customer("C1", owner="sales", **fields)``: created by salesmgr through the service."""

    def make(code: str, *, owner: str | None = "sales", name: str | None = None, contacts=None, **fields):
        return services.create_customer(
            by=org["salesmgr"],
            code=code,
            name=name or f"客户{code}",
            owner=org[owner] if owner else None,
            contacts=contacts,
            **fields,
        )

    return make


@pytest.fixture
def customers(make_customer):
    """C-S1 owned by sales, C-S2 owned by sales2."""
    return {
        "mine": make_customer(
            "C-S1", owner="sales", name="华东精密机械", contacts=[{"name": "李娜", "mobile": "13800000001"}]
        ),
        "theirs": make_customer("C-S2", owner="sales2", name="西南汽配", grade="A"),
    }


@pytest.fixture
def make_complaint(org):
    """A complaint row straight in the table (the complaint workflow is another module's job)."""
    from kefu.complaints.models import Complaint

    counter = {"n": 0}

    def make(customer, *, status="registered", title="划伤", received_at=None):
        counter["n"] += 1
        n = counter["n"]
        return Complaint.objects.create(
            number=f"202611-{n:04d}",
            period=202611,
            serial=n,
            customer=customer,
            region=customer.region,
            channel="phone",
            title=title,
            description="外观划伤",
            category="quality",
            severity="general",
            received_at=received_at or timezone.now(),
            status=status,
        )

    return make

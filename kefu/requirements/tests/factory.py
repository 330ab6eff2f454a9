"""Helpers of the requirement registers' tests: customers, an HSPM representative, a CSR, a cycle."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role as R
from kefu.customers.models import Customer
from kefu.flow import engine
from kefu.flow.models import Step
from kefu.requirements import services

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 11, 2, 10, 0, tzinfo=TZ)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

LIMITS = [
    {"regime": "rohs", "substance": "铅 Pb", "limit": "1000", "unit": "ppm", "source": "RoHS 2011/65/EU"},
    {"regime": "reach", "substance": "DEHP", "limit": "0.1", "unit": "%", "source": "REACH SVHC"},
    {
        "regime": "customer",
        "substance": "卤素 Cl",
        "limit": "900",
        "unit": "ppm",
        "source": "客户环保规范 E-01",
    },
]


def hspm(org):
    from kefu.core.org import create_user

    if "hspm" not in org:
        org["hspm"] = create_user(
            "hspm", password="x", memberships=[(D.QUALITY, R.HSPM_REP)], email="hspm@example.com"
        )
    return org["hspm"]


def customer(code="C001", owner=None) -> Customer:
    found = Customer.objects.filter(code=code).first()
    return found or Customer.objects.create(code=code, name=f"客户 {code}", owner=owner)


def requirement(
    org, *, departments=("quality", "production"), red_line=False, code="C001", now=MONDAY, **over
):
    data = dict(
        by=org["sales"],
        customer=customer(code, owner=org["sales"]),
        document={
            "title": "客户特殊要求手册",
            "number": "CSR-M-01",
            "revision": "C",
            "date": dt.date(2026, 10, 1),
        },
        clause="4.2",
        title="PPAP 等级 3",
        text="新零件按 PPAP 等级 3 提交",
        departments=list(departments),
        red_line=red_line,
        now=now,
    )
    data.update(over)
    return services.register_requirement(**data)


def act(record, action, user, data=None, now=None):
    return engine.perform(record, action, by=user, data=data or {}, now=now)


def open_rows(record_type, record):
    return Step.objects.filter(record_type=record_type, record_id=record.pk, done_at__isnull=True)


def with_limits(org, code="C001", now=MONDAY):
    """A customer with approved limits (an HSF customer), through a change cycle."""
    c = customer(code, owner=org["sales"])
    cycle = services.open_change_cycle(c, by=org["sales"], reason="首次收集", now=now)
    act(cycle, "collect", org["sales"], {"limits": LIMITS}, now=now)
    act(cycle, "identify", org["quality"], now=now)
    act(cycle, "approve", hspm(org), now=now)
    cycle.refresh_from_db()
    return c, cycle

"""Helpers of the audit tests: customers, a planned audit, the way through the flow."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from kefu.audits import services
from kefu.audits.models import Audit
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role as R
from kefu.flow import engine
from kefu.flow.models import Step

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 11, 2, 10, 0, tzinfo=TZ)  # a plain working week


def at(y, m, d, h=9, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def customer(code="C001", *, key=False, name=None, owner="sales"):
    """A customer owned by the salesman ``owner`` (a sales clerk sees only their own, R1.2)."""
    from django.contrib.auth import get_user_model

    from kefu.customers.models import Customer

    user = get_user_model().objects.filter(username=owner).first()
    c, _ = Customer.objects.get_or_create(
        code=code, defaults={"name": name or f"客户{code}", "is_key": key, "owner": user}
    )
    return c


def specialist(org):
    from kefu.core.org import create_user

    if "specialist" not in org:
        org["specialist"] = create_user(
            "specialist",
            password="x",
            memberships=[(D.QUALITY, R.SYSTEM_SPECIALIST)],
            email="spec@example.com",
        )
    return org["specialist"]


AUDIT_DAY = at(2026, 11, 9)  # a Monday


def plan(org, *, cust=None, audit_type="periodic", start=AUDIT_DAY, end=None, now=MONDAY, by="sales"):
    cust = cust or customer()
    return services.plan_audit(
        by=org[by],
        customer=cust,
        audit_type=audit_type,
        planned_start=start,
        planned_end=end or start + dt.timedelta(hours=8),
        departments=[
            {"department": "production", "manager": "王五"},
            {"department": "quality", "manager": "赵六"},
        ],
        auditors=[{"name": "Smith", "title": "SQE", "email": "smith@customer.example"}],
        scope="IATF 16949 过程审核",
        now=now,
    )


def act(a, action, user, data=None, now=None):
    return engine.perform(a, action, by=user, data=data or {}, now=now)


def meeting(**over):
    data = {"ours": ["王五", "赵六"], "customer": ["Smith"], "minutes": "审核范围确认"}
    data.update(over)
    return data


def rows(a, code):
    return Step.objects.filter(record_type="audit", record_id=a.pk, code=code)


def to_findings(org, a, *, now=None):
    now = now or a.planned_start
    act(a, "open_meeting", org["sales"], meeting(), now=now)
    act(a, "close_meeting", org["sales"], meeting(), now=now + dt.timedelta(hours=7))
    a.refresh_from_db()
    return a


def add_nc(org, a, text="首件检验记录缺失", department="production"):
    return services.add_nonconformity(
        a, by=org["sales"], description=text, department=department, clause="8.5.1"
    )


def reload(a) -> Audit:
    return Audit.objects.get(pk=a.pk)

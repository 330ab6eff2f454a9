"""A few customer audits for the demo (``kefu demo``): a key customer's audit next week with its
preparation meeting due, one on site today, a new customer's audit whose findings became 8Ds, and
a closed one. Loaded once (nothing when audits exist) through the services and the engine."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kefu.core.workcalendar import TZ
from kefu.flow import engine

from . import services
from .models import Audit

DEPARTMENTS = [
    {"department": "production", "manager": "吴海峰"},
    {"department": "quality", "manager": "周明辉"},
    {"department": "warehouse", "manager": "马强"},
]
AUDITORS = [
    {"name": "王雪", "title": "SQE", "email": ""},
    {"name": "Thomas Berg", "title": "Lead auditor", "email": ""},
]


def _day(now: dt.datetime, days: int, hour: int = 9) -> dt.datetime:
    local = timezone.localtime(now, TZ) + dt.timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def load(now: dt.datetime | None = None) -> str:
    """Add the demo audits unless there are audits already; returns what it did, in a line."""
    from kefu.customers.models import Customer

    if Audit.objects.exists():
        return "Customer audits: present already, none added."
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["sales", "quality"])}
    customers = list(Customer.objects.order_by("-is_key", "code")[:4])
    if len(users) < 2 or len(customers) < 4:
        return "Customer audits: no demo users or too few customers, none added."
    now = now or timezone.now()
    sales, quality = users["sales"], users["quality"]
    meeting = {
        "ours": ["吴海峰", "周明辉", "林晓燕"],
        "customer": ["王雪", "Thomas Berg"],
        "minutes": "确认审核范围与日程",
    }

    def plan(customer, audit_type, start, created):
        return services.plan_audit(
            by=sales, customer=customer, audit_type=audit_type, planned_start=start,
            planned_end=start + dt.timedelta(hours=8), departments=DEPARTMENTS, auditors=AUDITORS,
            scope="IATF 16949 过程审核; 客户特殊要求 (CSR)", now=created,
        )  # fmt: skip

    with transaction.atomic():
        # closed, three months ago, without findings: this customer is an existing one now
        old = plan(customers[3], "periodic", _day(now, -90), _day(now, -100))
        engine.perform(old, "open_meeting", by=sales, data=meeting, now=_day(now, -90))
        engine.perform(old, "close_meeting", by=sales, data=meeting, now=_day(now, -90, 16))
        engine.perform(old, "hand_over", by=sales, data={}, now=_day(now, -89))
        # a new customer's audit three weeks ago: two findings, their 8Ds opened by quality
        new = plan(customers[2], "new_customer", _day(now, -21), _day(now, -30))
        engine.perform(new, "open_meeting", by=sales, data=meeting, now=_day(now, -21))
        for text, dept in (("首件检验记录缺少签字", "production"), ("成品仓温湿度记录不完整", "warehouse")):
            services.add_nonconformity(
                new, by=sales, description=text, department=dept, clause="8.5.1", now=_day(now, -21, 14)
            )
        engine.perform(new, "close_meeting", by=sales, data=meeting, now=_day(now, -21, 16))
        engine.perform(new, "hand_over", by=sales, data={}, now=_day(now, -20))
        engine.perform(Audit.objects.get(pk=new.pk), "open_8ds", by=quality, data={}, now=_day(now, -20, 11))
        # on site today, the closing meeting at 16:00
        today = plan(customers[1], "csr", _day(now, 0), _day(now, -14))
        engine.perform(today, "open_meeting", by=sales, data=meeting, now=_day(now, 0))
        engine.perform(
            today,
            "schedule_closing",
            by=sales,
            data={"closing_at": _day(now, 0, 16).isoformat()},
            now=_day(now, 0, 10),
        )
        # next week, the first customer (a key customer in the demo when any is)
        plan(customers[0], "periodic", _day(now, 8), now)
    return "Customer audits: 4 added (next week, on site today, 8Ds under way, closed)."

"""Shared helpers of the workflow tests: a customer, a registered complaint, and the legal walk."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from kefu.complaints.services import register_complaint, take_action
from kefu.customers.models import Customer
from kefu.flow.models import Step

TZ = ZoneInfo("Asia/Shanghai")
# Monday 2026-11-02 09:00 in Shanghai: a plain working week, no holidays near.
MONDAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)

# The legal path through the table, state by state: (state before, action, user, payload).
WALK = [
    ("registered", "assign", "gmoffice", {}),
    (
        "investigating",
        "submit_investigation",
        "quality",
        {
            "cause": "burr on the edge",
            "valid": True,
            "needs_rd": False,
            "responsible_department": "production",
        },
    ),
    ("instruction", "instruct", "gm", {"instruction": "find the root cause, check the die"}),
    (
        "countermeasure",
        "submit_countermeasure",
        "production",
        {
            "analysis": "worn die",
            "action": "replace the die, 100% check",
            "unit": "stamping 2",
            "shift": "B",
            "operators": ["张三", "李四"],
            "production_date": "2026-10-20",
        },
    ),
    ("measure_review", "review_countermeasure", "dgm", {"approved": True, "opinion": "agreed"}),
    (
        "negotiation",
        "submit_proposal",
        "sales",
        {"handling": "allowance", "loss_amount": "3000.00", "customer_position": "wants 5%"},
    ),
    ("proposal_review", "review_proposal", "salesmgr", {"approved": True, "opinion": "fair"}),
    (
        "synthesis",
        "submit_synthesis",
        "gmoffice",
        {
            "opinion": "allowance is fair",
            "responsibility": [{"department": "production", "share": 100}],
            "tracking": True,
            "penalty": "bonus_deduction",
        },
    ),
    ("approval", "approve", "salesmgr", {"note": "ok"}),
    ("reply", "record_reply", "sales", {"letter": "Dear customer, ..."}),
    (
        "confirmation",
        "confirm_closing",
        "sales",
        {"via": "follow_up_call", "customer_accepts": True, "contact": "王经理"},
    ),
]
RD_STEP = ("rd_review", "submit_rd_opinion", "rd", {"opinion": "change the radius"})


def customer(code: str = "C001", region: str = "domestic", owner=None) -> Customer:
    found = Customer.objects.filter(code=code).first()
    return found or Customer.objects.create(code=code, name=f"客户 {code}", region=region, owner=owner)


def complaint(
    org, *, severity: str = "general", now: dt.datetime = MONDAY, region: str = "domestic", code="C001"
):
    return register_complaint(
        by=org["sales"],
        customer=customer(code, region, owner=org["sales"]),
        channel="phone",
        title="毛刺",
        description="edges have burrs",
        category="quality",
        severity=severity,
        received_at=now,
        now=now,
    )


def walk_to(
    org, c, state: str, *, now: dt.datetime | None = None, needs_rd: bool = False, loss: str | None = None
):
    """Advance ``c`` along the legal walk until it is in ``state``; returns the refreshed complaint."""
    for before, action, user, payload in path(needs_rd=needs_rd, loss=loss):
        c.refresh_from_db()
        if c.status == state:
            return c
        assert c.status == before, (c.status, before)
        take_action(c.number, action, by=org[user], payload=payload, now=now)
    c.refresh_from_db()
    assert c.status == state, (c.status, state)
    return c


def path(*, needs_rd: bool = False, loss: str | None = None):
    steps = []
    for before, action, user, payload in WALK:
        payload = dict(payload)
        if action == "submit_investigation":
            payload["needs_rd"] = needs_rd
        if action == "submit_proposal" and loss is not None:
            payload["loss_amount"] = loss
        steps.append((before, action, user, payload))
        if action == "review_countermeasure" and needs_rd:
            steps.append(RD_STEP)
    return steps


def steps(c):
    """The complaint's workflow steps (not its case deadline) in the engine's table."""
    return Step.objects.filter(record_type="complaint", record_id=c.pk, kind="step")


def open_step(c):
    return steps(c).get(done_at__isnull=True)

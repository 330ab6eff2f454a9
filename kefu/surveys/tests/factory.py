"""Helpers of the survey tests: customers with contacts, a plan, a round, answers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from kefu.customers.models import Contact, Customer
from kefu.flow import engine
from kefu.surveys import services
from kefu.surveys.models import Form

TZ = ZoneInfo("Asia/Shanghai")
DECEMBER = dt.datetime(2026, 12, 3, 10, 0, tzinfo=TZ)  # a Thursday: the plan for 2027 is due
JANUARY = dt.datetime(2027, 1, 4, 10, 0, tzinfo=TZ)  # a Monday: the first round of 2027
ITEMS = (
    "product_performance", "packing_transport", "on_time_delivery", "complaint_speed", "complaint_effectiveness",
    "service_attitude", "professional_knowledge", "onsite_service", "spare_parts_accuracy", "price",
)  # fmt: skip
WORKED_FIGURES = {
    "deliveries": 100,
    "on_time_deliveries": 95,
    "line_stops": 1,
    "excess_freight": 500,
    "total_freight": 10_000,
}


def customer(
    code: str, *, key: bool = False, owner=None, email: str | None = "buyer@{code}.example"
) -> Customer:
    c = Customer.objects.create(
        code=code, name=f"客户{code}", is_key=key, owner=owner, created_at=dt.datetime(2026, 1, 1, tzinfo=TZ)
    )
    if email:
        Contact.objects.create(customer=c, name="采购", email=email.format(code=code.lower()))
    return c


def all_items(value, **over) -> dict:
    return {code: over.get(code, value) for code in ITEMS}


def plan_and_round(org, *, key=("K1",), general=("G1", "G2"), month=1, now=JANUARY, plan_at=DECEMBER):
    owner = org["sales"]
    for code in key:
        customer(code, key=True, owner=owner)
    for code in general:
        customer(code, owner=owner)
    plan = services.make_plan(2027, by=org["sales"], now=plan_at)
    r = services.create_round_from_plan(plan, month, by=org["sales"], now=now)
    return plan, r


def form_of(r, code: str) -> Form:
    return Form.objects.select_related("customer", "round").get(round=r, customer__code=code, subject="ours")


def answer(org, r, code: str, answers: dict, *, comment: str = "", now=JANUARY) -> Form:
    token = services.issue_link(form_of(r, code), by=org["sales"], now=now)
    return services.submit_by_token(token, answers=answers, comment=comment, now=now + dt.timedelta(hours=1))


def act(r, action: str, user, data=None, now=None):
    r.refresh_from_db()
    return engine.perform(r, action, by=user, data=data or {}, now=now)

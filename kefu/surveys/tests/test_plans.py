"""The annual plan (R10.1): made in December, key customers quarterly and the others every six
months, nobody more than 12 months apart, coverage of the active customers against 90 %."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kefu.core.errors import Conflict, Invalid
from kefu.core.models import Setting
from kefu.surveys import plans, services
from kefu.surveys.models import Form, PlanLine
from kefu.surveys.tests.factory import DECEMBER, TZ, all_items, answer, customer

pytestmark = pytest.mark.django_db


def _lines(plan) -> dict:
    return {ln.customer.code: (ln.frequency, ln.months) for ln in plan.lines.select_related("customer")}


def test_key_customers_quarterly_others_every_six_months(org):
    customer("K1", key=True)
    customer("G1")
    plan = services.make_plan(2027, by=org["sales"], now=DECEMBER)
    assert _lines(plan) == {"K1": ("quarterly", [1, 4, 7, 10]), "G1": ("semiannual", [4, 10])}
    assert plan.made_late is False and plan.template.code == "default"


def test_the_months_are_settings(org):
    Setting.objects.create(key="surveys.plan.general_months", value="9")
    customer("G1")
    plan = services.make_plan(2027, by=org["sales"], now=DECEMBER)
    assert _lines(plan) == {"G1": ("semiannual", [9])}


@pytest.mark.parametrize(
    "now, ok, late",
    [
        (dt.datetime(2026, 12, 1, 0, 0, tzinfo=TZ), True, False),
        (dt.datetime(2026, 12, 31, 23, 59, tzinfo=TZ), True, False),
        (dt.datetime(2026, 11, 30, 23, 59, tzinfo=TZ), False, None),  # too early
        (dt.datetime(2027, 3, 1, 9, 0, tzinfo=TZ), True, True),  # during the year: late, marked
        (dt.datetime(2028, 1, 2, 9, 0, tzinfo=TZ), False, None),  # the year is over
    ],
)
def test_the_plan_is_made_in_december(org, now, ok, late):
    customer("G1")
    if not ok:
        with pytest.raises(Invalid) as exc:
            services.make_plan(2027, by=org["sales"], now=now)
        assert exc.value.field == "year"
        return
    assert services.make_plan(2027, by=org["sales"], now=now).made_late is late


def test_one_plan_a_year(org):
    services.make_plan(2027, by=org["sales"], now=DECEMBER)
    with pytest.raises(Conflict):
        services.make_plan(2027, by=org["sales"], now=DECEMBER)


@pytest.mark.parametrize(
    "last, months",
    [
        (dt.date(2026, 10, 15), [4, 10]),  # 6 months to April: as planned
        (dt.date(2026, 4, 20), [4, 10]),  # April 2026 -> April 2027: 12 months, allowed
        (dt.date(2026, 3, 20), [3, 4, 10]),  # March 2026: must be surveyed by March 2027
        (dt.date(2025, 6, 1), [1, 4, 10]),  # overdue already: January
    ],
)
def test_no_customer_more_than_12_months_apart(last, months):
    cfg = {
        "surveys.plan.key_months": "1,4,7,10",
        "surveys.plan.general_months": "4,10",
        "surveys.plan.max_gap_months": 12,
    }
    assert plans.schedule(False, last, 2027, cfg) == ("semiannual", months)
    # with the customer's months the gaps after the first are at most 6
    points = [last] + [dt.date(2027, m, 1) for m in months]
    if last >= dt.date(2026, 1, 1):
        assert max(plans.months_apart(a, b) for a, b in zip(points, points[1:], strict=False)) <= 12


def test_the_plan_uses_the_last_returned_form_for_the_12_month_rule(org):
    customer("G1")
    customer("G2")
    customer("K1", key=True)
    # a round in March 2026 (before plans existed here): G1 answered, G2 did not.
    r = services.create_round(
        by=org["sales"],
        customers=["G1", "G2"],
        title="2026 春季",
        now=dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ),
    )
    answer(org, r, "G1", all_items(8), now=dt.datetime(2026, 3, 3, 9, 0, tzinfo=TZ))
    plan = services.make_plan(2027, by=org["sales"], now=DECEMBER)
    lines = {ln.customer.code: ln for ln in plan.lines.select_related("customer")}
    assert lines["G1"].last_surveyed_on == dt.date(2026, 3, 3)
    assert lines["G1"].months == [3, 4, 10]  # surveyed again by March 2027
    assert lines["G2"].months == [4, 10]  # never answered: no last survey to count from
    assert services.plan_gaps(plan) == []


def test_plan_gaps_name_customers_added_after_the_plan_and_too_long_gaps(org):
    customer("G1")
    plan = services.make_plan(2027, by=org["sales"], now=DECEMBER)
    PlanLine.objects.filter(plan=plan).update(last_surveyed_on=dt.date(2025, 12, 1))  # 16 months to April
    new = customer("N1")
    gaps = services.plan_gaps(plan)
    assert [(g.customer_code, g.months) for g in gaps] == [("G1", 16), ("N1", None)]
    assert new.pk in {g.customer_id for g in gaps}


def test_coverage_of_the_active_customers(org):
    for code in ("K1", "K2"):
        customer(code, key=True)
    for n in range(8):
        customer(f"G{n}")
    plan = services.make_plan(2027, by=org["sales"], now=DECEMBER)
    r = services.create_round_from_plan(
        plan, 4, by=org["sales"], now=dt.datetime(2027, 4, 6, 9, 0, tzinfo=TZ)
    )
    for f in Form.objects.filter(round=r).select_related("customer")[:9]:
        answer(org, r, f.customer.code, all_items(8), now=dt.datetime(2027, 4, 7, 9, 0, tzinfo=TZ))
    cov = services.coverage(2027)
    assert (cov.active, cov.planned, cov.surveyed) == (10, 10, 9)
    assert (cov.rate, cov.planned_rate, cov.target, cov.meets_target) == (
        Decimal(90),
        Decimal(100),
        Decimal(90),
        True,
    )
    Setting.objects.create(key="surveys.coverage_target", value="95")
    assert services.coverage(2027).meets_target is False


def test_coverage_counts_a_customer_once_and_ignores_competitor_answers(org):
    customer("K1", key=True)
    customer("G1")
    plan = services.make_plan(2027, by=org["sales"], now=DECEMBER)
    r1 = services.create_round_from_plan(
        plan, 1, by=org["sales"], now=dt.datetime(2027, 1, 4, 9, 0, tzinfo=TZ)
    )
    answer(org, r1, "K1", all_items(8), now=dt.datetime(2027, 1, 5, 9, 0, tzinfo=TZ))
    r4 = services.create_round_from_plan(
        plan, 4, by=org["sales"], now=dt.datetime(2027, 4, 6, 9, 0, tzinfo=TZ)
    )
    answer(org, r4, "K1", all_items(8), now=dt.datetime(2027, 4, 7, 9, 0, tzinfo=TZ))
    services.add_competitor_form(
        r4, by=org["sales"], competitor="甲公司", customer="G1", answers=all_items(8)
    )
    cov = services.coverage(2027)
    assert (cov.surveyed, cov.rate) == (1, Decimal(50))

"""The annual survey plan (R10.1): made in December for the next year (004 6.1: 销售部每年12月
编制《顾客沟通年度计划》); key customers quarterly, the others every six months (客户满意度管理制度
四.2); no customer more than 12 months between two surveys and 90 % of the active customers
covered a year (004 发动机 6.2: 每年调查一次, 间隔不超过12个月, 调查对象覆盖90%的顾客面).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import audit
from kefu.core.errors import Conflict, Invalid, Malformed
from kefu.core.workcalendar import TZ

from . import rules, scoring
from .choices import FormState, Frequency, Subject
from .models import Form, Plan, PlanLine, Template


def parse_months(value, name: str) -> list[int]:
    """``"1,4,7,10"`` (or a list) as sorted months."""
    parts = value if isinstance(value, list | tuple) else str(value or "").replace("，", ",").split(",")
    months = set()
    for p in parts:
        p = str(p).strip()
        if not p:
            continue
        if not p.isdigit() or not 1 <= int(p) <= 12:
            raise Malformed(_("months from 1 to 12, separated by commas"), field=f"settings.{name}")
        months.add(int(p))
    if not months:
        raise Malformed(_("name at least one month"), field=f"settings.{name}")
    return sorted(months)


def months_apart(earlier: dt.date, later: dt.date) -> int:
    """Calendar months from ``earlier`` to ``later`` (2026-10-xx -> 2027-04-01: 6)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    return dt.date(day.year + m // 12, m % 12 + 1, 1)


def schedule(is_key: bool, last: dt.date | None, year: int, cfg: dict) -> tuple[str, list[int]]:
    """(frequency, months) of one customer: the key customers' months or the others', plus an
    earlier month when their last survey would otherwise be more than ``max_gap`` months back
    (January when it is overdue already)."""
    frequency = Frequency.QUARTERLY if is_key else Frequency.SEMIANNUAL
    key = "surveys.plan.key_months" if is_key else "surveys.plan.general_months"
    months = parse_months(cfg[key], key)
    max_gap = int(cfg["surveys.plan.max_gap_months"])
    if last is not None and months_apart(last, dt.date(year, months[0], 1)) > max_gap:
        deadline = add_months(last, max_gap)
        months = sorted({*months, 1 if deadline.year < year else deadline.month})
    return frequency, months


def last_surveyed(customer_ids=None) -> dict[int, dt.date]:
    """Per customer, the local date of their latest returned form about us."""
    qs = Form.objects.filter(subject=Subject.OURS, state=FormState.RETURNED, customer__isnull=False)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=list(customer_ids))
    out: dict[int, dt.date] = {}
    for cid, at in qs.order_by("customer_id", "-returned_at").values_list("customer_id", "returned_at"):
        if cid not in out:
            out[cid] = timezone.localtime(at, TZ).date()
    return out


def active_customers(year: int):
    """The customers of ``year``: every customer record created before its end (kefu keeps no
    inactive flag; a customer record is an active business relation, 004 6.1)."""
    from kefu.customers.models import Customer

    end = dt.datetime(year + 1, 1, 1, tzinfo=TZ)
    return Customer.objects.filter(created_at__lt=end)


@transaction.atomic
def make_plan(year: int, *, by, template: Template | None = None, now: dt.datetime | None = None) -> Plan:
    """The annual plan for ``year`` (R10.1): made in December of the year before (004 6.1); made
    during ``year`` itself it is marked late; at any other time it is refused (422 naming
    ``year``). One line per active customer: key customers quarterly, the others every six
    months, no one more than ``surveys.plan.max_gap_months`` after their last survey."""
    from .services import current_template, require_survey_staff

    now = now or timezone.now()
    require_survey_staff(by)
    today = timezone.localtime(now, TZ).date()
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2099:
        raise Malformed(_("a year from 2000 to 2099"), field="year")
    if today.year == year - 1 and today.month == 12:
        late = False
    elif today.year == year:
        late = True
    else:
        raise Invalid(
            _("the plan for %(year)s is made in December %(before)s (004 6.1)")
            % {"year": year, "before": year - 1},
            field="year",
        )
    if Plan.objects.filter(year=year).exists():
        raise Conflict(_("there is a plan for %(year)s already") % {"year": year})
    template = template or current_template("default")
    cfg = rules.settings()
    plan = Plan.objects.create(year=year, template=template, made_at=now, made_by=by, made_late=late)
    customers = list(active_customers(year).order_by("code"))
    last = last_surveyed(c.pk for c in customers)
    lines = []
    for c in customers:
        frequency, months = schedule(c.is_key, last.get(c.pk), year, cfg)
        lines.append(
            PlanLine(
                plan=plan, customer=c, frequency=frequency, months=months, last_surveyed_on=last.get(c.pk)
            )
        )
    PlanLine.objects.bulk_create(lines, batch_size=2000)
    audit.record(
        plan, "make_plan", by=by, at=now,
        data={"year": year, "customers": len(lines), "key": sum(1 for c in customers if c.is_key), "late": late},
    )  # fmt: skip
    return plan


@dataclass
class Gap:
    customer_id: int
    customer_code: str
    customer_name: str
    since: dt.date | None  # the last survey, or a planned month
    until: dt.date | None  # the next planned month
    months: int | None  # months between them; None: the customer is not in the plan at all


def plan_gaps(plan: Plan) -> list[Gap]:
    """The customers who would go more than ``surveys.plan.max_gap_months`` between two surveys
    under ``plan`` (from their last survey to the first planned month, or between two planned
    months), and the active customers the plan does not name (added after it was made)."""
    cfg = rules.settings()
    max_gap = int(cfg["surveys.plan.max_gap_months"])
    out: list[Gap] = []
    lines = list(plan.lines.select_related("customer"))
    for ln in lines:
        points = ([ln.last_surveyed_on] if ln.last_surveyed_on else []) + [
            dt.date(plan.year, m, 1) for m in sorted(ln.months or [])
        ]
        for a, b in zip(points, points[1:], strict=False):
            if months_apart(a, b) > max_gap:
                out.append(Gap(ln.customer_id, ln.customer.code, ln.customer.name, a, b, months_apart(a, b)))
    planned = {ln.customer_id for ln in lines}
    for c in active_customers(plan.year).exclude(pk__in=planned).order_by("code"):
        out.append(Gap(c.pk, c.code, c.name, None, None, None))
    return out


@dataclass
class Coverage:
    """How much of the active customers a year's surveys reach (004 6.2: 90 %)."""

    year: int
    active: int
    planned: int  # customers in the year's plan
    surveyed: int  # customers with a returned form in a round of the year
    planned_rate: Decimal | None  # percent
    rate: Decimal | None  # percent
    target: Decimal  # percent
    meets_target: bool


def coverage(year: int, *, now: dt.datetime | None = None) -> Coverage:
    """Coverage of ``year``: active customers, planned and surveyed, as percentages against
    ``surveys.coverage_target`` (90)."""
    cfg = rules.settings()
    target = scoring.dec(cfg["surveys.coverage_target"], "settings.surveys.coverage_target")
    active = active_customers(year).count()
    planned = PlanLine.objects.filter(plan__year=year).count()
    surveyed = (
        Form.objects.filter(
            round__year=year, subject=Subject.OURS, state=FormState.RETURNED, customer__isnull=False
        )
        .values("customer_id")
        .distinct()
        .count()
    )
    pct = lambda n: Decimal(n) / active * 100 if active else None  # noqa: E731
    rate = pct(surveyed)
    return Coverage(
        year=year,
        active=active,
        planned=planned,
        surveyed=surveyed,
        planned_rate=pct(planned),
        rate=rate,
        target=target,
        meets_target=rate is not None and rate >= target,
    )

"""Customer satisfaction for the demo (``kefu demo``): last year's fourth-quarter round, answered by
every demo customer, given its delivery figures, scored (one customer rated the price 不满意 and
one wrote a comment: two triggers, two 8Ds) and closed by the management representative; this
year's plan; and this year's latest round still collecting: some forms answered through their
personal links, some links out and unanswered, one answer taken by phone, a few competitor answers.

Loaded once (nothing when a survey round exists) through the services and the case engine, at
past times; the e-mails it writes are marked sent (nobody is e-mailed). About a second.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_q.models import OrmQ

from kefu.core.models import Notification
from kefu.core.workcalendar import TZ
from kefu.flow import engine

from . import services
from .models import Form, Round

# Ten items of the default template; the others' ratings cycle through these (88 points each).
ITEMS = (
    "product_performance", "packing_transport", "on_time_delivery", "complaint_speed", "complaint_effectiveness",
    "service_attitude", "professional_knowledge", "onsite_service", "spare_parts_accuracy", "price",
)  # fmt: skip
PATTERN = (10, 8, 8, 10, 8, 10, 8, 8, 10, 8)
COMMENT = "急单的交货周期偏长, 希望能再缩短一些。"
FIGURES = {  # the delivery figures of last year's round's period (004 6.4.2.2)
    "deliveries": 1860,
    "on_time_deliveries": 1795,
    "line_stops": 2,
    "excess_freight": 8600,
    "total_freight": 236_000,
}
COMPETITORS = (("甲公司", 8), ("乙公司", 5), ("甲公司", 10), ("丙公司", 8))


def _at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=TZ)


def _ratings(i: int, **over) -> dict:
    return {code: over.get(code, PATTERN[(i + k) % len(PATTERN)]) for k, code in enumerate(ITEMS)}


def _answer_by_link(form: Form, by, answers: dict, at: dt.datetime, comment: str = "") -> Form:
    token = services.issue_link(form, by=by, now=at)
    return services.submit_by_token(token, answers=answers, comment=comment, now=at + dt.timedelta(hours=3))


def _last_year(users: dict, customers: list, year: int) -> Round:
    """Last year's fourth-quarter round (outside this year's plan): everybody answered, scored, closed."""
    sales, mrep = users["sales"], users["mrep"]
    r = services.create_round(
        by=sales, customers=customers, title=f"{year} 年第四季度顾客满意度调查", now=_at(year, 10, 9),
        collect_until=dt.date(year, 11, 8),
    )  # fmt: skip
    forms = list(Form.objects.filter(round=r).select_related("customer").order_by("customer__code"))
    for i, form in enumerate(forms):
        at = _at(year, 10, 10 + i % 20, 9 + i % 8)
        if i == 0:  # price rated 不满意: an item trigger, its 8D and a follow-up for the owner
            answers = _ratings(i, price="dissatisfied", product_performance=10, service_attitude=10)
            _answer_by_link(form, sales, answers, at)
        elif i == 1:  # a written opinion: a trigger, an 8D and a complaint (channel survey)
            _answer_by_link(form, sales, _ratings(i), at, comment=COMMENT)
        else:
            _answer_by_link(form, sales, _ratings(i), at)
    figures = dict(FIGURES)
    figures["deliveries"] = max(figures["deliveries"], 20 * services.count_quality_complaints(r))
    services.set_internal_figures(r, by=sales, now=_at(year, 11, 3), **figures)
    engine.perform(r, "close_collection", by=sales, data={}, now=_at(year, 11, 10))
    engine.perform(Round.objects.get(pk=r.pk), "score", by=sales, data={}, now=_at(year, 11, 11))
    _close_trigger_capas(r, users, year)
    owner = forms[0].customer.owner or users["salesmgr"]
    told = {"customer_told": True} if forms[0].customer.is_key else {}
    engine.perform(
        Round.objects.get(pk=r.pk), "record_follow_up", by=owner, now=_at(year, 11, 18),
        data={"note": "已与客户沟通年度价格调整方案, 客户认可。", **told},
    )  # fmt: skip
    engine.perform(
        Round.objects.get(pk=r.pk), "approve", by=mrep, data={"note": "提交管理评审"}, now=_at(year, 11, 20)
    )
    return r


def _close_trigger_capas(r: Round, users: dict, year: int) -> None:
    """The 8Ds the scoring opened, walked to closure in November (a year-old 8D left open would sit
    on the work lists hundreds of working days late): the department replies with its evidence,
    the GM approves in place of its manager, quality accepts, the management rep approves, quality
    verifies and closes."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kefu.capa import services as capa_services
    from kefu.capa.demo import _png, _reply
    from kefu.capa.models import Capa
    from kefu.core.models import Membership

    for capa in Capa.objects.filter(source_type="survey", source_key=r.number).select_related("department"):
        member = (
            Membership.objects.filter(department=capa.department)
            .select_related("user")
            .order_by("id")
            .first()
        )
        if member is None:
            continue
        clerk = member.user
        capa_services.add_attachments(
            capa, [SimpleUploadedFile("整改记录.png", _png(), "image/png")], by=clerk, now=_at(year, 11, 13)
        )
        steps = [
            ("submit_reply", clerk, _reply(dt.date(year, 12, 1), fishbone=False), _at(year, 11, 13)),
            ("approve_reply", users["gm"], {"note": "同意"}, _at(year, 11, 13, 15)),
            ("accept_report", users["quality"], {"note": "措施可行"}, _at(year, 11, 17)),
            ("approve_report", users["mrep"], {"note": "批准"}, _at(year, 11, 18)),
            (
                "verify",
                users["quality"],
                {"effective": True, "result": "客户回访确认已改善"},
                _at(year, 12, 1),
            ),
            (
                "close",
                users["quality"],
                {"closure": "8D 关闭", "recognition": "表彰改善小组"},
                _at(year, 12, 2),
            ),
        ]
        for action, by, data, when in steps:
            engine.perform(Capa.objects.get(pk=capa.pk), action, by=by, data=data, now=when)


def _current(users: dict, plan, now: dt.datetime) -> Round:
    """This year's latest round of the plan (a special round when no plan month has passed yet),
    opened six days ago and still collecting."""
    sales = users["sales"]
    today = timezone.localtime(now, TZ).date()
    opened = now - dt.timedelta(days=6)
    months = sorted(
        {m for ms in plan.lines.values_list("months", flat=True) for m in ms or [] if m <= today.month}
    )
    until = today + dt.timedelta(days=24)
    if months:
        r = services.create_round_from_plan(plan, months[-1], by=sales, collect_until=until, now=opened)
    else:
        customers = [
            ln.customer for ln in plan.lines.select_related("customer").filter(customer__is_key=True)
        ]
        r = services.create_round(
            by=sales, customers=customers or [ln.customer for ln in plan.lines.select_related("customer")[:10]],
            title=f"{today.year} 年专项顾客满意度调查", collect_until=until, now=opened,
        )  # fmt: skip
    forms = list(Form.objects.filter(round=r).select_related("customer").order_by("customer__code"))
    answered = (len(forms) * 2) // 5
    for i, form in enumerate(forms):
        at = opened + dt.timedelta(hours=2 + 11 * i)
        if i < answered and at + dt.timedelta(hours=3) < now:
            _answer_by_link(form, sales, _ratings(i + 3), at)
        elif i == answered:  # answered by phone, entered by sales
            services.enter_answers(
                form.pk, by=sales, answers=_ratings(i + 5, onsite_service="neutral"), respondent="采购部 王经理",
                now=now - dt.timedelta(hours=20),
            )  # fmt: skip
        elif i <= answered + max(3, len(forms) // 4):  # personal link mailed, no answer yet
            services.issue_link(form, by=sales, now=opened + dt.timedelta(hours=1))
    # the rest: no link yet (sales calls or mails them next)
    for k, (competitor, value) in enumerate(COMPETITORS):
        form = forms[k % len(forms)]
        services.add_competitor_form(
            r, by=sales, competitor=competitor, answers={code: value for code in ITEMS},
            customer=form.customer.code, respondent="采购部", now=now - dt.timedelta(hours=30 - k),
        )  # fmt: skip
    return r


def load(now: dt.datetime | None = None) -> str:
    """Add the demo surveys unless a survey round exists; returns what it did, in a line."""
    from kefu.customers.models import Customer

    if Round.objects.exists():
        return "Customer satisfaction: rounds present already, none added."
    names = ["sales", "salesmgr", "mrep", "quality", "gm"]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    customers = list(Customer.objects.order_by("code")[:60])
    if len(users) < len(names) or len(customers) < 4:
        return "Customer satisfaction: no demo users or too few customers, none added."
    now = now or timezone.now()
    year = timezone.localtime(now, TZ).year
    first_mail = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
    queued = set(OrmQ.objects.values_list("id", flat=True))
    with transaction.atomic():
        last = _last_year(users, customers, year - 1)
        plan = services.make_plan(year, by=users["salesmgr"], now=_at(year - 1, 12, 15))
        current = _current(users, plan, now)
        # history, not news: the mails written above count as sent (nobody is e-mailed)
        Notification.objects.filter(id__gt=first_mail, state=Notification.State.PENDING).update(
            state=Notification.State.SENT, sent_at=F("created_at"), last_error="demo data: not e-mailed"
        )
    OrmQ.objects.exclude(id__in=queued).delete()  # their outbox tasks: nothing to send
    last.refresh_from_db()
    returned = Form.objects.filter(round=current, subject="ours", state="returned").count()
    forms = Form.objects.filter(round=current, subject="ours").count()
    return (
        f"Customer satisfaction: plan {year}, {last.number} scored {services.scoring.shown(last.total)} "
        f"({last.level}), {current.number} collecting ({returned} of {forms} forms returned)."
    )

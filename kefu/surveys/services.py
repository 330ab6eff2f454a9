"""The survey services (SPEC M10): one function per user action, the only place that writes.

Workflow actions of a round (remind, close the collection, score, review, follow-ups) are the
case engine's ``perform`` (``kefu.flow.engine``) with the ``apply_*`` effects at the end of this
module; every other change (template, plan, round, link, answers, figures) is one transaction
here that writes its audit row. Plans and coverage are in ``plans``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core import audit, numbering
from kefu.core.choices import DepartmentCode as D
from kefu.core.errors import Conflict, Forbidden, Invalid, Malformed, NotFound
from kefu.flow import engine, notices, registry

from . import rules, scoring

# The services of the other modules, so that callers need one name: ``services.<function>``.
from .answers import (  # noqa: F401, E402
    LinkExpired,
    LinkInvalid,
    LinkUsed,
    RoundNotCollecting,
    add_competitor_form,
    enter_answers,
    form_by_token,
    form_for_token,
    issue_link,
    link_path,
    link_token,
    link_url,
    send_links,
    submit_by_token,
)
from .choices import FormState, Subject
from .common import actor as _user
from .common import customers as _customers
from .common import local_date as _local_date
from .common import may_edit_templates, may_run_surveys, require_survey_staff  # noqa: F401 (re-exported)
from .common import now_or as _now
from .figures import (  # noqa: F401, E402
    count_quality_complaints,
    import_internal_figures,
    period_bounds,
    returned_forms,
    score_now,
    set_internal_figures,
)
from .models import Answer, Form, Item, Plan, Round, Status, Template
from .plans import Coverage, Gap, coverage, make_plan, plan_gaps  # noqa: F401, E402

FLOW_NAME = "survey"
CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


# --- templates (R10.2) ----------------------------------------------------------------------------------


def current_template(code: str = "default") -> Template:
    """The current version of template ``code``, its items prefetched (404 naming ``template``)."""
    t = Template.objects.filter(code=code, is_current=True).prefetch_related("items").first()
    if t is None:
        codes = ", ".join(Template.objects.filter(is_current=True).values_list("code", flat=True))
        raise NotFound(
            _("no template %(code)r; templates: %(codes)s") % {"code": code, "codes": codes}, field="template"
        )
    return t


def template_in_use(template: Template) -> bool:
    """A template forms were sent with is never changed (R10.2)."""
    return Round.objects.filter(template=template).exists() or Plan.objects.filter(template=template).exists()


def _check_code(value, field: str) -> str:
    code = str(value or "").strip()
    if not code or len(code) > 64 or not set(code) <= CODE_CHARS:
        raise Malformed(_("a code of lower-case letters, digits and _ (at most 64)"), field=field)
    return code


def _check_items(items: list[dict]) -> list[Item]:
    if not items:
        raise Malformed(_("a template has at least one item"), field="items")
    out, seen = [], set()
    if not isinstance(items, list):
        raise Malformed(_("a list of items"), field="items")
    for i, raw in enumerate(items):
        where = f"items[{i}]"
        if not isinstance(raw, dict):
            raise Malformed(_("an item is an object"), field=where)
        code = _check_code(raw.get("code"), f"{where}.code")
        if code in seen:
            raise Malformed(_("item %(code)r is given twice") % {"code": code}, field=f"{where}.code")
        seen.add(code)
        label = str(raw.get("label") or "").strip()
        if not label or len(label) > 200:
            raise Malformed(_("a label of 1 to 200 characters"), field=f"{where}.label")
        weight = scoring.dec(raw.get("weight", 1), f"{where}.weight")
        if weight <= 0:
            raise Malformed(_("must be above 0"), field=f"{where}.weight")
        department = str(raw.get("department") or "").strip()
        if department and department not in D.values:
            raise Malformed(
                _("unknown department %(code)r") % {"code": department}, field=f"{where}.department"
            )
        levels, level_codes = [], set()
        raw_levels = raw.get("levels") or []
        if not isinstance(raw_levels, list):
            raise Malformed(_("a list of levels"), field=f"{where}.levels")
        for j, lv in enumerate(raw_levels):
            lwhere = f"{where}.levels[{j}]"
            if not isinstance(lv, dict):
                raise Malformed(_("a level is an object"), field=lwhere)
            lcode = _check_code(lv.get("code"), f"{lwhere}.code")
            if lcode in level_codes:
                raise Malformed(_("level %(code)r is given twice") % {"code": lcode}, field=f"{lwhere}.code")
            level_codes.add(lcode)
            value = scoring.dec(lv.get("value"), f"{lwhere}.value")
            if value < 0:
                raise Malformed(_("must not be negative"), field=f"{lwhere}.value")
            levels.append(
                {
                    "code": lcode,
                    "label": str(lv.get("label") or lcode)[:100],
                    "label_en": str(lv.get("label_en") or "")[:100],
                    "value": int(value) if value == value.to_integral_value() else float(value),
                    "dissatisfied": bool(lv.get("dissatisfied", False)),
                }
            )
        if len(levels) < 2:
            raise Malformed(_("a scale has at least two levels"), field=f"{where}.levels")
        if len({lv["value"] for lv in levels}) != len(levels):
            raise Malformed(_("two levels have the same value"), field=f"{where}.levels")
        if max(lv["value"] for lv in levels) <= 0:
            raise Malformed(_("the best level must be worth more than 0"), field=f"{where}.levels")
        levels.sort(key=lambda lv: -lv["value"])
        out.append(
            Item(
                code=code,
                position=i + 1,
                label=label,
                label_en=str(raw.get("label_en") or "")[:200],
                weight=weight,
                department=department,
                levels=levels,
            )
        )
    return out


@transaction.atomic
def edit_template(
    code: str,
    *,
    by,
    name: str | None = None,
    name_en: str | None = None,
    items: list[dict] | None = None,
    pass_mark=None,
    description: str | None = None,
    now: dt.datetime | None = None,
) -> Template:
    """Create or change template ``code`` (R10.2). Changed in place while no round or plan uses
    it; once used, the change is the next version, which becomes the current one, and the forms
    already sent keep the version they were sent with.

    ``items``: ``[{"code", "label", "label_en"?, "weight"?, "department"?, "levels": [{"code",
    "label", "label_en"?, "value", "dissatisfied"?}]}]`` (the whole list; it replaces the old)."""
    now = _now(now)
    if not may_edit_templates(by):
        raise Forbidden(_("templates are edited by an administrator or the sales manager"))
    code = _check_code(code, "code")
    old = Template.objects.select_for_update().filter(code=code, is_current=True).first()
    new_items = _check_items(items) if items is not None else None
    if old is None and new_items is None:
        raise Malformed(_("a new template needs its items"), field="items")
    mark = None if pass_mark in (None, "") else scoring.dec(pass_mark, "pass_mark")
    if mark is not None and not (0 <= mark <= 100):
        raise Malformed(_("a score between 0 and 100"), field="pass_mark")
    if old is not None and not template_in_use(old):
        t = old
        action = "edit_template"
    else:
        if old is not None:
            Template.objects.filter(pk=old.pk).update(is_current=False)
        t = Template(
            code=code,
            version=(old.version + 1) if old is not None else 1,
            is_current=True,
            name=old.name if old is not None else code,
            name_en=old.name_en if old is not None else "",
            description=old.description if old is not None else "",
            seed=old.seed if old is not None else "",
            pass_mark=old.pass_mark if old is not None else None,
            created_at=now,
            created_by=_user(by),
        )
        action = "new_template_version" if old is not None else "create_template"
        if new_items is None:  # a new version of the same items (name or pass mark changed)
            new_items = [
                Item(
                    code=i.code, position=i.position, label=i.label, label_en=i.label_en, weight=i.weight,
                    department=i.department, levels=i.levels,
                )
                for i in old.items.all()
            ]  # fmt: skip
    if name is not None:
        if not str(name).strip():
            raise Malformed(_("required"), field="name")
        t.name = str(name).strip()[:200]
    if name_en is not None:
        t.name_en = str(name_en).strip()[:200]
    if description is not None:
        t.description = str(description)
    if pass_mark is not None:
        t.pass_mark = mark
    t.save()
    if new_items is not None:
        t.items.all().delete()
        for it in new_items:
            it.template = t
        Item.objects.bulk_create(new_items)
    audit.record(
        t, action, by=by, at=now, data={"version": t.version, "items": [i.code for i in t.items.all()]}
    )
    return Template.objects.prefetch_related("items").get(pk=t.pk)


# --- rounds -----------------------------------------------------------------------------------------------


def _month_start(year: int, month: int) -> dt.date:
    while month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, 1)


def last_dissatisfied(customer_ids: Iterable[int]) -> dict[int, list]:
    """Per customer, the dissatisfied points of their latest returned form (004 6.3.1: 顾客满意度
    调查应同时考虑上次顾客满意度和不满意状况): ``[{"round", "item", "label", "level", "value"}]``."""
    ids = list(customer_ids)
    latest: dict[int, int] = {}
    rows = (
        Form.objects.filter(customer_id__in=ids, subject=Subject.OURS, state=FormState.RETURNED)
        .order_by("customer_id", "-returned_at", "-id")
        .values_list("customer_id", "id")
    )
    for customer_id, form_id in rows:
        latest.setdefault(customer_id, form_id)
    out: dict[int, list] = {cid: [] for cid in ids}
    if not latest:
        return out
    answers = (
        Answer.objects.filter(form_id__in=latest.values(), dissatisfied=True)
        .select_related("form__round__template")
        .order_by("form_id", "id")
    )
    labels: dict[tuple[int, str], str] = {}
    for a in answers:
        tpl = a.form.round.template
        if (tpl.pk, a.item) not in labels:
            for it in tpl.items.all():
                labels[(tpl.pk, it.code)] = it.label
        out[a.form.customer_id].append(
            {
                "round": a.form.round.number,
                "item": a.item,
                "label": labels.get((tpl.pk, a.item), a.item),
                "level": a.level,
                "value": str(a.value.normalize()),
            }
        )
    return out


def _open_round(
    *,
    by,
    customers: list,
    title: str,
    template: Template,
    year: int,
    collect_until: dt.date | None,
    period_start: dt.date | None,
    period_end: dt.date | None,
    plan: Plan | None,
    plan_month: int | None,
    now: dt.datetime,
) -> Round:
    require_survey_staff(by)
    cfg = rules.settings()
    today = _local_date(now)
    if not customers:
        raise Invalid(_("a round needs at least one customer"), field="customers")
    collect_until = collect_until or today + dt.timedelta(days=int(cfg["surveys.collect_days"]))
    if collect_until < today:
        raise Invalid(_("must not be in the past"), field="collect_until")
    if period_end is None:
        period_end = _month_start(today.year, today.month) - dt.timedelta(days=1)
    if period_start is None:
        period_start = _month_start(period_end.year, period_end.month - 5)
    if period_start > period_end:
        raise Invalid(_("must not be after the end of the period"), field="period_start")
    title = (title or "").strip()[:200] or _("Customer satisfaction survey %(year)s-%(month)02d") % {
        "year": today.year,
        "month": today.month,
    }
    r = Round(
        year=year,
        title=title,
        plan=plan,
        plan_month=plan_month,
        template=template,
        period_start=period_start,
        period_end=period_end,
        collect_until=collect_until,
        minimum_returns=int(cfg["surveys.min_returns"]),
        return_target=scoring.dec(cfg["surveys.return_target"], "settings.surveys.return_target"),
        minimum_competitor=int(cfg["surveys.min_competitor"]),
        status=Status.COLLECTION,
        created_at=now,
        created_by=_user(by),
    )
    r.serial = numbering.next_serial(f"survey:{year}")
    r.number = f"CS-{year}-{r.serial:02d}"
    engine.open_record(
        registry.get(FLOW_NAME),
        r,
        by=by,
        now=now,
        data={
            "template": f"{template.code}@{template.version}",
            "customers": len(customers),
            "plan_month": plan_month,
        },
    )
    notices.schedule(registry.get(FLOW_NAME), r)  # the automatic reminder to who has not answered
    previous = last_dissatisfied(c.pk for c in customers)
    Form.objects.bulk_create(
        [
            Form(
                round=r,
                customer=c,
                subject=Subject.OURS,
                is_key=c.is_key,
                last_dissatisfied=previous.get(c.pk, []),
            )
            for c in customers
        ],
        batch_size=2000,
    )
    return r


@transaction.atomic
def create_round_from_plan(
    plan: Plan,
    month: int,
    *,
    by,
    title: str = "",
    collect_until: dt.date | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    template: Template | None = None,
    now: dt.datetime | None = None,
) -> Round:
    """A round of the plan's customers due in ``month`` (key customers quarterly, the others every
    six months, R10.1): one form per customer, each with last round's dissatisfied points; the
    collection step starts, due at ``collect_until`` (``surveys.collect_days`` by default). The
    template is the current version of the plan's; the period of the internal figures is the six
    months before ``month`` unless given. One round per plan month (409 for a second)."""
    now = _now(now)
    if not 1 <= int(month) <= 12:
        raise Malformed(_("a month from 1 to 12"), field="month")
    month = int(month)
    if Round.objects.filter(plan=plan, plan_month=month).exists():
        raise Conflict(
            _("the plan %(year)s has a round for month %(month)s already")
            % {"year": plan.year, "month": month}
        )
    lines = list(plan.lines.select_related("customer"))
    customers = [ln.customer for ln in lines if month in (ln.months or [])]
    if not customers:
        raise Invalid(
            _("the plan %(year)s has no customer to survey in month %(month)s")
            % {"year": plan.year, "month": month},
            field="month",
        )
    template = template or current_template(plan.template.code)
    if period_end is None:
        period_end = _month_start(plan.year, month) - dt.timedelta(days=1)
    if period_start is None:
        period_start = _month_start(period_end.year, period_end.month - 5)
    title = title or _("Customer satisfaction survey %(year)s-%(month)02d") % {
        "year": plan.year,
        "month": month,
    }
    return _open_round(
        by=by, customers=customers, title=title, template=template, year=plan.year, collect_until=collect_until,
        period_start=period_start, period_end=period_end, plan=plan, plan_month=month, now=now,
    )  # fmt: skip


@transaction.atomic
def create_round(
    *,
    by,
    customers,
    title: str,
    template: Template | None = None,
    collect_until: dt.date | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Round:
    """A round outside the plan (a special survey, 客户满意度管理制度 四.1), for the customers given
    (codes or records)."""
    now = _now(now)
    template = template or current_template("default")
    return _open_round(
        by=by, customers=_customers(customers), title=title, template=template, year=_local_date(now).year,
        collect_until=collect_until, period_start=period_start, period_end=period_end, plan=None, plan_month=None,
        now=now,
    )  # fmt: skip


# --- the round's workflow effects (called by the case engine inside its transaction) -------------------


def apply_remind(ctx) -> None:
    """Remind every customer whose form is not returned (004 6.4.1: the return rate should reach
    80 %, 主要顾客的反馈一定要了解): their personal link again, by e-mail to the customer's contacts
    through the outbox (a fresh validity, the same link), and sales told which key customers are
    still missing."""
    from . import flows

    flows.remind(ctx)


def apply_close_collection(ctx) -> None:
    """The collection ends: the forms not returned stay unanswered and count in the return rate;
    the figures at that moment go into the history."""
    from . import flows

    flows.close_collection(ctx)


def apply_score(ctx) -> None:
    """Score the round (004 6.4.2) and act on the triggers (6.4.3): a corrective action per
    trigger (issued by the management representative with the COP14 preset), a complaint
    (channel survey) for each explicit written complaint, a named owner and a follow-up task
    for each dissatisfied answer. Idempotent: a trigger already raised opens nothing again."""
    from . import flows

    flows.score(ctx)


def apply_follow_up(ctx) -> None:
    """A follow-up task done: what was done, and whether the customer was told (003 4.5.3.7:
    a dissatisfied key customer is told what was fixed: required for key customers)."""
    from . import flows

    flows.follow_up(ctx)

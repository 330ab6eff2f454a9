"""The survey services (SPEC M10): one function per user action, the only place that writes.

Workflow actions of a round (remind, close the collection, score, review, follow-ups) are the
case engine's ``perform`` (``kefu.flow.engine``) with the ``apply_*`` effects at the end of this
module; every other change (template, plan, round, link, answers, figures) is one transaction
here that writes its audit row. Plans and coverage are in ``plans``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.core import signing
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import access, audit, numbering, outbox
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.core.errors import Conflict, Forbidden, Invalid, KefuError, Malformed, NotFound
from kefu.core.workcalendar import TZ
from kefu.flow import engine, registry

from . import rules, scoring
from .choices import AnswerChannel, FormState, Subject
from .models import Answer, Form, Item, Plan, Round, Status, Template
from .plans import coverage, make_plan, plan_gaps  # noqa: F401  (the plan's services, re-exported)

FLOW_NAME = "survey"
LINK_SALT = "kefu.surveys.form-link"
CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


# --- the personal link's refusals, told apart by the answer page ---------------------------------------


class LinkInvalid(NotFound):
    """Not a link of ours (a mistyped or forged token): 404."""


class LinkExpired(KefuError):
    """A link past its validity, or replaced by a newer one: 410."""

    status = 410


class LinkUsed(Conflict):
    """The form was answered already (a link is single-use): 409."""


class RoundNotCollecting(Conflict):
    """The round no longer takes answers: 409."""


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, TZ).date()


def _user(by):
    return by if by is not None and getattr(by, "is_authenticated", False) else None


# --- who may -----------------------------------------------------------------------------------------------


def may_run_surveys(user) -> bool:
    """Sales runs the survey (004 3.1: 营销部是顾客满意度监视和测量的归口管理部门); the executives
    and the management representative may as well."""
    return access.in_department(user, D.SALES) or (access.is_executive(user) and access.rank(user) > 0)


def require_survey_staff(user) -> None:
    if not may_run_surveys(user):
        raise Forbidden(_("surveys are run by sales, the management representative or an executive"))


def may_edit_templates(user) -> bool:
    return access.is_admin(user) or access.in_department(user, D.SALES, min_role=Role.MANAGER)


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
    for i, raw in enumerate(items):
        where = f"items[{i}]"
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
        for j, lv in enumerate(raw.get("levels") or []):
            lwhere = f"{where}.levels[{j}]"
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


def _customers(codes: Iterable) -> list:
    from kefu.customers.models import Customer

    wanted, out, missing = [], [], []
    for c in codes:
        if isinstance(c, Customer):
            out.append(c)
        else:
            wanted.append(str(c))
    found = {c.code: c for c in Customer.objects.filter(code__in=wanted)}
    for code in wanted:
        if code not in found:
            missing.append(code)
        else:
            out.append(found[code])
    if missing:
        raise Invalid(_("no customer %(codes)s") % {"codes": ", ".join(missing)}, field="customers")
    unique = {c.pk: c for c in out}
    return sorted(unique.values(), key=lambda c: c.code)


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


# --- the personal link (R10.3) ---------------------------------------------------------------------------


def link_token(form: Form) -> str:
    """The token of ``form``'s personal link: the form and its nonce, signed (no account, nothing
    to guess). 409 when no link was issued."""
    if not form.token_nonce:
        raise Conflict(_("no personal link was issued for this form"))
    return signing.dumps([form.pk, form.token_nonce], salt=LINK_SALT)


def link_path(token: str) -> str:
    try:
        return reverse("surveys:answer", args=[token])
    except NoReverseMatch:  # the pages (another module) not installed: the path they will have
        return f"/surveys/answer/{token}/"


def link_url(token: str, cfg: dict | None = None) -> str:
    cfg = cfg if cfg is not None else rules.settings()
    return str(cfg.get("surveys.link_base_url") or "").rstrip("/") + link_path(token)


def _customer_addresses(customer_ids: Iterable[int]) -> dict[int, list[str]]:
    from kefu.customers.models import Contact

    out: dict[int, list[str]] = {}
    for cid, email in (
        Contact.objects.filter(customer_id__in=list(customer_ids))
        .exclude(email="")
        .values_list("customer_id", "email")
    ):
        if email not in out.setdefault(cid, []):
            out[cid].append(email)
    return out


def _link_mail(form: Form, token: str, *, cfg: dict, reminder: bool, now: dt.datetime, addresses: list[str]):
    from kefu.core.models import Notification

    r = form.round
    subject = (
        _("Reminder: customer satisfaction survey %(title)s")
        if reminder
        else _("Customer satisfaction survey %(title)s")
    ) % {"title": r.title}
    body = _(
        "Dear %(customer)s,\n\nplease tell us how satisfied you are with our products and service: the "
        "survey takes a few minutes and works on a phone.\n\n%(url)s\n\nThe link is personal, can be used "
        "once and is valid until %(until)s.\n\nThank you."
    ) % {
        "customer": form.customer.name,
        "url": link_url(token, cfg),
        "until": timezone.localtime(form.link_expires_at, TZ).strftime("%Y-%m-%d"),
    }
    return [
        Notification(
            kind="survey_reminder" if reminder else "survey_link",
            to=address,
            subject=subject[:200],
            body=body,
            object_type=FLOW_NAME,
            object_id=r.number,
            created_at=now,
            next_attempt_at=now,
        )
        for address in addresses
    ]


def _prepare_link(form: Form, now: dt.datetime, cfg: dict, *, renew: bool = False) -> str:
    """Give ``form`` a nonce (a new one with ``renew``: the old links stop working) and a validity
    of ``surveys.link_days`` from now (never shorter than it was)."""
    if renew or not form.token_nonce:
        form.token_nonce = secrets.token_urlsafe(12)
    until = now + dt.timedelta(days=int(cfg["surveys.link_days"]))
    if form.link_expires_at is None or form.link_expires_at < until:
        form.link_expires_at = until
    return link_token(form)


@transaction.atomic
def issue_link(
    form: Form, *, by, send: bool = True, renew: bool = False, now: dt.datetime | None = None
) -> str:
    """The personal link of ``form`` (R10.3): signed, valid ``surveys.link_days`` from now,
    single-use (answered once, it refuses). With ``send`` it is e-mailed to the customer's
    contacts through the outbox; ``renew`` revokes the links issued before. Returns the token
    (``link_path(token)`` is the answer page)."""
    now = _now(now)
    cfg = rules.settings()
    form = Form.objects.select_for_update().select_related("round", "customer").get(pk=form.pk)
    if form.subject != Subject.OURS or form.customer_id is None:
        raise Invalid(_("competitor answers are entered by staff; they have no link"), field="form")
    if form.state == FormState.RETURNED:
        raise LinkUsed(_("the form has been answered; its link is used"))
    if form.round.status != Status.COLLECTION:
        raise RoundNotCollecting(
            _("the round %(number)s no longer collects answers") % {"number": form.round.number}
        )
    token = _prepare_link(form, now, cfg, renew=renew)
    fields = ["token_nonce", "link_expires_at"]
    sent_to: list[str] = []
    if send:
        sent_to = _customer_addresses([form.customer_id]).get(form.customer_id, [])
        if sent_to:
            outbox.save(_link_mail(form, token, cfg=cfg, reminder=False, now=now, addresses=sent_to))
            form.link_sent_at = now
            fields.append("link_sent_at")
    form.save(update_fields=fields)
    audit.record(
        form.round, "issue_link", by=by, at=now, object_type=FLOW_NAME,
        data={"form": form.pk, "customer": form.customer.code, "sent_to": len(sent_to), "renew": renew},
    )  # fmt: skip
    return token


def _form_of_token(token: str, *, lock: bool) -> Form:
    try:
        pk, nonce = signing.loads(str(token), salt=LINK_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkInvalid(_("this survey link is not valid"), field="token") from None
    qs = Form.objects.select_related("round__template", "customer")
    if lock:
        qs = qs.select_for_update(of=("self",))
    form = qs.filter(pk=pk).first()
    if form is None:
        raise LinkInvalid(_("this survey link is not valid"), field="token")
    if form.token_nonce != nonce:
        raise LinkExpired(_("this survey link was replaced by a newer one"), field="token")
    return form


def _check_open(form: Form, now: dt.datetime) -> None:
    if form.state == FormState.RETURNED:
        raise LinkUsed(_("this survey was answered already; thank you"), field="token")
    if form.link_expires_at is None or form.link_expires_at < now:
        raise LinkExpired(_("this survey link has expired"), field="token")
    if form.round.status != Status.COLLECTION:
        raise RoundNotCollecting(_("this survey is closed"), field="token")


def form_by_token(token: str, *, now: dt.datetime | None = None) -> Form:
    """The form of a personal link, for the answer page (no account): ``LinkInvalid`` (404),
    ``LinkExpired`` (410: past its validity or replaced), ``LinkUsed`` (409: answered already) or
    ``RoundNotCollecting`` (409). The form comes with its round, template and customer."""
    form = _form_of_token(token, lock=False)
    _check_open(form, _now(now))
    return form


form_for_token = form_by_token


def _rate(
    template: Template, answers: Mapping[str, object]
) -> list[tuple[scoring.ItemDef, scoring.LevelDef]]:
    """Every item of the template rated once with a level of its scale: a missing, unknown or
    off-scale rating is 400 naming the item."""
    tdef = rules.template_def(template)
    if not isinstance(answers, Mapping):
        raise Malformed(_("give the answers as {item: level}"), field="answers")
    known = {it.code for it in tdef.items}
    for code in answers:
        if code not in known:
            raise Malformed(
                _("unknown item %(code)r; items: %(items)s")
                % {"code": code, "items": ", ".join(sorted(known))},
                field=str(code),
            )
    out = []
    for it in tdef.items:
        rating = answers.get(it.code)
        if rating is None or rating == "":
            raise Malformed(_("choose a rating"), field=it.code)
        out.append((it, it.rate(rating, it.code)))
    return out


def _save_answers(
    form: Form,
    *,
    by,
    answers: Mapping[str, object],
    channel: str,
    comment: str,
    suggestions: str,
    respondent: str,
    now: dt.datetime,
) -> Form:
    template = form.round.template
    rated = _rate(template, answers)
    tdef = rules.template_def(template)
    owner = None
    if form.customer_id is not None and form.subject == Subject.OURS:
        owner = form.customer.owner if form.customer.owner_id else None
    Answer.objects.bulk_create(
        [
            Answer(
                form=form,
                item=it.code,
                level=lv.code,
                value=lv.value,
                dissatisfied=lv.dissatisfied and form.subject == Subject.OURS,
                owner=owner if lv.dissatisfied and form.subject == Subject.OURS else None,
            )
            for it, lv in rated
        ]
    )
    form.state = FormState.RETURNED
    form.channel = channel
    form.returned_at = now
    form.entered_by = _user(by)
    form.comment = (comment or "").strip()[:20_000]
    form.suggestions = (suggestions or "").strip()[:20_000]
    form.respondent = (respondent or "").strip()[:100]
    form.score = scoring.customer_score(
        tdef, scoring.Rated(customer=str(form.pk), answers={it.code: lv for it, lv in rated})
    )
    form.save()
    audit.record(
        form.round, "answer", by=by, at=now, object_type=FLOW_NAME,
        data={
            "form": form.pk,
            "customer": form.customer.code if form.customer_id else None,
            "competitor": form.competitor or None,
            "channel": channel,
            "score": str(form.score),
            "dissatisfied": [it.code for it, lv in rated if lv.dissatisfied],
        },
    )  # fmt: skip
    return form


def _check_texts(comment: str, suggestions: str, respondent: str) -> None:
    for name, value, limit in (
        ("comment", comment, 20_000),
        ("suggestions", suggestions, 20_000),
        ("respondent", respondent, 100),
    ):
        if value is not None and not isinstance(value, str):
            raise Malformed(_("must be a text"), field=name)
        if value and (len(value) > limit or "\x00" in value):
            raise Malformed(_("at most %(n)s characters, no NUL") % {"n": limit}, field=name)


@transaction.atomic
def submit_by_token(
    token: str,
    *,
    answers: Mapping[str, object],
    comment: str = "",
    suggestions: str = "",
    respondent: str = "",
    now: dt.datetime | None = None,
) -> Form:
    """The customer answers through the personal link (no account; R10.3). ``comment`` is an
    explicit written complaint or opinion (004 6.4.3 d: a trigger, and a complaint when the round
    is scored); ``suggestions`` are not. The link is used up: a second submit is ``LinkUsed``."""
    now = _now(now)
    _check_texts(comment, suggestions, respondent)
    form = _form_of_token(token, lock=True)
    _check_open(form, now)
    return _save_answers(
        form, by=None, answers=answers, channel=AnswerChannel.LINK, comment=comment, suggestions=suggestions,
        respondent=respondent, now=now,
    )  # fmt: skip


@transaction.atomic
def enter_answers(
    form_id: int,
    *,
    by,
    answers: Mapping[str, object],
    comment: str = "",
    suggestions: str = "",
    respondent: str = "",
    channel: str = AnswerChannel.ORAL,
    now: dt.datetime | None = None,
) -> Form:
    """Staff enter an oral or paper answer on the same form (004 6.3.1: 客户口头回复的信息由营销部
    详细填写); the form's link is used up with it. Allowed while the round collects or is being
    scored (late forms still count)."""
    now = _now(now)
    require_survey_staff(by)
    if channel not in (AnswerChannel.ORAL, AnswerChannel.PAPER):
        raise Malformed(_("oral or paper"), field="channel")
    _check_texts(comment, suggestions, respondent)
    form = (
        Form.objects.select_for_update(of=("self",))
        .select_related("round__template", "customer")
        .filter(pk=form_id)
        .first()
    )
    if form is None:
        raise NotFound(_("no survey form %(id)s") % {"id": form_id}, field="form")
    if form.state == FormState.RETURNED:
        raise LinkUsed(_("this form was answered already"), field="form")
    if form.round.status not in (Status.COLLECTION, Status.SCORING):
        raise RoundNotCollecting(
            _("the round %(number)s no longer takes answers") % {"number": form.round.number}
        )
    return _save_answers(
        form, by=by, answers=answers, channel=channel, comment=comment, suggestions=suggestions,
        respondent=respondent, now=now,
    )  # fmt: skip


@transaction.atomic
def add_competitor_form(
    round_: Round,
    *,
    by,
    competitor: str,
    answers: Mapping[str, object],
    customer=None,
    comment: str = "",
    respondent: str = "",
    channel: str = AnswerChannel.ORAL,
    now: dt.datetime | None = None,
) -> Form:
    """A customer's answer about a competitor, with the same questionnaire (R10.6; 客户满意度管理制度
    四.3(2): 请客户填写竞争对手的满意度检查表, 每次不得少于10个), entered by staff."""
    now = _now(now)
    require_survey_staff(by)
    competitor = str(competitor or "").strip()
    if not competitor or len(competitor) > 200:
        raise Malformed(_("name the competitor (at most 200 characters)"), field="competitor")
    if channel not in (AnswerChannel.ORAL, AnswerChannel.PAPER):
        raise Malformed(_("oral or paper"), field="channel")
    _check_texts(comment, "", respondent)
    r = Round.objects.select_for_update().select_related("template").get(pk=round_.pk)
    if r.status not in (Status.COLLECTION, Status.SCORING):
        raise RoundNotCollecting(_("the round %(number)s no longer takes answers") % {"number": r.number})
    c = _customers([customer])[0] if customer else None
    form = Form.objects.create(
        round=r, customer=c, subject=Subject.COMPETITOR, competitor=competitor, is_key=bool(c and c.is_key)
    )
    form.round = r
    return _save_answers(
        form,
        by=by,
        answers=answers,
        channel=channel,
        comment=comment,
        suggestions="",
        respondent=respondent,
        now=now,
    )


# --- internal figures (004 6.4.2.2) ----------------------------------------------------------------------


def _count(value, name: str) -> int:
    d = scoring.dec(value, name)
    if d != d.to_integral_value() or d < 0:
        raise Malformed(_("a whole number, not negative"), field=name)
    return int(d)


def _money(value, name: str) -> Decimal:
    d = scoring.dec(value, name)
    if d < 0:
        raise Malformed(_("must not be negative"), field=name)
    return d.quantize(Decimal("0.01"))


@transaction.atomic
def set_internal_figures(
    round_: Round,
    *,
    by,
    deliveries: int,
    on_time_deliveries: int,
    line_stops: int,
    excess_freight,
    total_freight,
    self_degree=None,
    self_rate=None,
    now: dt.datetime | None = None,
) -> Round:
    """The delivery figures of the round's period (004 6.4.2.2: deliveries, on time, line stops,
    freight), and the salespeople's self-assessment where that procedure is chosen. The quality
    complaints are not entered: they are counted from kefu's complaints when the round is scored."""
    now = _now(now)
    require_survey_staff(by)
    figures = {
        "deliveries": _count(deliveries, "deliveries"),
        "on_time_deliveries": _count(on_time_deliveries, "on_time_deliveries"),
        "line_stops": _count(line_stops, "line_stops"),
        "excess_freight": _money(excess_freight, "excess_freight"),
        "total_freight": _money(total_freight, "total_freight"),
    }
    for key in ("on_time_deliveries", "line_stops"):
        if figures[key] > figures["deliveries"]:
            raise Invalid(
                _("must not exceed the deliveries (%(n)s)") % {"n": figures["deliveries"]}, field=key
            )
    if figures["excess_freight"] > figures["total_freight"]:
        raise Invalid(_("must not exceed the total freight"), field="excess_freight")
    for key, value in (("self_degree", self_degree), ("self_rate", self_rate)):
        if value not in (None, ""):
            d = scoring.dec(value, key)
            if not 0 <= d <= 100:
                raise Malformed(_("a score between 0 and 100"), field=key)
            figures[key] = d
        else:
            figures[key] = None
    r = Round.objects.select_for_update().get(pk=round_.pk)
    if r.status not in (Status.COLLECTION, Status.SCORING):
        raise Conflict(_("the figures of a scored round are not changed; send it back to scoring first"))
    before = {k: getattr(r, k) for k in figures}
    for k, v in figures.items():
        setattr(r, k, v)
    r.save(update_fields=list(figures))
    audit.record(
        r, "set_figures", by=by, at=now, object_type=FLOW_NAME,
        data={k: (str(v) if v is not None else None) for k, v in figures.items()}
        | {"before": {k: (str(v) if v is not None else None) for k, v in before.items()}},
    )  # fmt: skip
    return r


FIGURE_NAMES = {
    "deliveries": ("deliveries", "送货次数", "交货批次", "总交货批次数", "送货批次"),
    "on_time_deliveries": ("on_time_deliveries", "准时交货次数", "准时交货批次"),
    "line_stops": ("line_stops", "断线次数", "停线次数"),
    "excess_freight": ("excess_freight", "超额运费"),
    "total_freight": ("total_freight", "总运费"),
    "self_degree": ("self_degree", "自评满意度"),
    "self_rate": ("self_rate", "自评满意率"),
}


def import_internal_figures(round_: Round, *, by, upload, now: dt.datetime | None = None) -> Round:
    """The delivery figures from an Excel sheet: one row per figure, its name (``deliveries`` or
    the form's Chinese, e.g. 送货次数) in the first column and the value in the second."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise Malformed(_("not an Excel workbook (.xlsx)"), field="file") from None
    found: dict[str, object] = {}
    lookup = {name: key for key, names in FIGURE_NAMES.items() for name in names}
    for row in book.active.iter_rows(min_row=1, max_col=2, values_only=True):
        if not row or row[0] is None:
            continue
        key = lookup.get(str(row[0]).strip())
        if key is not None and len(row) > 1 and row[1] not in (None, ""):
            found[key] = row[1]
    book.close()
    missing = [
        k
        for k in ("deliveries", "on_time_deliveries", "line_stops", "excess_freight", "total_freight")
        if k not in found
    ]
    if missing:
        raise Malformed(_("the sheet has no row %(name)s") % {"name": missing[0]}, field="file")
    return set_internal_figures(round_, by=by, now=now, **found)


def period_bounds(round_: Round) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(round_.period_start, dt.time(0, 0), tzinfo=TZ)
    end = dt.datetime.combine(round_.period_end + dt.timedelta(days=1), dt.time(0, 0), tzinfo=TZ)
    return start, end


def count_quality_complaints(round_: Round) -> int:
    """kefu's own complaints received in the round's period, category quality and found valid
    (004 6.4.2.2 A: 质量投诉次数)."""
    from kefu.complaints.choices import Category, Validity
    from kefu.complaints.models import Complaint

    start, end = period_bounds(round_)
    return Complaint.objects.filter(
        category=Category.QUALITY, validity=Validity.VALID, received_at__gte=start, received_at__lt=end
    ).count()


# --- scoring a saved round --------------------------------------------------------------------------------


def returned_forms(round_: Round, subject: str = Subject.OURS) -> list[Form]:
    return list(
        Form.objects.filter(round=round_, subject=subject, state=FormState.RETURNED)
        .select_related("customer")
        .prefetch_related("answers")
        .order_by("id")
    )


def _rated(tdef: scoring.TemplateDef, forms: list[Form]) -> list[scoring.Rated]:
    by_code = {it.code: it for it in tdef.items}
    out = []
    for f in forms:
        answers = {}
        for a in f.answers.all():
            it = by_code.get(a.item)
            if it is None:
                continue
            lv = next((lv for lv in it.levels if lv.code == a.level), None) or scoring.LevelDef(
                a.level, a.value
            )
            answers[a.item] = lv
        key = f.customer.code if f.customer_id else f"form-{f.pk}"
        out.append(scoring.Rated(customer=key, answers=answers, comment=f.comment))
    return out


def score_now(round_: Round, *, quality_complaints: int | None = None):
    """The round's figures as scoring computes them now (``scoring.Result``), without saving:
    the returned forms about us, the internal figures entered (None while missing), the quality
    complaints counted from kefu's complaints of the period."""
    cfg = rules.settings()
    template = Template.objects.prefetch_related("items").get(pk=round_.template_id)
    tdef = rules.template_def(template)
    forms = returned_forms(round_)
    internal = None
    complaints = count_quality_complaints(round_) if quality_complaints is None else quality_complaints
    if round_.deliveries is not None:
        d = round_.deliveries
        if complaints > d:  # more complaints than deliveries: the quality part is 0, not negative
            complaints = d
        internal = scoring.Internal(
            deliveries=d,
            quality_complaints=complaints,
            on_time_deliveries=round_.on_time_deliveries or 0,
            line_stops=round_.line_stops or 0,
            excess_freight=round_.excess_freight or Decimal(0),
            total_freight=round_.total_freight or Decimal(0),
        )
    result = scoring.evaluate(tdef, _rated(tdef, forms), internal, rules.weights(cfg), rules.thresholds(cfg))
    result.quality_complaints = complaints
    return result


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

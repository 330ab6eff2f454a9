"""What a round's workflow actions change besides its steps (called by the case engine inside the
action's transaction, through ``services.apply_*``): the reminders to the customers, the score
sheet and the triggers' corrective actions, complaints and follow-up tasks."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import outbox
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.core.errors import Invalid
from kefu.core.workcalendar import TZ
from kefu.flow import engine

from . import answers, figures, rules, scoring
from .choices import FormState, Subject, TriggerKind
from .models import Answer, Form, Status, Trigger

FOLLOW_UP = "follow_up"
FOUR = Decimal("0.0001")


def _q(value):
    return None if value is None else value.quantize(FOUR, rounding=ROUND_HALF_UP)


def _s(value) -> str:
    return "" if value is None else str(scoring.shown(value))


# --- collection -----------------------------------------------------------------------------------------


def _remind_pending(r, now, cfg):
    """Mail a reminder with a fresh validity to every customer of ``r`` who has not answered;
    returns (mail rows, the pending forms, customers without an address, key customers missing).
    Nothing to remind: empty lists."""
    forms = list(
        Form.objects.select_for_update(of=("self",))
        .filter(round=r, subject=Subject.OURS, state=FormState.PENDING)
        .select_related("customer")
        .order_by("id")
    )
    if not forms:
        return [], [], [], []
    addresses = answers._customer_addresses(f.customer_id for f in forms)
    rows, unreachable = [], []
    for f in forms:
        f.round = r
        token = answers._prepare_link(f, now, cfg)
        to = addresses.get(f.customer_id, [])
        if to:
            rows += answers._link_mail(f, token, cfg=cfg, reminder=True, now=now, addresses=to)
        else:
            unreachable.append(f.customer.code)
        f.reminders += 1
        f.last_reminded_at = now
    Form.objects.bulk_update(forms, ["token_nonce", "link_expires_at", "reminders", "last_reminded_at"])
    return rows, forms, unreachable, [f.customer for f in forms if f.is_key]


def _missing_text(missing_key, unreachable) -> str:
    lines = [_("Key customers who have not answered (their answer is required, 004 6.4.1):")]
    lines += [f"- {c.code} {c.name}" for c in missing_key] or ["-"]
    if unreachable:
        lines += ["", _("Customers without an e-mail address (call them and enter their answers):")]
        lines += [f"- {code}" for code in unreachable]
    return "\n".join(lines)


def remind(ctx) -> None:
    r, now, cfg = ctx.record, ctx.now, ctx.settings
    rows, forms, unreachable, missing_key = _remind_pending(r, now, cfg)
    if not forms:
        raise Invalid(_("every form has been returned; there is nobody to remind"), field="forms")
    ctx.notes += rows
    if missing_key or unreachable:
        ctx.notify(
            "survey_missing", _("Survey %(number)s: answers missing") % {"number": r.number},
            _missing_text(missing_key, unreachable), departments=[D.SALES],
        )  # fmt: skip
    ctx.audit_data.update(
        reminded=len(forms), mailed=len(forms) - len(unreachable),
        unreachable=unreachable, missing_key=[c.code for c in missing_key],
    )  # fmt: skip


def customer_reminder_moment(r):
    """The moment the automatic reminder is about: 09:00 on the day answers are due, while
    collecting (None otherwise: the notice is dropped)."""
    if r.status != Status.COLLECTION or r.collect_until is None:
        return None
    return dt.datetime.combine(r.collect_until, dt.time(9), tzinfo=TZ)


def auto_remind(r, moment, now) -> list:
    """The engine's advance notice ``customer_reminder`` (kefu.flow.notices): the customers who have
    not answered get their link again, sales the list of missing key customers and of customers
    without an address; one audit entry. Returns the mail rows for the outbox."""
    from kefu.core import audit, config

    cfg = config.snapshot()
    rows, forms, unreachable, missing_key = _remind_pending(r, now, cfg)
    if not forms:
        return []
    if missing_key or unreachable:
        members = outbox.members([D.SALES])
        rows += outbox.build(
            kind="survey_missing",
            subject=f"[{r.number}] " + _("Survey %(number)s: answers missing") % {"number": r.number},
            body=_missing_text(missing_key, unreachable),
            users=[],
            memberships=members,
            obj_type="survey",
            obj_id=r.number,
            now=now,
        )
    audit.record(
        r, "remind", by=None, label="system", at=now, object_type="survey",
        data={"automatic": True, "reminded": len(forms), "unreachable": unreachable,
              "missing_key": [c.code for c in missing_key]},
    )  # fmt: skip
    return rows


def close_collection(ctx) -> None:
    r = ctx.record
    counts = Form.objects.filter(round=r, subject=Subject.OURS)
    total = counts.count()
    returned = counts.filter(state=FormState.RETURNED).count()
    ctx.audit_data.update(forms=total, returned=returned)


# --- scoring and the triggers (004 6.4.2-6.4.3) ------------------------------------------------------------


def _issuer(ctx):
    """Who issues the corrective actions: the management representative with COP14's preset
    (5.1.1: 由管理者代表发出纠正预防措施报告给责任部门), else the person who scores."""
    if rules.preset(ctx.settings) != "cop14":
        return ctx.by
    members = outbox.members([D.MANAGEMENT_REP], roles=[Role.MANAGEMENT_REP])
    if members:
        return members[0].user

    from kefu.core.models import Membership

    m = (
        Membership.objects.filter(role=Role.MANAGEMENT_REP, user__is_active=True)
        .select_related("user")
        .first()
    )
    return m.user if m is not None else ctx.by


def _fallback_owner():
    """The named owner when the customer has no sales owner: the sales manager."""
    members = outbox.members([D.SALES], min_role=Role.MANAGER)
    return members[0].user if members else None


def score(ctx) -> None:
    r = ctx.record
    if r.deliveries is None:
        raise Invalid(
            _("enter the internal delivery figures of the period first (004 6.4.2.2)"), field="deliveries"
        )
    result = figures.score_now(r)
    if result.returned == 0:
        raise Invalid(_("no form has been returned: there is nothing to score"), field="forms")
    cfg = ctx.settings
    th = rules.thresholds(cfg)
    weights = rules.weights(cfg)
    enabled, self_w, survey_w = rules.self_assessment(cfg)
    combined_degree = scoring.combined(r.self_degree, result.total, self_w, survey_w) if enabled else None
    combined_rate = (
        scoring.combined(r.self_rate, result.satisfaction_rate, self_w, survey_w) if enabled else None
    )
    results = result.as_json()
    results.update(
        quality_complaints=result.quality_complaints,
        weights={"external": str(weights.external), "internal": str(weights.internal)},
        preset=rules.preset(cfg),
        thresholds={
            "satisfied_from": str(th.satisfied_from),
            "very_satisfied_above": str(th.very_satisfied_above),
            "item_low": str(th.item_low),
            "item_low_inclusive": th.item_low_inclusive,
            "customer_below": str(th.customer_below),
            "total_below": str(th.total_below),
        },
        self_assessment={
            "enabled": enabled,
            "weights": {"self": str(self_w), "survey": str(survey_w)},
            "degree": None if combined_degree is None else str(combined_degree),
            "rate": None if combined_rate is None else str(combined_rate),
        },
    )
    ctx.set(
        external_score=_q(result.external_score),
        internal_score=_q(result.internal_score),
        total=_q(result.total),
        level=result.level,
        satisfaction_rate=_q(result.satisfaction_rate),
        quality_complaints=result.quality_complaints,
        results=results,
        scored_at=ctx.now,
    )
    opened = _act_on_triggers(ctx, result, th)
    owners = _follow_ups(ctx)
    ctx.audit_data.update(
        total=_s(result.total),
        level=result.level,
        returned=result.returned,
        triggers=opened,
        follow_ups=owners,
    )


def _act_on_triggers(ctx, result, th) -> list[str]:
    """One trigger row, one corrective action for each new hit (``Trigger.key`` unique per round:
    a second scoring opens nothing twice); an explicit written complaint is also registered as a
    complaint through the complaint intake (channel survey, R3.1)."""
    from kefu.capa.models import SourceType
    from kefu.capa.services import open_capa
    from kefu.complaints.services import register_complaint

    r, cfg = ctx.record, ctx.settings
    existing = set(Trigger.objects.filter(round=r).values_list("key", flat=True))
    hits = [h for h in result.triggers if h.key not in existing]
    if not hits:
        return []
    forms = {f.customer.code: f for f in figures.returned_forms(r) if f.customer_id}
    items = {it.code: it for it in r.template.items.all()}
    issuer = _issuer(ctx)
    default_dept = str(cfg.get("surveys.capa_department") or D.SALES)
    opened = []
    for h in hits:
        form = forms.get(h.customer) if h.customer else None
        customer = form.customer if form is not None else None
        name = customer.name if customer is not None else ""
        item = items.get(h.item) if h.item else None
        department = (item.department if item is not None and item.department else "") or default_dept
        complaint = None
        values = {"round": r.number, "customer": name, "score": _s(h.score)}
        if h.kind == TriggerKind.ITEM_LOW:
            values["item"] = item.label if item is not None else h.item
            values["value"] = str(h.score.normalize()) if h.score is not None else ""
            title = _("Survey %(round)s: %(customer)s rated %(item)s %(value)s") % values
            problem = (
                _(
                    "In survey %(round)s the customer %(customer)s rated the item %(item)s %(value)s "
                    "(a corrective action for an item rated at or below the threshold, 004 6.4.3 a)."
                )
                % values
            )
        elif h.kind == TriggerKind.CUSTOMER_LOW:
            values["threshold"] = str(th.customer_below.normalize())
            title = _("Survey %(round)s: %(customer)s scored %(score)s, below %(threshold)s") % values
            problem = (
                _(
                    "In survey %(round)s the customer %(customer)s scored %(score)s on 100, below %(threshold)s "
                    "(004 6.4.3 b)."
                )
                % values
            )
        elif h.kind == TriggerKind.TOTAL_LOW:
            values["threshold"] = str(th.total_below.normalize())
            title = _("Survey %(round)s: total %(score)s, below %(threshold)s") % values
            problem = (
                _(
                    "The total score of survey %(round)s is %(score)s, below %(threshold)s (004 6.4.3 c): analyse the "
                    "causes and act (COP14 5.2.2)."
                )
                % values
            )
        else:
            title = _("Survey %(round)s: written complaint of %(customer)s") % values
            problem = form.comment if form is not None else ""
            complaint = register_complaint(
                by=ctx.by,
                customer=customer,
                channel="survey",
                title=title[:200],
                description=problem or title,
                category=str(cfg.get("surveys.complaint_category") or "quality"),
                received_at=min(form.returned_at, ctx.now)
                if form is not None and form.returned_at
                else ctx.now,
                now=ctx.now,
                contact_name=(form.respondent if form is not None else "")[:100],
            )
            if form is not None:
                Form.objects.filter(pk=form.pk).update(complaint=complaint)
        capa = open_capa(
            by=issuer,
            title=title[:200],
            department=department,
            problem=problem or title,
            nonconformity=_("customer satisfaction"),
            customer=customer,
            source_type=SourceType.SURVEY,
            source=r.number,
            now=ctx.now,
            what=str(values.get("item", "")) or title[:200],
            who=name,
            how_many=_s(h.score),
        )
        Trigger.objects.create(
            round=r, key=h.key, kind=h.kind, form=form, customer=customer, item=h.item or "",
            score=_q(h.score), capa=capa, complaint=complaint, created_at=ctx.now,
        )  # fmt: skip
        opened.append(h.key)
    return opened


def _follow_ups(ctx) -> list[str]:
    """A named owner and a follow-up task for each 不满意 / 很不满意 answer (客户满意度管理制度 三.2):
    the customer's sales owner, else the sales manager. Once per answer."""
    r = ctx.record
    done = {(s.data or {}).get("answer") for s in ctx.steps if s.code == FOLLOW_UP}
    answers = list(
        Answer.objects.filter(
            form__round=r, form__subject=Subject.OURS, form__state=FormState.RETURNED, dissatisfied=True
        )
        .select_related("form__customer__owner", "owner")
        .order_by("id")
    )
    labels = {it.code: it.label for it in r.template.items.all()}
    fallback = None
    out = []
    for a in answers:
        if a.pk in done:
            continue
        owner = a.owner or a.form.customer.owner
        if owner is None:
            fallback = fallback or _fallback_owner()
            owner = fallback
        if owner is not None and a.owner_id != owner.pk:
            Answer.objects.filter(pk=a.pk).update(owner=owner)
        customer = a.form.customer
        step = engine.open_task(
            ctx, FOLLOW_UP, notify=False,
            data={"answer": a.pk, "form": a.form_id, "customer": customer.code, "item": a.item,
                  "level": a.level, "key_customer": a.form.is_key},
        )  # fmt: skip
        if owner is not None:
            step.assignee = owner
            step.save(update_fields=["assignee"])
        body = _(
            "You are the named owner of a dissatisfied answer in survey %(round)s: %(customer)s rated %(item)s "
            "%(level)s. Find out why, act, and tell the customer what was fixed; due %(due)s."
        ) % {
            "round": r.number,
            "customer": f"{customer.code} {customer.name}",
            "item": labels.get(a.item, a.item),
            "level": a.value.normalize(),
            "due": timezone.localtime(step.due_at, TZ).strftime("%Y-%m-%d"),
        }
        subject = _("Follow-up of a dissatisfied answer: %(customer)s") % {"customer": customer.name}
        if owner is not None:
            ctx.notify("survey_follow_up", subject, body, users=[owner])
        else:
            ctx.notify("survey_follow_up", subject, body, departments=[D.SALES])
        out.append(f"{customer.code}:{a.item}:{owner.get_username() if owner else '-'}")
    return out


def follow_up(ctx) -> None:
    data = (ctx.task.data or {}) if ctx.task is not None else {}
    if data.get("key_customer") and not ctx.data.customer_told:
        raise Invalid(
            _("a dissatisfied key customer is told what was fixed (003 4.5.3.7): confirm that they were"),
            field="customer_told",
        )
    ctx.audit_data.update(answer=data.get("answer"), customer=data.get("customer"), item=data.get("item"))

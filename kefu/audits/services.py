"""The audit's services (SPEC M7; 000 客户审核 4.1-4.4): plan an audit, record its nonconformities,
file its documents in the PDCA folders, and what each workflow action changes besides the steps
(``apply_*``, called by the case engine inside its transaction). Every state change is the
engine's ``perform``: one transaction, one audit row.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.complaints import attachments as files
from kefu.core import access, audit, config, numbering, org, outbox
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.core.errors import Forbidden, Invalid
from kefu.core.models import Membership
from kefu.core.workcalendar import TZ, WorkCalendar
from kefu.flow import clocks, engine, notices, registry
from kefu.flow.models import Kind, Step

from .models import (
    Attachment,
    Audit,
    AuditMeeting,
    AuditType,
    Folder,
    MeetingKind,
    Nonconformity,
    Routing,
    Status,
)

FLOW_NAME = "audit"
# The preparation tasks opened with the audit; still open when the audit begins, they close as
# missed (late: a lateness inquiry at the end, 002 篇4 第十四条).
PREPARATION_TASKS = ("prep_meeting",)


def period_of(moment: dt.datetime) -> int:
    local = timezone.localtime(moment, TZ)
    return local.year * 100 + local.month


def format_number(period: int, serial: int) -> str:
    """``AU-202612-0001``."""
    return f"AU-{period}-{serial:04d}"


# --- when the advance notices fall due (pure: the calendar and settings passed in) ----------------


def prep_meeting_due(a: Audit):
    """000 4.1.2: a key customer's preparation meeting at least a week before (the setting
    ``due.audit.prep_meeting`` is the time before the planned start)."""
    spec = registry.get(FLOW_NAME).steps["prep_meeting"]
    value = config.snapshot().get(spec.setting_key(FLOW_NAME), spec.due)
    return notices.before(a.planned_start, value, WorkCalendar.cached())


def start_due(a: Audit):
    return a.planned_start


def end_due(a: Audit):
    local = timezone.localtime(a.planned_end, TZ)
    return clocks.end_of_day(local.date())


# --- who gets the 8Ds (000 4.4.2-4.4.3, R7.3) -----------------------------------------------------


def is_new_customer(a: Audit) -> bool:
    """A new customer, for the routing of the 8Ds: the audit is a new-customer audit (新客户验厂),
    or the customer has no earlier audit that was closed (this is its first audit with us)."""
    if a.audit_type == AuditType.NEW_CUSTOMER:
        return True
    return not Audit.objects.filter(customer_id=a.customer_id, status=Status.CLOSED).exclude(pk=a.pk).exists()


def routing_of(a: Audit) -> str:
    return Routing.QUALITY if is_new_customer(a) else Routing.SYSTEM_SPECIALIST


def specialists():
    return list(
        Membership.objects.filter(role=Role.SYSTEM_SPECIALIST, user__is_active=True)
        .select_related("user", "department")
        .order_by("id")
    )


def routed_owner(a: Audit, ctx=None):
    """(department, role, data) of the 8D steps: quality for a new customer; for an existing one the
    system specialist's department with the role ``system_specialist`` (quality when nobody holds it)."""
    if a.routing != Routing.SYSTEM_SPECIALIST:
        return D.QUALITY, Role.CLERK, {}
    holders = specialists()
    return (holders[0].department if holders else D.QUALITY), Role.SYSTEM_SPECIALIST, {}


def may_route(user, a: Audit, sit=None) -> bool:
    """Quality for a new customer; the system specialist for an existing one (quality while nobody
    holds that role, so that the 8Ds are never stuck)."""
    if a.routing == Routing.SYSTEM_SPECIALIST and specialists():
        return access.has_role(user, Role.SYSTEM_SPECIALIST)
    return access.in_department(user, D.QUALITY)


def _assign_specialist(ctx) -> None:
    """With one system specialist, the 8D steps are theirs by name (reminders and work list)."""
    if ctx.record.routing == Routing.SYSTEM_SPECIALIST:
        holders = specialists()
        if len(holders) == 1:
            ctx.next_assignee = holders[0].user


# --- planning an audit -------------------------------------------------------------------------------


def _customer(code):
    from kefu.customers.models import Customer

    if not code:
        raise Invalid(_("name the customer"), field="customer")
    if not isinstance(code, str):
        return code
    customer = Customer.objects.filter(code=code).first()
    if customer is None:
        raise Invalid(_("no customer %(code)s") % {"code": code}, field="customer")
    return customer


def _departments(rows) -> list[dict]:
    out, seen = [], set()
    for row in rows or []:
        code = (row.get("department") or "").strip()
        if code not in D.values:
            raise Invalid(
                _("unknown department %(code)r; choose one of %(codes)s")
                % {"code": code, "codes": ", ".join(D.values)},
                field="departments",
            )
        if code in seen:
            continue
        seen.add(code)
        out.append({"department": code, "manager": (row.get("manager") or "").strip()[:100]})
    if not out:
        raise Invalid(_("name at least one of our departments taking part"), field="departments")
    return out


def _auditors(rows) -> list[dict]:
    out = []
    for row in rows or []:
        name = (row.get("name") or "").strip()
        if name:
            out.append(
                {
                    "name": name[:100],
                    "title": (row.get("title") or "").strip()[:100],
                    "email": (row.get("email") or "").strip()[:200],
                }
            )
    return out


def may_plan(user) -> bool:
    """Sales / customer service organise the audit (000 3.1); quality and the GM office may too."""
    return (
        access.in_department(user, D.SALES)
        or access.in_department(user, D.QUALITY)
        or access.in_department(user, D.GM_OFFICE)
        or (access.is_executive(user) and access.rank(user) > 0)
    )


def require_planner(user) -> None:
    if not may_plan(user):
        raise Forbidden(_("audits are planned by sales / customer service, quality or the GM office"))


@transaction.atomic
def plan_audit(
    *,
    by,
    customer,
    audit_type: str,
    planned_start: dt.datetime,
    planned_end: dt.datetime,
    departments,
    auditors=(),
    scope: str = "",
    now: dt.datetime | None = None,
) -> Audit:
    """Plan an audit (R7.1): its first step (preparation, due at the planned start) and the advance
    notices as tasks of sales / customer service, each due its setting's time before the audit:
    the departments told (000 4.1.1), the opening meeting's e-mail (4.2.1) and, for a key customer,
    the preparation meeting (4.1.2)."""
    now = now or timezone.now()
    if audit_type not in AuditType.values:
        raise Invalid(
            _("unknown audit type %(t)r; one of %(types)s")
            % {"t": audit_type, "types": ", ".join(AuditType.values)},
            field="audit_type",
        )
    if planned_end < planned_start:
        raise Invalid(_("the audit cannot end before it starts"), field="planned_end")
    customer = _customer(customer)
    a = Audit(
        period=period_of(now),
        customer=customer,
        audit_type=audit_type,
        planned_start=planned_start,
        planned_end=planned_end,
        departments=_departments(departments),
        auditors=_auditors(auditors),
        scope=scope or "",
        key_customer=bool(customer.is_key),
        created_at=now,
        created_by=by if by is not None and by.is_authenticated else None,
        status=Status.PLANNED,
    )
    a.serial = numbering.next_serial(f"audit:{a.period}")
    a.number = format_number(a.period, a.serial)
    flow = registry.get(FLOW_NAME)
    engine.open_record(
        flow,
        a,
        by=by,
        now=now,
        data={"customer": customer.code, "audit_type": audit_type, "key": a.key_customer},
    )
    settings, calendar = config.snapshot(), WorkCalendar.cached()
    if a.key_customer:
        tasks = [engine.new_step(flow, "prep_meeting", a, now=now, settings=settings, calendar=calendar)]
        Step.objects.bulk_create(tasks)
        outbox.save(_task_mail(a, tasks, now))
    notices.schedule(flow, a, settings=settings, calendar=calendar)
    return a


def _task_mail(a: Audit, tasks, now) -> list:
    flow = registry.get(FLOW_NAME)
    rows = []
    for t in tasks:
        label = flow.steps[t.code].label
        rows += outbox.build(
            kind="step_opened",
            subject=f"[{a.number}] {label}",
            body=_("%(title)s\n\nStep: %(step)s, due %(due)s.")
            % {
                "title": str(a),
                "step": label,
                "due": timezone.localtime(t.due_at).strftime("%Y-%m-%d %H:%M"),
            },
            memberships=outbox.members([t.department.code]),
            obj_type=FLOW_NAME,
            obj_id=a.number,
            now=now,
        )
    return rows


# --- nonconformities and documents -------------------------------------------------------------------

NC_STATES = (Status.IN_PROGRESS, Status.FINDINGS, Status.CORRECTIVE)


@transaction.atomic
def add_nonconformity(
    a: Audit, *, by, description: str, department, clause: str = "", severity: str = "general", now=None
) -> Nonconformity:
    """A finding of the customer (000 4.4.1), recorded during the audit or while the findings are
    collected; each becomes an 8D when quality / the system specialist opens them."""
    from kefu.complaints.choices import Severity

    now = now or timezone.now()
    locked = Audit.objects.select_for_update().select_related("customer").get(pk=a.pk)
    if locked.status not in NC_STATES:
        from kefu.core.errors import Conflict

        raise Conflict(
            _(
                "nonconformities are recorded while the audit is in progress, its findings collected or its 8Ds opened"
            ),
            allowed=[],
            status=locked.status,
        )
    if not may_plan(by) and not may_route(by, locked):
        raise Forbidden(
            _("nonconformities are recorded by sales / customer service, quality or the GM office")
        )
    description = (description or "").strip()
    if not description:
        raise Invalid(_("must not be empty"), field="description")
    if severity not in Severity.values:
        raise Invalid(_("unknown severity %(s)r") % {"s": severity}, field="severity")
    if department not in D.values:
        raise Invalid(_("unknown department %(code)r") % {"code": department}, field="department")
    seq = (locked.nonconformities.aggregate(m=Max("seq"))["m"] or 0) + 1
    nc = Nonconformity.objects.create(
        audit=locked,
        seq=seq,
        key=f"{locked.number}-NC{seq:02d}",
        description=description[:20_000],
        clause=(clause or "").strip()[:200],
        severity=severity,
        department=org.department(department),
        recorded_by=by,
        recorded_at=now,
    )
    audit.record(
        locked,
        "add_nonconformity",
        by=by,
        note=nc.description,
        data={"nonconformity": nc.key, "department": department, "severity": severity},
        object_type=FLOW_NAME,
        object_id=locked.number,
        at=now,
    )
    return nc


def add_attachments(a: Audit, uploads, *, by, folder: str = Folder.P, customer_format=False, now=None):
    """Documents of the audit in their PDCA folder (CSR稽查 4.1 7.3.1), checked as the complaint's
    files are (type by content, size, count)."""
    now = now or timezone.now()
    uploads = [u for u in (uploads or []) if u is not None]
    if not uploads:
        raise Invalid(_("choose at least one file"), field=files.FIELD)
    if folder not in Folder.values:
        raise Invalid(_("unknown folder %(f)r; one of p, d, c, a") % {"f": folder}, field="folder")
    with files.WrittenFiles() as written, transaction.atomic():
        locked = Audit.objects.select_for_update().get(pk=a.pk)
        checked = files.check_files(uploads, existing=locked.attachments.count())
        stored = []
        for item in checked:
            att = Attachment(
                audit=locked,
                folder=folder,
                customer_format=bool(customer_format) and folder == Folder.A,
                original_name=item.name,
                content_type=item.content_type,
                size=item.size,
                uploaded_by=by if by is not None and by.is_authenticated else None,
                uploaded_at=now,
            )
            written.store(att, item)
            stored.append(att)
        audit.record(
            locked,
            "attach",
            by=by,
            data={"folder": folder, "files": [x.original_name for x in stored]},
            object_type=FLOW_NAME,
            object_id=locked.number,
            at=now,
        )
    return stored


# --- the 8Ds ---------------------------------------------------------------------------------------------


def capas_of(a: Audit):
    from kefu.capa.models import Capa

    return Capa.objects.filter(source_type="audit", source_key__startswith=f"{a.number}-NC").order_by(
        "source_key"
    )


def open_8d_count(a: Audit) -> tuple[int, int]:
    """(nonconformities without an 8D, 8Ds not closed)."""
    from kefu.capa.models import CLOSED_STATES as CAPA_CLOSED

    keys = set(a.nonconformities.values_list("key", flat=True))
    capas = list(capas_of(a).values_list("source_key", "status"))
    covered = {k for k, _s in capas}
    return len(keys - covered), sum(1 for _k, s in capas if s not in CAPA_CLOSED)


def all_8ds_closed(a: Audit, sit=None) -> bool:
    missing, still_open = open_8d_count(a)
    return missing == 0 and still_open == 0


def on_capa_closed(capa, ctx) -> None:
    """An 8D of an audit closed (``kefu.capa.services.on_closed``): when it was the audit's last open
    one, the 8D owner of the audit (quality or the system specialist) is told that the audit can be
    confirmed and its improvement report sent; the audit's history says so."""
    nc = Nonconformity.objects.select_related("audit").filter(key=capa.source_key).first()
    if nc is None:
        return
    a = nc.audit
    from kefu.capa.models import CLOSED_STATES as CAPA_CLOSED

    others_open = capas_of(a).exclude(pk=capa.pk).exclude(status__in=CAPA_CLOSED).exists()
    missing, _still_open = open_8d_count(a)
    if others_open or missing:
        return
    audit.record(
        a, "all_8ds_closed", by=ctx.by, data={"last": capa.number}, object_type=FLOW_NAME,
        object_id=a.number, at=ctx.now,
    )  # fmt: skip
    if a.status != Status.FOLLOW_UP:
        return
    step = (
        Step.objects.filter(record_type=FLOW_NAME, record_id=a.pk, kind=Kind.STEP, done_at__isnull=True)
        .select_related("department", "assignee")
        .first()
    )
    if step is None:
        return
    subject = f"[{a.number}] " + _("All 8Ds of the audit are closed: confirm and send the improvement report")
    body = _("%(title)s\n\nThe last 8D (%(capa)s) was closed.") % {"title": str(a), "capa": capa.number}
    if step.assignee_id:
        rows = outbox.build(kind="audit_8ds_closed", subject=subject, body=body, users=[step.assignee],
                            obj_type=FLOW_NAME, obj_id=a.number, now=ctx.now)  # fmt: skip
    else:
        members = engine.eligible(outbox.members([step.department.code]), step.department.code, step.role)
        rows = outbox.build(kind="audit_8ds_closed", subject=subject, body=body, memberships=members,
                            obj_type=FLOW_NAME, obj_id=a.number, now=ctx.now)  # fmt: skip
    outbox.save(rows)


# --- the actions' effects --------------------------------------------------------------------------------


def _attendees(d) -> list[dict]:
    return [{"name": n, "side": "ours"} for n in d.ours] + [
        {"name": n, "side": "customer"} for n in d.customer
    ]


def _meeting(ctx, kind: str) -> AuditMeeting:
    d = ctx.data
    m = AuditMeeting.objects.create(
        audit=ctx.record,
        kind=kind,
        held_at=d.held_at or ctx.now,
        attendees=_attendees(d),
        minutes=d.minutes,
        recorded_by=ctx.by,
        recorded_at=ctx.now,
    )
    ctx.created = m
    ctx.audit_data["meeting"] = kind
    return m


def _when(moment) -> str:
    return timezone.localtime(moment, TZ).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _dept_lines(a: Audit) -> str:
    return "\n".join(
        f"- {D(d['department']).label}" + (f" ({d['manager']})" if d.get("manager") else "")
        for d in a.departments or []
    )


# --- the advance notices (``Flow.notices``, sent by the engine's notice pass) ----------------------------


def notice_recipients(a: Audit):
    """The managers of our departments taking part (000 4.1.1, 4.1.3: managers attend), and of sales
    / customer service, who chair the meetings."""
    return sorted(set(a.department_codes()) | {D.SALES}), Role.MANAGER, []


def departments_text(a: Audit, moment) -> tuple[str, str]:
    """000 4.1.1: the departments are told of the audit so they can arrange who attends."""
    body = _(
        "Customer audit %(name)s from %(start)s to %(end)s.\nAuditors: %(auditors)s\nScope: %(scope)s\n\n"
        "Departments taking part:\n%(departments)s\n\nPlease arrange who attends."
    ) % {
        "name": a.name, "start": _when(a.planned_start), "end": _when(a.planned_end),
        "auditors": "、".join(x["name"] for x in a.auditors or []) or "—", "scope": a.scope or "—",
        "departments": _dept_lines(a),
    }  # fmt: skip
    return _("Customer audit on %(day)s") % {"day": _when(moment)}, body


def opening_text(a: Audit, moment) -> tuple[str, str]:
    """000 4.2.1: the opening meeting's attendees are e-mailed one day before the audit."""
    body = _(
        "The opening meeting of the customer audit %(name)s is at %(start)s, chaired by sales / customer "
        "service. Please attend.\n\n%(departments)s"
    ) % {"name": a.name, "start": _when(moment), "departments": _dept_lines(a)}
    return _("Opening meeting at %(at)s") % {"at": _when(moment)}, body


def closing_text(a: Audit, moment) -> tuple[str, str]:
    """000 4.2.3: the closing meeting's attendees are reminded one hour before it."""
    body = _("The closing meeting of the customer audit %(name)s is at %(at)s. Please be there on time.") % {
        "name": a.name, "at": _when(moment),
    }  # fmt: skip
    return _("Closing meeting at %(at)s") % {"at": _when(moment)}, body


def closing_moment(a: Audit):
    """The closing meeting's planned time while it is still to be held."""
    return a.closing_planned_at if a.status in (Status.PLANNED, Status.IN_PROGRESS) else None


def start_moment(a: Audit):
    """The planned start while the audit has not begun."""
    return a.planned_start if a.status == Status.PLANNED else None


def apply_prep_meeting(ctx) -> None:
    """000 4.1.2-4.1.3: the preparation meeting of a key customer's audit, managers attending."""
    _meeting(ctx, MeetingKind.PREPARATION)


def apply_open_meeting(ctx) -> None:
    """000 4.2.1-4.2.2: the opening meeting held; preparation tasks still open close as missed."""
    _meeting(ctx, MeetingKind.OPENING)
    _close_tasks(ctx, PREPARATION_TASKS, "missed")
    notices.drop(ctx.flow, ctx.record, ("departments", "opening"))  # the audit began: moot


def apply_schedule_closing(ctx) -> None:
    """000 4.2.3: the closing meeting's time is fixed; its attendees are reminded an hour before (an
    advance notice of the engine). A new time moves the reminder."""
    d, a = ctx.data, ctx.record
    if d.closing_at < a.planned_start:
        raise Invalid(_("the closing meeting cannot be before the audit starts"), field="closing_at")
    ctx.set(closing_planned_at=d.closing_at)
    notices.schedule(ctx.flow, a, settings=ctx.settings, calendar=ctx.cal())
    ctx.audit_data["closing_at"] = timezone.localtime(d.closing_at, TZ).isoformat()


def apply_close_meeting(ctx) -> None:
    """000 4.2.3: the closing meeting held; the findings are collected next (4.4.1)."""
    _meeting(ctx, MeetingKind.CLOSING)
    notices.drop(ctx.flow, ctx.record, ("closing",))


def apply_hand_over(ctx) -> None:
    """000 4.4.2-4.4.3: the nonconformities go to quality (a new customer) or to the system
    specialist (an existing one), who open their 8Ds. Without nonconformities the audit closes."""
    a = ctx.record
    ctx.set(routing=routing_of(a))
    ctx.audit_data.update(routing=a.routing, nonconformities=a.nonconformities.count())
    _assign_specialist(ctx)


def has_findings(d, a: Audit) -> bool:
    return a.nonconformities.exists()


def apply_open_8ds(ctx) -> None:
    """000 4.4.2-4.4.3: each nonconformity becomes an 8D (``kefu.capa``), the responsible department's
    reply on its 48-hour clock; opened by quality or the system specialist, who follow them."""
    from kefu.capa import services as capa

    a = ctx.record
    have = set(capas_of(a).values_list("source_key", flat=True))
    opened = []
    day = timezone.localtime(a.planned_start, TZ).strftime("%Y-%m-%d")
    for nc in a.nonconformities.select_related("department").order_by("seq"):
        if nc.key in have:
            continue
        c = capa.open_capa(
            by=ctx.by,
            title=(f"{a.name}: {nc.description}")[:200],
            department=nc.department.code,
            problem=nc.description,
            nonconformity=nc.clause or _("Customer audit finding"),
            severity=nc.severity,
            customer=a.customer,
            source_type="audit",
            source=nc.key,
            now=ctx.now,
            what=nc.description,
            where=a.customer.name,
            when=day,
            who="、".join(x["name"] for x in a.auditors or []),
        )
        opened.append(c.number)
    ctx.audit_data["capas"] = opened
    _assign_specialist(ctx)


def apply_send_report(ctx) -> None:
    """000 3.1: sales / customer service send the improvement report to the customer: recorded, and
    e-mailed (outbox) to the customer's auditors, else its contacts, who have an address."""
    from kefu.customers.models import Contact

    a = ctx.record
    addresses = [x["email"] for x in a.auditors or [] if x.get("email")]
    if not addresses:
        addresses = [
            e
            for e in Contact.objects.filter(customer_id=a.customer_id)
            .exclude(email="")
            .values_list("email", flat=True)
        ]
    lines = [
        f"{nc.key} {nc.description} -> {c.number if c else '—'}: {(c.corrective_action if c else '') or '—'}"
        for nc, c in nonconformities_with_8ds(a)
    ]
    body = _(
        "Dear customer,\n\nthe improvement report of audit %(name)s: every nonconformity was corrected "
        "and verified.\n\n%(lines)s\n\n%(note)s"
    ) % {"name": a.name, "lines": "\n".join(lines), "note": ctx.data.note}
    subject = f"[{a.number}] " + _("Improvement report of audit %(name)s") % {"name": a.name}
    seen = []
    for address in addresses:
        if address in seen:
            continue
        seen.append(address)
        ctx.notes.append(
            outbox.Notification(
                kind="audit_report", to=address, subject=subject[:200], body=body, object_type=FLOW_NAME,
                object_id=a.number, created_at=ctx.now, next_attempt_at=ctx.now,
            )
        )  # fmt: skip
    ctx.set(report_sent_at=ctx.now, report_sent_to=", ".join(seen))
    ctx.audit_data.update(sent_to=seen, customer_format=list(
        a.attachments.filter(customer_format=True).values_list("original_name", flat=True)
    ))  # fmt: skip


def nonconformities_with_8ds(a: Audit) -> list[tuple]:
    capas = {c.source_key: c for c in capas_of(a).select_related("department")}
    return [(nc, capas.get(nc.key)) for nc in a.nonconformities.select_related("department").order_by("seq")]


def apply_cancel(ctx) -> None:
    _close_tasks(ctx, PREPARATION_TASKS, "cancelled")
    notices.drop(ctx.flow, ctx.record)


def _close_tasks(ctx, codes, why: str) -> None:
    for code in codes:
        for t in ctx.sit.tasks.get(code, []):
            t.done_at = ctx.now
            t.done_by = ctx.by
            t.data = (
                {**(t.data or {}), why: True} if why == "missed" else {**(t.data or {}), "cancelled": why}
            )
            t.save(update_fields=["done_at", "done_by", "data"])


def source_url(key: str) -> str:
    """The page of the audit an 8D came from (its nonconformity's key ``AU-...-NC01``)."""
    from django.urls import reverse

    number = key.rsplit("-NC", 1)[0]
    return reverse("audits:detail", args=[number]) + f"#{key}"

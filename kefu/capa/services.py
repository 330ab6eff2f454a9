"""The CAPA's services (SPEC M6): open one by hand or from a complaint, add evidence, and what
each workflow action changes besides the steps (``apply_*``, called by the case engine inside
its transaction). Every state change is the engine's ``perform``: one transaction, one audit row.
"""

from __future__ import annotations

import calendar as pycal
import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.complaints import attachments as files
from kefu.core import audit, config, numbering, org
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.core.errors import Invalid
from kefu.core.workcalendar import TZ
from kefu.flow import engine, registry

from . import fishbone
from .models import Attachment, Capa, SourceType, Status

FLOW_NAME = "capa"


def period_of(moment: dt.datetime) -> int:
    local = timezone.localtime(moment, TZ)
    return local.year * 100 + local.month


def format_number(period: int, serial: int) -> str:
    """``8D-202612-0001``."""
    return f"8D-{period}-{serial:04d}"


def _department(code_or_obj):
    if code_or_obj is None or code_or_obj == "":
        raise Invalid(_("name the responsible department"), field="department")
    if not isinstance(code_or_obj, str):
        return code_or_obj
    if code_or_obj not in D.values:
        raise Invalid(
            _("unknown department %(code)r; choose one of %(codes)s")
            % {"code": code_or_obj, "codes": ", ".join(D.values)},
            field="department",
        )
    return org.department(code_or_obj)


def _customer(code):
    if not code:
        return None
    if not isinstance(code, str):
        return code
    from kefu.customers.models import Customer

    customer = Customer.objects.filter(code=code).first()
    if customer is None:
        raise Invalid(_("no customer %(code)s") % {"code": code}, field="customer")
    return customer


@transaction.atomic
def open_capa(
    *,
    by,
    title: str,
    department,
    problem: str,
    nonconformity: str,
    severity: str = "general",
    customer=None,
    source_type: str = SourceType.MANUAL,
    source: str = "",
    customer_deadline: dt.datetime | None = None,
    now: dt.datetime | None = None,
    **five_w_two_h,
) -> Capa:
    """Open a CAPA (R6.1) with its D1-D2 (the problem and its 5W2H: ``what``, ``where``, ``when``,
    ``who``, ``why``, ``how``, ``how_many``); the responsible department's reply step starts at once
    on its 48-hour clock (000 4.5.1). ``source_type`` + ``source`` link the record it came from."""
    now = now or timezone.now()
    if source_type != SourceType.MANUAL and not source:
        raise Invalid(_("name the source record"), field="source")
    capa = Capa(
        period=period_of(now),
        title=title,
        department=_department(department),
        problem=problem,
        nonconformity=nonconformity,
        severity=severity,
        customer=_customer(customer),
        source_type=source_type,
        source_key=source if source_type != SourceType.MANUAL else "",
        customer_deadline=customer_deadline,
        opened_at=now,
        opened_by=by if by is not None and by.is_authenticated else None,
        status=Status.REPLY,
        **{k: v or "" for k, v in five_w_two_h.items()},
    )
    capa.serial = numbering.next_serial(f"capa:{capa.period}")
    capa.number = format_number(capa.period, capa.serial)
    engine.open_record(
        registry.get(FLOW_NAME),
        capa,
        by=by,
        now=now,
        data={"source_type": capa.source_type, "source": capa.source_key, "department": capa.department.code},
    )
    return capa


def capas_of(source_type: str, key: str):
    return Capa.objects.filter(source_type=source_type, source_key=key).order_by("opened_at", "id")


def open_from_complaint(complaint, by, *, department=None, now: dt.datetime | None = None) -> Capa:
    """The CAPA of a complaint (the GM office's synthesis puts it under tracking, 002 篇4 第九条(六);
    or every valid complaint with ``capa.open_for_every_valid_complaint``, 004 COP14 5.3.1).

    The problem and its 5W2H come from the complaint; the responsible department is the
    complaint's unless ``department`` (a code) is given. Idempotent: while a CAPA of this complaint
    is open, that one is returned and no second is opened. Call it inside the caller's transaction
    (it joins it) or on its own.
    """
    existing = capas_of(SourceType.COMPLAINT, complaint.number).exclude(status=Status.CLOSED).first()
    if existing is not None:
        return existing
    dept = department or complaint.responsible_department
    if dept is None:
        raise Invalid(
            _("the complaint has no responsible department: name the department of the corrective action"),
            field="department",
        )
    quantity = ""
    if complaint.defect_quantity is not None or complaint.quantity is not None:
        quantity = _("%(defects)s defective of %(quantity)s") % {
            "defects": complaint.defect_quantity if complaint.defect_quantity is not None else "?",
            "quantity": complaint.quantity if complaint.quantity is not None else "?",
        }
    received = (
        timezone.localtime(complaint.received_at, TZ).strftime("%Y-%m-%d") if complaint.received_at else ""
    )
    return open_capa(
        by=by,
        title=complaint.title,
        department=dept,
        problem=complaint.description,
        nonconformity=complaint.get_category_display(),
        severity=complaint.severity,
        customer=complaint.customer,
        source_type=SourceType.COMPLAINT,
        source=complaint.number,
        customer_deadline=complaint.customer_deadline,
        now=now,
        what=complaint.title,
        where=complaint.customer.name,
        when=received,
        who=complaint.contact_name,
        how_many=quantity,
        how=" / ".join(x for x in (complaint.order_no, complaint.part_no) if x),
    )


def on_complaint_valid(complaint, by, *, now: dt.datetime | None = None) -> Capa | None:
    """Quality found ``complaint`` valid: with ``capa.open_for_every_valid_complaint`` on (004 COP14
    5.3.1), it gets its CAPA now; off (the default), nothing happens."""
    if not _on(config.snapshot().get("capa.open_for_every_valid_complaint")):
        return None
    return open_from_complaint(complaint, by, now=now)


def _on(value) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "on")


# --- evidence ------------------------------------------------------------------------------------


def add_attachments(capa: Capa, uploads, *, by, kind: str = Attachment.Kind.EVIDENCE, now=None) -> list:
    """Evidence (photos, training records, 000 4.6.1) or the report in the customer's format;
    checked as the complaint's files are (type by content, size, count)."""
    now = now or timezone.now()
    uploads = [u for u in (uploads or []) if u is not None]
    if not uploads:
        raise Invalid(_("choose at least one file"), field=files.FIELD)
    if kind not in Attachment.Kind.values:
        raise Invalid(_("unknown kind of file"), field="kind")
    with files.WrittenFiles() as written, transaction.atomic():
        locked = Capa.objects.select_for_update().get(pk=capa.pk)
        checked = files.check_files(uploads, existing=locked.attachments.count())
        stored = []
        for item in checked:
            att = Attachment(
                capa=locked,
                kind=kind,
                original_name=item.name,
                content_type=item.content_type,
                size=item.size,
                uploaded_by=by if by is not None and by.is_authenticated else None,
                uploaded_at=now,
            )
            written.store(att, item)
            stored.append(att)
        audit.record(
            locked, "attach", by=by, data={"kind": kind, "files": [a.original_name for a in stored]}, at=now
        )
    return stored


# --- the actions' effects ---------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, pycal.monthrange(year, month)[1]))


def verification_limit(reply_at: dt.datetime, settings: dict) -> dt.date:
    """The latest date the verification may be committed to: a month after the reply (000 4.7.2)."""
    months = int(settings.get("capa.verification_max_months", 1) or 1)
    return add_months(timezone.localtime(reply_at, TZ).date(), months)


def apply_reply(ctx) -> None:
    """The department's reply (D0, D3-D7, 000 4.6.1): with evidence attached, and a verification
    date at most a month away. It counts as sent only once the department manager approves it
    (``approve_reply``): until then the step, and its 48-hour clock, stay open."""
    d, capa = ctx.data, ctx.record
    if not capa.attachments.filter(kind=Attachment.Kind.EVIDENCE).exists():
        raise Invalid(
            _("attach the evidence (photos, training records) before replying (000 4.6.1)"),
            field="attachments",
        )
    bones = {
        name: fishbone.normalise(getattr(d, name), field=name)
        for name in ("fishbone_occurrence", "fishbone_escape")
    }
    for whys, bone in (("why_occurrence", "fishbone_occurrence"), ("why_escape", "fishbone_escape")):
        if not getattr(d, whys) and not bones[bone]:
            raise Invalid(_("D4: give the 5-Why rows or the fishbone (6M) causes, or both"), field=whys)
    today = timezone.localtime(ctx.now, TZ).date()
    limit = verification_limit(ctx.now, ctx.settings)
    if d.verify_by < today or d.verify_by > limit:
        raise Invalid(
            _(
                "the verification date must be between %(today)s and %(limit)s, a month after the reply (000 4.7.2)"
            )
            % {"today": today.isoformat(), "limit": limit.isoformat()},
            field="verify_by",
        )
    ctx.set(
        team=list(d.team),
        containment=d.containment,
        plant_checked=d.plant_checked,
        plant_nonconforming=d.plant_nonconforming,
        transit_checked=d.transit_checked,
        transit_nonconforming=d.transit_nonconforming,
        customer_checked=d.customer_checked,
        customer_nonconforming=d.customer_nonconforming,
        why_occurrence=list(d.why_occurrence),
        fishbone_occurrence=bones["fishbone_occurrence"],
        root_cause_occurrence=d.root_cause_occurrence,
        why_escape=list(d.why_escape),
        fishbone_escape=bones["fishbone_escape"],
        root_cause_escape=d.root_cause_escape,
        corrective_action=d.corrective_action,
        implementation=d.implementation,
        verify_by=d.verify_by,
        prevention=d.prevention,
        documents=[doc.model_dump() for doc in d.documents],
        reply_submitted_at=ctx.now,
        reply_submitted_by=ctx.by,
        reply_approved_at=None,
        reply_approved_by=None,
    )
    ctx.notify(
        "capa_reply",
        _("8D reply waits for the department manager's approval"),
        _("The reply counts as sent only once the manager approves it (000 4.6.1)."),
        departments=[capa.department.code],
        min_role=Role.MANAGER,
    )


def apply_approve_reply(ctx) -> None:
    """The department manager approves the reply: now it is sent, and quality sees it (R6.3)."""
    ctx.set(reply_approved_at=ctx.now, reply_approved_by=ctx.by)
    ctx.audit_data["reply_submitted_at"] = timezone.localtime(ctx.record.reply_submitted_at).isoformat()


def apply_send_back(ctx) -> None:
    """Quality (or the management rep) sends the report back: revised within 24 hours (000 4.5.1)."""
    ctx.set(reply_approved_at=None, reply_approved_by=None, reply_submitted_at=None)


def apply_approve_report(ctx) -> None:
    """The management representative approves the final report (000 4.6.2, 004 COP14)."""
    ctx.set(report_approved_at=ctx.now, report_approved_by=ctx.by)


def apply_verify(ctx) -> None:
    """Quality verifies the implementation (000 4.7.1). Ineffective (4.7.2, R6.4): a written notice to
    the department, the management rep informed, the record reopens at D4 (a new reply on its
    48-hour clock)."""
    d, capa = ctx.data, ctx.record
    ctx.set(effective=d.effective, verification=d.result, verified_at=ctx.now)
    if d.effective:
        return
    ctx.set(
        reopened=capa.reopened + 1,
        reply_submitted_at=None,
        reply_submitted_by=None,
        reply_approved_at=None,
        reply_approved_by=None,
        report_approved_at=None,
        report_approved_by=None,
    )
    ctx.audit_note = _("Verification: not effective; the corrective action reopens at D4 (root cause).")
    body = _(
        "Written notice (000 4.7.2): the corrective action %(number)s was not carried out completely or "
        "was not effective.\n\nVerification: %(result)s\n\nThe 8D reopens at D4: reply again with the root "
        "cause and the corrective action."
    ) % {"number": capa.number, "result": d.result}
    ctx.notify(
        "capa_ineffective",
        _("Written notice: corrective action not effective"),
        body,
        departments=[capa.department.code],
    )
    ctx.notify(
        "capa_ineffective",
        _("For information: corrective action not effective"),
        body,
        departments=[D.MANAGEMENT_REP],
        roles=[Role.MANAGEMENT_REP],
    )


def apply_customer_deadline(ctx) -> None:
    """Quality or the management rep sets, moves or removes the deadline the customer set, after
    opening (000 4.5.1, 4.7.2: it replaces the clocks): the open step's deadline is computed again
    by the engine, the history says old -> new for both, the step's department is told."""
    d, capa = ctx.data, ctx.record
    old, new = capa.customer_deadline, d.customer_deadline
    if new == old:
        raise Invalid(_("the customer's deadline is already this"), field="customer_deadline")
    if new is not None and new <= ctx.now:
        raise Invalid(_("the customer's deadline must be later than now"), field="customer_deadline")
    ctx.set(customer_deadline=new)
    before, after = engine.recompute_step_deadline(ctx)

    def when(moment):
        return timezone.localtime(moment, TZ).strftime("%Y-%m-%d %H:%M") if moment else _("none")

    def iso(moment):
        return timezone.localtime(moment, TZ).isoformat() if moment else None

    note = _("Deadline set by the customer: %(old)s -> %(new)s.") % {"old": when(old), "new": when(new)}
    step = ctx.sit.step
    if step is not None:
        note += " " + _("Step %(step)s due %(before)s -> %(after)s.") % {
            "step": engine.step_label(ctx.flow, step),
            "before": when(before),
            "after": when(after),
        }
    ctx.audit_note = note
    ctx.audit_data.update(
        customer_deadline_before=iso(old),
        customer_deadline_after=iso(new),
        step=step.code if step is not None else None,
        step_due_before=iso(before),
        step_due_after=iso(after),
    )
    if step is not None and before != after:
        ctx.notify(
            "capa_deadline",
            _("The customer's deadline changed: now due %(when)s") % {"when": when(after)},
            f"{note}\n\n{d.reason}",
            departments=[step.department.code],
        )


def apply_close(ctx) -> None:
    """D8: closure and the team's recognition; the record the CAPA came from hears of it
    (``on_closed``: an audit waits for all its 8Ds), in the same transaction."""
    ctx.set(closure=ctx.data.closure, recognition=ctx.data.recognition)
    for callback in _ON_CLOSED.get(ctx.record.source_type, ()):
        callback(ctx.record, ctx)


# Record types a CAPA comes from register here what happens when it closes, and where their page
# is, so that capa imports none of them: ``callback(capa, ctx)`` runs inside the closing action's
# transaction (engine ``Ctx``); ``url(source_key)`` is the source's page.
_ON_CLOSED: dict[str, list] = {}
SOURCE_URLS: dict[str, object] = {}


def on_closed(source_type: str, callback) -> None:
    if callback not in _ON_CLOSED.setdefault(source_type, []):
        _ON_CLOSED[source_type].append(callback)


def source_url_for(source_type: str, url) -> None:
    SOURCE_URLS[source_type] = url


def verification_due(capa: Capa):
    """The verification step's deadline: the end of the day the department committed to."""
    if capa.verify_by is None:
        return None
    return dt.datetime.combine(capa.verify_by, dt.time(23, 59, 59), tzinfo=TZ)


def may_open(user) -> bool:
    """Quality fills the 8D form (000 4.4.2); the system specialist for an audit (4.4.3); the GM
    office and the executives may as well."""
    from kefu.core import access

    return (
        access.in_department(user, D.QUALITY)
        or access.in_department(user, D.GM_OFFICE)
        or (access.is_executive(user) and access.rank(user) > 0)
    )


def require_opener(user) -> None:
    from kefu.core.errors import Forbidden

    if not may_open(user):
        raise Forbidden(_("corrective actions are opened by quality, the GM office or an executive"))

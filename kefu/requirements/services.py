"""The requirement registers' services (SPEC M12): register a CSR with its departments' reviews,
attach files (source documents, CMRT reports), open the HSF cycles (by the scheduled job, or by
hand on a customer's change), and what each workflow action changes besides the steps
(``apply_*``, called by the case engine inside its transaction).
"""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.complaints import attachments as files
from kefu.core import access, audit, config, numbering, org
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.core.errors import Forbidden, Invalid
from kefu.core.workcalendar import TZ, WorkCalendar
from kefu.flow import engine, registry
from kefu.flow.models import Step

from .models import (
    CUSTOMER_KINDS,
    Answer,
    CsrDocument,
    CsrStatus,
    CycleKind,
    CycleStatus,
    HsfCycle,
    Law,
    Requirement,
    RequirementFile,
    Review,
    SubstanceLimit,
)

log = logging.getLogger(__name__)

CSR_FLOW = "csr"
HSF_FLOW = "hsf"
REVIEW_TASK = "department_review"
ACTION_TASK = "csr_action"
COMPANY = "*"  # the scope of the law collection and the compliance evaluation


def _customer(code):
    from kefu.customers.models import Customer

    if not isinstance(code, str):
        return code
    customer = Customer.objects.filter(code=code).first()
    if customer is None:
        raise Invalid(_("no customer %(code)s") % {"code": code}, field="customer")
    return customer


def _by(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _period(moment: dt.datetime) -> int:
    local = timezone.localtime(moment, TZ)
    return local.year * 100 + local.month


# --- CSR ------------------------------------------------------------------------------------------------


def may_register(user) -> bool:
    """Sales (经营部, the customer's window, 004 5.1), quality, the GM office and the executives."""
    return (
        access.in_department(user, D.SALES)
        or access.in_department(user, D.QUALITY)
        or access.in_department(user, D.GM_OFFICE)
        or (access.is_executive(user) and access.rank(user) > 0)
    )


def require_registrar(user) -> None:
    if not may_register(user):
        raise Forbidden(_("requirements are registered by sales, quality, the GM office or an executive"))


def document_for(customer, *, title: str, number: str, revision: str, date: dt.date, by=None) -> CsrDocument:
    """The customer's source document of this number and revision (created the first time)."""
    doc, created = CsrDocument.objects.get_or_create(
        customer=customer,
        number=number,
        revision=revision,
        defaults={"title": title, "issued_on": date, "created_by": _by(by)},
    )
    return doc


@transaction.atomic
def register_requirement(
    *,
    by,
    customer,
    document: dict | CsrDocument,
    title: str,
    text: str,
    departments: list[str],
    clause: str = "",
    red_line: bool = False,
    linked_documents: list[dict] | None = None,
    now: dt.datetime | None = None,
) -> Requirement:
    """Register a customer-specific requirement (004 顾客特殊要求清单) and start its review: one
    review row and one task per named department (004 5.2 各相关部门评审), each on the clock
    ``due.csr.department_review`` (5 working days)."""
    now = now or timezone.now()
    customer = _customer(customer)
    codes = list(dict.fromkeys(departments or []))
    if not codes:
        raise Invalid(_("name at least one department that reviews the requirement"), field="departments")
    for code in codes:
        if code not in D.values:
            raise Invalid(
                _("unknown department %(code)r; choose among %(codes)s")
                % {"code": code, "codes": ", ".join(D.values)},
                field="departments",
            )
    if not isinstance(document, CsrDocument):
        document = document_for(customer, by=by, **document)
    elif document.customer_id != customer.pk:
        raise Invalid(_("the document belongs to another customer"), field="document")
    req = Requirement(
        period=_period(now),
        customer=customer,
        document=document,
        clause=clause,
        title=title,
        text=text,
        red_line=red_line,
        departments=codes,
        linked_documents=list(linked_documents or []),
        opened_at=now,
        opened_by=_by(by),
        status=CsrStatus.REVIEW,
    )
    req.serial = numbering.next_serial(f"csr:{req.period}")
    req.number = f"CSR-{req.period}-{req.serial:04d}"
    req.save()
    flow = registry.get(CSR_FLOW)
    settings, calendar = config.snapshot(), WorkCalendar.cached()
    tasks = [
        engine.new_step(
            flow, REVIEW_TASK, req, now=now, settings=settings, calendar=calendar,
            ctx=SimpleNamespace(department=code),
        )
        for code in codes
    ]  # fmt: skip
    Step.objects.bulk_create(tasks)
    Review.objects.bulk_create([Review(requirement=req, department=org.department(c)) for c in codes])
    req.due_at = min(t.due_at for t in tasks)
    req.save(update_fields=["due_at"])
    audit.record(
        req, "open", by=by, to_state=req.status, object_type=CSR_FLOW, object_id=req.number, at=now,
        data={"customer": customer.code, "document": f"{document.number} {document.revision}",
              "departments": codes, "red_line": red_line},
    )  # fmt: skip
    return req


def _mine(ctx, code: str) -> Step:
    """The open task ``code`` of the acting user's department (the Who test made sure there is one)."""
    for task in ctx.sit.tasks.get(code, []):
        if access.in_department(ctx.by, task.department.code, min_role=Role.CLERK):
            return task
    raise Forbidden(_("your department has no open task here"))


def _after_csr(ctx, closing: Step) -> None:
    """The requirement's state and due time once ``closing`` is done: reviewed when every named
    department answered (004 5.2); in force when, besides, no action is open."""
    req = ctx.record
    reviews = list(req.reviews.all())
    open_rows = [s for s in ctx.steps if s.done_at is None and s.kind == "task" and s is not closing]
    if all(r.answered for r in reviews):
        if req.reviewed_at is None:
            ctx.set(reviewed_at=ctx.now)
        req._next_status = CsrStatus.ACTION if any(r.action_open for r in reviews) else CsrStatus.IN_FORCE
    else:
        req._next_status = CsrStatus.REVIEW
    ctx.set(due_at=min((s.due_at for s in open_rows), default=None))


def apply_review(ctx) -> None:
    """A department answers: accepted, not applicable, or needs action (the action and its owner,
    which keeps the requirement open until the action is done)."""
    d = ctx.data
    task = _mine(ctx, REVIEW_TASK)
    ctx.task = task
    review = Review.objects.select_for_update().get(requirement=ctx.record, department=task.department)
    owner = None
    if d.answer == Answer.NEEDS_ACTION:
        if not d.action:
            raise Invalid(_("say what action is needed"), field="action")
        owner = ctx.by
        if d.action_owner:
            owner = get_user_model().objects.filter(username=d.action_owner, is_active=True).first()
            if owner is None:
                raise Invalid(_("no active user %(u)r") % {"u": d.action_owner}, field="action_owner")
    elif d.action or d.action_owner or d.action_due:
        raise Invalid(_("an action is given only with the answer needs_action"), field="action")
    review.answer = d.answer
    review.comment = d.comment
    review.action = d.action
    review.action_owner = owner
    review.action_due = d.action_due
    review.answered_by = ctx.by
    review.answered_at = ctx.now
    review.save()
    ctx.audit_data.update({"department": task.department.code, "answer": d.answer})
    if owner is not None:
        ctx.owner_department = task.department.code
        action_task = engine.open_task(ctx, ACTION_TASK, data={"review": review.pk, "owner": owner.username})
        if d.action_due is not None:
            action_task.due_at = dt.datetime.combine(d.action_due, dt.time(23, 59, 59), tzinfo=TZ)
            action_task.save(update_fields=["due_at"])
    _after_csr(ctx, task)


def apply_action_done(ctx) -> None:
    """The action a department's review asked for is done."""
    task = _mine(ctx, ACTION_TASK)
    ctx.task = task
    review = Review.objects.select_for_update().get(requirement=ctx.record, department=task.department)
    review.action_done_at = ctx.now
    review.action_done_by = ctx.by
    review.action_result = ctx.data.result
    review.save(update_fields=["action_done_at", "action_done_by", "action_result"])
    ctx.audit_data["department"] = task.department.code
    _after_csr(ctx, task)


def apply_withdraw(ctx) -> None:
    """The customer withdrew the requirement: its open reviews and actions are cancelled."""
    for task in [s for s in ctx.steps if s.done_at is None and s.kind == "task"]:
        engine._cancel(ctx, task, "withdrawn")
    ctx.set(due_at=None)


def csr_owner(req, ctx):
    """A review or action task belongs to the department it is opened for."""
    return getattr(ctx, "department", None) or ctx.owner_department, Role.CLERK, {}


# --- files: source documents, CMRT reports, linked documents ------------------------------------


def add_files(
    customer, uploads, *, by, kind: str, document=None, requirement=None, dated=None, now=None
) -> list[RequirementFile]:
    """Files of a customer's register: a source document's file, a CMRT report (its date required,
    000 CSR 4.4 1.2.4), a document linked to a requirement; checked as the complaint's files are
    (type by content, size, count)."""
    now = now or timezone.now()
    uploads = [u for u in (uploads or []) if u is not None]
    if not uploads:
        raise Invalid(_("choose at least one file"), field=files.FIELD)
    if kind not in RequirementFile.Kind.values:
        raise Invalid(_("unknown kind of file"), field="kind")
    if kind == RequirementFile.Kind.CMRT and dated is None:
        raise Invalid(_("give the date of the CMRT report"), field="dated")
    if kind == RequirementFile.Kind.SOURCE and document is None:
        raise Invalid(_("name the source document"), field="document")
    if kind == RequirementFile.Kind.LINKED and requirement is None:
        raise Invalid(_("name the requirement"), field="requirement")
    if dated is not None and dated > timezone.localtime(now, TZ).date():
        raise Invalid(_("the report date is in the future"), field="dated")
    with files.WrittenFiles() as written, transaction.atomic():
        existing = RequirementFile.objects.filter(
            customer=customer, kind=kind, document=document, requirement=requirement
        ).count()
        checked = files.check_files(uploads, existing=existing)
        stored = []
        for item in checked:
            f = RequirementFile(
                customer=customer, document=document, requirement=requirement, kind=kind, dated=dated,
                original_name=item.name, content_type=item.content_type, size=item.size,
                uploaded_by=_by(by), uploaded_at=now,
            )  # fmt: skip
            written.store(f, item)
            stored.append(f)
        audit.record(
            customer, "attach", by=by, at=now, object_type="requirements", object_id=customer.code,
            data={"kind": kind, "dated": dated.isoformat() if dated else None,
                  "files": [f.original_name for f in stored]},
        )  # fmt: skip
    return stored


# --- HSF cycles -----------------------------------------------------------------------------------------


def _month_day(value: str, year: int) -> dt.date:
    month, day = (int(p) for p in str(value).split("-"))
    return dt.date(year, month, day)


def _months(value) -> set[int]:
    return {int(m) for m in str(value).replace(" ", "").split(",") if m}


def _new_cycle(
    kind, *, customer, period: str, now, by=None, reason: str = "", due_by=None
) -> HsfCycle | None:
    """Open one cycle with its first step; None when the cycle of this scope and period exists
    (the unique constraint decides, also between two runs at once)."""
    cycle = HsfCycle(
        kind=kind,
        customer=customer,
        scope=customer.code if customer is not None else COMPANY,
        period=period,
        reason=reason,
        due_by=due_by,
        opened_at=now,
        opened_by=_by(by),
        status=CycleStatus.COLLECT,
    )
    try:
        with transaction.atomic():  # a savepoint: a refused cycle gives its serial back
            serial = numbering.next_serial(f"hsf:{_period(now)}")
            cycle.number = f"HSF-{_period(now)}-{serial:04d}"
            engine.open_record(
                registry.get(HSF_FLOW), cycle, by=by, now=now,
                data={"kind": kind, "scope": cycle.scope, "period": period},
            )  # fmt: skip
    except IntegrityError:
        return None
    return cycle


def hsf_customers():
    """The customers whose limits are collected every December: those with limits on record (a
    customer's first limits come with a change cycle opened by hand)."""
    from kefu.customers.models import Customer

    return Customer.objects.filter(
        pk__in=SubstanceLimit.objects.filter(current=True).values("customer_id")
    ).order_by("code")


def open_due_cycles(now: dt.datetime | None = None) -> dict[str, int]:
    """The scheduled job (000 HSF 5.1-5.2): safe to run every few minutes, twice, or twice at once.

    - December (``hsf.annual_month``, from day ``hsf.annual_day``): the annual collection of each
      HSF customer's limits, due ``hsf.annual_due`` (12-31) of that year;
    - January and July (``hsf.laws_months``): the half-yearly law collection, due
      ``hsf.laws_due_days`` calendar days later;
    - ``hsf.evaluation_months`` (January): the yearly compliance evaluation, due
      ``hsf.evaluation_due_days`` later.
    Every day of such a month is a chance to open what is missing (a job that did not run on the
    1st catches up); the unique (kind, scope, period) makes each open once.
    """
    now = now or timezone.now()
    local = timezone.localtime(now, TZ)
    s = config.snapshot()
    opened = {"annual": 0, "laws": 0, "evaluation": 0}
    if local.month == int(s["hsf.annual_month"]) and local.day >= int(s["hsf.annual_day"]):
        period = str(local.year)
        due_by = _month_day(s["hsf.annual_due"], local.year)
        have = set(
            HsfCycle.objects.filter(kind=CycleKind.ANNUAL, period=period).values_list("scope", flat=True)
        )
        for customer in hsf_customers():
            if customer.code in have:
                continue
            if _new_cycle(CycleKind.ANNUAL, customer=customer, period=period, now=now, due_by=due_by):
                opened["annual"] += 1
    if local.month in _months(s["hsf.laws_months"]):
        period = f"{local.year}H{1 if local.month <= 6 else 2}"
        due_by = local.date() + dt.timedelta(days=int(s["hsf.laws_due_days"]))
        if not HsfCycle.objects.filter(kind=CycleKind.LAWS, scope=COMPANY, period=period).exists():
            if _new_cycle(CycleKind.LAWS, customer=None, period=period, now=now, due_by=due_by):
                opened["laws"] += 1
    if local.month in _months(s["hsf.evaluation_months"]):
        period = f"{local.year}-{local.month:02d}"
        due_by = local.date() + dt.timedelta(days=int(s["hsf.evaluation_due_days"]))
        if not HsfCycle.objects.filter(kind=CycleKind.EVALUATION, scope=COMPANY, period=period).exists():
            if _new_cycle(CycleKind.EVALUATION, customer=None, period=period, now=now, due_by=due_by):
                opened["evaluation"] += 1
    return opened


def scheduled() -> str:
    """The django-q2 schedule ``kefu-requirements`` (hourly)."""
    opened = open_due_cycles()
    return " ".join(f"{k}={v}" for k, v in opened.items())


def may_open_change(user) -> bool:
    """Sales collects the customer's changed limits (000 HSF 3.1, 5.1); quality and executives may too."""
    return may_register(user)


@transaction.atomic
def open_change_cycle(customer, *, by, reason: str, now: dt.datetime | None = None) -> HsfCycle:
    """A customer changed its HSF limits (000 HSF 5.1 不定期收集): a collection cycle on the clock
    ``due.hsf.collect`` (10 working days)."""
    if not may_open_change(by):
        raise Forbidden(_("a change of a customer's limits is opened by sales, quality or an executive"))
    now = now or timezone.now()
    customer = _customer(customer)
    if not (reason or "").strip():
        raise Invalid(_("say what the customer changed"), field="reason")
    serial = numbering.next_serial(f"hsf-change:{customer.pk}")
    period = f"{timezone.localtime(now, TZ).date().isoformat()}#{serial}"
    cycle = _new_cycle(
        CycleKind.CHANGE, customer=customer, period=period, now=now, by=by, reason=reason.strip()
    )
    assert cycle is not None  # the serial makes the period unique
    return cycle


def collect_owner(cycle, ctx):
    """Sales collects the customers' limits (000 HSF 3.1), quality the laws (3.2) and the evaluation."""
    return (D.SALES if cycle.kind in CUSTOMER_KINDS else D.QUALITY), Role.CLERK, {}


def hspm_owner(cycle, ctx):
    """The HSPM representative's department (setting ``hsf.hspm_department``)."""
    return str(config.snapshot().get("hsf.hspm_department") or D.QUALITY), Role.HSPM_REP, {}


def cycle_due(cycle):
    """The collection's fixed date (end of December, the law window), when the cycle has one."""
    if cycle.due_by is None:
        return None
    return dt.datetime.combine(cycle.due_by, dt.time(23, 59, 59), tzinfo=TZ)


def apply_collect(ctx) -> None:
    """What the cycle collected: the customer's limits (sales, 5.1), the laws (quality, 5.2) or the
    evaluation (result and whether we comply); replaces what an earlier submission of this cycle
    put down."""
    d, cycle = ctx.data, ctx.record
    if cycle.kind in CUSTOMER_KINDS:
        if not d.limits:
            raise Invalid(_("list the customer's substance limits"), field="limits")
        SubstanceLimit.objects.filter(cycle=cycle).delete()
        SubstanceLimit.objects.bulk_create(
            [
                SubstanceLimit(customer_id=cycle.customer_id, cycle=cycle, **lim.model_dump())
                for lim in d.limits
            ]
        )
        ctx.audit_data["limits"] = len(d.limits)
    elif cycle.kind == CycleKind.LAWS:
        if not d.laws:
            raise Invalid(_("list the applicable laws with their version and date"), field="laws")
        Law.objects.filter(cycle=cycle).delete()
        Law.objects.bulk_create([Law(cycle=cycle, **law.model_dump()) for law in d.laws])
        ctx.audit_data["laws"] = len(d.laws)
    else:
        if not d.result:
            raise Invalid(_("give the evaluation's result"), field="result")
        if d.compliant is None:
            raise Invalid(_("say whether we comply"), field="compliant")
        ctx.set(result=d.result, compliant=d.compliant)
    ctx.set(collected_at=ctx.now, collected_by=ctx.by)


def apply_identify(ctx) -> None:
    """Quality identified the customer's limits (000 HSF 5.1 交品保部识别)."""
    ctx.set(identified_at=ctx.now, identified_by=ctx.by)


def apply_send_back(ctx) -> None:
    ctx.set(identified_at=None, identified_by=None)


def apply_approve(ctx) -> None:
    """The HSPM representative approves (000 HSF 3.4): the cycle's limits (or laws) become the
    current ones, the earlier ones superseded."""
    cycle = ctx.record
    ctx.set(approved_at=ctx.now, approved_by=ctx.by)
    if cycle.kind in CUSTOMER_KINDS:
        SubstanceLimit.objects.filter(customer_id=cycle.customer_id, current=True).update(current=False)
        SubstanceLimit.objects.filter(cycle=cycle).update(current=True)
    elif cycle.kind == CycleKind.LAWS:
        for law in Law.objects.filter(cycle=cycle):
            Law.objects.filter(regime=law.regime, title=law.title, current=True).update(current=False)
        Law.objects.filter(cycle=cycle).update(current=True)


def is_hspm_rep(user, record=None, sit=None) -> bool:
    return access.has_role(user, Role.HSPM_REP)

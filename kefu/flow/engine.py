"""The case engine's services: every action of every flow as one atomic change (STYLE 1; SPEC M4/M5).

``perform(record, action, by=, data=)`` locks the record, reads its steps
once, asks the flow (409 / 403), validates the body (400 naming the field),
applies the record type's own effect, closes the open step with what was
submitted, opens the next one with its deadline from the step's clock, moves
the state, closes the case (lateness inquiries for every late step and a late
case deadline), writes the audit row and the outbox rows, all in one
transaction, and returns what the page and the API render. Nothing here
commits on its own; e-mail leaves after commit. A refusal (403) is logged in
the customer's access log after the refused transaction rolled back.

``start_steps`` gives a new record its first step and its case deadline
(unsaved: the intake writes them in its own transaction, on its hot path).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from kefu.core import access as core_access
from kefu.core import audit, config, org, outbox
from kefu.core.choices import ROLE_RANK, Role
from kefu.core.errors import Conflict, Forbidden, Invalid, NotFound
from kefu.core.models import Department
from kefu.core.workcalendar import WorkCalendar

from . import access, clocks, registry
from .models import CASE_CODE, Extension, Inquiry, Kind, Meeting, Memo, Step
from .spec import Action, Flow, Situation, StepSpec
from .validation import validate

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]


# --- reading a record's steps ------------------------------------------------------------------


def steps_query(flow: Flow, record_id: int):
    """All rows of a record (steps and the case deadline) in order, with their people, each
    marked ``pending`` when an extension request waits on it: one query."""
    waiting = Extension.objects.filter(step=OuterRef("pk"), decided_at__isnull=True)
    return (
        Step.objects.filter(record_type=flow.name, record_id=record_id)
        .select_related("department", "co_department", "assignee", "done_by")
        .annotate(pending=Exists(waiting))
        .order_by("started_at", "id")
    )


EXECUTIVE_ROLES = (Role.DEPUTY_GM, Role.GM, Role.MANAGEMENT_REP)


def open_step(steps: list[Step]) -> Step | None:
    """The open workflow step (not the case deadline), the latest if there were several."""
    candidates = [s for s in steps if s.done_at is None and s.kind == Kind.STEP]
    return max(candidates, key=lambda s: (s.started_at, s.pk or 0), default=None)


def situation(flow: Flow, record, steps: list[Step], settings: dict | None = None) -> Situation:
    step = open_step(steps) if flow.is_open(record) else None
    return Situation(
        flow=flow,
        record=record,
        step=step,
        settings=settings if settings is not None else config.snapshot(),
        pending_extension=bool(step is not None and getattr(step, "pending", False)),
    )


def allowed_actions(flow: Flow, record, user, steps: list[Step] | None = None) -> list[str]:
    """The actions ``user`` may take on ``record`` now."""
    steps = list(steps_query(flow, record.pk)) if steps is None else steps
    return flow.allowed(user, situation(flow, record, steps))


# --- deadlines -------------------------------------------------------------------------------


def duration_of(flow: Flow, spec: StepSpec, record, settings: dict) -> clocks.Duration:
    """The step's duration from the settings: a variant's key wins (``due.complaint.countermeasure.major``)."""
    variant = flow.variant(record) if flow.variant is not None else ""
    key = spec.setting_key(flow.name, variant) if variant else ""
    value = (
        settings.get(key) if key and key in settings else settings.get(spec.setting_key(flow.name), spec.due)
    )
    return clocks.Duration.parse(value)


def case_duration(flow: Flow, record, settings: dict) -> clocks.Duration:
    case = flow.case
    variant = case.variant(record) if case.variant is not None else ""
    key = case.setting_key(flow.name, variant) if variant else case.setting_key(flow.name)
    return clocks.Duration.parse(settings.get(key, case.variants.get(variant, case.due)))


def step_due(flow, spec, record, start, settings, calendar) -> tuple[dt.datetime, clocks.Duration]:
    duration = duration_of(flow, spec, record, settings)
    customer = flow.customer_deadline_of(record) if flow.customer_deadline_of is not None else None
    if spec.customer_deadline and customer is not None:
        return customer, duration
    return clocks.due(start, duration, calendar, settings), duration


def case_due(flow: Flow, record, start: dt.datetime, settings: dict, calendar) -> dt.datetime:
    """The record's own deadline: the customer's if they set one, else the case clock's."""
    customer = flow.customer_deadline_of(record) if flow.customer_deadline_of is not None else None
    if customer is not None:
        return customer
    return clocks.due(start, case_duration(flow, record, settings), calendar, settings)


def _customer_id(flow: Flow, record) -> int | None:
    return flow.customer_of(record) if flow.customer_of is not None else None


def _owner(flow: Flow, spec: StepSpec, record, ctx) -> tuple[Department, str, dict]:
    """(department, role, data) of a step about to open."""
    if spec.owner is not None:
        code, role, data = spec.owner(record, ctx)
        return _department(code), role, data
    return _department(spec.department), spec.role, {}


def _department(code) -> Department:
    if isinstance(code, Department):
        return code
    try:
        return org.department(code)
    except KeyError:
        raise Invalid(_("unknown department %(code)r") % {"code": code}, field="department") from None


def new_step(
    flow: Flow, code: str, record, *, now: dt.datetime, settings: dict, calendar, ctx=None, assignee=None
) -> Step:
    """An unsaved step of ``record`` opening at ``now`` with its owner and deadline."""
    spec = flow.steps[code]
    department, role, data = _owner(flow, spec, record, ctx)
    due_at, duration = step_due(flow, spec, record, now, settings, calendar)
    co_code = flow.co_owner(record, code) if flow.co_owner is not None else ""
    return Step(
        record_type=flow.name,
        record_id=record.pk,
        record_key=flow.key(record),
        customer_id=_customer_id(flow, record),
        kind=Kind.STEP,
        code=code,
        department=department,
        role=role,
        co_department=_department(co_code) if co_code and co_code != department.code else None,
        assignee=assignee,
        started_at=now,
        due_at=due_at,
        unit=duration.unit,
        allowed=duration.amount,
        data=data,
    )


def start_steps(flow: Flow, record, *, now: dt.datetime, settings: dict, calendar) -> list[Step]:
    """A new record's case deadline (when the flow has one) and first step, unsaved; the caller sets
    ``record_id``/``record_key`` once the record has them and writes them with the record."""
    rows = []
    if flow.case is not None:
        duration = case_duration(flow, record, settings)
        rows.append(
            Step(
                record_type=flow.name,
                record_id=record.pk,
                record_key=flow.key(record) if getattr(record, flow.key_field, None) else "",
                customer_id=_customer_id(flow, record),
                kind=Kind.CASE,
                code=CASE_CODE,
                department=_department(flow.case.department),
                role=flow.case.role,
                started_at=now,
                due_at=case_due(flow, record, now, settings, calendar),
                unit=duration.unit,
                allowed=duration.amount,
            )
        )
    first = new_step(flow, flow.first_step, record, now=now, settings=settings, calendar=calendar)
    if not getattr(record, flow.key_field, None):
        first.record_key = ""
    rows.append(first)
    return rows


@transaction.atomic
def open_record(
    flow: Flow, record, *, by, now: dt.datetime | None = None, data: dict | None = None
) -> list[Step]:
    """Save a new record of ``flow`` with its first step and case deadline and its audit row
    (for record types whose creation is not on a measured hot path)."""
    now = now or timezone.now()
    settings = config.snapshot()
    calendar = WorkCalendar.cached()
    rows = start_steps(flow, record, now=now, settings=settings, calendar=calendar)
    record.due_at = rows[-1].due_at
    if flow.case is not None and hasattr(record, "case_due_at"):
        record.case_due_at = rows[0].due_at
    record.save()
    for row in rows:
        row.record_id = record.pk
        row.record_key = flow.key(record)
    Step.objects.bulk_create(rows)
    audit.record(
        record,
        "open",
        by=by,
        to_state=record.status,
        data=data or {},
        object_type=flow.name,
        object_id=flow.key(record),
        at=now,
    )
    return rows


# --- the context of one action -----------------------------------------------------------------


@dataclass
class Ctx:
    """One action under way: what the record type's ``apply`` reads and changes."""

    flow: Flow
    record: object
    action: Action
    by: object
    data: BaseModel
    now: dt.datetime
    sit: Situation
    steps: list[Step]
    from_state: str
    calendar: WorkCalendar | None = None
    notes: list = field(default_factory=list)  # unsaved Notification rows
    new_step: Step | None = None
    next_assignee: object | None = None  # who the next step goes to (set by ``apply``)
    followup: object | None = None
    created: object | None = None  # the memo / extension / letter ... the action created
    changed: set = field(default_factory=set)
    audit_data: dict = field(default_factory=dict)
    pending_after: bool | None = None

    @property
    def settings(self) -> dict:
        return self.sit.settings

    @property
    def step(self) -> Step | None:
        return self.sit.step

    @property
    def key(self) -> str:
        return self.flow.key(self.record)

    def cal(self) -> WorkCalendar:
        if self.calendar is None:
            self.calendar = WorkCalendar.cached()
        return self.calendar

    def set(self, **values) -> None:
        """Change fields of the record; saved once at the end of the action."""
        for name, value in values.items():
            setattr(self.record, name, value)
            self.changed.add(name)

    def notify(
        self, kind: str, subject: str, body: str, *, departments=(), min_role=None, roles=(), users=()
    ):
        members = outbox.members(departments, min_role=min_role, roles=roles) if departments else []
        self.notes += outbox.build(
            kind=kind,
            subject=f"[{self.key}] {subject}",
            body=body,
            users=users,
            memberships=members,
            obj_type=self.flow.name,
            obj_id=self.key,
            now=self.now,
        )


@dataclass
class Result:
    """What an action did, with what the page and the API render (no second read of the record)."""

    flow: Flow
    record: object
    action: str
    from_state: str
    to_state: str
    steps: list[Step]
    allowed: list[str]
    new_step: Step | None = None
    followup: object | None = None
    created: object | None = None
    event: object | None = None

    @property
    def open_step(self) -> Step | None:
        return open_step(self.steps) if self.flow.is_open(self.record) else None


# --- the entry point -----------------------------------------------------------------------------


def perform(record, action: str, *, by, data: dict | None = None, now: dt.datetime | None = None) -> Result:
    """Take ``action`` on ``record`` (R4.5: one audited transition; STYLE 1).

    Raises ``NotFound`` (404), ``Conflict`` (409: not in this state, the allowed
    actions named), ``Forbidden`` (403: what stops this user) or ``Invalid``
    (422: the field named; ``Malformed``, 400, for a body not of the declared
    shape). Nothing is written then; a refusal is logged in the customer's
    access log (R1.2) after the refused transaction rolled back.
    """
    flow = registry.for_model(type(record))
    try:
        return _perform(flow, record.pk, action, by=by, data=data, now=now)
    except Forbidden as exc:
        access.log_refusal(
            by, _customer_id(flow, record), f"{flow.name} {flow.key(record)}: action {action}: {exc.detail}"
        )
        raise


@transaction.atomic
def _perform(flow: Flow, pk: int, action: str, *, by, data, now) -> Result:
    now = now or timezone.now()
    spec = flow.get(action)
    model = flow.model_class()
    record = (
        model.objects.select_for_update(of=("self",))
        .select_related(*getattr(model, "flow_related", ()))
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise NotFound(_("no such record"), field=flow.key_field)
    steps = list(steps_query(flow, pk))
    sit = situation(flow, record, steps)
    flow.require(action, by, sit)
    if spec.closes_step and sit.step is None:
        raise Conflict(_("the case has no open step"), allowed=[])
    ctx = Ctx(flow, record, spec, by, validate(spec.body, data), now, sit, steps, record.status)
    if spec.apply is not None:
        spec.apply(ctx)
    outcome = spec.outcome(ctx.data, record)
    if spec.closes_step:
        _close_step(ctx)
        if outcome.opens:
            ctx.new_step = _open_step(ctx, outcome.opens)
            ctx.set(due_at=ctx.new_step.due_at)
    if outcome.to is not None and outcome.to != record.status:
        ctx.set(status=outcome.to)
        if outcome.to in flow.closed_states:
            _close_case(ctx)
    if ctx.changed:
        record.save(update_fields=sorted(ctx.changed))
    event = _audit(ctx)
    outbox.save(ctx.notes)
    return _result(ctx, event)


def _result(ctx: Ctx, event) -> Result:
    steps = ctx.steps
    step = open_step(steps) if ctx.flow.is_open(ctx.record) else None
    pending = (
        ctx.pending_after
        if ctx.pending_after is not None
        else (ctx.sit.pending_extension and step is ctx.sit.step)
    )
    if step is not None:
        step.pending = pending
    after = Situation(ctx.flow, ctx.record, step, ctx.settings, pending_extension=bool(pending))
    return Result(
        flow=ctx.flow,
        record=ctx.record,
        action=ctx.action.name,
        from_state=ctx.from_state,
        to_state=ctx.record.status,
        steps=steps,
        allowed=ctx.flow.allowed(ctx.by, after),
        new_step=ctx.new_step,
        followup=ctx.followup,
        created=ctx.created,
        event=event,
    )


# --- steps ------------------------------------------------------------------------------------------


def _close_step(ctx: Ctx) -> None:
    step = ctx.step
    step.done_at = ctx.now
    step.done_by = ctx.by
    step.data = {**(step.data or {}), **ctx.data.model_dump(mode="json")}
    step.save(update_fields=["done_at", "done_by", "data"])


def _open_step(ctx: Ctx, code: str) -> Step:
    step = new_step(
        ctx.flow, code, ctx.record, now=ctx.now, settings=ctx.settings, calendar=ctx.cal(), ctx=ctx,
        assignee=ctx.next_assignee,
    )  # fmt: skip
    step.save()
    step.pending = False
    ctx.steps.append(step)
    spec = ctx.flow.steps[code]
    body = _("%(title)s\n\nStep: %(step)s, due %(due)s.") % {
        "title": str(ctx.record),
        "step": spec.label,
        "due": timezone.localtime(step.due_at).strftime("%Y-%m-%d %H:%M"),
    }
    subject = str(spec.notice_subject or spec.label)
    if step.assignee is not None:
        ctx.notify(spec.notice, subject, body, users=[step.assignee])
        return step
    members = eligible(outbox.members([step.department.code]), step.department.code, step.role)
    if step.co_department_id:
        members += outbox.members([step.co_department.code], min_role=Role.CLERK)
    ctx.notes += outbox.build(
        kind=spec.notice,
        subject=f"[{ctx.key}] {subject}",
        body=body,
        memberships=members,
        obj_type=ctx.flow.name,
        obj_id=ctx.key,
        now=ctx.now,
    )
    return step


def eligible(memberships, department: str, role: str) -> list:
    """The members of ``department`` who hold the role a step needs: for an executive role its
    holders (a deputy-GM approval goes to the deputy GMs, not to every clerk of the GM office),
    otherwise everyone from that role up; the system administrator never."""
    mine = [m for m in memberships if m.department.code == department and ROLE_RANK[m.role] > 0]
    if role in EXECUTIVE_ROLES:
        exact = [m for m in mine if m.role == role]
        if exact:
            return exact
    return [m for m in mine if ROLE_RANK[m.role] >= ROLE_RANK[role]]


def _close_case(ctx: Ctx) -> None:
    """Closing: the clocks stop; each step (and a case deadline) that finished late gets a lateness
    inquiry to its department (002 篇4 第十四条)."""
    ctx.set(closed_at=ctx.now, due_at=None)
    for step in ctx.steps:
        if step.kind == Kind.CASE and step.done_at is None:
            step.done_at = ctx.now
            step.done_by = ctx.by
            step.save(update_fields=["done_at", "done_by"])
    late = [s for s in ctx.steps if s.done_at is not None and s.done_at > s.due_at and s.pk is not None]
    if not late:
        return
    asked = set(Inquiry.objects.filter(step__in=late).values_list("step_id", flat=True))
    late = [s for s in late if s.pk not in asked]  # a case closed again asks only about new lateness
    if not late:
        return
    cal = ctx.cal()
    Inquiry.objects.bulk_create(
        [
            Inquiry(
                step=s,
                record_type=ctx.flow.name,
                record_id=ctx.record.pk,
                department=s.department,
                late_workdays=clocks.late_workdays(s.due_at, s.done_at, cal),
                issued_at=ctx.now,
            )
            for s in late
        ]
    )
    for s in late:
        what = step_label(ctx.flow, s)
        ctx.notify(
            "lateness_inquiry",
            _("Lateness inquiry: %(step)s") % {"step": what},
            _("The step %(step)s finished after its deadline %(due)s. Please answer with the reason.")
            % {"step": what, "due": timezone.localtime(s.due_at).strftime("%Y-%m-%d")},
            departments=[s.department.code],
            min_role=Role.MANAGER,
        )


def step_label(flow: Flow, step) -> str:
    """A step's name in the reader's language; the case deadline is "Case deadline"."""
    if step.kind == Kind.CASE:
        return str(Kind.CASE.label)
    spec = flow.steps.get(step.code)
    return str(spec.label) if spec is not None else step.code


# --- audit ------------------------------------------------------------------------------------------


def _audit(ctx: Ctx):
    data = ctx.data.model_dump(mode="json")
    note = data.pop("note", "") or data.get("memo", "") or data.get("reason", "")
    if ctx.new_step is not None:
        data["next_step"] = {
            "step": ctx.new_step.code,
            "department": ctx.new_step.department.code,
            "due_at": ctx.new_step.due_at.isoformat(),
        }
    if ctx.followup is not None:
        data["followup"] = ctx.flow.key(ctx.followup)
    data.update(ctx.audit_data)
    return audit.record(
        ctx.record,
        ctx.action.name,
        by=ctx.by,
        from_state=ctx.from_state,
        to_state=ctx.record.status,
        note=note,
        data=data,
        object_type=ctx.flow.name,
        object_id=ctx.key,
        at=ctx.now,
    )


# --- the actions every flow may use: memo, extension, management meeting -------------------------


class MemoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    memo: Text


class ExtensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: Annotated[int, Field(ge=1, le=30, description="in the step's unit (working days for day clocks)")]
    reason: Text


class ExtensionDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approved: bool = True
    note: OptText = ""


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Text
    attendees: Text

    @field_validator("attendees", mode="before")
    @classmethod
    def _join(cls, value):
        return "、".join(str(v) for v in value) if isinstance(value, list) else value


def file_memo(ctx: Ctx) -> None:
    """签呈 (002 篇4 第九条(十一), R4.3): recorded on the case, sent to the GM."""
    depts = core_access.departments(ctx.by)
    dept = min((org.department(code) for code in depts), key=lambda d: d.pk)
    ctx.created = Memo.objects.create(
        record_type=ctx.flow.name,
        record_id=ctx.record.pk,
        department=dept,
        status_at=ctx.record.status,
        text=ctx.data.memo,
        by=ctx.by,
        at=ctx.now,
    )
    ctx.notify(
        "memo",
        _("Memo (签呈) from %(dept)s") % {"dept": dept.name},
        ctx.data.memo,
        departments=["gm_office"],
        roles=[Role.GM],
    )


def _extension_cap(ctx: Ctx, amount: int) -> None:
    step = ctx.step
    hourly = step.unit in (clocks.HOURS, clocks.WORK_HOURS)
    cap = int(ctx.settings["extension.max_hours" if hourly else "extension.max_workdays"])
    if step.extended + amount > cap:
        message = (
            _("at most %(cap)d hours of extension in all per step; %(used)d already granted")
            if hourly
            else _("at most %(cap)d working days of extension in all per step; %(used)d already granted")
        )
        raise Invalid(message % {"cap": cap, "used": step.extended}, field="days")


def request_extension(ctx: Ctx) -> None:
    """More time for the open step (002 篇1 第十一条(三)); its managers decide."""
    _extension_cap(ctx, ctx.data.days)
    ctx.created = Extension.objects.create(
        step=ctx.step,
        record_type=ctx.flow.name,
        record_id=ctx.record.pk,
        amount=ctx.data.days,
        reason=ctx.data.reason,
        requested_by=ctx.by,
        requested_at=ctx.now,
    )
    ctx.pending_after = True
    subjects = {
        clocks.WORKDAYS: _("Extension requested: %(days)d working days"),
        clocks.DAYS: _("Extension requested: %(days)d calendar days"),
    }
    ctx.notify(
        "extension_request",
        subjects.get(ctx.step.unit, _("Extension requested: %(days)d hours")) % {"days": ctx.data.days},
        ctx.data.reason,
        departments=sorted(ctx.sit.owners()),
        min_role=Role.MANAGER,
    )


def decide_extension(ctx: Ctx) -> None:
    """The managers approve or refuse; an approved extension moves the step's deadline."""
    req = Extension.objects.select_for_update().get(step=ctx.step, decided_at__isnull=True)
    req.approved = ctx.data.approved
    req.decided_by = ctx.by
    req.decided_at = ctx.now
    req.due_before = ctx.step.due_at
    if req.approved:
        _extension_cap(ctx, req.amount)
        step = ctx.step
        step.due_at = clocks.extend(
            step.due_at, clocks.Duration(req.amount, step.unit), ctx.cal(), ctx.settings
        )
        step.extended += req.amount
        step.save(update_fields=["due_at", "extended"])
        req.due_after = step.due_at
        ctx.set(due_at=step.due_at)
    req.save()
    ctx.created = req
    ctx.pending_after = False
    ctx.notify(
        "extension_decided",
        _("Extension approved") if req.approved else _("Extension refused"),
        ctx.data.note,
        users=[req.requested_by],
    )


def record_meeting(ctx: Ctx) -> None:
    """The management meeting's decision (002 篇1 第十一条(二), R4.4)."""
    ctx.created = Meeting.objects.create(
        record_type=ctx.flow.name,
        record_id=ctx.record.pk,
        decision=ctx.data.decision,
        attendees=ctx.data.attendees,
        recorded_by=ctx.by,
        recorded_at=ctx.now,
    )


# --- lateness inquiries: the answer -------------------------------------------------------------


@transaction.atomic
def answer_inquiry(pk: int, *, by, reason: str, now: dt.datetime | None = None) -> Inquiry:
    """The late step's department gives the reason (002 篇4 第十四条)."""
    now = now or timezone.now()
    inquiry = (
        Inquiry.objects.select_for_update(of=("self",))
        .select_related("department", "step")
        .filter(pk=pk)
        .first()
    )
    if inquiry is None:
        raise NotFound(_("no lateness inquiry %(pk)s") % {"pk": pk})
    step = inquiry.step
    if not access.may_see_customer(by, step.customer_id):
        raise Forbidden(_("you may not see the customer of this record"))
    if not core_access.in_department(by, inquiry.department.code, min_role=Role.CLERK):
        raise Forbidden(_("only %(dept)s answers this inquiry") % {"dept": inquiry.department})
    if inquiry.answered_at is not None:
        raise Conflict(_("this inquiry was answered already"), allowed=[])
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("must not be empty"), field="reason")
    inquiry.reason = reason[:20_000]
    inquiry.answered_at = now
    inquiry.answered_by = by
    inquiry.save(update_fields=["reason", "answered_at", "answered_by"])
    audit.record(
        inquiry,
        "answer_inquiry",
        by=by,
        note=reason,
        data={"inquiry": inquiry.pk, "step": step.code},
        object_type=inquiry.record_type,
        object_id=step.record_key,
        at=now,
    )
    return inquiry


# --- records that move between customers ----------------------------------------------------------


def relink(flow: Flow, record, customer_id: int | None) -> int:
    """The record now belongs to another customer: its steps follow (who may see them, R1.2).
    Call it in the transaction that changes the record."""
    return Step.objects.filter(record_type=flow.name, record_id=record.pk).update(customer_id=customer_id)

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
from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from kefu.core import access as core_access
from kefu.core import audit, config, org, outbox
from kefu.core.choices import ROLE_RANK, Role
from kefu.core.errors import Conflict, Forbidden, Invalid, NotFound
from kefu.core.models import Department
from kefu.core.workcalendar import WorkCalendar

from . import access, clocks, registry
from .models import CASE_CODE, Extension, Inquiry, Kind, Meeting, Memo, Ruling, Step
from .spec import Action, Flow, Guard, Situation, StepSpec, Who
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


def open_tasks(steps: list[Step]) -> dict[str, list[Step]]:
    """The open tasks (``kind = task``) by code, oldest first: open beside the step or after closing."""
    tasks: dict[str, list[Step]] = {}
    for s in sorted(steps, key=lambda s: (s.started_at, s.pk or 0)):
        if s.done_at is None and s.kind == Kind.TASK:
            tasks.setdefault(s.code, []).append(s)
    return tasks


def situation(flow: Flow, record, steps: list[Step], settings: dict | None = None) -> Situation:
    step = open_step(steps) if flow.is_open(record) else None
    return Situation(
        flow=flow,
        record=record,
        step=step,
        settings=settings if settings is not None else config.snapshot(),
        pending_extension=bool(step is not None and getattr(step, "pending", False)),
        tasks=open_tasks(steps),
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
    fixed = spec.due_of(record) if spec.due_of is not None else None
    if fixed is not None:
        return fixed, duration
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
        kind=Kind.TASK if spec.task else Kind.STEP,
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
    task: Step | None = None  # the task this action completes (``Action.task``)
    audit_note: str = ""  # the history row's text, when ``apply`` words it (else the body's note)

    @property
    def settings(self) -> dict:
        return self.sit.settings

    @property
    def step(self) -> Step | None:
        """The row the action works on: its task, else the record's open workflow step."""
        return self.task if self.task is not None else self.sit.step

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
        users, members = readers(self.flow, self.record, users, members)
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
    task = sit.tasks[spec.task][0] if spec.task and spec.closes_step else None
    if spec.closes_step and task is None and sit.step is None:
        raise Conflict(_("the case has no open step"), allowed=[])
    ctx = Ctx(flow, record, spec, by, validate(spec.body, data), now, sit, steps, record.status, task=task)
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
        for code in flow.state_tasks.get(outcome.to, ()):
            open_task(ctx, code)
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


def _open_step(ctx: Ctx, code: str, *, data: dict | None = None, notify: bool = True) -> Step:
    spec = ctx.flow.steps[code]
    step = new_step(
        ctx.flow, code, ctx.record, now=ctx.now, settings=ctx.settings, calendar=ctx.cal(), ctx=ctx,
        assignee=None if spec.task else ctx.next_assignee,
    )  # fmt: skip
    if data:
        step.data = {**(step.data or {}), **data}
    step.save()
    step.pending = False
    ctx.steps.append(step)
    if not notify:
        return step
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
    _users, members = readers(ctx.flow, ctx.record, (), members)
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


def open_task(ctx: Ctx, code: str, *, data: dict | None = None, notify: bool = True) -> Step:
    """Open the task ``code`` (a ``StepSpec`` with ``task=True``) beside the record's workflow step,
    or after it closed; its department is told as for a step."""
    assert ctx.flow.steps[code].task, code
    return _open_step(ctx, code, data=data, notify=notify)


def _cancel(ctx: Ctx, step: Step, why: str) -> None:
    """Close a row that will not be done (a step the record left when it was sent back)."""
    step.done_at = ctx.now
    step.done_by = ctx.by
    step.data = {**(step.data or {}), "cancelled": why}
    step.save(update_fields=["done_at", "done_by", "data"])


def reopen(ctx: Ctx, code: str, *, why: str) -> Step:
    """Send the record back to the step ``code`` (an upheld memo, 002 篇4 第九条(十一)): the state in
    which ``code`` is open, a new step with a new deadline; the step open now (if the record is
    open) and the tasks of the state it leaves are cancelled; a closed record opens again (its
    case deadline row stays as it was: the reopened work runs on its steps' deadlines)."""
    flow, record = ctx.flow, ctx.record
    allowed = flow.reopenable(record)
    if code not in allowed:
        raise Invalid(
            _("cannot reopen at %(step)r; one of %(steps)s")
            % {"step": code, "steps": ", ".join(allowed) or _("none")},
            field="reopen_at",
        )
    current = open_step(ctx.steps) if flow.is_open(record) else None
    if current is not None:
        _cancel(ctx, current, why)
    leaving = flow.state_tasks.get(record.status, ())
    for task in [s for s in ctx.steps if s.kind == Kind.TASK and s.done_at is None and s.code in leaving]:
        _cancel(ctx, task, why)
    if not flow.is_open(record):
        ctx.set(closed_at=None)
    ctx.set(status=flow.state_of_step(code))
    if flow.on_reopen is not None:
        flow.on_reopen(ctx, code)
    ctx.new_step = _open_step(ctx, code)
    ctx.set(due_at=ctx.new_step.due_at)
    return ctx.new_step


def readers(flow: Flow, record, users, memberships) -> tuple[list, list]:
    """Of these recipients, those who may see the record's customer (R1.2, 002 篇10): a sales
    clerk gets no mail about another clerk's customer. Reads nothing when no recipient is one
    who sees only some customers."""
    customer_id = _customer_id(flow, record)
    users, memberships = list(users), list(memberships)
    if customer_id is None:
        return users, memberships
    candidates = [u.pk for u in users] + [
        m.user_id for m in memberships if core_access.limiting_membership(m.department.code, m.role)
    ]
    if not candidates:
        return users, memberships
    may = access.reader_test(candidates, [customer_id])
    return (
        [u for u in users if may(u.pk, customer_id)],
        [m for m in memberships if may(m.user_id, customer_id)],
    )


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
    late = [
        s
        for s in ctx.steps
        if s.done_at is not None and s.done_at > s.due_at and s.pk is not None and not _cancelled(s)
    ]
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


def _cancelled(step: Step) -> bool:
    return bool((step.data or {}).get("cancelled"))


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
    if ctx.audit_note:
        note = ctx.audit_note + (f"\n{note}" if note else "")
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


MEMO_TASK = "memo_ruling"
# The GM's task of ruling on a memo; each flow that takes memos lists it among its steps.
MEMO_STEP = StepSpec(
    MEMO_TASK,
    gettext_lazy("Ruling on a memo (签呈)"),
    "3 workdays",
    "gm_office",
    role=Role.GM,
    action="rule_memo",
    task=True,
    notice="memo",
    seed="002 篇4 第九条(十一): a department's memo goes up to the GM, who rules on it",
)
MEMO_RULER = Who("department", "gm_office", min_role=Role.GM)


class MemoRulingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    memo: Annotated[int | None, Field(description="the memo ruled on; the oldest waiting by default")] = None
    upheld: bool
    note: Text
    reopen_at: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=32), Field(description="a step code")
    ] = ""


def file_memo(ctx: Ctx) -> None:
    """签呈 (002 篇4 第九条(十一), R4.3): recorded on the case, while it is open or after it closed;
    the GM gets it as a task to rule on (``rule_memo``)."""
    depts = core_access.departments(ctx.by)
    dept = min((org.department(code) for code in depts), key=lambda d: d.pk)
    task = open_task(ctx, MEMO_TASK, notify=False) if MEMO_TASK in ctx.flow.steps else None
    memo = Memo.objects.create(
        record_type=ctx.flow.name,
        record_id=ctx.record.pk,
        department=dept,
        status_at=ctx.record.status,
        text=ctx.data.memo,
        by=ctx.by,
        at=ctx.now,
        task=task,
    )
    body = ctx.data.memo
    if task is not None:
        task.data = {"memo": memo.pk}
        task.save(update_fields=["data"])
        due = timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M")
        body = _("%(memo)s\n\nTo rule on by %(due)s.") % {"memo": ctx.data.memo, "due": due}
    ctx.created = memo
    ctx.audit_data["memo_id"] = memo.pk
    ctx.notify(
        "memo",
        _("Memo (签呈) from %(dept)s") % {"dept": dept.name},
        body,
        departments=["gm_office"],
        roles=[Role.GM],
    )


def rule_memo(ctx: Ctx) -> None:
    """The GM rules on a memo: upheld or overruled, with a note (002 篇4 第九条(十一)). An upheld memo
    sends the record back to the step the GM names (``reopen_at``; a closed record must be sent
    back somewhere, an open one may go on where it is); the memo's filer is told."""
    d = ctx.data
    memos = Memo.objects.select_for_update().filter(
        record_type=ctx.flow.name, record_id=ctx.record.pk, ruled_at__isnull=True
    )
    if d.memo is not None:
        memos = memos.filter(pk=d.memo)
    memo = memos.select_related("by", "department").order_by("at", "id").first()
    if memo is None:
        raise Invalid(_("no memo of this record waits for a ruling with this number"), field="memo")
    if not d.upheld and d.reopen_at:
        raise Invalid(_("only an upheld memo reopens the case"), field="reopen_at")
    if d.upheld and not d.reopen_at and not ctx.flow.is_open(ctx.record) and ctx.flow.reopenable(ctx.record):
        raise Invalid(
            _("name the step the closed case goes back to: one of %(steps)s")
            % {"steps": ", ".join(ctx.flow.reopenable(ctx.record))},
            field="reopen_at",
        )
    memo.ruling = Ruling.UPHELD if d.upheld else Ruling.OVERRULED
    memo.ruling_note = d.note
    memo.ruled_by = ctx.by
    memo.ruled_at = ctx.now
    memo.reopen_at = d.reopen_at
    memo.save(update_fields=["ruling", "ruling_note", "ruled_by", "ruled_at", "reopen_at"])
    task = next((s for s in ctx.steps if s.pk == memo.task_id), None)
    if task is not None and task.done_at is None:
        task.done_at = ctx.now
        task.done_by = ctx.by
        task.data = {**(task.data or {}), "ruling": memo.ruling, "note": d.note, "reopen_at": d.reopen_at}
        task.save(update_fields=["done_at", "done_by", "data"])
    if d.upheld and d.reopen_at:
        reopen(ctx, d.reopen_at, why=_("memo %(pk)s upheld") % {"pk": memo.pk})
    ctx.created = memo
    ctx.audit_data.update(
        {"memo": memo.pk, "memo_text": memo.text, "memo_department": memo.department.code,
         "ruling": memo.ruling, "reopen_at": d.reopen_at}
    )  # fmt: skip
    label = ctx.flow.steps[d.reopen_at].label if d.reopen_at else ""
    ctx.notify(
        "memo_ruling",
        (_("Memo upheld") if d.upheld else _("Memo overruled"))
        + (_(": the case goes back to %(step)s") % {"step": label} if label else ""),
        d.note,
        users=[memo.by],
        departments=[memo.department.code],
        min_role=Role.MANAGER,
    )


def extension_room(step: Step, settings: dict) -> tuple[int, int]:
    """(the cap on the step's whole time, extensions included; what is left of it), in the step's
    unit (002 篇1 第十一条(三): 最多不超过七个工作日): ``extension.max_workdays`` for a day clock,
    ``extension.max_hours`` for an hour clock."""
    hourly = step.unit in (clocks.HOURS, clocks.WORK_HOURS)
    cap = int(settings["extension.max_hours" if hourly else "extension.max_workdays"])
    return cap, max(cap - step.allowed - step.extended, 0)


def _extension_cap(ctx: Ctx, amount: int) -> None:
    step = ctx.step
    cap, left = extension_room(step, ctx.settings)
    if amount > left:
        hourly = step.unit in (clocks.HOURS, clocks.WORK_HOURS)
        message = (
            _(
                "at most %(cap)d hours in all for this step, extensions included "
                "(%(allowed)d allowed, %(used)d extended): at most %(left)d more"
            )
            if hourly
            else _(
                "at most %(cap)d working days in all for this step, extensions included "
                "(%(allowed)d allowed, %(used)d extended): at most %(left)d more"
            )
        )
        raise Invalid(
            message % {"cap": cap, "allowed": step.allowed, "used": step.extended, "left": left},
            field="days",
            cap=cap,
            left=left,
        )


def _approver_level(settings: dict) -> str:
    level = str(settings.get("extension.approver_role") or Role.MANAGER)
    return level if level in (Role.MANAGER, Role.DEPUTY_GM, Role.GM) else Role.MANAGER


def may_approve_extension(user, record, sit: Situation) -> bool:
    """The setting ``extension.approver_role`` (002 篇1 第十一条(三): 经各级主管领导批准): ``manager``,
    a manager of the step's department or an executive; ``deputy_gm`` or ``gm``, that role or above."""
    level = _approver_level(sit.settings)
    if level == Role.MANAGER:
        if core_access.is_executive(user) and core_access.rank(user) > 0:
            return True
        return any(core_access.in_department(user, code, min_role=Role.MANAGER) for code in sit.owners())
    return core_access.rank(user) >= ROLE_RANK[level]


def _approver_text(record, sit: Situation | None) -> str:
    if sit is None:  # the docs: the setting's default
        return _(
            "manager of the current step's department, or an executive (setting extension.approver_role)"
        )
    level = _approver_level(sit.settings)
    if level == Role.MANAGER:
        return _("manager of the current step's department, or an executive")
    return _("%(role)s or above") % {"role": Role(level).label}


def _approver_reason(user, record, sit: Situation) -> str:
    level = _approver_level(sit.settings)
    roles = [role for _dept, role in core_access.memberships(user)]
    top = max(roles, key=lambda r: ROLE_RANK[r])
    needed = Role.MANAGER if level == Role.MANAGER else level
    return _("your highest role is %(role)s; an extension needs %(needed)s or above") % {
        "role": Role(top).label,
        "needed": Role(needed).label,
    }


# The guards of ``request_extension`` / ``approve_extension`` that every flow offering them uses
# (``guards={**engine.EXTENSION_GUARDS, ...}``).
EXTENSION_GUARDS = {
    "pending_extension": Guard(
        lambda c, sit: sit.pending_extension,
        gettext_lazy("there is no extension request to decide"),
        gettext_lazy("an extension request is waiting"),
    ),
    "no_pending_extension": Guard(
        lambda c, sit: not sit.pending_extension,
        gettext_lazy("an extension request is already waiting"),
        gettext_lazy("no extension request waiting"),
    ),
}
EXTENSION_APPROVER = Who("custom", test=may_approve_extension, text=_approver_text, reason=_approver_reason)


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


def recompute_case_deadline(flow: Flow, record, *, settings: dict | None = None, calendar=None):
    """The record's open case deadline again from its clock, after what decides its variant changed
    (a complaint re-linked to a foreign customer: 20 days instead of 15), counted from the same
    start; a deadline the customer set stays. Returns the new deadline, or None when the record
    has no open case deadline. Call it in the transaction that changes the record."""
    if flow.case is None:
        return None
    case = (
        Step.objects.select_for_update()
        .filter(record_type=flow.name, record_id=record.pk, kind=Kind.CASE, done_at__isnull=True)
        .first()
    )
    if case is None:
        return None
    settings = settings if settings is not None else config.snapshot()
    calendar = calendar or WorkCalendar.cached()
    duration = case_duration(flow, record, settings)
    case.due_at = case_due(flow, record, case.started_at, settings, calendar)
    case.unit, case.allowed = duration.unit, duration.amount
    case.save(update_fields=["due_at", "unit", "allowed"])
    return case.due_at


def relink(flow: Flow, record, customer_id: int | None) -> int:
    """The record now belongs to another customer: its steps follow (who may see them, R1.2).
    Call it in the transaction that changes the record."""
    return Step.objects.filter(record_type=flow.name, record_id=record.pk).update(customer_id=customer_id)


def recompute_step_deadline(ctx: Ctx) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The open workflow step's deadline again, after what decides it changed during an action (a
    deadline the customer set or moved): from the step's start on its clock, with its approved
    extensions, unless the customer's deadline replaces it (``StepSpec.customer_deadline``). The
    record's ``due_at`` follows. Notices already issued for the step stay. Returns (before,
    after); (None, None) when no workflow step is open."""
    step = ctx.sit.step
    if step is None:
        return None, None
    flow, record = ctx.flow, ctx.record
    spec = flow.steps[step.code]
    before = step.due_at
    due, _duration = step_due(flow, spec, record, step.started_at, ctx.settings, ctx.cal())
    customer = flow.customer_deadline_of(record) if flow.customer_deadline_of is not None else None
    if step.extended and not (spec.customer_deadline and customer is not None):
        due = clocks.extend(due, clocks.Duration(step.extended, step.unit), ctx.cal(), ctx.settings)
    if due != before:
        step.due_at = due
        step.save(update_fields=["due_at"])
    ctx.set(due_at=due)
    return before, due

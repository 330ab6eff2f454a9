"""Workflow services: every action of ``workflow.ACTIONS`` as one atomic change (STYLE 1; SPEC M4/M5).

``perform(number, action, by=, payload=)`` locks the complaint, asks
``workflow.require`` (409 / 403), validates the payload (422 naming the
field), closes the current step with what was submitted, opens the next
one with its deadline from ``deadlines.py``, updates the case, writes the
audit row and the outbox notifications, all in one transaction. Nothing
here commits on its own; e-mail leaves after commit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from kefu.core import access, audit, config, org, outbox
from kefu.core.choices import DepartmentCode, Role
from kefu.core.errors import Conflict, Forbidden, Invalid, NotFound
from kefu.core.models import Department
from kefu.core.workcalendar import WorkCalendar
from kefu.customers.access import log_refusal

from . import deadlines, workflow
from .choices import CLOSED_STATES, CustomerRequest, Step, Validity
from .models import (
    Complaint,
    ComplaintStep,
    CustomerReply,
    ExtensionRequest,
    LatenessInquiry,
    MeetingDecision,
    Memo,
)

D = DepartmentCode
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]

# --- payloads (the body fields of the table) --------------------------


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: OptText = ""


class AssignIn(Payload):
    assignee: Short = ""  # username in quality who investigates (optional)


class InvestigationIn(Payload):
    cause: Text
    valid: bool
    needs_rd: bool = False
    responsible_department: Short = ""
    supplier: Short = ""


class CountermeasureIn(Payload):
    analysis: Text
    action: Text
    unit: Short = ""
    shift: Short = ""
    operators: Short = ""
    production_date: dt.date | None = None

    @field_validator("operators", mode="before")
    @classmethod
    def _join(cls, value):
        return "、".join(str(v) for v in value) if isinstance(value, list) else value


class RdOpinionIn(Payload):
    opinion: Text


class ProposalIn(Payload):
    handling: CustomerRequest
    loss_amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
    customer_position: OptText = ""


class SynthesisIn(Payload):
    opinion: Text


class SendBackIn(Payload):
    note: Text


class ReplyIn(Payload):
    letter: Text
    customer_accepts: bool


class ObjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    memo: Text


class ExtensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: Annotated[int, Field(ge=1, le=30)]
    reason: Text


class ExtensionDecisionIn(Payload):
    approved: bool = True


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Text
    attendees: Text

    @field_validator("attendees", mode="before")
    @classmethod
    def _join(cls, value):
        return "、".join(str(v) for v in value) if isinstance(value, list) else value


PAYLOADS: dict[str, type[BaseModel]] = {
    "assign": AssignIn,
    "submit_investigation": InvestigationIn,
    "submit_countermeasure": CountermeasureIn,
    "submit_rd_opinion": RdOpinionIn,
    "submit_proposal": ProposalIn,
    "submit_synthesis": SynthesisIn,
    "approve": Payload,
    "send_back": SendBackIn,
    "record_reply": ReplyIn,
    "object": ObjectIn,
    "request_extension": ExtensionIn,
    "approve_extension": ExtensionDecisionIn,
    "record_meeting_decision": MeetingIn,
}


def _choices(expected: str) -> str:
    """``'a', 'b' or 'c'`` (pydantic's English list) -> ``a, b, c``."""
    return ", ".join(re.findall(r"'([^']*)'", expected)) or expected


def error_message(error: dict) -> str:
    """A short translatable message for the common pydantic error types; pydantic's text otherwise."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("required")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("must be a whole number")
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type"):
        return _("must be a number")
    if kind == "greater_than_equal":
        return _("must be at least %(n)s") % {"n": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("must be at most %(n)s") % {"n": ctx.get("le")}
    if kind == "decimal_max_places":
        return _("at most %(n)s decimal places") % {"n": ctx.get("decimal_places")}
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return _("must not be empty")
        return _("at least %(n)s characters") % {"n": ctx.get("min_length")}
    if kind == "string_too_long":
        return _("at most %(n)d characters") % {"n": ctx.get("max_length")}
    if kind in ("bool_parsing", "bool_type"):
        return _("expected true or false")
    if kind in ("date_parsing", "date_type", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return _("expected a date YYYY-MM-DD")
    if kind in ("literal_error", "enum"):
        return _("must be one of %(choices)s") % {"choices": _choices(str(ctx.get("expected", "")))}
    if kind == "extra_forbidden":
        return _("not a field of this action")
    return error.get("msg", "")


def validate(action: str, payload) -> BaseModel:
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise Invalid(_("the body must be a JSON object"), field="body")
    try:
        return PAYLOADS[action].model_validate(payload)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": error_message(e)}
            for e in exc.errors()
        ]
        first = errors[0]
        raise Invalid(first["message"], field=first["field"], errors=errors) from None


# --- reading the situation ---------------------------------------------------


def open_step(complaint: Complaint) -> ComplaintStep | None:
    return (
        ComplaintStep.objects.filter(complaint=complaint, done_at__isnull=True)
        .select_related("department", "assignee")
        .order_by("-started_at", "-id")
        .first()
    )


def situation(
    complaint: Complaint, settings: dict | None = None, *, steps: list[ComplaintStep] | None = None
) -> workflow.Situation:
    """Where the case stands; ``steps``, when the caller has loaded them all, spare the open-step query."""
    if not complaint.is_open:
        step = None
    elif steps is not None:
        step = max((s for s in steps if s.done_at is None), key=lambda s: (s.started_at, s.pk), default=None)
    else:
        step = open_step(complaint)
    pending = (
        step is not None and ExtensionRequest.objects.filter(step=step, decided_at__isnull=True).exists()
    )
    return workflow.Situation(step=step, settings=settings or config.snapshot(), pending_extension=pending)


def allowed_actions(complaint: Complaint, user) -> list[str]:
    return workflow.allowed_actions(complaint, user, situation(complaint))


# --- the context of one action ------------------------------------------------


@dataclass
class Ctx:
    complaint: Complaint
    action: workflow.Action
    by: object
    data: BaseModel
    now: dt.datetime
    sit: workflow.Situation
    from_state: str
    calendar: WorkCalendar | None = None
    notes: list = field(default_factory=list)  # unsaved Notification rows
    new_step: ComplaintStep | None = None
    followup: Complaint | None = None
    record: object | None = None  # the memo / extension / reply ... created
    changed: set = field(default_factory=set)

    @property
    def settings(self) -> dict:
        return self.sit.settings

    @property
    def step(self) -> ComplaintStep | None:
        return self.sit.step

    def cal(self) -> WorkCalendar:
        if self.calendar is None:
            self.calendar = WorkCalendar.load()
        return self.calendar

    def set(self, **values) -> None:
        for name, value in values.items():
            setattr(self.complaint, name, value)
            self.changed.add(name)

    def notify(
        self, kind: str, subject: str, body: str, *, departments=(), min_role=None, roles=(), users=()
    ):
        members = outbox.members(departments, min_role=min_role, roles=roles) if departments else []
        self.notes += outbox.build(
            kind=kind,
            subject=f"[{self.complaint.number}] {subject}",
            body=body,
            users=users,
            memberships=members,
            obj_type="complaint",
            obj_id=self.complaint.number,
            now=self.now,
        )


@dataclass
class Result:
    complaint: Complaint
    action: str
    from_state: str
    to_state: str
    step: ComplaintStep | None = None
    followup: Complaint | None = None
    record: object | None = None


# --- the entry point -----------------------------------------------------------


def perform(
    number: str, action: str, *, by, payload: dict | None = None, now: dt.datetime | None = None
) -> Result:
    """Take a workflow action on a complaint (002 篇4 第九条; R4.5: one audited transition).

    Raises ``NotFound`` (404), ``Conflict`` (409: not in this state, the
    allowed actions named), ``Forbidden`` (403: not this user's department or
    authority) or ``Invalid`` (422: the field named). Nothing is written then,
    but a refusal is logged in the customer's access log (R1.2), after the
    refused transaction has rolled back.
    """
    try:
        return _perform(number, action, by=by, payload=payload, now=now)
    except Forbidden as exc:
        complaint = Complaint.objects.select_related("customer").filter(number=number).first()
        if complaint is not None:
            log_refusal(by, complaint.customer, f"complaint {number}: action {action}: {exc.detail}")
        raise


@transaction.atomic
def _perform(number: str, action: str, *, by, payload: dict | None, now: dt.datetime | None) -> Result:
    now = now or timezone.now()
    spec = workflow.get(action)
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("responsible_department", "customer")
        .filter(number=number)
        .first()
    )
    if complaint is None:
        raise NotFound(_("no complaint %(number)s") % {"number": number}, field="number")
    sit = situation(complaint)
    workflow.require(complaint, action, by, sit)
    if spec.closes_step and sit.step is None:
        raise Conflict(_("the case has no open step"), allowed=[])
    ctx = Ctx(complaint, spec, by, validate(action, payload), now, sit, complaint.status)
    APPLIERS[action](ctx)
    outcome = spec.outcome(ctx.data.model_dump(), complaint)
    if spec.closes_step:
        _close_step(ctx)
        if outcome.opens:
            ctx.new_step = _open_step(ctx, outcome.opens)
            ctx.set(due_at=ctx.new_step.due_at)
    if outcome.to is not None and outcome.to != complaint.status:
        ctx.set(status=outcome.to)
        if outcome.to in CLOSED_STATES:
            _close_case(ctx)
    if ctx.changed:
        complaint.save(update_fields=sorted(ctx.changed))
    _audit(ctx)
    outbox.save(ctx.notes)
    return Result(complaint, action, ctx.from_state, complaint.status, ctx.new_step, ctx.followup, ctx.record)


# --- steps ------------------------------------------------------------------------


def _department(code: str) -> Department:
    if code not in org.DEPARTMENT_NAMES:
        raise Invalid(_("unknown department %(code)r") % {"code": code}, field="responsible_department")
    return org.department(code)


def _close_step(ctx: Ctx) -> None:
    step = ctx.step
    step.done_at = ctx.now
    step.done_by = ctx.by
    step.data = {**(step.data or {}), **ctx.data.model_dump(mode="json")}
    step.save(update_fields=["done_at", "done_by", "data"])


def _open_step(ctx: Ctx, code: str, *, assignee=None) -> ComplaintStep:
    c = ctx.complaint
    data = {}
    dept_code = workflow.STEP_DEPARTMENT[code]
    if code == Step.COUNTERMEASURE:
        dept = c.responsible_department
    elif code == Step.APPROVAL:
        level = workflow.required_authority(c.loss_amount, ctx.settings)
        data["authority"] = level
        dept = _department(workflow.AUTHORITY_DEPARTMENT[level])
    else:
        dept = _department(dept_code)
    if code == Step.INVESTIGATION and getattr(ctx.data, "assignee", ""):
        assignee = _assignee(ctx.data.assignee, D.QUALITY)
    due = deadlines.step_due(code, ctx.now, c.severity, ctx.settings, ctx.cal())
    step = ComplaintStep.objects.create(
        complaint=c, step=code, department=dept, assignee=assignee, started_at=ctx.now, due_at=due, data=data
    )
    label = Step(code).label
    body = _("%(title)s\n\nStep: %(step)s, due %(due)s.") % {
        "title": c.title,
        "step": label,
        "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
    }
    if code == Step.APPROVAL:
        level = data["authority"]
        if level == workflow.SALES_MANAGER:
            ctx.notify(
                "approval_request", _("To approve"), body, departments=[D.SALES], min_role=Role.MANAGER
            )
        else:
            ctx.notify("approval_request", _("To approve"), body, departments=[D.GM_OFFICE], roles=[level])
    elif assignee is not None:
        ctx.notify("step_opened", str(label), body, users=[assignee])
    else:
        owners = {dept.code} | ({D.GM_OFFICE} if c.supplier and code == Step.COUNTERMEASURE else set())
        ctx.notify("step_opened", str(label), body, departments=sorted(owners), min_role=Role.CLERK)
    return step


def _assignee(username: str, dept_code: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not access.in_department(user, dept_code):
        raise Invalid(
            _("%(user)r is not a member of %(dept)s") % {"user": username, "dept": dept_code},
            field="assignee",
        )
    return user


def _close_case(ctx: Ctx) -> None:
    """Closing: the clock stops; each step finished late gets a lateness inquiry (002 篇4 第十四条)."""
    c = ctx.complaint
    ctx.set(closed_at=ctx.now, due_at=None)
    late = [
        s
        for s in ComplaintStep.objects.filter(complaint=c, done_at__isnull=False).select_related("department")
        if s.done_at > s.due_at
    ]
    if not late:
        return
    cal = ctx.cal()
    LatenessInquiry.objects.bulk_create(
        [
            LatenessInquiry(
                step=s,
                complaint=c,
                department=s.department,
                late_workdays=deadlines.late_workdays(s.due_at, s.done_at, cal),
                issued_at=ctx.now,
            )
            for s in late
        ]
    )
    for s in late:
        ctx.notify(
            "lateness_inquiry",
            _("Lateness inquiry: %(step)s") % {"step": Step(s.step).label},
            _("The step %(step)s finished after its deadline %(due)s. Please answer with the reason.")
            % {"step": Step(s.step).label, "due": timezone.localtime(s.due_at).strftime("%Y-%m-%d")},
            departments=[s.department.code],
            min_role=Role.MANAGER,
        )


# --- the appliers: what each action changes besides the steps --------------------


def _assign(ctx: Ctx) -> None:
    pass  # the step change is all; the assignee is set when the investigation opens


def _submit_investigation(ctx: Ctx) -> None:
    d = ctx.data
    if not d.valid:
        ctx.set(validity=Validity.NOT_ESTABLISHED, needs_rd=False)
        return
    if not d.responsible_department:
        raise Invalid(
            _("name the responsible department of a valid complaint"), field="responsible_department"
        )
    if d.responsible_department not in D.values:
        raise Invalid(
            _("unknown department %(code)r; choose one of %(codes)s")
            % {"code": d.responsible_department, "codes": ", ".join(D.values)},
            field="responsible_department",
        )
    ctx.set(
        validity=Validity.VALID,
        needs_rd=d.needs_rd,
        responsible_department=_department(d.responsible_department),
        supplier=d.supplier,
    )


def _nothing(ctx: Ctx) -> None:
    """The applier of actions that change nothing but the step and the state (the table does that)."""


def _submit_proposal(ctx: Ctx) -> None:
    d = ctx.data
    ctx.set(handling=d.handling.value, loss_amount=d.loss_amount)
    ctx.notify(
        "proposal_review",
        _("Proposal to review"),
        _("Handling: %(handling)s, loss amount %(amount)s.\n%(position)s")
        % {"handling": d.handling.label, "amount": d.loss_amount, "position": d.customer_position},
        departments=[D.SALES],
        min_role=Role.MANAGER,
    )


def _approve(ctx: Ctx) -> None:
    level = workflow.required_authority(ctx.complaint.loss_amount, ctx.settings)
    ctx.step.data = {**(ctx.step.data or {}), "authority": level}


def _record_reply(ctx: Ctx) -> None:
    """The letter is its own record (R1.4); not accepted -> a new linked complaint (R4.1, 第九条(八))."""
    d = ctx.data
    c = ctx.complaint
    reply = CustomerReply.objects.create(
        complaint=c,
        letter=d.letter,
        customer_accepts=d.customer_accepts,
        recorded_by=ctx.by,
        recorded_at=ctx.now,
    )
    ctx.record = reply
    if d.customer_accepts:
        return
    from .services import register_complaint

    followup = register_complaint(
        by=ctx.by,
        customer=c.customer,
        channel=c.channel,
        title=(_("Not accepted: %(title)s") % {"title": c.title})[:200],
        description=_("The customer did not accept the outcome of %(number)s.\n\n%(note)s\n\n%(description)s")
        % {"number": c.number, "note": d.note, "description": c.description},
        category=c.category,
        severity=c.severity,
        received_at=ctx.now,
        now=ctx.now,
        order_no=c.order_no,
        part_no=c.part_no,
        customer_request=c.customer_request,
        parent=c,
    )
    reply.followup = followup
    reply.save(update_fields=["followup"])
    ctx.followup = followup


def _object(ctx: Ctx) -> None:
    depts = access.departments(ctx.by)
    dept = min((org.department(code) for code in depts), key=lambda d: d.pk)
    ctx.record = Memo.objects.create(
        complaint=ctx.complaint,
        department=dept,
        status_at=ctx.complaint.status,
        text=ctx.data.memo,
        by=ctx.by,
        at=ctx.now,
    )
    ctx.notify(
        "memo",
        _("Memo (签呈) from %(dept)s") % {"dept": dept.name},
        ctx.data.memo,
        departments=[D.GM_OFFICE],
        roles=[Role.GM],
    )


def _extension_cap(ctx: Ctx, days: int) -> None:
    cap = int(ctx.settings["extension.max_workdays"])
    used = ctx.step.extended_days
    if used + days > cap:
        raise Invalid(
            _("at most %(cap)d working days of extension in all per step; %(used)d already granted")
            % {"cap": cap, "used": used},
            field="days",
        )


def _request_extension(ctx: Ctx) -> None:
    _extension_cap(ctx, ctx.data.days)
    ctx.record = ExtensionRequest.objects.create(
        step=ctx.step,
        complaint=ctx.complaint,
        days=ctx.data.days,
        reason=ctx.data.reason,
        requested_by=ctx.by,
        requested_at=ctx.now,
    )
    ctx.notify(
        "extension_request",
        _("Extension requested: %(days)d working days") % {"days": ctx.data.days},
        ctx.data.reason,
        departments=sorted(workflow.step_owners(ctx.complaint, ctx.step)),
        min_role=Role.MANAGER,
    )


def _approve_extension(ctx: Ctx) -> None:
    req = ExtensionRequest.objects.select_for_update().get(step=ctx.step, decided_at__isnull=True)
    req.approved = ctx.data.approved
    req.decided_by = ctx.by
    req.decided_at = ctx.now
    req.due_before = ctx.step.due_at
    if req.approved:
        _extension_cap(ctx, req.days)
        step = ctx.step
        step.due_at = deadlines.extended_due(step.due_at, req.days, ctx.cal())
        step.extended_days += req.days
        step.save(update_fields=["due_at", "extended_days"])
        req.due_after = step.due_at
        ctx.set(due_at=step.due_at)
    req.save()
    ctx.record = req
    ctx.notify(
        "extension_decided",
        _("Extension approved") if req.approved else _("Extension refused"),
        ctx.data.note,
        users=[req.requested_by],
    )


def _record_meeting_decision(ctx: Ctx) -> None:
    ctx.record = MeetingDecision.objects.create(
        complaint=ctx.complaint,
        decision=ctx.data.decision,
        attendees=ctx.data.attendees,
        recorded_by=ctx.by,
        recorded_at=ctx.now,
    )


APPLIERS = {
    "assign": _assign,
    "submit_investigation": _submit_investigation,
    "submit_countermeasure": _nothing,
    "submit_rd_opinion": _nothing,
    "submit_proposal": _submit_proposal,
    "submit_synthesis": _nothing,
    "approve": _approve,
    "send_back": _nothing,
    "record_reply": _record_reply,
    "object": _object,
    "request_extension": _request_extension,
    "approve_extension": _approve_extension,
    "record_meeting_decision": _record_meeting_decision,
}
assert set(APPLIERS) == set(workflow.ACTIONS) == set(PAYLOADS), "every action has a payload and an applier"


# --- audit --------------------------------------------------------------------------


def _audit(ctx: Ctx) -> None:
    c = ctx.complaint
    data = ctx.data.model_dump(mode="json")
    note = data.pop("note", "") or data.get("memo", "") or data.get("reason", "")
    if ctx.new_step is not None:
        data["next_step"] = {
            "step": ctx.new_step.step,
            "department": ctx.new_step.department.code,
            "due_at": ctx.new_step.due_at.isoformat(),
        }
    if ctx.followup is not None:
        data["followup"] = ctx.followup.number
    audit.record(
        c,
        ctx.action.name,
        by=ctx.by,
        from_state=ctx.from_state,
        to_state=c.status,
        note=note,
        data=data,
        at=ctx.now,
    )


# --- lateness inquiries: the answer ------------------------------------------------


@transaction.atomic
def answer_inquiry(pk: int, *, by, reason: str, now: dt.datetime | None = None) -> LatenessInquiry:
    """The late step's department gives the reason (002 篇4 第十四条)."""
    now = now or timezone.now()
    inquiry = (
        LatenessInquiry.objects.select_for_update(of=("self",))
        .select_related("complaint", "department", "step")
        .filter(pk=pk)
        .first()
    )
    if inquiry is None:
        raise NotFound(_("no lateness inquiry %(pk)s") % {"pk": pk})
    if not access.in_department(by, inquiry.department.code, min_role=Role.CLERK):
        raise Forbidden(_("only %(dept)s answers this inquiry") % {"dept": inquiry.department.code})
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
        inquiry.complaint,
        "answer_inquiry",
        by=by,
        note=reason,
        data={"inquiry": inquiry.pk, "step": inquiry.step.step},
        at=now,
    )
    return inquiry

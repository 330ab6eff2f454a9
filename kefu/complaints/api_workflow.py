"""Workflow API v1 (issue 4): actions, the caller's allowed actions, reminders, lateness inquiries.

Mounted at the API root (``api.add_router("", router)``) because it serves
``/complaints/{number}/actions...``, ``/reminders`` and ``/lateness-inquiries``.
Parse, call ``actions`` / ``reminders``, return; errors are the typed
``KefuError``s (403 / 404 / 409 / 422), never a 500.
"""

from __future__ import annotations

import json

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kefu.core.errors import Invalid

from . import actions, reminders, selectors, workflow
from .models import Complaint

router = Router(tags=["workflow"])


def iso(moment):
    return timezone.localtime(moment).isoformat() if moment is not None else None


def step_out(s, now, calendar) -> dict:
    from . import deadlines

    return {
        "id": s.pk,
        "step": s.step,
        "department": s.department.code,
        "assignee": s.assignee.username if s.assignee_id else None,
        "started_at": iso(s.started_at),
        "due_at": iso(s.due_at),
        "done_at": iso(s.done_at),
        "done_by": s.done_by.username if s.done_by_id else None,
        "extended_days": s.extended_days,
        "late": (s.done_at or now) > s.due_at,
        "remaining_workdays": deadlines.remaining_workdays(s.due_at, now, calendar)
        if s.done_at is None
        else None,
    }


def state_out(complaint: Complaint, user, *, result: actions.Result | None = None) -> dict:
    from kefu.core.workcalendar import WorkCalendar

    now = timezone.now()
    cal = WorkCalendar.load()
    steps = list(
        complaint.steps.select_related("department", "assignee", "done_by").order_by("started_at", "id")
    )
    out = {
        "number": complaint.number,
        "status": complaint.status,
        "due_at": iso(complaint.due_at),
        "case_due_at": iso(complaint.case_due_at),
        "closed_at": iso(complaint.closed_at),
        "validity": complaint.validity,
        "responsible_department": complaint.responsible_department.code
        if complaint.responsible_department_id
        else None,
        "supplier": complaint.supplier,
        "needs_rd": complaint.needs_rd,
        "handling": complaint.handling,
        "loss_amount": str(complaint.loss_amount) if complaint.loss_amount is not None else None,
        "steps": [step_out(s, now, cal) for s in steps],
        "allowed_actions": actions.allowed_actions(complaint, user),
        "links": {"parent": complaint.parent.number if complaint.parent_id else None},
    }
    if result is not None:
        out["action"] = result.action
        out["from_status"] = result.from_state
        out["followup"] = result.followup.number if result.followup else None
    return out


def _body(request) -> dict:
    if not request.body.strip():
        return {}
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return {key: value for key, value in request.POST.items()}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise Invalid(_("the body is not valid JSON"), field="body") from None
    if not isinstance(data, dict):
        raise Invalid(_("the body must be a JSON object"), field="body")
    return data


_BODY_SCHEMAS = {name: model.model_json_schema() for name, model in actions.PAYLOADS.items()}


@router.post(
    "/complaints/{number}/actions/{action}",
    summary="Take a workflow action",
    description="The body fields per action are those of the state machine (docs/workflow.md). "
    "403: not your department or authority; 409: not allowed in the current state (`allowed` lists "
    "the actions that are); 422: a field is missing or invalid (`field` names it).",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": {"oneOf": list(_BODY_SCHEMAS.values())}}},
        }
    },
)
def take_action(request, number: str, action: str):
    workflow.get(action)
    selectors.get_complaint(request.user, number, what=f"action {action}", request=request)  # 404 / 403 first
    result = actions.perform(number, action, by=request.user, payload=_body(request))
    complaint = Complaint.objects.select_related("responsible_department").get(pk=result.complaint.pk)
    return state_out(complaint, request.user, result=result)


@router.get("/complaints/{number}/actions", summary="The workflow actions the caller may take now")
def my_actions(request, number: str):
    complaint = selectors.get_complaint(request.user, number, what="api_read actions", request=request)
    sit = actions.situation(complaint)
    allowed = workflow.allowed_actions(complaint, request.user, sit)
    return {
        "number": complaint.number,
        "status": complaint.status,
        "due_at": iso(complaint.due_at),
        "current_step": {
            "step": sit.step.step,
            "department": sit.step.department.code,
            "due_at": iso(sit.step.due_at),
        }
        if sit.step
        else None,
        "allowed": allowed,
        "actions": [
            {"name": a, "label": workflow.label(a), "fields": list(workflow.ACTIONS[a].fields)}
            for a in allowed
        ],
    }


class ReminderOut(Schema):
    id: int
    complaint: str
    step: str
    department: str
    level: int
    step_due_at: str
    issued_at: str
    open: bool


class ReminderPage(Schema):
    count: int
    count_exact: bool
    page: int
    page_size: int
    results: list[ReminderOut]


def _page(result, rows: list) -> dict:
    return {
        "count": result.count,
        "count_exact": result.count_exact,
        "page": result.number,
        "page_size": result.page_size,
        "results": rows,
    }


@router.get("/reminders", response=ReminderPage, summary="Reminder notices (催办单), a page at a time")
def list_reminders(
    request, complaint: str = "", department: str = "", open: str = "", page: int = 1, page_size: int = 50
):
    qs = reminders.reminders(request.user, complaint=complaint, department=department, open=open)
    result = selectors.paginate(qs, page, page_size)
    return _page(
        result,
        [
            {
                "id": r.pk,
                "complaint": r.complaint.number,
                "step": r.step.step,
                "department": r.department.code,
                "level": r.level,
                "step_due_at": iso(r.step_due_at),
                "issued_at": iso(r.issued_at),
                "open": r.step.done_at is None,
            }
            for r in result.items
        ],
    )


class InquiryOut(Schema):
    id: int
    complaint: str
    step: str
    department: str
    late_workdays: int
    issued_at: str
    answered_at: str | None
    answered_by: str | None
    reason: str


class AnswerIn(Schema):
    reason: str


def inquiry_out(i) -> dict:
    return {
        "id": i.pk,
        "complaint": i.complaint.number,
        "step": i.step.step,
        "department": i.department.code,
        "late_workdays": i.late_workdays,
        "issued_at": iso(i.issued_at),
        "answered_at": iso(i.answered_at),
        "answered_by": i.answered_by.username if i.answered_by_id else None,
        "reason": i.reason,
    }


class InquiryPage(Schema):
    count: int
    count_exact: bool
    page: int
    page_size: int
    results: list[InquiryOut]


@router.get(
    "/lateness-inquiries", response=InquiryPage, summary="Lateness inquiries (治办单), a page at a time"
)
def list_inquiries(
    request, complaint: str = "", department: str = "", open: str = "", page: int = 1, page_size: int = 50
):
    qs = reminders.inquiries(request.user, complaint=complaint, department=department, open=open)
    result = selectors.paginate(qs, page, page_size)
    return _page(result, [inquiry_out(i) for i in result.items])


@router.post("/lateness-inquiries/{pk}/answer", response=InquiryOut, summary="Answer a lateness inquiry")
def answer(request, pk: int, payload: AnswerIn):
    return inquiry_out(actions.answer_inquiry(pk, by=request.user, reason=payload.reason))

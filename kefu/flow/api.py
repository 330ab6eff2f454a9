"""The engine's API: the work list, reminder notices, lateness inquiries, and the action routes
every record type mounts (``add_action_routes``). Parse, call the engine or a selector, return;
errors are the typed ``KefuError``s (400 / 403 / 404 / 409 / 422), never a 500.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from kefu.core import pagination
from kefu.core.errors import Malformed
from kefu.core.schemas import In, Page, PageSize, Text, errors
from kefu.core.workcalendar import WorkCalendar

from . import clocks, engine, registry, selectors
from .models import Kind
from .spec import Flow

router = Router(tags=["work"])


def iso(moment):
    return timezone.localtime(moment).isoformat() if moment is not None else None


def username(user) -> str | None:
    return user.username if user is not None else None


def step_out(s, now, calendar) -> dict:
    """A step as the API shows it; ``extended_days`` and ``remaining_workdays`` keep the complaint
    contract's names (they are in the step's unit: working days for day clocks)."""
    reading = clocks.read(s.due_at, s.done_at, now, s.unit, calendar)
    return {
        "id": s.pk,
        "step": s.code,
        "department": s.department.code,
        "role": s.role,
        "assignee": username(s.assignee) if s.assignee_id else None,
        "started_at": iso(s.started_at),
        "due_at": iso(s.due_at),
        "done_at": iso(s.done_at),
        "done_by": username(s.done_by) if s.done_by_id else None,
        "clock": {"amount": s.allowed, "unit": s.unit},
        "extended_days": s.extended,
        "late": (s.done_at or now) > s.due_at,
        "remaining_workdays": clocks.remaining_workdays(s.due_at, now, calendar)
        if s.done_at is None and reading.unit == clocks.WORKDAYS
        else None,
        "remaining_hours": reading.remaining if s.done_at is None and reading.unit == clocks.HOURS else None,
    }


def steps_out(steps) -> list[dict]:
    now = timezone.now()
    cal = WorkCalendar.cached()
    return [step_out(s, now, cal) for s in steps if s.kind != Kind.CASE]


def case_out(steps) -> dict | None:
    case = next((s for s in steps if s.kind == Kind.CASE), None)
    if case is None:
        return None
    return {
        "due_at": iso(case.due_at),
        "done_at": iso(case.done_at),
        "late": (case.done_at or timezone.now()) > case.due_at,
    }


def body(request) -> dict:
    """The request body as a dict: JSON, or a form post."""
    if not request.body.strip():
        return {}
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return {key: value for key, value in request.POST.items()}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise Malformed(_("the body is not valid JSON"), field="body") from None
    if not isinstance(data, dict):
        raise Malformed(_("the body must be a JSON object"), field="body")
    return data


def inline_defs(schema: dict) -> dict:
    """A model's JSON schema with its ``$defs`` written in place of their ``$ref``s: pydantic's
    ``#/$defs/...`` would point into the OpenAPI document's root, where nothing is (issue 11)."""
    defs = schema.get("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                target = walk(copy.deepcopy(defs[ref.removeprefix("#/$defs/")]))
                return {**target, **{k: walk(v) for k, v in node.items() if k != "$ref"}}
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def add_action_routes(router: Router, flow: Flow, *, render, key_name: str = "number") -> None:
    """Mount ``GET /{key}/actions`` and ``POST /{key}/actions/{action}`` of ``flow`` on ``router``.

    ``render(record, steps, allowed, user, result=None)`` gives the record's workflow state as the
    POST answers it (built from the action's result: no second read of the record).
    """
    schemas = {name: inline_defs(a.body.model_json_schema()) for name, a in flow.actions.items()}

    def keyed(view, names):
        """``view(request, **kwargs)`` with the signature django-ninja reads its path parameters from."""
        params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        params += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=Text) for n in names]
        view.__signature__ = inspect.Signature(params)
        return view

    @router.post(
        f"/{{{key_name}}}/actions/{{action}}",
        summary="Take a workflow action",
        description="The body fields per action are those of the state machine (docs/workflow.md). "
        "400: a field is missing, of the wrong type or unknown (`field` names it); 403: not your department, "
        "role or authority; 409: not allowed in the current state (`allowed` lists the actions that are); "
        "422: a rule of the action refuses it (`field` names it).",
        response={200: dict, **errors(403, 404, 409, 422)},
        openapi_extra={
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": {"oneOf": list(schemas.values())}}},
            }
        },
        url_name=f"{flow.name}-act",
        operation_id=f"{flow.name}_take_action",
    )
    @functools.partial(keyed, names=(key_name, "action"))
    def take_action(request, **kwargs):
        key, action = kwargs[key_name], kwargs["action"]
        flow.get(action)
        record = flow.lookup(request.user, key, what=f"action {action}", request=request)
        result = engine.perform(record, action, by=request.user, data=body(request))
        return render(result.record, result.steps, result.allowed, request.user, result=result)

    @router.get(
        f"/{{{key_name}}}/actions",
        summary="The workflow actions the caller may take now",
        response={200: dict, **errors(403, 404)},
        url_name=f"{flow.name}-actions",
        operation_id=f"{flow.name}_actions",
    )
    @functools.partial(keyed, names=(key_name,))
    def my_actions(request, **kwargs):
        key = kwargs[key_name]
        record = flow.lookup(request.user, key, what="api_read actions", request=request)
        steps = list(engine.steps_query(flow, record.pk))
        sit = engine.situation(flow, record, steps)
        allowed = flow.allowed(request.user, sit)
        return {
            key_name: flow.key(record),
            "status": record.status,
            "due_at": iso(record.due_at),
            "current_step": {
                "step": sit.step.code,
                "department": sit.step.department.code,
                "role": sit.step.role,
                "due_at": iso(sit.step.due_at),
            }
            if sit.step
            else None,
            "allowed": allowed,
            "actions": [
                {"name": a, "label": flow.label_of(a), "fields": list(flow.actions[a].doc_fields())}
                for a in allowed
            ],
        }


# --- the work list ----------------------------------------------------------------------------------


class WorkOut(Schema):
    id: int
    record_type: str
    record: str
    title: str
    customer: str
    step: str
    step_label: str
    department: str
    role: str
    assignee: str | None
    started_at: str
    due_at: str
    clock: dict
    late: bool
    late_by: int
    remaining: int | None
    unit: str
    url: str
    action: str | None


class WorkPage(Schema):
    count: int
    count_exact: bool
    page: int
    page_size: int
    results: list[WorkOut]


@router.get(
    "/work",
    response={200: WorkPage, **errors()},
    summary="My work: open steps of every record type, a page at a time",
)
def work(
    request,
    scope: Literal["mine", "department"] = "department",
    sort: Literal[selectors.SORTS] = "urgent",
    record_type: Text = "",
    late: Text = "",
    page: Page = 1,
    page_size: PageSize = 50,
):
    """``scope=mine``: only what waits for my decision or action; ``department``: my departments' open
    steps. ``sort=urgent`` (earliest deadline first) or ``newest``."""
    now = timezone.now()
    filters = selectors.WorkFilters.parse(
        {"scope": scope, "sort": sort, "record_type": record_type, "late": late}
    )
    result = pagination.paginate(selectors.work(request.user, filters, now=now), page, page_size)
    rows = selectors.with_summaries(result.items)
    cal = WorkCalendar.cached()
    flows = registry.flows_by_name()
    out = []
    for s in rows:
        reading = clocks.read(s.due_at, None, now, s.unit, cal)
        flow = flows.get(s.record_type)
        spec = flow.steps.get(s.code) if flow is not None else None
        out.append(
            {
                "id": s.pk,
                "record_type": s.record_type,
                "record": s.record_key,
                "title": s.summary.title if s.summary else "",
                "customer": s.summary.customer if s.summary else "",
                "step": s.code,
                "step_label": engine.step_label(flow, s) if flow is not None else s.code,
                "department": s.department.code,
                "role": s.role,
                "assignee": username(s.assignee) if s.assignee_id else None,
                "started_at": iso(s.started_at),
                "due_at": iso(s.due_at),
                "clock": {"amount": s.allowed, "unit": s.unit},
                "late": reading.late_by > 0,
                "late_by": reading.late_by,
                "remaining": reading.remaining,
                "unit": reading.unit,
                "url": s.url,
                "action": spec.action if spec is not None and spec.action else None,
            }
        )
    return result.as_api(out)


# --- reminder notices and lateness inquiries ---------------------------------------------------------


class ReminderOut(Schema):
    id: int
    record_type: str
    record: str
    complaint: str | None
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


class RecordFilters(Schema):
    """The filters of the reminder and inquiry lists; ``complaint=N`` (the complaint contract) is
    ``record_type=complaint&record=N``."""

    complaint: Text = ""
    record_type: Text = ""
    record: Text = ""
    department: Text = ""
    open: Text = ""

    def selector_kwargs(self) -> dict:
        record_type, record = (
            ("complaint", self.complaint) if self.complaint else (self.record_type, self.record)
        )
        return {
            "record_type": record_type,
            "record": record,
            "department": self.department,
            "open": self.open,
        }


def _step_fields(notice) -> dict:
    """What a reminder and an inquiry say of their step and record, alike."""
    return {
        "id": notice.pk,
        "record_type": notice.record_type,
        "record": notice.step.record_key,
        "complaint": notice.step.record_key if notice.record_type == "complaint" else None,
        "step": notice.step.code,
        "department": notice.department.code,
    }


@router.get(
    "/reminders",
    response={200: ReminderPage, **errors()},
    summary="Reminder notices (催办单), a page at a time",
)
def list_reminders(request, filters: Query[RecordFilters], page: Page = 1, page_size: PageSize = 50):
    qs = selectors.reminders(request.user, **filters.selector_kwargs())
    result = pagination.paginate(qs, page, page_size)
    return result.as_api(
        [
            {
                **_step_fields(r),
                "level": r.level,
                "step_due_at": iso(r.step_due_at),
                "issued_at": iso(r.issued_at),
                "open": r.step.done_at is None,
            }
            for r in result.items
        ]
    )


class InquiryOut(Schema):
    id: int
    record_type: str
    record: str
    complaint: str | None
    step: str
    department: str
    late_workdays: int
    issued_at: str
    answered_at: str | None
    answered_by: str | None
    reason: str


class AnswerIn(In):
    reason: str


def inquiry_out(i) -> dict:
    return {
        **_step_fields(i),
        "late_workdays": i.late_workdays,
        "issued_at": iso(i.issued_at),
        "answered_at": iso(i.answered_at),
        "answered_by": username(i.answered_by) if i.answered_by_id else None,
        "reason": i.reason,
    }


class InquiryPage(Schema):
    count: int
    count_exact: bool
    page: int
    page_size: int
    results: list[InquiryOut]


@router.get(
    "/lateness-inquiries",
    response={200: InquiryPage, **errors()},
    summary="Lateness inquiries (治办单), a page at a time",
)
def list_inquiries(request, filters: Query[RecordFilters], page: Page = 1, page_size: PageSize = 50):
    qs = selectors.inquiries(request.user, **filters.selector_kwargs())
    result = pagination.paginate(qs, page, page_size)
    return result.as_api([inquiry_out(i) for i in result.items])


@router.post(
    "/lateness-inquiries/{pk}/answer",
    response={200: InquiryOut, **errors(403, 404, 409, 422)},
    summary="Answer a lateness inquiry",
)
def answer(request, pk: int, payload: AnswerIn):
    return inquiry_out(engine.answer_inquiry(pk, by=request.user, reason=payload.reason))

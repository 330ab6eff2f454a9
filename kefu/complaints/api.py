"""Complaints API v1 (SPEC section 3): parse, call a selector or service, return."""

from __future__ import annotations

from typing import Literal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile

from kefu.core.errors import Invalid
from kefu.core.schemas import Day, Page, PageSize, Text, errors
from kefu.flow import api as flow_api

from . import findings, selectors, services
from .choices import Category, Outcome, Severity
from .schemas import AttachmentOut, ComplaintIn, ComplaintListOut, ComplaintOut, ComplaintSummaryOut, local
from .workflow import FLOW

router = Router(tags=["complaints"])

# The list filters' choices, declared in the OpenAPI document (empty: no filter).
StatusFilter = Literal[("", *selectors.STATUS_FILTER.values)]  # open: every state not closed
CategoryFilter = Literal[("", *Category.values)]
SeverityFilter = Literal[("", *Severity.values)]
OutcomeFilter = Literal[("", *Outcome.values)]


def _attachment(number: str, a) -> dict:
    return {
        "id": a.pk,
        "name": a.original_name,
        "content_type": a.content_type,
        "size": a.size,
        "uploaded_at": local(a.uploaded_at),
        "uploaded_by": a.uploaded_by.username if a.uploaded_by else None,
        "url": reverse("complaints:attachment", args=[number, a.pk]),
    }


def _detail(detail: selectors.ComplaintDetail) -> dict:
    c = detail.complaint
    out = ComplaintSummaryOut.from_complaint(c)
    out.update(
        description=c.description,
        registered_by=c.registered_by.username if c.registered_by else None,
        order_no=c.order_no,
        part_no=c.part_no,
        quantity=c.quantity,
        quantity_pending=c.quantity_pending,
        defect_quantity=c.defect_quantity,
        ship_date=c.ship_date,
        customer_request=c.customer_request,
        sample_received=c.sample_received,
        contact_name=c.contact_name,
        contact_phone=c.contact_phone,
        contact_email=c.contact_email,
        acknowledged_at=local(c.acknowledged_at),
        answer_by=c.answer_by,
        responsible_department=c.responsible_department.code if c.responsible_department else None,
        supplier=c.supplier,
        handling=c.handling,
        loss_amount=str(c.loss_amount) if c.loss_amount is not None else None,
        steps=[
            {
                "step": s.code,
                "department": s.department.code,
                "assignee": s.assignee.username if s.assignee else None,
                "started_at": local(s.started_at),
                "due_at": local(s.due_at),
                "done_at": local(s.done_at),
                "late": s.late,
            }
            for s in detail.steps
        ],
        history=[
            {
                "action": e.action,
                "from_status": e.from_state,
                "to_status": e.to_state,
                "by": e.actor_label,
                "at": local(e.at),
                "note": e.note,
            }
            for e in detail.history
        ],
        links={
            "parent": c.parent.number if c.parent else None,
            "followups": [f.number for f in detail.followups],
        },
        attachments=[_attachment(c.number, a) for a in detail.attachments],
        findings=findings.api_findings(detail.rows),
        responsibility=findings.api_responsibility(c, detail.responsibilities),
        meeting_at=local(c.meeting_at),
    )
    return out


@router.post("", response={201: ComplaintOut, **errors(422)}, summary="Register a complaint")
def create_complaint(request, payload: ComplaintIn):
    complaint = services.register_complaint(by=request.user, **payload.model_dump())
    # Anyone may register a complaint (000 5.3.2), but the answer names the customer only to
    # those who may read its record (R1.2); answered from the rows just written (a new complaint
    # has no follow-ups yet).
    written = complaint.registration
    detail = selectors.ComplaintDetail(
        complaint=complaint, steps=written.steps, attachments=written.attachments, history=written.history
    )
    out = _detail(detail)
    if not selectors.can_see(request.user, complaint):
        out.update(customer_name=None, region=None)
    return Status(201, out)


@router.get("", response={200: ComplaintListOut, **errors(422)}, summary="List complaints")
def list_complaints(
    request,
    status: StatusFilter = "",
    customer: Text = "",
    category: CategoryFilter = "",
    severity: SeverityFilter = "",
    outcome: OutcomeFilter = "",
    overdue: bool = False,
    q: Text = "",
    received_from: Day | None = None,
    received_to: Day | None = None,
    page: Page = 1,
    page_size: PageSize = selectors.DEFAULT_PAGE_SIZE,
):
    filters = selectors.ComplaintFilters.parse(
        {
            "status": status,
            "customer": customer,
            "category": category,
            "severity": severity,
            "outcome": outcome,
            "overdue": overdue,
            "q": q,
            "received_from": received_from,
            "received_to": received_to,
        }
    )
    result = selectors.paginate(selectors.complaint_list(request.user, filters), page, page_size)
    return result.as_api([ComplaintSummaryOut.from_complaint(c) for c in result.items])


@router.get(
    "/{number}",
    response={200: ComplaintOut, **errors(403, 404)},
    summary="One complaint with steps, history and links",
)
def get_complaint(request, number: Text):
    return _detail(selectors.complaint_detail(request.user, number, what="api_read", request=request))


@router.post(
    "/{number}/attachments",
    response={201: list[AttachmentOut], **errors(403, 404, 422)},
    summary="Add photos or files",
)
def add_attachments(request, number: Text, attachments: File[list[UploadedFile]]):
    complaint = selectors.get_complaint(request.user, number, what="upload", request=request)
    if not attachments:
        raise Invalid(_("choose at least one file"), field="attachments")
    added = services.add_attachment(complaint, list(attachments), by=request.user)
    return Status(201, [_attachment(number, a) for a in added])


# --- the workflow actions: POST /complaints/{number}/actions/{action}, GET .../actions ---------------


def state_out(complaint, steps, allowed, user, *, result=None) -> dict:
    """The complaint's workflow state after an action, from the action's result (no second read)."""
    iso = flow_api.iso
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
        "steps": flow_api.steps_out(steps),
        "case": flow_api.case_out(steps),
        "allowed_actions": allowed,
        "links": {"parent": complaint.parent.number if complaint.parent_id else None},
    }
    if result is not None:
        out["action"] = result.action
        out["from_status"] = result.from_state
        out["followup"] = result.followup.number if result.followup else None
    return out


flow_api.add_action_routes(router, FLOW, render=state_out)

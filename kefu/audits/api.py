"""Customer audits API v1: list, detail, plan, nonconformities, documents, and the engine's actions
(``GET /audits/{number}/actions``, ``POST /audits/{number}/actions/{action}``)."""

from __future__ import annotations

from typing import Literal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from kefu.core.errors import Invalid
from kefu.core.schemas import Page, PageSize, Text, errors
from kefu.flow import api as flow_api

from . import selectors, services
from .models import AuditType, Folder
from .schemas import AuditIn, NonconformityIn
from .workflow import FLOW

router = Router(tags=["customer audits"])

StatusFilter = Literal[selectors.STATUS_FILTER]
TypeFilter = Literal[("", *AuditType.values)]
FolderIn = Literal[tuple(Folder.values)]
iso = flow_api.iso


def _attachment(number: str, x) -> dict:
    return {
        "id": x.pk,
        "folder": x.folder,
        "customer_format": x.customer_format,
        "name": x.original_name,
        "content_type": x.content_type,
        "size": x.size,
        "uploaded_at": iso(x.uploaded_at),
        "uploaded_by": x.uploaded_by.username if x.uploaded_by_id else None,
        "url": reverse("audits:attachment", args=[number, x.pk]),
    }


def summary_out(a) -> dict:
    return {
        "number": a.number,
        "name": a.name,
        "customer": a.customer.code,
        "audit_type": a.audit_type,
        "key_customer": a.key_customer,
        "status": a.status,
        "planned_start": iso(a.planned_start),
        "planned_end": iso(a.planned_end),
        "due_at": iso(a.due_at),
        "closed_at": iso(a.closed_at),
    }


def finding_out(nc, capa) -> dict:
    return {
        "key": nc.key,
        "description": nc.description,
        "clause": nc.clause,
        "severity": nc.severity,
        "department": nc.department.code,
        "capa": None
        if capa is None
        else {
            "number": capa.number,
            "status": capa.status,
            "url": reverse("capa:detail", args=[capa.number]),
        },
    }


def detail_out(d: selectors.AuditDetail) -> dict:
    a = d.audit
    out = summary_out(a)
    out.update(
        scope=a.scope,
        auditors=a.auditors,
        departments=a.departments,
        routing=a.routing or None,
        closing_planned_at=iso(a.closing_planned_at),
        report_sent_at=iso(a.report_sent_at),
        report_sent_to=a.report_sent_to or None,
        meetings=[
            {"kind": m.kind, "held_at": iso(m.held_at), "attendees": m.attendees, "minutes": m.minutes}
            for m in d.meetings
        ],
        nonconformities=[finding_out(nc, c) for nc, c in d.findings],
        attachments=[_attachment(a.number, x) for _f, rows in d.folders for x in rows],
        steps=flow_api.steps_out(d.steps),
        notices=[
            {
                "notice": n.code,
                "about": iso(n.about),
                "at": iso(n.at),
                "sent_at": iso(n.sent_at),
                "messages": n.mails,
                "skipped": n.skipped or None,
            }
            for n in d.notices
        ],  # fmt: skip
        earlier_audits=[
            {
                "number": e["audit"].number,
                "status": e["audit"].status,
                "nonconformities": e["nonconformities"],
                "open_8ds": e["open_8ds"],
                "without_8d": e["without_8d"],
            }
            for e in d.earlier
        ],  # fmt: skip
        history=[
            {
                "action": e.action,
                "from_status": e.from_state,
                "to_status": e.to_state,
                "by": e.actor_label,
                "at": iso(e.at),
                "note": e.note,
            }
            for e in d.history
        ],  # fmt: skip
    )
    return out


@router.get("", response={200: dict, **errors(422)}, summary="List customer audits")
def list_audits(
    request,
    status: StatusFilter = "",
    audit_type: TypeFilter = "",
    customer: Text = "",
    overdue: bool = False,
    page: Page = 1,
    page_size: PageSize = selectors.DEFAULT_PAGE_SIZE,
):
    filters = selectors.AuditFilters.parse(
        {"status": status, "audit_type": audit_type, "customer": customer, "overdue": overdue}
    )
    result = selectors.page(request.user, filters, page, page_size)
    return result.as_api([summary_out(a) for a in result.items])


@router.post("", response={201: dict, **errors(403, 422)}, summary="Plan a customer audit")
def create_audit(request, payload: AuditIn):
    services.require_planner(request.user)
    data = payload.model_dump()
    from kefu.flow import access as flow_access

    from .services import _customer

    customer = _customer(data.pop("customer"))
    if not flow_access.may_see_customer(request.user, customer.pk):
        from kefu.core.errors import Forbidden

        flow_access.log_refusal(request.user, customer.pk, "audit: plan")
        raise Forbidden(_("you may not see customer %(code)s") % {"code": customer.code})
    a = services.plan_audit(by=request.user, customer=customer, **data)
    return Status(201, detail_out(selectors.audit_detail(request.user, a.number, what="api_read")))


@router.get("/{number}", response={200: dict, **errors(403, 404)}, summary="One customer audit")
def get_audit(request, number: Text):
    return detail_out(selectors.audit_detail(request.user, number, what="api_read", request=request))


@router.post(
    "/{number}/nonconformities",
    response={201: dict, **errors(403, 404, 409, 422)},
    summary="Record a nonconformity (finding) of the audit",
)
def add_nonconformity(request, number: Text, payload: NonconformityIn):
    a = FLOW.lookup(request.user, number, what="add nonconformity", request=request)
    nc = services.add_nonconformity(a, by=request.user, **payload.model_dump())
    return Status(201, finding_out(nc, None))


@router.post(
    "/{number}/attachments",
    response={201: list[dict], **errors(403, 404, 422)},
    summary="File documents in a PDCA folder (p, d, c, a)",
)
def add_attachments(
    request,
    number: Text,
    attachments: File[list[UploadedFile]],
    folder: Form[FolderIn] = "p",
    customer_format: Form[bool] = False,
):
    a = FLOW.lookup(request.user, number, what="upload", request=request)
    if not attachments:
        raise Invalid(_("choose at least one file"), field="attachments")
    added = services.add_attachments(
        a, list(attachments), by=request.user, folder=folder, customer_format=customer_format
    )
    return Status(201, [_attachment(number, x) for x in added])


def state_out(a, steps, allowed, user, *, result=None) -> dict:
    out = summary_out(a)
    out.update(routing=a.routing or None, steps=flow_api.steps_out(steps), allowed_actions=allowed)
    if result is not None:
        out["action"] = result.action
        out["from_status"] = result.from_state
    return out


flow_api.add_action_routes(router, FLOW, render=state_out)

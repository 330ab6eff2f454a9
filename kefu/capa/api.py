"""Corrective actions (8D) API v1: list, detail, open, evidence, and the engine's actions
(``GET /capa/{number}/actions``, ``POST /capa/{number}/actions/{action}``)."""

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
from .models import Attachment, SourceType
from .schemas import CapaIn
from .workflow import FLOW

router = Router(tags=["corrective actions"])

StatusFilter = Literal[selectors.STATUS_FILTER]
SourceFilter = Literal[("", *SourceType.values)]
KindIn = Literal[tuple(Attachment.Kind.values)]
iso = flow_api.iso


def _attachment(number: str, a) -> dict:
    return {
        "id": a.pk,
        "kind": a.kind,
        "name": a.original_name,
        "content_type": a.content_type,
        "size": a.size,
        "uploaded_at": iso(a.uploaded_at),
        "uploaded_by": a.uploaded_by.username if a.uploaded_by_id else None,
        "url": reverse("capa:attachment", args=[number, a.pk]),
    }


def summary_out(c) -> dict:
    return {
        "number": c.number,
        "title": c.title,
        "status": c.status,
        "department": c.department.code,
        "customer": c.customer.code if c.customer_id else None,
        "severity": c.severity,
        "nonconformity": c.nonconformity,
        "source": {"type": c.source_type, "key": c.source_key or None},
        "opened_at": iso(c.opened_at),
        "due_at": iso(c.due_at),
        "closed_at": iso(c.closed_at),
        "customer_deadline": iso(c.customer_deadline),
    }


def disciplines(c) -> dict:
    """The eight disciplines as the record holds them."""
    return {
        "d0_team": c.team,
        "d1_d2_problem": {
            "problem": c.problem, "what": c.what, "where": c.where, "when": c.when, "who": c.who,
            "why": c.why, "how": c.how, "how_many": c.how_many,
        },
        "d3_containment": {
            "containment": c.containment,
            "plant": {"checked": c.plant_checked, "nonconforming": c.plant_nonconforming},
            "transit": {"checked": c.transit_checked, "nonconforming": c.transit_nonconforming},
            "customer": {"checked": c.customer_checked, "nonconforming": c.customer_nonconforming},
        },
        "d4_root_cause": {
            "occurrence": {
                "why": c.why_occurrence,
                "fishbone": c.fishbone_occurrence,
                "root_cause": c.root_cause_occurrence,
            },
            "escape": {"why": c.why_escape, "fishbone": c.fishbone_escape, "root_cause": c.root_cause_escape},
        },
        "d5_d6_corrective_action": {
            "action": c.corrective_action,
            "implementation": c.implementation,
            "verify_by": c.verify_by.isoformat() if c.verify_by else None,
        },
        "d7_prevention": {"prevention": c.prevention, "documents": c.documents},
        "d8_closure": {"closure": c.closure, "recognition": c.recognition},
    }  # fmt: skip


def approvals(c) -> dict:
    name = flow_api.username
    return {
        "reply_submitted_at": iso(c.reply_submitted_at),
        "reply_submitted_by": name(c.reply_submitted_by) if c.reply_submitted_by_id else None,
        "reply_approved_at": iso(c.reply_approved_at),
        "reply_approved_by": name(c.reply_approved_by) if c.reply_approved_by_id else None,
        "report_approved_at": iso(c.report_approved_at),
        "report_approved_by": name(c.report_approved_by) if c.report_approved_by_id else None,
        "verification": {
            "effective": c.effective, "result": c.verification, "at": iso(c.verified_at), "reopened": c.reopened,
        },
    }  # fmt: skip


def detail_out(d: selectors.CapaDetail) -> dict:
    c = d.capa
    out = summary_out(c)
    out.update(
        disciplines=disciplines(c),
        approvals=approvals(c),
        steps=flow_api.steps_out(d.steps),
        attachments=[_attachment(c.number, a) for a in d.attachments],
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


@router.get("", response={200: dict, **errors(422)}, summary="List corrective actions")
def list_capas(
    request,
    status: StatusFilter = "",
    department: Text = "",
    overdue: bool = False,
    source_type: SourceFilter = "",
    source: Text = "",
    page: Page = 1,
    page_size: PageSize = selectors.DEFAULT_PAGE_SIZE,
):
    """``?source_type=complaint&source=<number>`` lists a complaint's corrective actions."""
    filters = selectors.CapaFilters.parse(
        {
            "status": status,
            "department": department,
            "overdue": overdue,
            "source_type": source_type,
            "source": source,
        }
    )
    result = selectors.paginate(selectors.capa_list(request.user, filters), page, page_size)
    return result.as_api([summary_out(c) for c in result.items])


@router.post("", response={201: dict, **errors(403, 422)}, summary="Open a corrective action (8D) by hand")
def create_capa(request, payload: CapaIn):
    services.require_opener(request.user)
    data = payload.model_dump()
    source = data.pop("source")
    capa = services.open_capa(by=request.user, source=source, **data)
    return Status(201, detail_out(selectors.capa_detail(request.user, capa.number, what="api_read")))


@router.get("/{number}", response={200: dict, **errors(403, 404)}, summary="One corrective action, D0-D8")
def get_capa(request, number: Text):
    return detail_out(selectors.capa_detail(request.user, number, what="api_read", request=request))


@router.post(
    "/{number}/attachments",
    response={201: list[dict], **errors(403, 404, 422)},
    summary="Add evidence (photos, training records) or the report in the customer's format",
)
def add_attachments(
    request, number: Text, attachments: File[list[UploadedFile]], kind: Form[KindIn] = "evidence"
):
    capa = FLOW.lookup(request.user, number, what="upload", request=request)
    if not attachments:
        raise Invalid(_("choose at least one file"), field="attachments")
    added = services.add_attachments(capa, list(attachments), by=request.user, kind=kind)
    return Status(201, [_attachment(number, a) for a in added])


def state_out(capa, steps, allowed, user, *, result=None) -> dict:
    out = summary_out(capa)
    out.update(
        approvals=approvals(capa),
        steps=flow_api.steps_out(steps),
        allowed_actions=allowed,
    )
    if result is not None:
        out["action"] = result.action
        out["from_status"] = result.from_state
    return out


flow_api.add_action_routes(router, FLOW, render=state_out)

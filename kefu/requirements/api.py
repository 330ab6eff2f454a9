"""Requirement registers API v1 (``/api/v1/requirements``): the CSR list, detail, registration,
reviews, files (CMRT reports with their date) and the engine's actions
(``GET /requirements/{number}/actions``, ``POST /requirements/{number}/actions/{action}``); the
HSF cycles under ``/requirements/hsf/cycles`` with theirs, the current limits and laws."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.urls import reverse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from kefu.core.schemas import Page, PageSize, Text, errors
from kefu.flow import api as flow_api

from . import selectors, services
from .models import CycleKind, RequirementFile
from .schemas import ChangeCycleIn, RequirementIn
from .workflow import CSR_FLOW, HSF_FLOW

router = Router(tags=["requirements"])
hsf_router = Router(tags=["requirements"])
cycles_router = Router(tags=["requirements"])

StatusFilter = Literal[selectors.STATUS_FILTER]
CycleStatusFilter = Literal[selectors.CYCLE_STATUS_FILTER]
KindFilter = Literal[("", *CycleKind.values)]
FileKind = Literal[tuple(RequirementFile.Kind.values)]
iso = flow_api.iso
name = flow_api.username


def file_out(f) -> dict:
    return {
        "id": f.pk,
        "kind": f.kind,
        "name": f.original_name,
        "dated": f.dated.isoformat() if f.dated else None,
        "content_type": f.content_type,
        "size": f.size,
        "uploaded_at": iso(f.uploaded_at),
        "uploaded_by": name(f.uploaded_by) if f.uploaded_by_id else None,
        "url": reverse("requirements:file", args=[f.pk]),
    }


def summary_out(r) -> dict:
    d = r.document
    return {
        "number": r.number,
        "customer": r.customer.code,
        "title": r.title,
        "clause": r.clause,
        "red_line": r.red_line,
        "status": r.status,
        "document": {
            "id": d.pk, "title": d.title, "number": d.number, "revision": d.revision,
            "date": d.issued_on.isoformat(),
        },
        "departments": r.departments,
        "opened_at": iso(r.opened_at),
        "reviewed_at": iso(r.reviewed_at),
        "due_at": iso(r.due_at),
        "closed_at": iso(r.closed_at),
    }  # fmt: skip


def review_out(v) -> dict:
    return {
        "department": v.department.code,
        "answer": v.answer or None,
        "comment": v.comment,
        "by": name(v.answered_by) if v.answered_by_id else None,
        "at": iso(v.answered_at),
        "action": v.action or None,
        "action_owner": name(v.action_owner) if v.action_owner_id else None,
        "action_due": v.action_due.isoformat() if v.action_due else None,
        "action_done_at": iso(v.action_done_at),
        "action_done_by": name(v.action_done_by) if v.action_done_by_id else None,
        "action_result": v.action_result,
    }


def detail_out(d: selectors.RequirementDetail) -> dict:
    r = d.requirement
    out = summary_out(r)
    out.update(
        text=r.text,
        linked_documents=r.linked_documents,
        reviewed=d.reviewed,
        reviews=[review_out(v) for v in d.reviews],
        steps=flow_api.steps_out(d.steps),
        files=[file_out(f) for f in d.files],
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


@router.get("", response={200: dict, **errors(422)}, summary="List customer-specific requirements")
def list_requirements(
    request,
    customer: Text = "",
    status: StatusFilter = "",
    red_line: bool | None = None,
    department: Text = "",
    q: Text = "",
    page: Page = 1,
    page_size: PageSize = selectors.DEFAULT_PAGE_SIZE,
):
    filters = selectors.RequirementFilters.parse(
        {"customer": customer, "status": status, "red_line": red_line, "department": department, "q": q}
    )
    result = selectors.page_of(request.user, filters, page, page_size)
    return result.as_api([summary_out(r) for r in result.items])


@router.post("", response={201: dict, **errors(403, 404, 422)}, summary="Register a requirement")
def create_requirement(request, payload: RequirementIn):
    services.require_registrar(request.user)
    customer = selectors.customer_for(request.user, payload.customer, what="api register csr")
    data = payload.model_dump()
    data.pop("customer")
    data["linked_documents"] = [dict(x) for x in data["linked_documents"]]
    req = services.register_requirement(by=request.user, customer=customer, **data)
    return Status(201, detail_out(selectors.requirement_detail(request.user, req.number, what="api_read")))


@router.get("/checklist", response={200: dict, **errors(403, 404)}, summary="A customer's CSR checklist")
def get_checklist(request, customer: Text, document: int | None = None):
    c = selectors.checklist(request.user, customer, document=document)
    return {
        "customer": c.customer.code,
        "departments": [code for code, _label in c.departments],
        "documents": [{"id": d.pk, "number": d.number, "revision": d.revision, "title": d.title} for d in c.documents],
        "rows": [
            {**summary_out(r), "answers": {code: (v.answer or None) if v else None
                                           for (code, _l), v in zip(c.departments, cells, strict=True)}}
            for r, cells in c.rows
        ],
    }  # fmt: skip


@router.post(
    "/customers/{code}/files",
    response={201: list[dict], **errors(403, 404, 422)},
    summary="Attach files: a CMRT report (with its date), a source document's file, a linked document",
)
def add_files(
    request,
    code: Text,
    attachments: File[list[UploadedFile]],
    kind: Form[FileKind] = "cmrt",
    dated: Form[dt.date | None] = None,
    document: Form[int | None] = None,
    requirement: Form[str] = "",
):
    customer = selectors.customer_for(request.user, code, what="api upload")
    services.require_registrar(request.user)
    doc = req = None
    if document is not None:
        doc = customer_document(customer, document)
    if requirement:
        req = CSR_FLOW.lookup(request.user, requirement, what="upload", request=request)
    added = services.add_files(
        customer,
        list(attachments or []),
        by=request.user,
        kind=kind,
        document=doc,
        requirement=req,
        dated=dated,
    )
    return Status(201, [file_out(f) for f in added])


def customer_document(customer, pk: int):
    from kefu.core.errors import Invalid

    from .models import CsrDocument

    doc = CsrDocument.objects.filter(customer=customer, pk=pk).first()
    if doc is None:
        raise Invalid("no such document of this customer", field="document")
    return doc


@router.get("/{number}", response={200: dict, **errors(403, 404)}, summary="One requirement with its reviews")
def get_requirement(request, number: Text):
    return detail_out(selectors.requirement_detail(request.user, number, what="api_read", request=request))


@router.get("/{number}/reviews", response={200: dict, **errors(403, 404)}, summary="The departments' reviews")
def get_reviews(request, number: Text):
    d = selectors.requirement_detail(request.user, number, what="api_read", request=request)
    return {"number": number, "reviewed": d.reviewed, "reviews": [review_out(v) for v in d.reviews]}


def state_out(record, steps, allowed, user, *, result=None) -> dict:
    out = summary_out(record)
    out.update(
        reviews=[review_out(v) for v in selectors.reviews_of(record)],
        steps=flow_api.steps_out(steps),
        allowed_actions=allowed,
    )
    if result is not None:
        out.update(action=result.action, from_status=result.from_state)
    return out


# --- HSF -------------------------------------------------------------------------------------------


def limit_out(lim) -> dict:
    return {
        "regime": lim.regime, "substance": lim.substance, "cas": lim.cas, "limit": str(lim.limit),
        "unit": lim.unit, "source": lim.source,
    }  # fmt: skip


def law_out(law) -> dict:
    return {
        "regime": law.regime, "title": law.title, "version": law.version,
        "date": law.issued_on.isoformat(), "note": law.note,
    }  # fmt: skip


def cycle_out(c) -> dict:
    return {
        "number": c.number,
        "kind": c.kind,
        "customer": c.customer.code if c.customer_id else None,
        "period": c.period,
        "reason": c.reason,
        "status": c.status,
        "due_by": c.due_by.isoformat() if c.due_by else None,
        "due_at": iso(c.due_at),
        "opened_at": iso(c.opened_at),
        "collected_by": name(c.collected_by) if c.collected_by_id else None,
        "identified_by": name(c.identified_by) if c.identified_by_id else None,
        "approved_by": name(c.approved_by) if c.approved_by_id else None,
        "approved_at": iso(c.approved_at),
        "result": c.result or None,
        "compliant": c.compliant,
        "closed_at": iso(c.closed_at),
    }


@cycles_router.get("", response={200: dict, **errors(422)}, summary="HSF cycles")
def list_cycles(
    request,
    kind: KindFilter = "",
    status: CycleStatusFilter = "",
    customer: Text = "",
    page: Page = 1,
    page_size: PageSize = selectors.DEFAULT_PAGE_SIZE,
):
    filters = selectors.CycleFilters.parse({"kind": kind, "status": status, "customer": customer})
    result = selectors.paginate(selectors.cycle_list(request.user, filters), page, page_size)
    return result.as_api([cycle_out(c) for c in result.items])


@cycles_router.post(
    "", response={201: dict, **errors(403, 404, 422)}, summary="Open a collection on a customer's change"
)
def create_change_cycle(request, payload: ChangeCycleIn):
    customer = selectors.customer_for(request.user, payload.customer, what="api hsf change")
    cycle = services.open_change_cycle(customer, by=request.user, reason=payload.reason)
    return Status(201, cycle_out(cycle))


@cycles_router.get("/{number}", response={200: dict, **errors(403, 404)}, summary="One HSF cycle")
def get_cycle(request, number: Text):
    d = selectors.cycle_detail(request.user, number, what="api_read", request=request)
    out = cycle_out(d.cycle)
    out.update(
        limits=[limit_out(x) for x in d.limits],
        laws=[law_out(x) for x in d.laws],
        steps=flow_api.steps_out(d.steps),
    )
    return out


@hsf_router.get(
    "/limits", response={200: dict, **errors()}, summary="The customers' current (approved) substance limits"
)
def list_limits(request, customer: Text = "", page: Page = 1, page_size: PageSize = 200):
    result = selectors.paginate(selectors.current_limits(request.user, customer), page, page_size)
    return result.as_api(
        [{"customer": x.customer.code, "cycle": x.cycle.number, **limit_out(x)} for x in result.items]
    )


@hsf_router.get(
    "/laws", response={200: list[dict], **errors()}, summary="The applicable laws (current register)"
)
def list_laws(request):
    return [law_out(x) for x in selectors.current_laws()]


def cycle_state_out(record, steps, allowed, user, *, result=None) -> dict:
    out = cycle_out(record)
    out.update(steps=flow_api.steps_out(steps), allowed_actions=allowed)
    if result is not None:
        out.update(action=result.action, from_status=result.from_state)
    return out


flow_api.add_action_routes(cycles_router, HSF_FLOW, render=cycle_state_out)
hsf_router.add_router("/cycles", cycles_router)
router.add_router("/hsf", hsf_router)
flow_api.add_action_routes(router, CSR_FLOW, render=state_out)

"""Reads of the requirement registers: the CSR list (page, API, export), one requirement with its
reviews, steps, files and history; the checklist (requirements x departments); a customer's
section (red lines first); the HSF page (limits per customer, cycles, laws)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.core import audit
from kefu.core.choices import DepartmentCode as D
from kefu.core.errors import Forbidden, Malformed, NotFound
from kefu.core.pagination import DEFAULT_PAGE_SIZE, PageOf, empty, paginate  # noqa: F401
from kefu.flow import access as flow_access
from kefu.flow import engine, registry

from .models import (
    CSR_CLOSED,
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

OPEN = "open"
STATUS_FILTER = ("", OPEN, *CsrStatus.values)
CYCLE_STATUS_FILTER = ("", OPEN, *CycleStatus.values)


def _yes(value) -> bool | None:
    if value in (None, ""):
        return None
    if value is True or value is False:
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no"):
        return False
    raise Malformed(_("expected true or false"), field="red_line")


@dataclass(frozen=True)
class RequirementFilters:
    customer: str = ""
    status: str = ""
    red_line: bool | None = None
    department: str = ""
    q: str = ""

    @classmethod
    def parse(cls, data) -> RequirementFilters:
        get = data.get
        status = (get("status") or "").strip()
        if status not in STATUS_FILTER:
            raise Malformed(_("unknown status %(s)r") % {"s": status}, field="status")
        department = (get("department") or "").strip()
        if department and department not in D.values:
            raise Malformed(_("unknown department %(s)r") % {"s": department}, field="department")
        return cls(
            customer=(get("customer") or "").strip()[:32],
            status=status,
            red_line=_yes(get("red_line")),
            department=department,
            q=(get("q") or "").strip()[:100],
        )


def visible(user, qs=None):
    """Requirements of the customers ``user`` may see (R1.2)."""
    qs = Requirement.objects.all() if qs is None else qs
    customers = flow_access.visible_customers(user)
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    return qs


def requirement_list(user, filters: RequirementFilters):
    qs = visible(user)
    f = filters
    if f.customer:
        qs = qs.filter(customer__code=f.customer)
    if f.status == OPEN:
        qs = qs.exclude(status__in=CSR_CLOSED)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.red_line is not None:
        qs = qs.filter(red_line=f.red_line)
    if f.department:
        qs = qs.filter(reviews__department__code=f.department)
    if f.q:
        qs = qs.filter(Q(title__icontains=f.q) | Q(number__icontains=f.q) | Q(clause__icontains=f.q))
    return qs.order_by("-opened_at", "-id")


def load_rows(ids):
    """The page's requirements by id, with customer and document (the deferred join of paginate)."""
    rows = Requirement.objects.select_related("customer", "document").in_bulk(ids)
    return [rows[i] for i in ids if i in rows]


def page_of(user, filters: RequirementFilters, page, page_size) -> PageOf:
    return paginate(requirement_list(user, filters), page, page_size, load=load_rows)


@dataclass
class RequirementDetail:
    requirement: Requirement
    reviews: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    files: list = field(default_factory=list)
    history: list = field(default_factory=list)

    @property
    def reviewed(self) -> bool:
        return all(r.answered for r in self.reviews)


def reviews_of(req) -> list[Review]:
    return list(
        req.reviews.select_related("department", "answered_by", "action_owner", "action_done_by").order_by(
            "id"
        )
    )


def requirement_detail(user, number: str, *, what: str = "view", request=None) -> RequirementDetail:
    flow = registry.get("csr")
    req = flow.lookup(user, number, what=what, request=request)
    return RequirementDetail(
        requirement=req,
        reviews=reviews_of(req),
        steps=list(engine.steps_query(flow, req.pk)),
        files=list(
            RequirementFile.objects.filter(Q(requirement=req) | Q(document=req.document_id)).select_related(
                "uploaded_by"
            )
        ),
        history=audit.events_for("csr", req.number),
    )


def customer_for(user, code: str, *, what: str = "requirements"):
    from kefu.customers.models import Customer

    customer = Customer.objects.filter(code=code).first()
    if customer is None:
        raise NotFound(_("no customer %(code)s") % {"code": code}, field="customer")
    if not flow_access.may_see_customer(user, customer.pk):
        flow_access.log_refusal(user, customer.pk, what)
        raise Forbidden(_("you may not see the requirements of customer %(code)s") % {"code": code})
    return customer


# --- the checklist --------------------------------------------------------------------------------------


@dataclass
class Checklist:
    customer: object
    documents: list
    departments: list  # (code, label)
    rows: list  # [(requirement, [review or None per department])]


def checklist(user, code: str, *, document: int | None = None) -> Checklist:
    """The CSR checklist of a customer (000 CSR 4.3 4) / 004 顾客特殊要求清单): its requirements
    (red lines first) by the departments, each cell the department's answer. Three queries."""
    customer = customer_for(user, code, what="csr checklist")
    reqs = Requirement.objects.filter(customer=customer).exclude(status=CsrStatus.WITHDRAWN)
    if document:
        reqs = reqs.filter(document_id=document)
    reqs = list(reqs.select_related("document").order_by("-red_line", "document__number", "clause", "id"))
    reviews = Review.objects.filter(requirement__in=[r.pk for r in reqs]).select_related(
        "department", "answered_by"
    )
    cell = {(r.requirement_id, r.department.code): r for r in reviews}
    used = {c for _, c in cell}
    departments = [(c, label) for c, label in D.choices if c in used]
    rows = [(r, [cell.get((r.pk, c)) for c, _label in departments]) for r in reqs]
    documents = list(CsrDocument.objects.filter(customer=customer).order_by("number", "revision"))
    return Checklist(customer=customer, documents=documents, departments=departments, rows=rows)


# --- a customer's section ---------------------------------------------------------------------------


@dataclass
class CustomerSection:
    red_lines: list
    requirements: list
    open_count: int
    documents: list
    cmrt: list
    limits: list
    cycles: list


def customer_section(user, customer, *, limit: int = 10) -> CustomerSection:
    """What the customer's page shows of the registers: red lines first, the latest requirements,
    the documents, the CMRT reports with their dates, the current limits and the cycles."""
    base = Requirement.objects.filter(customer=customer).exclude(status=CsrStatus.WITHDRAWN)
    red = list(base.filter(red_line=True).select_related("document").order_by("-opened_at")[:50])
    others = list(base.filter(red_line=False).select_related("document").order_by("-opened_at")[:limit])
    return CustomerSection(
        red_lines=red,
        requirements=others,
        open_count=base.exclude(status__in=CSR_CLOSED).count(),
        documents=list(CsrDocument.objects.filter(customer=customer).order_by("number", "revision")),
        cmrt=list(
            RequirementFile.objects.filter(customer=customer, kind=RequirementFile.Kind.CMRT).order_by(
                "-dated", "-id"
            )[:10]
        ),
        limits=list(SubstanceLimit.objects.filter(customer=customer, current=True)),
        cycles=list(HsfCycle.objects.filter(customer=customer).order_by("-opened_at")[:5]),
    )


# --- HSF --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleFilters:
    kind: str = ""
    status: str = ""
    customer: str = ""

    @classmethod
    def parse(cls, data) -> CycleFilters:
        get = data.get
        kind = (get("kind") or "").strip()
        if kind and kind not in CycleKind.values:
            raise Malformed(_("unknown kind %(s)r") % {"s": kind}, field="kind")
        status = (get("status") or "").strip()
        if status not in CYCLE_STATUS_FILTER:
            raise Malformed(_("unknown status %(s)r") % {"s": status}, field="status")
        return cls(kind=kind, status=status, customer=(get("customer") or "").strip()[:32])


def cycle_list(user, filters: CycleFilters):
    qs = HsfCycle.objects.all()
    customers = flow_access.visible_customers(user)
    if customers is not None:
        qs = qs.filter(Q(customer__isnull=True) | Q(customer__in=customers))
    f = filters
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.status == OPEN:
        qs = qs.exclude(status=CycleStatus.APPROVED)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.customer:
        qs = qs.filter(customer__code=f.customer)
    return qs.select_related("customer").order_by("-opened_at", "-id")


def current_limits(user, customer: str = ""):
    """The approved limits, by customer (those the user may see)."""
    qs = SubstanceLimit.objects.filter(current=True)
    customers = flow_access.visible_customers(user)
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    if customer:
        qs = qs.filter(customer__code=customer)
    return qs.select_related("customer", "cycle").order_by("customer__code", "regime", "substance")


def current_laws():
    return Law.objects.filter(current=True).select_related("cycle").order_by("regime", "title")


@dataclass
class CycleDetail:
    cycle: HsfCycle
    steps: list
    limits: list
    laws: list
    history: list


def cycle_detail(user, number: str, *, what: str = "view", request=None) -> CycleDetail:
    flow = registry.get("hsf")
    cycle = flow.lookup(user, number, what=what, request=request)
    return CycleDetail(
        cycle=cycle,
        steps=list(engine.steps_query(flow, cycle.pk)),
        limits=list(cycle.limits.all()),
        laws=list(cycle.laws.all()),
        history=audit.events_for("hsf", cycle.number),
    )

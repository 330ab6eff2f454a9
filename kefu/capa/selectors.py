"""Reads of corrective actions: the list with its filters (page and API), one record with its
steps, files and history, and the monthly analysis of nonconformities (R6.5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import audit
from kefu.core.choices import DepartmentCode as D
from kefu.core.errors import Malformed
from kefu.core.pagination import DEFAULT_PAGE_SIZE, PageOf, empty, paginate  # noqa: F401
from kefu.core.workcalendar import TZ
from kefu.flow import access as flow_access
from kefu.flow import engine, registry

from .models import OPEN_STATES, Capa, SourceType, Status

OPEN = "open"
STATUS_FILTER = ("", OPEN, *Status.values)


@dataclass(frozen=True)
class CapaFilters:
    status: str = ""
    department: str = ""
    overdue: bool = False
    source_type: str = ""
    source: str = ""

    @classmethod
    def parse(cls, data) -> CapaFilters:
        get = data.get
        status = (get("status") or "").strip()
        if status not in STATUS_FILTER:
            raise Malformed(_("unknown status %(s)r") % {"s": status}, field="status")
        department = (get("department") or "").strip()
        if department and department not in D.values:
            raise Malformed(_("unknown department %(s)r") % {"s": department}, field="department")
        source_type = (get("source_type") or "").strip()
        if source_type and source_type not in SourceType.values:
            raise Malformed(_("unknown source type %(s)r") % {"s": source_type}, field="source_type")
        overdue = get("overdue")
        return cls(
            status=status,
            department=department,
            overdue=overdue is True or str(overdue).lower() in ("1", "true", "on", "yes"),
            source_type=source_type,
            source=(get("source") or "").strip()[:32],
        )


def visible(user):
    """The CAPAs ``user`` may see: those without a customer, and those of their customers (R1.2)."""
    qs = Capa.objects.all()
    customers = flow_access.visible_customers(user)
    if customers is not None:
        qs = qs.filter(Q(customer__isnull=True) | Q(customer__in=customers))
    return qs


def capa_list(user, filters: CapaFilters, *, now: dt.datetime | None = None):
    qs = visible(user)
    f = filters
    if f.status == OPEN:
        # The open states named (not "not closed"): the capped count then reads the status index's
        # open ranges only, not all of it (SQLite: 100,000 entries -> 10,000).
        qs = qs.filter(status__in=OPEN_STATES)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.department:
        qs = qs.filter(department__code=f.department)
    if f.overdue:
        qs = qs.filter(due_at__lt=now or timezone.now(), status__in=OPEN_STATES)
    if f.source_type:
        qs = qs.filter(source_type=f.source_type)
    if f.source:
        qs = qs.filter(source_key=f.source)
    return qs.select_related("customer", "department").order_by("-opened_at", "-id")


@dataclass
class CapaDetail:
    capa: Capa
    steps: list = field(default_factory=list)
    attachments: list = field(default_factory=list)
    history: list = field(default_factory=list)


def capa_detail(user, number: str, *, what: str = "view", request=None) -> CapaDetail:
    flow = registry.get("capa")
    capa = flow.lookup(user, number, what=what, request=request)
    steps = list(engine.steps_query(flow, capa.pk))
    return CapaDetail(
        capa=capa,
        steps=steps,
        attachments=list(capa.attachments.select_related("uploaded_by")),
        history=audit.events_for("capa", capa.number),
    )


def source_url(capa: Capa) -> str:
    """The page of the record the CAPA came from, when it has one."""
    if capa.source_type == SourceType.COMPLAINT and capa.source_key:
        from django.urls import reverse

        return reverse("complaints:detail", args=[capa.source_key])
    from .services import SOURCE_URLS

    url = SOURCE_URLS.get(capa.source_type)
    return url(capa.source_key) if url is not None and capa.source_key else ""


# --- the monthly analysis of nonconformities (R6.5, 000 4.7.3) ------------------------------------

SEVERITY_WEIGHT = {"general": 1, "major": 3, "serious": 9}


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        year, mon = (int(p) for p in month.split("-"))
        start = dt.datetime(year, mon, 1, tzinfo=TZ)
    except (ValueError, TypeError):
        raise Malformed(_("a month is YYYY-MM"), field="month") from None
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=TZ)
    return start, end


def pareto(user, month: str) -> list[dict]:
    """The month's nonconformities by type: how often, of which severity, a weighted score
    (general 1, major 3, serious 9) and the cumulative share, most frequent first."""
    start, end = month_bounds(month)
    rows = (
        visible(user)
        .filter(opened_at__gte=start, opened_at__lt=end)
        .values("nonconformity", "severity")
        .annotate(n=Count("id"))
    )
    by_type: dict[str, dict] = {}
    for r in rows:
        item = by_type.setdefault(
            r["nonconformity"],
            {"nonconformity": r["nonconformity"], "count": 0, "general": 0, "major": 0, "serious": 0},
        )
        item["count"] += r["n"]
        item[r["severity"]] = item.get(r["severity"], 0) + r["n"]
    items = list(by_type.values())
    for item in items:
        item["score"] = sum(SEVERITY_WEIGHT[s] * item[s] for s in SEVERITY_WEIGHT)
    items.sort(key=lambda i: (-i["count"], -i["score"], i["nonconformity"]))
    total = sum(i["count"] for i in items) or 1
    running = 0
    for item in items:
        running += item["count"]
        item["cumulative"] = round(100 * running / total, 1)
    return items

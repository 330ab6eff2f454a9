"""Read queries for complaints: one list selector for the page, the API and exports (STYLE 8)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import pagination
from kefu.core.access import is_admin, is_sales_only, memberships
from kefu.core.audit import events_for
from kefu.core.db import rows
from kefu.core.errors import Forbidden, Invalid, NotFound
from kefu.core.filters import parse_bool, parse_choice, parse_day
from kefu.core.pagination import DEFAULT_PAGE_SIZE, PageOf
from kefu.customers.access import log_refusal, may_read, visible_customers
from kefu.flow.models import Extension, Inquiry, Meeting, Memo, Reminder, Step
from kefu.flow.selectors import CaseRecords

from . import deadlines
from .choices import OPEN_STATES, Category, Severity, Status
from .models import Attachment, Complaint, CustomerReply
from .search import apply_text_search

__all__ = ["DEFAULT_PAGE_SIZE", "PageOf"]  # the list's page, from kefu.core.pagination

# What a list row shows (the page's table and the API's ComplaintSummaryOut): a
# list reads these columns only, not the description and the other 25 columns.
LIST_COLUMNS = (
    "number", "status", "region", "channel", "title", "category", "severity", "validity",
    "received_at", "registered_at", "due_at", "case_due_at", "closed_at",
    "customer__code", "customer__name",
)  # fmt: skip


def _restricted(user) -> bool:
    """Sales-only users (and users in no department) see only their visible customers' complaints."""
    return not is_admin(user) and (is_sales_only(user) or not memberships(user))


def list_rows(ids) -> list[Complaint]:
    """The list's rows by primary key, for the deferred join of ``paginate``."""
    return list(Complaint.objects.filter(pk__in=ids).select_related("customer").only(*LIST_COLUMNS))


def paginate(qs: QuerySet, page=1, page_size=DEFAULT_PAGE_SIZE) -> PageOf:
    """A page of ``complaint_list``: the page's ids from the list's indexes, then its 50 rows.

    A quarter's closed complaints are ~50,000 at a million; sorting their ids inside
    ``complaint_status_received_idx`` costs a few milliseconds where sorting the rows cost
    hundreds (bench: quarter_api).
    """
    return pagination.paginate(qs, page, page_size, load=list_rows)


def visible_complaints(user) -> QuerySet:
    """Complaints ``user`` may read: a sales-only user those of their visible customers (R1.2)."""
    qs = Complaint.objects.all()
    if _restricted(user):
        qs = qs.filter(customer__in=visible_customers(user).values("pk"))
    return qs


def can_see(user, complaint: Complaint) -> bool:
    return not _restricted(user) or may_read(user, complaint.customer)


# --- filters ------------------------------------------------------------------


OPEN = "open"  # the status filter's "any open state"
STATUS_FILTER = SimpleNamespace(values=[OPEN, *Status.values])


@dataclass(frozen=True)
class ComplaintFilters:
    """The list filters shared by the page, the API and exports."""

    status: str = ""
    customer: str = ""
    category: str = ""
    severity: str = ""
    overdue: bool = False
    q: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None

    @classmethod
    def parse(cls, data: Mapping) -> ComplaintFilters:
        """From query parameters (a dict or QueryDict); raises ``Invalid`` naming the parameter."""

        def get(name):
            value = data.get(name)
            return "" if value is None else value

        filters = cls(
            status=parse_choice(get("status"), STATUS_FILTER, "status"),
            customer=str(get("customer")).strip()[:32],
            category=parse_choice(get("category"), Category, "category"),
            severity=parse_choice(get("severity"), Severity, "severity"),
            overdue=bool(parse_bool(get("overdue"), "overdue")),
            q=str(get("q")).strip()[:200],
            received_from=parse_day(data.get("received_from"), "received_from"),
            received_to=parse_day(data.get("received_to"), "received_to"),
        )
        if filters.received_from and filters.received_to and filters.received_from > filters.received_to:
            raise Invalid(_("must not be before received_from"), field="received_to")
        return filters


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=deadlines.TZ)


def overdue_q(now: dt.datetime) -> Q:
    """Open and past the step deadline or the case deadline (both indexed columns, STYLE 5)."""
    return Q(status__in=OPEN_STATES) & (Q(due_at__lt=now) | Q(case_due_at__lt=now))


def complaint_list(user, filters: ComplaintFilters | Mapping | None = None, *, now=None) -> QuerySet:
    """Complaints ``user`` may see, filtered, newest registration first; customer joined."""
    if filters is None:
        filters = ComplaintFilters()
    elif not isinstance(filters, ComplaintFilters):
        filters = ComplaintFilters.parse(filters)
    qs = visible_complaints(user).select_related("customer").only(*LIST_COLUMNS)
    if filters.status == OPEN:
        # Every open state; closing sets closed_at (kefu.flow.engine._close_case), and this form
        # walks the partial index of open complaints newest first with no statistics needed.
        qs = qs.filter(closed_at__isnull=True)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.customer:
        qs = qs.filter(customer__code=filters.customer)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.overdue:
        qs = qs.filter(overdue_q(now or timezone.now()))
    if filters.received_from:
        qs = qs.filter(received_at__gte=_start_of(filters.received_from))
    if filters.received_to:
        qs = qs.filter(received_at__lt=_start_of(filters.received_to + dt.timedelta(days=1)))
    qs = apply_text_search(qs, filters.q)
    if filters.received_from or filters.received_to:
        # A receipt-date range keeps its matches together in time. PostgreSQL's planner assumes
        # matches spread evenly and would walk the list order newest first past every newer
        # complaint (a closed quarter a year back at 1M: 210,000 rows skipped, 100-240 ms); an
        # order the list's index does not hold makes it read the range's index and sort the
        # matches instead (27-68 ms). The same order: registered_at is never NULL.
        return qs.order_by(Coalesce("registered_at", "received_at").desc(), "-id")
    return qs.order_by("-registered_at", "-id")


def late_days(due_at: dt.datetime | None, now: dt.datetime) -> int:
    """Calendar days past a deadline in Asia/Shanghai (0 when not late); at least 1 once late."""
    if due_at is None or due_at >= now:
        return 0
    return max(1, (deadlines.local_date(now) - deadlines.local_date(due_at)).days)


def mark_lateness(complaints, now: dt.datetime) -> list:
    """Set ``late_days`` on each open complaint for the "late by N days" column; no queries."""
    rows = list(complaints)
    for c in rows:
        c.late_days = late_days(c.due_at, now) if c.is_open else 0
        c.case_late_days = late_days(c.case_due_at, now) if c.is_open else 0
    return rows


# --- detail -------------------------------------------------------------------


@dataclass
class ComplaintRecords(CaseRecords):
    """What the workflow panel lists besides the steps: the engine's rows and the letters."""

    replies: list = field(default_factory=list)


@dataclass
class ComplaintDetail:
    complaint: Complaint
    steps: list = field(default_factory=list)
    attachments: list = field(default_factory=list)
    history: list = field(default_factory=list)
    followups: list = field(default_factory=list)
    records: ComplaintRecords | None = None  # read when asked for (the page's workflow panel)
    rows: list = field(default_factory=list)  # every engine row of the case: its steps and its case deadline


def refuse(user, complaint: Complaint, what: str, *, request=None) -> Forbidden:
    """Log that ``user`` was refused ``what`` on ``complaint`` (in the customer's access log, as
    every refusal on a confidential record, R1.2) and return the error to raise."""
    log_refusal(user, complaint.customer, f"complaint {complaint.number}: {what}", request=request)
    return Forbidden(_("you may not see complaints of customer %(code)s") % {"code": complaint.customer.code})


def get_complaint(user, number: str, *, what: str = "view", request=None) -> Complaint:
    """The complaint by number if ``user`` may see it; raises NotFound, or Forbidden after logging
    the refusal of ``what`` (view, api_read, upload, download, an action's name ...)."""
    complaint = Complaint.objects.select_related("customer").filter(number=number).first()
    if complaint is None:
        raise NotFound(_("no complaint %(number)s") % {"number": number})
    if not can_see(user, complaint):
        raise refuse(user, complaint, what, request=request)
    return complaint


# The detail page's reads, compiled once per connection (kefu.core.db.rows): on the
# bench machine the ORM spent more time writing these SQL texts than the database
# spent answering them.
_COMPLAINT = rows.Prepared(
    lambda number: Complaint.objects.select_related(
        "customer", "registered_by", "responsible_department", "parent"
    ).filter(number=number)[:1],
    sample=("202612-0001",),
)
# The engine's rows of one complaint: two filter() calls keep the parameters in this order.
_STEPS = rows.Prepared(
    lambda record_type, pk: (
        Step.objects.select_related("department", "co_department", "assignee", "done_by")
        .filter(record_type=record_type)
        .filter(record_id=pk)
    ),
    sample=("complaint", 1),
)
_LINKED = {
    "attachments": rows.Prepared(
        lambda pk: Attachment.objects.select_related("uploaded_by").filter(complaint_id=pk), sample=(1,)
    ),
    "followups": rows.Prepared(
        lambda pk: Complaint.objects.only("id", "number", "parent_id", "status", "title").filter(
            parent_id=pk
        ),
        sample=(1,),
    ),
}


def _engine(model, *related):
    """One of the case engine's tables, for one record: (record type, id)."""
    return rows.Prepared(
        lambda record_type, pk: (
            model.objects.select_related(*related).filter(record_type=record_type).filter(record_id=pk)
        ),
        sample=("complaint", 1),
    )


# The panel's records: the engine's (keyed by record type and id) and the letters (by complaint).
_ENGINE = {
    "reminders": _engine(Reminder, "department", "step"),
    "inquiries": _engine(Inquiry, "step", "department", "answered_by"),
    "memos": _engine(Memo, "department", "by", "ruled_by"),
    "extensions": _engine(Extension, "step", "requested_by", "decided_by"),
    "meetings": _engine(Meeting, "recorded_by"),
}
_LETTERS = {
    "replies": rows.Prepared(
        lambda pk: CustomerReply.objects.select_related("recorded_by", "followup").filter(complaint_id=pk),
        sample=(1,),
    ),
}
# Most of a case's related lists are empty (no attachment, memo, extension ...): one query says
# which of the complaint's have rows and one which of the engine's, and only those are read.


def _probe(queries: dict[str, rows.Prepared]) -> rows.Probe:
    return rows.Probe(
        {name: query.build for name, query in queries.items()},
        sample=next(iter(queries.values())).sample,
    )


_PRESENT_OWN, _PRESENT_LINKED = _probe(_LINKED | _LETTERS), _probe(_LINKED)
_PRESENT_ENGINE, _PRESENT_LETTERS = _probe(_ENGINE), _probe(_LETTERS)


def _read(queries: dict, params: tuple, present: set[str]) -> dict[str, list]:
    return {name: query.all(*params) if name in present else [] for name, query in queries.items()}


def _records(pk: int, own: set[str]) -> ComplaintRecords:
    engine = _PRESENT_ENGINE("complaint", pk)
    return ComplaintRecords(**_read(_ENGINE, ("complaint", pk), engine), **_read(_LETTERS, (pk,), own))


def load_detail(number: str, *, records: bool = False) -> ComplaintDetail:
    """Complaint with steps, attachments, history and links (and with ``records`` the panel's
    records) in a fixed number of queries; no access check."""
    complaint = _COMPLAINT.first(number)
    if complaint is None:
        raise NotFound(_("no complaint %(number)s") % {"number": number})
    pk = complaint.pk
    own = (_PRESENT_OWN if records else _PRESENT_LINKED)(pk)
    engine_rows = _STEPS.all("complaint", pk)
    return ComplaintDetail(
        complaint=complaint,
        steps=[s for s in engine_rows if not s.is_case],
        rows=engine_rows,
        history=events_for("complaint", complaint.number),
        **_read(_LINKED, (pk,), own),
        records=_records(pk, own) if records else None,
    )


def steps_of(complaint: Complaint) -> list[Step]:
    """The case's steps in order (not its case deadline), with department, assignee and who completed them."""
    return [s for s in _STEPS.all("complaint", complaint.pk) if not s.is_case]


def case_records(complaint: Complaint) -> ComplaintRecords:
    """The case's records in each model's order (reminders and inquiries newest first)."""
    return _records(complaint.pk, _PRESENT_LETTERS(complaint.pk))


def complaint_detail(
    user, number: str, *, records: bool = False, what: str = "view", request=None
) -> ComplaintDetail:
    """``load_detail`` for a user: raises Forbidden (logged) for a complaint of a customer they may not see."""
    detail = load_detail(number, records=records)
    if not can_see(user, detail.complaint):
        raise refuse(user, detail.complaint, what, request=request)
    return detail


# --- daily check (R5.4, 000 3.6) ----------------------------------------------


@dataclass
class DailyCheck:
    date: dt.date
    complaints: list
    counts: list  # (status code, label, count) in workflow order, zero counts omitted
    total: int


def daily_check(user, date: dt.date) -> DailyCheck:
    """Everything received or registered on ``date`` (Asia/Shanghai) and its current state."""
    start, end = _start_of(date), _start_of(date + dt.timedelta(days=1))
    day = Q(received_at__gte=start, received_at__lt=end) | Q(registered_at__gte=start, registered_at__lt=end)
    complaints = list(
        visible_complaints(user).filter(day).select_related("customer").order_by("received_at", "id")
    )
    by_status = Counter(c.status for c in complaints)
    counts = [(s.value, s.label, by_status[s.value]) for s in Status if by_status.get(s.value)]
    return DailyCheck(date=date, complaints=complaints, counts=counts, total=len(complaints))

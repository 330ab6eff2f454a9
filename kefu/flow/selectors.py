"""Read queries of the engine, across record types: the work list, reminder notices, lateness
inquiries, the navigation badge (STYLE 8). One selector per list, used by the pages and the API
alike; each runs a fixed number of queries whatever the number of rows (plus one per record type
shown, for the records' titles). A sales clerk sees only what concerns the customers they may
see (``kefu.flow.access``), in every list, count and badge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import access as core_access
from kefu.core.choices import ROLE_RANK, DepartmentCode, Role
from kefu.core.errors import Malformed
from kefu.core.filters import parse_bool

from . import access, registry
from .models import WORK_KINDS, Extension, Inquiry, Meeting, Memo, Reminder, ReminderLevel, Step

SORTS = ("urgent", "newest")


def _scoped(qs: QuerySet, user, field: str = "customer_id") -> QuerySet:
    """Only rows of records whose customer ``user`` may see (R1.2)."""
    visible = access.visible_customers(user)
    if visible is None:
        return qs
    return qs.filter(Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__in": visible}))


def _roles_q(user, prefix: str = "") -> Q:
    """Steps ``user`` may act on by department and role: in each of their departments, the steps
    that need their role or a lower one."""
    q = Q(pk__in=[])
    for code, role in core_access.memberships(user):
        rank = ROLE_RANK[role]
        if rank <= 0:
            continue
        roles = [r for r, n in ROLE_RANK.items() if 0 < n <= rank]
        q |= Q(**{f"{prefix}department__code": code, f"{prefix}role__in": roles})
    return q


def mine_q(user) -> Q:
    """The steps waiting for ``user``: assigned to them, or unassigned in one of their departments
    at their role or below, or co-owned by one of their departments."""
    depts = core_access.departments(user)
    return Q(assignee=user) | (Q(assignee__isnull=True) & _roles_q(user)) | Q(co_department__code__in=depts)


def departments_q(user) -> Q:
    """The steps of ``user``'s departments (owned or co-owned) and the ones assigned to them."""
    depts = core_access.departments(user)
    return Q(department__code__in=depts) | Q(co_department__code__in=depts) | Q(assignee=user)


@dataclass(frozen=True)
class WorkFilters:
    """``scope``: ``mine`` (awaiting my decision or action) or ``department`` (all my departments'
    open steps); ``sort``: ``urgent`` (earliest deadline first: the late ones on top) or ``newest``."""

    scope: str = "department"
    sort: str = "urgent"
    record_type: str = ""
    late: bool = False

    @classmethod
    def parse(cls, data) -> WorkFilters:
        scope = str(data.get("scope") or "department").strip()
        if scope not in ("mine", "department"):
            raise Malformed(_("must be mine or department"), field="scope")
        sort = str(data.get("sort") or "urgent").strip()
        if sort not in SORTS:
            raise Malformed(_("must be urgent or newest"), field="sort")
        record_type = str(data.get("record_type") or "").strip()
        if record_type and record_type not in registry.flows_by_name():
            raise Malformed(
                _("unknown record type %(name)r; record types: %(names)s")
                % {"name": record_type, "names": ", ".join(registry.flows_by_name())},
                field="record_type",
            )
        return cls(scope=scope, sort=sort, record_type=record_type, late=parse_bool(data.get("late"), "late"))


def work(user, filters: WorkFilters | None = None, *, now: dt.datetime | None = None) -> QuerySet:
    """Open workflow steps and tasks for ``user``: their departments' (or only those waiting for them),
    on records whose customer they may see, most urgent or newest first."""
    filters = filters or WorkFilters()
    if not core_access.memberships(user):
        return Step.objects.none()
    q = mine_q(user) if filters.scope == "mine" else departments_q(user)
    qs = Step.objects.filter(q, done_at__isnull=True, kind__in=WORK_KINDS)
    if filters.record_type:
        qs = qs.filter(record_type=filters.record_type)
    if filters.late:
        qs = qs.filter(due_at__lt=now or timezone.now())
    qs = _scoped(qs, user).select_related("department", "co_department", "assignee")
    order = ("due_at", "id") if filters.sort == "urgent" else ("-started_at", "-id")
    return qs.order_by(*order)


def records_for(rows) -> dict[tuple[str, int], object]:
    """The records of these steps (or notices), one query per record type, by (type, id)."""
    by_type: dict[str, set[int]] = {}
    for row in rows:
        by_type.setdefault(row.record_type, set()).add(row.record_id)
    found = {}
    for name, ids in by_type.items():
        flow = registry.flows_by_name().get(name)
        if flow is None:
            continue
        model = flow.model_class()
        for record in model.objects.filter(pk__in=ids).select_related(*flow.list_related):
            found[(name, record.pk)] = record
    return found


def with_summaries(steps, records: dict | None = None) -> list:
    """Attach ``summary`` (the record's key, title, customer) and ``url`` to each row."""
    rows = list(steps)
    records = records_for(rows) if records is None else records
    flows = registry.flows_by_name()
    for row in rows:
        flow = flows.get(row.record_type)
        record = records.get((row.record_type, row.record_id))
        row.record = record
        row.summary = (
            flow.summary(record) if flow is not None and flow.summary and record is not None else None
        )
        row.url = flow.url(row.record_key) if flow is not None and flow.url is not None else ""
    return rows


def badge_counts(user, now: dt.datetime | None = None) -> dict[str, int]:
    """What waits for ``user``: the open steps waiting for them (``waiting``, of which ``late`` are
    past their deadline) and the lateness inquiries their departments must answer (``inquiries``)."""
    if not core_access.memberships(user):
        return {"waiting": 0, "late": 0, "inquiries": 0, "total": 0}
    now = now or timezone.now()
    steps = _scoped(Step.objects.filter(mine_q(user), done_at__isnull=True, kind__in=WORK_KINDS), user)
    waiting = steps.count()
    late = steps.filter(due_at__lt=now).count() if waiting else 0
    inquiries = _scoped(
        Inquiry.objects.filter(answered_at__isnull=True, department__code__in=core_access.departments(user)),
        user,
        "step__customer_id",
    ).count()
    return {"waiting": waiting, "late": late, "inquiries": inquiries, "total": waiting + inquiries}


# --- reminder notices and lateness inquiries -----------------------------------------------------


def _narrowed(qs: QuerySet, user, *, record_type: str, record: str, department: str) -> QuerySet:
    qs = _scoped(qs, user, "step__customer_id")
    if record_type:
        qs = qs.filter(record_type=record_type)
    if record:
        qs = qs.filter(step__record_key=record)
    if department:
        qs = qs.filter(department__code=department)
    return qs


def _records_of(model, related, user, *, open_when: str, open, **narrow) -> QuerySet:
    """Rows of an engine table on records ``user`` may see, narrowed; ``open`` filters ``open_when``."""
    if not core_access.memberships(user) and not core_access.is_admin(user):
        return model.objects.none()
    qs = _narrowed(model.objects.select_related(*related), user, **narrow)
    flag = parse_bool(open, "open", blank=None)
    return qs if flag is None else qs.filter(**{open_when: flag})


def reminders(user, *, record_type: str = "", record: str = "", department: str = "", open="") -> QuerySet:
    """Reminder notices on records ``user`` may see; ``open``: the step is still not done."""
    narrow = {"record_type": record_type, "record": record, "department": department}
    qs = _records_of(
        Reminder, ("step", "department"), user, open_when="step__done_at__isnull", open=open, **narrow
    )
    return qs.order_by("-issued_at", "-level", "-id")


def my_reminders(user) -> QuerySet:
    """Open notices addressed to me: to whoever must act (level 0: assigned to me, or my departments'
    at my role), to me as a manager (1), as the GM (2)."""
    depts = core_access.departments(user)
    managed = [d for d in depts if core_access.in_department(user, d, min_role=Role.MANAGER)]
    level0 = Q(step__assignee=user) | (Q(step__assignee__isnull=True) & _roles_q(user, "step__"))
    q = Q(level=ReminderLevel.DEPARTMENT) & level0
    q |= Q(level=ReminderLevel.MANAGER, department__code__in=managed)
    if core_access.has_role(user, Role.GM):
        q |= Q(level=ReminderLevel.GM)
    qs = Reminder.objects.filter(q, step__done_at__isnull=True).select_related("step", "department")
    return _scoped(qs, user, "step__customer_id").order_by("-level", "step_due_at", "id")


def inquiries(user, *, record_type: str = "", record: str = "", department: str = "", open="") -> QuerySet:
    """Lateness inquiries on records ``user`` may see; ``open``: not yet answered."""
    narrow = {"record_type": record_type, "record": record, "department": department}
    related = ("step", "department", "answered_by")
    return _records_of(Inquiry, related, user, open_when="answered_at__isnull", open=open, **narrow).order_by(
        "issued_at", "id"
    )


def inquiries_to_answer(user) -> QuerySet:
    """Unanswered inquiries of my departments."""
    qs = Inquiry.objects.filter(answered_at__isnull=True, department__code__in=core_access.departments(user))
    return _scoped(qs.select_related("step", "department"), user, "step__customer_id").order_by(
        "issued_at", "id"
    )


def unanswered_for_gm_office(user) -> QuerySet:
    """All unanswered inquiries, for the GM office that follows them up (002 篇4 第十四条)."""
    if not (core_access.in_department(user, DepartmentCode.GM_OFFICE) or core_access.is_executive(user)):
        return Inquiry.objects.none()
    return (
        Inquiry.objects.filter(answered_at__isnull=True)
        .select_related("step", "department")
        .order_by("issued_at", "id")
    )


# --- one record's rows ------------------------------------------------------------------------------


@dataclass
class CaseRecords:
    """What a record's workflow panel lists besides its steps."""

    reminders: list
    inquiries: list
    memos: list
    extensions: list
    meetings: list


def case_records(record_type: str, record_id: int) -> CaseRecords:
    """A record's notices, inquiries, memos, extensions and meeting decisions (five small queries)."""
    where = {"record_type": record_type, "record_id": record_id}
    return CaseRecords(
        reminders=list(Reminder.objects.filter(**where).select_related("department", "step")),
        inquiries=list(Inquiry.objects.filter(**where).select_related("step", "department", "answered_by")),
        memos=list(Memo.objects.filter(**where).select_related("department", "by", "ruled_by")),
        extensions=list(
            Extension.objects.filter(**where).select_related("step", "requested_by", "decided_by")
        ),
        meetings=list(Meeting.objects.filter(**where).select_related("recorded_by")),
    )

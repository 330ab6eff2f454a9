"""Read queries of the workflow: work lists, reminder notices, lateness inquiries, badge counts (STYLE 8).

One selector per list, used by the pages and the API alike; each is a
fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import access
from kefu.core.choices import DepartmentCode, Role
from kefu.core.errors import Invalid
from kefu.core.models import Department

from .choices import Step
from .models import ComplaintStep, LatenessInquiry, ReminderNotice
from .selectors import visible_complaints


def parse_open(value) -> bool | None:
    """``open=true|false``; empty means both."""
    text = str(value or "").strip().lower()
    if text == "":
        return None
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise Invalid(_("expected true or false"), field="open")


def _is_gm_office(user) -> bool:
    return access.in_department(user, DepartmentCode.GM_OFFICE) or access.is_executive(user)


def my_steps_q(user) -> Q:
    """Steps owned by one of the user's departments; the GM office co-owns supplier cases (R4.2)."""
    depts = access.departments(user)
    q = Q(department__code__in=depts)
    if DepartmentCode.GM_OFFICE in depts:
        q |= Q(step=Step.COUNTERMEASURE) & ~Q(complaint__supplier="")
    return q


def open_steps(user) -> QuerySet:
    """My departments' open steps, by deadline: the late ones (earliest deadlines) come first."""
    return (
        ComplaintStep.objects.filter(my_steps_q(user), done_at__isnull=True)
        .select_related("complaint", "complaint__customer", "department", "assignee")
        .order_by("due_at", "id")
    )


def _on_visible(qs: QuerySet, user, complaint: str, department: str) -> QuerySet:
    """Rows of complaints ``user`` may see, narrowed to a complaint number and a department code."""
    qs = qs.filter(complaint__in=visible_complaints(user).values("pk"))
    if complaint:
        qs = qs.filter(complaint__number=complaint)
    if department:
        qs = qs.filter(department__code=department)
    return qs


def reminders(user, *, complaint: str = "", department: str = "", open="") -> QuerySet:
    """Reminder notices on complaints ``user`` may see; ``open``: the step is still not done."""
    qs = _on_visible(
        ReminderNotice.objects.select_related("complaint", "step", "department"), user, complaint, department
    )
    flag = parse_open(open)
    if flag is not None:
        qs = qs.filter(step__done_at__isnull=flag)
    return qs.order_by("-issued_at", "-level", "-id")


def my_reminders(user) -> QuerySet:
    """Open notices addressed to me: my departments' (level 0), as a manager (1), as the GM (2)."""
    depts = access.departments(user)
    managed = [d for d in depts if access.in_department(user, d, min_role=Role.MANAGER)]
    q = Q(level=ReminderNotice.Level.DEPARTMENT, department__code__in=depts)
    q |= Q(level=ReminderNotice.Level.MANAGER, department__code__in=managed)
    if access.has_role(user, Role.GM):
        q |= Q(level=ReminderNotice.Level.GM)
    return (
        ReminderNotice.objects.filter(q, step__done_at__isnull=True)
        .select_related("complaint", "step", "department")
        .order_by("-level", "step_due_at", "id")
    )


def inquiries(user, *, complaint: str = "", department: str = "", open="") -> QuerySet:
    qs = _on_visible(
        LatenessInquiry.objects.select_related("complaint", "step", "department", "answered_by"),
        user,
        complaint,
        department,
    )
    flag = parse_open(open)
    if flag is not None:
        qs = qs.filter(answered_at__isnull=flag)
    return qs.order_by("issued_at", "id")


def inquiries_to_answer(user) -> QuerySet:
    """Unanswered inquiries of my departments."""
    return (
        LatenessInquiry.objects.filter(
            answered_at__isnull=True, department__code__in=access.departments(user)
        )
        .select_related("complaint", "step", "department")
        .order_by("issued_at", "id")
    )


def unanswered_for_gm_office(user) -> QuerySet:
    """All unanswered inquiries, for the GM office that follows them up (002 篇4 第十四条)."""
    if not _is_gm_office(user):
        return LatenessInquiry.objects.none()
    return (
        LatenessInquiry.objects.filter(answered_at__isnull=True)
        .select_related("complaint", "step", "department")
        .order_by("issued_at", "id")
    )


def badge_count(user, now: dt.datetime | None = None) -> int:
    """Overdue open steps of my departments plus inquiries I must answer.

    Runs on every page, so each part is a COUNT that the partial index on open
    steps (department, due_at) answers; the GM office's co-owned supplier
    cases are counted apart, without the steps it already owns.
    """
    depts = access.departments(user)
    if not depts:
        return 0
    now = now or timezone.now()
    dept_ids = Department.objects.filter(code__in=depts).values("pk")  # a subquery, not a query
    late = ComplaintStep.objects.filter(department_id__in=dept_ids, done_at__isnull=True, due_at__lt=now)
    total = late.count()
    if DepartmentCode.GM_OFFICE in depts:
        total += (
            ComplaintStep.objects.filter(step=Step.COUNTERMEASURE, done_at__isnull=True, due_at__lt=now)
            .exclude(department_id__in=dept_ids)
            .exclude(complaint__supplier="")
            .count()
        )
    inquiries = LatenessInquiry.objects.filter(answered_at__isnull=True, department_id__in=dept_ids).count()
    return total + inquiries

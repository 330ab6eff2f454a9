"""The sweep: reminder notices (催办单) for overdue steps, escalating to the manager and the GM (R5.3).

002 篇4 第十四条: the GM office issues a reminder for every overdue case.
``sweep(now)`` finds the overdue open steps in one indexed query
(``step_open_due_idx``), and for each issues the levels whose time has come
and that were not issued yet: level 0 to the owning department when the step
is overdue, level 1 to its manager and level 2 to the GM after
``escalation.*`` more working days. A unique constraint (step, level) makes
it one notice per step per level however often the sweep runs; on
PostgreSQL, concurrent sweeps lock the steps they work on with
``SKIP LOCKED`` so they never both issue one (SQLite's BEGIN IMMEDIATE
serialises them). Run it with ``kefu sweep [--now ISO]``; django-q2 runs
``scheduled`` every five minutes (the schedule is created by migration 0002).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import config, org, outbox
from kefu.core.choices import ROLE_RANK, DepartmentCode, Role
from kefu.core.workcalendar import WorkCalendar

from . import deadlines
from .choices import Step
from .models import ComplaintStep, ReminderNotice

BATCH = 500


@dataclass
class SweepResult:
    now: dt.datetime
    overdue: int = 0
    issued: list[ReminderNotice] = field(default_factory=list)
    notifications: int = 0

    def by_level(self) -> dict[int, int]:
        out = {0: 0, 1: 0, 2: 0}
        for notice in self.issued:
            out[notice.level] += 1
        return out


def pending_q(cutoffs: list[dt.datetime]) -> Q:
    """Steps that lack the notice of a level they reached (``deadlines.level_cutoffs``):
    one probe of the unique (step, level) index per level."""
    return functools.reduce(
        operator.or_,
        (
            Q(due_at__lt=cutoff) & ~Exists(ReminderNotice.objects.filter(step=OuterRef("pk"), level=level))
            for level, cutoff in enumerate(cutoffs)
        ),
    )


@dataclass(frozen=True)
class OverdueStep:
    """What a notice needs of an overdue step: read as plain values, not three model instances."""

    id: int
    step: str
    due_at: dt.datetime
    complaint_id: int
    department_id: int
    number: str
    title: str


STEP_COLUMNS = (
    "id",
    "step",
    "due_at",
    "complaint_id",
    "department_id",
    "complaint__number",
    "complaint__title",
)


def overdue_steps(
    now: dt.datetime, cutoffs: list[dt.datetime], *, after: tuple | None = None, limit: int = BATCH
) -> list[OverdueStep]:
    """Open steps past their deadline that lack a notice, oldest first, locked for this sweep
    (one indexed query); only the columns the notices need."""
    qs = (
        ComplaintStep.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(done_at__isnull=True, due_at__lt=now)
        .filter(pending_q(cutoffs))
        .order_by("due_at", "id")
    )
    if after is not None:
        due, pk = after
        qs = qs.filter(due_at__gte=due).exclude(due_at=due, id__lte=pk)
    return [OverdueStep(*row) for row in qs.values_list(*STEP_COLUMNS)[:limit]]


def sweep(now: dt.datetime | None = None, *, batch: int = BATCH) -> SweepResult:
    """Issue the reminder notices due at ``now``; safe to run twice and concurrently."""
    now = now or timezone.now()
    settings = config.snapshot()
    calendar = WorkCalendar.cached()
    cutoffs = deadlines.level_cutoffs(now, settings, calendar)
    result = SweepResult(now=now)
    result.overdue = ComplaintStep.objects.filter(done_at__isnull=True, due_at__lt=now).count()
    late = functools.cache(lambda day: deadlines.late_workdays(day, now, calendar))
    after = None
    while True:
        with transaction.atomic():
            steps = overdue_steps(now, cutoffs, after=after, limit=batch)
            if steps:
                _issue(steps, now, cutoffs, late, result)
        if len(steps) < batch:
            return result
        after = (steps[-1].due_at, steps[-1].id)


def _issue(steps: list[OverdueStep], now, cutoffs, late, result: SweepResult) -> None:
    # Read again now that the steps are locked: a concurrent sweep may have committed their
    # notices after the locking query took its snapshot (PostgreSQL, READ COMMITTED).
    issued = set(
        ReminderNotice.objects.filter(step_id__in=[s.id for s in steps]).values_list("step_id", "level")
    )
    departments = org.departments_by_id(needed={s.department_id for s in steps})
    new, of_step = [], []
    for step in steps:
        for level, cutoff in enumerate(cutoffs):
            if step.due_at < cutoff and (step.id, level) not in issued:
                new.append(
                    ReminderNotice(
                        step_id=step.id,
                        complaint_id=step.complaint_id,
                        department=departments[step.department_id],
                        level=level,
                        step_due_at=step.due_at,
                        issued_at=now,
                    )
                )
                of_step.append(step)
    if not new:
        return
    ReminderNotice.objects.bulk_create(new)
    result.issued += new
    codes = {n.department.code for n in new} | {DepartmentCode.GM_OFFICE}
    people = outbox.members(codes)
    # Only members with an address get mail (outbox.build skips the others): no text is
    # written for a notice nobody will receive.
    people = [m for m in people if (m.user.email or "").strip()]
    recipients = functools.cache(lambda code, level: _recipients(code, level, people))
    rows = []
    for notice, step in zip(new, of_step, strict=True):
        memberships = recipients(notice.department.code, notice.level)
        if not memberships:
            continue
        rows += outbox.build(
            kind=f"reminder_l{notice.level}",
            subject=_reminder_subject(notice, step),
            body=_reminder_body(notice, step, late(step.due_at)),
            memberships=memberships,
            obj_type="complaint",
            obj_id=step.number,
            now=now,
        )
    outbox.save(rows)
    result.notifications += len(rows)


def _recipients(code: str, level: int, people) -> list:
    if level == ReminderNotice.Level.DEPARTMENT:
        return [m for m in people if m.department.code == code]
    if level == ReminderNotice.Level.MANAGER:
        return [
            m for m in people if m.department.code == code and ROLE_RANK[m.role] >= ROLE_RANK[Role.MANAGER]
        ]
    return [m for m in people if m.department.code == DepartmentCode.GM_OFFICE and m.role == Role.GM]


def _reminder_subject(notice: ReminderNotice, step: OverdueStep) -> str:
    label = ReminderNotice.Level(notice.level).label
    return _("[%(number)s] Reminder (催办单) %(level)s: %(step)s overdue") % {
        "number": step.number,
        "level": label,
        "step": Step(step.step).label,
    }


def _reminder_body(notice: ReminderNotice, step: OverdueStep, late_workdays: int) -> str:
    return _(
        "%(title)s\n\nStep %(step)s of %(dept)s was due %(due)s and is %(late)d working day(s) late."
    ) % {
        "title": step.title,
        "step": Step(step.step).label,
        "dept": notice.department.name,
        "due": timezone.localtime(step.due_at).strftime("%Y-%m-%d %H:%M"),
        "late": late_workdays,
    }


def scheduled() -> str:
    """The django-q2 schedule's function: sweep, then retry the outbox messages that are due."""
    result = sweep()
    sent = outbox.retry_due()
    return f"overdue={result.overdue} issued={len(result.issued)} retried_sent={sent}"

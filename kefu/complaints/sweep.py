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
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import config, outbox
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


def overdue_steps(now: dt.datetime, *, after: tuple | None = None, limit: int = BATCH):
    """Open steps past their deadline, oldest first, locked for this sweep (one indexed query)."""
    qs = (
        ComplaintStep.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(done_at__isnull=True, due_at__lt=now)
        .select_related("complaint", "department")
        .order_by("due_at", "id")
    )
    if after is not None:
        due, pk = after
        qs = qs.filter(due_at__gte=due).exclude(due_at=due, id__lte=pk)
    return list(qs[:limit])


def sweep(now: dt.datetime | None = None, *, batch: int = BATCH) -> SweepResult:
    """Issue the reminder notices due at ``now``; safe to run twice and concurrently."""
    now = now or timezone.now()
    settings = config.snapshot()
    calendar = WorkCalendar.load()
    result = SweepResult(now=now)
    after = None
    while True:
        with transaction.atomic():
            steps = overdue_steps(now, after=after, limit=batch)
            result.overdue += len(steps)
            if steps:
                _issue(steps, now, settings, calendar, result)
        if len(steps) < batch:
            return result
        after = (steps[-1].due_at, steps[-1].pk)


def _issue(steps, now, settings, calendar, result: SweepResult) -> None:
    issued = set(
        ReminderNotice.objects.filter(step_id__in=[s.pk for s in steps]).values_list("step_id", "level")
    )
    new = []
    for step in steps:
        for level in deadlines.reached_levels(step.due_at, now, settings, calendar):
            if (step.pk, level) not in issued:
                new.append(
                    ReminderNotice(
                        step=step,
                        complaint=step.complaint,
                        department=step.department,
                        level=level,
                        step_due_at=step.due_at,
                        issued_at=now,
                    )
                )
    if not new:
        return
    ReminderNotice.objects.bulk_create(new)
    result.issued += new
    codes = {n.department.code for n in new} | {DepartmentCode.GM_OFFICE}
    people = outbox.members(codes)
    rows = []
    for notice in new:
        rows += outbox.build(
            kind=f"reminder_l{notice.level}",
            subject=_reminder_subject(notice),
            body=_reminder_body(notice, now, calendar),
            memberships=_recipients(notice, people),
            obj_type="complaint",
            obj_id=notice.complaint.number,
            now=now,
        )
    outbox.save(rows)
    result.notifications += len(rows)


def _recipients(notice: ReminderNotice, people) -> list:
    code = notice.department.code
    if notice.level == ReminderNotice.Level.DEPARTMENT:
        return [m for m in people if m.department.code == code]
    if notice.level == ReminderNotice.Level.MANAGER:
        return [
            m for m in people if m.department.code == code and ROLE_RANK[m.role] >= ROLE_RANK[Role.MANAGER]
        ]
    return [m for m in people if m.department.code == DepartmentCode.GM_OFFICE and m.role == Role.GM]


def _reminder_subject(notice: ReminderNotice) -> str:
    label = ReminderNotice.Level(notice.level).label
    return _("[%(number)s] Reminder (催办单) %(level)s: %(step)s overdue") % {
        "number": notice.complaint.number,
        "level": label,
        "step": Step(notice.step.step).label,
    }


def _reminder_body(notice: ReminderNotice, now, calendar) -> str:
    return _(
        "%(title)s\n\nStep %(step)s of %(dept)s was due %(due)s and is %(late)d working day(s) late."
    ) % {
        "title": notice.complaint.title,
        "step": Step(notice.step.step).label,
        "dept": notice.department.name,
        "due": timezone.localtime(notice.step_due_at).strftime("%Y-%m-%d %H:%M"),
        "late": deadlines.late_workdays(notice.step_due_at, now, calendar),
    }


def scheduled() -> str:
    """The django-q2 schedule's function: sweep, then retry the outbox messages that are due."""
    result = sweep()
    sent = outbox.retry_due()
    return f"overdue={result.overdue} issued={len(result.issued)} retried_sent={sent}"

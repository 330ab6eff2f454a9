"""The sweep: reminder notices (催办单) for overdue steps, escalating to the manager and the GM (R5.3).

002 篇4 第十四条: the GM office issues a reminder for every overdue case.
``sweep(now)`` issues, for each overdue open step, the levels whose time has
come and that were not issued yet: level 0 to the owning department when the
step is overdue, level 1 to its manager and level 2 to the GM after
``escalation.*`` more working days. It works in batches of steps, one
transaction each: one indexed query (``step_open_due_idx``) locks the next
overdue steps that lack a notice, then one ``INSERT ... SELECT ... RETURNING``
writes the notices they lack, the levels decided in SQL against the due-time
cut-offs of ``deadlines.level_cutoffs``; mail (``Mail``) is written only for
the notices returned, to the members with an address. A unique constraint
(step, level) makes it one notice per step per level however often the sweep
runs; on PostgreSQL, concurrent sweeps lock the steps they work on with
``SKIP LOCKED`` so they never both issue one (SQLite's BEGIN IMMEDIATE
serialises them). Run it with ``kefu sweep [--now ISO]``; django-q2 runs
``scheduled`` every five minutes (the schedule is created by migration 0002).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import config, org, outbox
from kefu.core.choices import ROLE_RANK, DepartmentCode, Role
from kefu.core.models import Department
from kefu.core.workcalendar import WorkCalendar

from . import deadlines
from .choices import Step
from .models import ComplaintStep, ReminderNotice

# Steps per transaction. Larger batches cost fewer statements and commits (1M bench:
# 500 -> 2,000 took the sweep from 1.15 to 0.97 s on PostgreSQL, 0.75 to 0.42 s on
# SQLite); each holds its steps' row locks (SQLite: the writer lock) for ~0.1-0.2 s.
BATCH = 2000


class Issued(NamedTuple):
    """A notice the sweep wrote, as its ``INSERT ... RETURNING`` gave it back."""

    step_id: int
    level: int
    department_id: int


@dataclass
class SweepResult:
    """What one run did: the open steps past their deadline, the notices it wrote (oldest batch
    first, by step and level within a batch) and the messages it queued."""

    now: dt.datetime
    overdue: int = 0
    issued: list[Issued] = field(default_factory=list)
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


def overdue_steps(
    now: dt.datetime, cutoffs: list[dt.datetime], *, after: tuple | None = None, limit: int = BATCH
) -> list[tuple[int, dt.datetime]]:
    """Open steps past their deadline that lack a notice, oldest first, locked for this sweep
    (one indexed query): their (id, due_at)."""
    qs = (
        ComplaintStep.objects.select_for_update(skip_locked=True)
        .filter(done_at__isnull=True, due_at__lt=now)
        .filter(pending_q(cutoffs))
        .order_by("due_at", "id")
    )
    if after is not None:
        due, pk = after
        qs = qs.filter(due_at__gte=due).exclude(due_at=due, id__lte=pk)
    return list(qs.values_list("id", "due_at")[:limit])


def insert_notices(step_ids: list[int], cutoffs: list[dt.datetime], now: dt.datetime) -> list[Issued]:
    """Write the notices these steps lack at the levels they reached, in one statement; returns them.

    A step has reached level ``n`` when ``due_at < cutoffs[n]`` (``deadlines.level_cutoffs``) and
    lacks it when the unique (step, level) index has no row for it. Call it once the steps are
    locked: the statement reads with a snapshot of its own, so it sees the notices a concurrent
    sweep committed after the locking query took its snapshot (PostgreSQL, READ COMMITTED).
    """
    if not step_ids:
        return []
    connection = transaction.get_connection()
    select, insert, returning = _notices_sql(connection, steps=len(step_ids), levels=len(cutoffs))
    due_at = ComplaintStep._meta.get_field("due_at")
    issued_at = ReminderNotice._meta.get_field("issued_at")
    params = []
    for level, cutoff in enumerate(cutoffs):
        params += [level, due_at.get_db_prep_value(cutoff, connection)]
    params += [issued_at.get_db_prep_save(now, connection), *_ids_params(connection, step_ids)]
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(f"{insert} {returning}", params)
            rows = cursor.fetchall()
        else:  # SQLite before 3.35: read what the INSERT will write (the steps are locked), then write it
            cursor.execute(select, params)
            rows = cursor.fetchall()
            cursor.execute(insert, params)
    return sorted(Issued(*row[: len(Issued._fields)]) for row in rows)  # (RETURNING has no order)


# The notice's fields in the order the SELECT gives them: ``Issued``'s first.
NOTICE_FIELDS = ("step", "level", "department", "complaint", "step_due_at", "issued_at")


def _notices_sql(connection, *, steps: int, levels: int) -> tuple[str, str, str]:
    """SQL of ``insert_notices``: (SELECT the lacking notices, INSERT them, the RETURNING clause).

    Parameters of both statements: (level, cut-off) per level, the issue time, the step ids
    (``_ids_params``).
    """
    qn = connection.ops.quote_name
    step, notice = ComplaintStep._meta, ReminderNotice._meta

    def s(name: str) -> str:
        return "s." + qn(step.get_field(name).column)

    def n(name: str) -> str:
        return "n." + qn(notice.get_field(name).column)

    level, cutoff = qn("level"), qn("cutoff")
    columns = ", ".join(qn(notice.get_field(name).column) for name in NOTICE_FIELDS)
    with_levels = f"WITH lv ({level}, {cutoff}) AS (VALUES {', '.join(['(%s, %s)'] * levels)})"
    select = (
        f"SELECT {s('id')}, lv.{level}, {s('department')}, {s('complaint')}, {s('due_at')}, %s"
        f" FROM {qn(step.db_table)} s CROSS JOIN lv"
        f" WHERE {_ids_sql(connection, s('id'), steps)} AND {s('due_at')} < lv.{cutoff}"
        f" AND NOT EXISTS (SELECT 1 FROM {qn(notice.db_table)} n"
        f" WHERE {n('step')} = {s('id')} AND {n('level')} = lv.{level})"
    )
    insert = f"{with_levels} INSERT INTO {qn(notice.db_table)} ({columns}) {select}"
    returning = "RETURNING " + ", ".join(qn(notice.get_field(name).column) for name in NOTICE_FIELDS[:3])
    return f"{with_levels} {select}", insert, returning


def _ids_sql(connection, column: str, count: int) -> str:
    """``column`` is one of ``count`` ids: one array parameter on PostgreSQL (a statement with
    hundreds of placeholders costs its driver and parser more than the insert), one each elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)"
    return f"{column} IN ({', '.join(['%s'] * count)})"


def _ids_params(connection, ids: list[int]) -> list:
    return [ids] if connection.vendor == "postgresql" else ids


def sweep(now: dt.datetime | None = None, *, batch: int = BATCH) -> SweepResult:
    """Issue the reminder notices due at ``now``; safe to run twice and concurrently."""
    now = now or timezone.now()
    settings = config.snapshot()
    calendar = WorkCalendar.cached()
    cutoffs = deadlines.level_cutoffs(now, settings, calendar)
    result = SweepResult(now=now)
    result.overdue = ComplaintStep.objects.filter(done_at__isnull=True, due_at__lt=now).count()
    mail = Mail(now, calendar)
    after = None
    while True:
        with transaction.atomic():
            steps = overdue_steps(now, cutoffs, after=after, limit=batch)
            issued = insert_notices([pk for pk, _ in steps], cutoffs, now)
            result.issued += issued
            if issued:
                result.notifications += mail.write(issued)
        if len(steps) < batch:
            return result
        pk, due = steps[-1]
        after = (due, pk)


@dataclass(frozen=True)
class OverdueStep:
    """What a reminder's mail says of its step: read as plain values, not three model instances."""

    id: int
    step: str
    due_at: dt.datetime
    number: str
    title: str


STEP_COLUMNS = ("id", "step", "due_at", "complaint__number", "complaint__title")


class Mail:
    """The mail of one run's notices (outbox), to the members who have an address.

    They are read once, when the first notices are written. A notice none of them receives
    gets no text and its step is not read, so a run mailing nobody builds no mail at all.
    """

    def __init__(self, now: dt.datetime, calendar: WorkCalendar):
        self.now = now
        self.late = functools.cache(lambda day: deadlines.late_workdays(day, now, calendar))
        self.recipients = functools.cache(lambda code, level: _recipients(code, level, self.people))

    @functools.cached_property
    def people(self) -> list:
        codes = [d.code for d in org.departments_by_id().values()]
        return [m for m in outbox.members(codes) if (m.user.email or "").strip()]

    def write(self, issued: list[Issued]) -> int:
        """Write the mails of these notices, in the caller's transaction; returns how many."""
        departments = org.departments_by_id(needed={n.department_id for n in issued})
        addressed = []
        for notice in issued:
            department = departments[notice.department_id]
            memberships = self.recipients(department.code, notice.level)
            if memberships:
                addressed.append((notice, department, memberships))
        if not addressed:
            return 0
        ids = [notice.step_id for notice, _, _ in addressed]
        steps = {
            row[0]: OverdueStep(*row)
            for row in ComplaintStep.objects.filter(id__in=ids).values_list(*STEP_COLUMNS)
        }
        rows = []
        for notice, department, memberships in addressed:
            step = steps[notice.step_id]
            rows += outbox.build(
                kind=f"reminder_l{notice.level}",
                subject=_reminder_subject(notice.level, step),
                body=_reminder_body(department, step, self.late(step.due_at)),
                memberships=memberships,
                obj_type="complaint",
                obj_id=step.number,
                now=self.now,
            )
        outbox.save(rows)
        return len(rows)


def _recipients(code: str, level: int, people) -> list:
    if level == ReminderNotice.Level.DEPARTMENT:
        return [m for m in people if m.department.code == code]
    if level == ReminderNotice.Level.MANAGER:
        return [
            m for m in people if m.department.code == code and ROLE_RANK[m.role] >= ROLE_RANK[Role.MANAGER]
        ]
    return [m for m in people if m.department.code == DepartmentCode.GM_OFFICE and m.role == Role.GM]


def _reminder_subject(level: int, step: OverdueStep) -> str:
    return _("[%(number)s] Reminder (催办单) %(level)s: %(step)s overdue") % {
        "number": step.number,
        "level": ReminderNotice.Level(level).label,
        "step": Step(step.step).label,
    }


def _reminder_body(department: Department, step: OverdueStep, late_workdays: int) -> str:
    return _(
        "%(title)s\n\nStep %(step)s of %(dept)s was due %(due)s and is %(late)d working day(s) late."
    ) % {
        "title": step.title,
        "step": Step(step.step).label,
        "dept": department.name,
        "due": timezone.localtime(step.due_at).strftime("%Y-%m-%d %H:%M"),
        "late": late_workdays,
    }


def scheduled() -> str:
    """The django-q2 schedule's function: sweep, then retry the outbox messages that are due."""
    result = sweep()
    sent = outbox.retry_due()
    return f"overdue={result.overdue} issued={len(result.issued)} retried_sent={sent}"

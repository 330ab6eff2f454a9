"""The sweep: reminder notices (催办单) for overdue steps and case deadlines of every record type,
escalating to the manager and the GM (R5.3; 002 篇4 第十四条: overdue cases get a reminder).

``sweep(now)`` issues, for each overdue open step (or case deadline), the
next level whose time has come: level 0 to whoever must act (the assignee,
else the members of the owning department who hold the role the step needs)
once the step is overdue, level 1 to the department's managers and level 2 to
the GM once it is still overdue ``escalation.*`` working days after its due
time. A level goes out only when the level before it went out on an earlier
working day ("escalating ... when still overdue", R5.3): a sweep that runs
every few minutes escalates on the days the thresholds alone say (a threshold
passed at a weekend's start waits for the next working day), and one that
meets a backlog (the first run after an import or an outage) reminds the
departments first and escalates a working day at a time, instead of sending
the managers and the GM a notice for every old step at once. It works in batches of steps,
one transaction each: one indexed query (``flow_step_open_due_idx``, across
all record types) reads the next overdue steps that lack a notice, then one
``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` writes the notices
they lack, the levels decided in SQL against the due-time cut-offs of
``clocks.level_cutoffs``; mail (``Mail``) is written only for the notices
returned, to people with an address. The unique constraint (step, level)
makes it one notice per step per level however often the sweep runs and
however many run at once: on PostgreSQL a second sweep inserting the same
notice waits for the first one's transaction and then skips it (the rows go
in (step, level) order, so two sweeps wait on each other in one order and
never deadlock), and its RETURNING leaves the skipped notice out, so its mail
is written once; SQLite's BEGIN IMMEDIATE serialises them. No step row is
locked: locking 100,000 overdue steps cost PostgreSQL a write to each (1.1 s
at 1,000,000 complaints). Run it with ``kefu sweep [--now ISO]``; django-q2
runs ``scheduled`` every five minutes.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import access as core_access
from kefu.core import config, org, outbox
from kefu.core.choices import ROLE_RANK, DepartmentCode, Role
from kefu.core.workcalendar import WorkCalendar

from . import access, clocks, registry
from .engine import eligible
from .models import Kind, Reminder, ReminderLevel, Step

# Steps per transaction. Larger batches cost fewer statements and commits (1M bench:
# 500 -> 2,000 took the sweep from 1.15 to 0.97 s on PostgreSQL, 0.75 to 0.42 s on
# SQLite; 2,000 -> 5,000 with case deadlines swept too, 288,000 notices on SQLite:
# 2.1-2.3 -> 1.9 s); a batch holds its steps' row locks (SQLite: the writer lock) for
# about 0.1 s at 14,000 notices.
BATCH = 5000


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


def overdue_steps(
    now: dt.datetime,
    cutoffs: list[dt.datetime],
    since: dt.datetime,
    *,
    after: tuple | None = None,
    limit: int = BATCH,
) -> list[int]:
    """Open steps past their deadline, oldest first (one range of ``flow_step_open_due_idx``):
    their ids. ``after`` is the (due_at, id) the previous batch ended at. Which of them lack a
    notice ``insert_notices`` decides, in the statement that writes them: asking here too cost
    PostgreSQL a second probe of the notices per step, and a hash of the whole notice table per
    batch when its statistics were older than the sweep's own inserts."""
    qs = Step.objects.filter(done_at__isnull=True, due_at__lt=now).order_by("due_at", "id")
    if after is not None:
        due, pk = after
        qs = qs.filter(due_at__gte=due).exclude(due_at=due, id__lte=pk)
    # Ids only: converting 100,000 due times that only the batch's last one needs cost a sixth
    # of the sweep at 1M on SQLite (``sweep`` reads that one).
    return list(qs.values_list("id", flat=True)[:limit])


def insert_notices(
    step_ids: list[int], cutoffs: list[dt.datetime], since: dt.datetime, now: dt.datetime
) -> list[Issued]:
    """Write the next notice each of these steps has reached, in one statement; returns them.

    Notices go out in level order, so a step's notices are levels 0 to its highest. Its next level
    ``n`` is one above that (0 when it has none); it has reached it when ``due_at < cutoffs[n]`` and,
    above level 0, its latest notice was issued before ``since``. A notice another sweep wrote
    first (committed, or waited for: PostgreSQL's ON CONFLICT) is skipped and not returned.
    """
    if not step_ids:
        return []
    connection = transaction.get_connection()
    select, insert, returning = _notices_sql(connection, steps=len(step_ids), levels=len(cutoffs))
    due_at = Step._meta.get_field("due_at")
    issued_at = Reminder._meta.get_field("issued_at")
    params = [issued_at.get_db_prep_save(now, connection), *_ids_params(connection, step_ids)]
    for level, cutoff in enumerate(cutoffs):
        params.append(due_at.get_db_prep_value(cutoff, connection))
        if level:
            params.append(issued_at.get_db_prep_value(since, connection))
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(f"{insert} {returning}", params)
            issued = list(map(Issued._make, cursor.fetchall()))
        else:  # SQLite before 3.35: read what the INSERT will write (BEGIN IMMEDIATE holds the writer lock)
            cursor.execute(select, params)
            issued = [Issued._make(row[: len(Issued._fields)]) for row in cursor.fetchall()]
            cursor.execute(insert, params)
    issued.sort()  # (RETURNING has no order)
    return issued


# The notice's fields in the order the SELECT gives them: ``Issued``'s first.
NOTICE_FIELDS = ("step", "level", "department", "record_type", "record_id", "step_due_at", "issued_at")


def _notices_sql(connection, *, steps: int, levels: int) -> tuple[str, str, str]:
    """SQL of ``insert_notices``: (SELECT the next notices, INSERT them, the RETURNING clause).

    Parameters of both statements: the issue time, the step ids, then per level its cut-off and,
    above level 0, the time before which the level below must have been issued.
    """
    qn = connection.ops.quote_name
    step, notice = Step._meta, Reminder._meta
    table, step_id, level = qn(notice.db_table), qn(notice.get_field("step").column), qn("level")

    def st(name: str) -> str:
        return "st." + qn(step.get_field(name).column)

    def probe(what: str) -> str:
        # one probe of the unique (step, level) index (correlated: PostgreSQL hashed the whole notice
        # table for each batch when the notices were a join)
        return f"(SELECT max(n.{what}) FROM {table} n WHERE n.{step_id} = {st('id')})"

    columns = ", ".join(qn(notice.get_field(name).column) for name in NOTICE_FIELDS)
    # The fence keeps the derived table's probes once per step (PostgreSQL would pull it up).
    fence = "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT -1 OFFSET 0"
    fields = ", ".join(st(name) for name in ("id", "department", "record_type", "record_id", "due_at"))
    steps_sql = (
        f"SELECT {fields}, {probe(level)} AS top, {probe(qn(notice.get_field('issued_at').column))} AS top_at"
        f" FROM {qn(step.db_table)} st WHERE {_ids_sql(connection, st('id'), steps)} {fence}"
    )
    due = "s." + qn(step.get_field("due_at").column)
    reached = " ".join(
        f"WHEN {k - 1} THEN {due} < %s" + (" AND s.top_at < %s" if k else "") for k in range(levels)
    )
    select = (
        f"SELECT s.{qn(step.pk.column)}, COALESCE(s.top, -1) + 1, s.{qn(step.get_field('department').column)},"
        f" s.{qn(step.get_field('record_type').column)}, s.{qn(step.get_field('record_id').column)}, {due}, %s"
        f" FROM ({steps_sql}) s WHERE CASE COALESCE(s.top, -1) {reached} ELSE 0 = 1 END"
    )
    # In step order: concurrent sweeps then wait on each other's notices in one order.
    ordered = f"{select} ORDER BY s.{qn(step.pk.column)}"
    conflict = f"ON CONFLICT ({step_id}, {level}) DO NOTHING"
    insert = f"INSERT INTO {table} ({columns}) {ordered} {conflict}"
    returning = "RETURNING " + ", ".join(qn(notice.get_field(name).column) for name in NOTICE_FIELDS[:3])
    return select, insert, returning


def _ids_sql(connection, column: str, count: int) -> str:
    """``column`` is one of ``count`` ids: one array parameter on PostgreSQL (a statement with
    hundreds of placeholders costs its driver and parser more than the insert), one each elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)"
    return f"{column} IN ({', '.join(['%s'] * count)})"


def _ids_params(connection, ids: list[int]) -> list:
    return [ids] if connection.vendor == "postgresql" else ids


def escalation_since(now: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    """A level above 0 goes out only if the level below it went out before this: the start of the
    last working day up to ``now``'s day, so that one step escalates at most once a working day."""
    day = clocks.local_date(now)
    for _day in range(clocks.MAX_CUTOFF_SEARCH_DAYS):
        if calendar.is_workday(day):
            break
        day -= dt.timedelta(days=1)
    return clocks.start_of_day(day)


def sweep(now: dt.datetime | None = None, *, batch: int = BATCH) -> SweepResult:
    """Issue the reminder notices due at ``now``; safe to run twice and concurrently."""
    now = now or timezone.now()
    settings = config.snapshot()
    calendar = WorkCalendar.cached()
    cutoffs = clocks.level_cutoffs(now, settings, calendar)
    since = escalation_since(now, calendar)
    result = SweepResult(now=now)
    result.overdue = Step.objects.filter(done_at__isnull=True, due_at__lt=now).count()
    mail = Mail(now, calendar)
    after = None
    while True:
        with transaction.atomic():
            ids = overdue_steps(now, cutoffs, since, after=after, limit=batch)
            issued = insert_notices(ids, cutoffs, since, now)
            result.issued += issued
            if issued:
                result.notifications += mail.write(issued)
        if len(ids) < batch:
            return result
        after = (Step.objects.values_list("due_at", flat=True).get(pk=ids[-1]), ids[-1])


@dataclass(frozen=True)
class OverdueStep:
    """What a reminder's mail says of its step: read as plain values, not model instances."""

    id: int
    code: str
    kind: str
    due_at: dt.datetime
    record_type: str
    record_id: int
    record_key: str
    role: str
    assignee_id: int | None
    co_department_id: int | None
    customer_id: int | None


STEP_COLUMNS = (
    "id", "code", "kind", "due_at", "record_type", "record_id", "record_key", "role", "assignee_id",
    "co_department_id", "customer_id",
)  # fmt: skip


class Mail:
    """The mail of one run's notices (outbox), to the people who have an address.

    The members with an address are read once, when the first notices are written; when nobody
    has one, no step is read and no mail is built.
    """

    def __init__(self, now: dt.datetime, calendar: WorkCalendar):
        self.now = now
        self.late = functools.cache(lambda day: clocks.late_workdays(day, now, calendar))

    @functools.cached_property
    def people(self) -> list:
        codes = [d.code for d in org.departments_by_id().values()]
        return [m for m in outbox.members(codes) if (m.user.email or "").strip()]

    def write(self, issued: list[Issued]) -> int:
        """Write the mails of these notices, in the caller's transaction; returns how many."""
        if not self.people:
            return 0
        departments = org.departments_by_id(needed={n.department_id for n in issued})
        steps = {
            row[0]: OverdueStep(*row)
            for row in Step.objects.filter(id__in=[n.step_id for n in issued]).values_list(*STEP_COLUMNS)
        }
        assignees = _users({s.assignee_id for s in steps.values() if s.assignee_id})
        titles = _titles(steps.values())
        planned = []
        for notice in issued:
            step = steps[notice.step_id]
            department = departments[notice.department_id]
            users, memberships = self.recipients(step, department.code, notice.level, assignees, departments)
            planned.append((notice, step, department, users, memberships))
        # R1.2, 002 篇10: no mail to a sales clerk about a customer they may not see (read only when
        # such a person is among the recipients).
        may = self.readers(planned)
        rows = []
        for notice, step, department, users, memberships in planned:
            users = [u for u in users if may(u.pk, step.customer_id)]
            memberships = [m for m in memberships if may(m.user_id, step.customer_id)]
            if not users and not memberships:
                continue
            rows += outbox.build(
                kind=f"reminder_l{notice.level}",
                subject=_reminder_subject(notice.level, step),
                body=_reminder_body(
                    department,
                    step,
                    titles.get((step.record_type, step.record_id), ""),
                    self.late(step.due_at),
                ),
                users=users,
                memberships=memberships,
                obj_type=step.record_type,
                obj_id=step.record_key,
                now=self.now,
            )
        outbox.save(rows)
        return len(rows)

    def readers(self, planned):
        """``may(user_id, customer_id)`` for this batch: only the recipients who may see only some
        customers (sales clerks, and assignees) are looked up, once for all the batch's customers."""
        sees_all = {  # people with a membership that lets them see every customer
            m.user_id for m in self.people if not core_access.limiting_membership(m.department.code, m.role)
        }
        candidates, customers = set(), set()
        for _notice, step, _department, users, memberships in planned:
            mine = {u.pk for u in users if u.pk not in sees_all} | {
                m.user_id for m in memberships if m.user_id not in sees_all
            }
            if mine and step.customer_id is not None:
                candidates |= mine
                customers.add(step.customer_id)
        return access.reader_test(candidates, customers)

    def recipients(self, step: OverdueStep, code: str, level: int, assignees: dict, departments: dict):
        """(users, memberships) a notice goes to: whoever must act, then the managers, then the GM."""
        if level == ReminderLevel.DEPARTMENT:
            assignee = assignees.get(step.assignee_id)
            if assignee is not None:
                return [assignee], []
            members = eligible(self.people, code, step.role)
            if step.co_department_id and step.co_department_id in departments:
                co = departments[step.co_department_id].code
                members += [m for m in self.people if m.department.code == co and ROLE_RANK[m.role] > 0]
            return [], members
        if level == ReminderLevel.MANAGER:
            return [], [
                m
                for m in self.people
                if m.department.code == code and ROLE_RANK[m.role] >= ROLE_RANK[Role.MANAGER]
            ]
        return [], [
            m for m in self.people if m.department.code == DepartmentCode.GM_OFFICE and m.role == Role.GM
        ]


def _users(ids: set[int]) -> dict:
    if not ids:
        return {}
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=ids, is_active=True).exclude(email="")}


def _titles(steps) -> dict[tuple[str, int], str]:
    """The records' titles, one query per record type (a flow without ``summary`` shows the key)."""
    from .selectors import records_for

    flows = registry.flows_by_name()
    out = {}
    for (name, pk), record in records_for(list(steps)).items():
        flow = flows[name]
        if flow.summary is not None:
            out[(name, pk)] = flow.summary(record).title
    return out


def _what(step: OverdueStep) -> str:
    if step.kind == Kind.CASE:
        return str(Kind.CASE.label)
    flow = registry.flows_by_name().get(step.record_type)
    spec = flow.steps.get(step.code) if flow is not None else None
    return str(spec.label) if spec is not None else step.code


def _reminder_subject(level: int, step: OverdueStep) -> str:
    return _("[%(number)s] Reminder (催办单) %(level)s: %(step)s overdue") % {
        "number": step.record_key,
        "level": ReminderLevel(level).label,
        "step": _what(step),
    }


def _reminder_body(department, step: OverdueStep, title: str, late_workdays: int) -> str:
    return _(
        "%(title)s\n\nStep %(step)s of %(dept)s was due %(due)s and is %(late)d working day(s) late."
    ) % {
        "title": title or step.record_key,
        "step": _what(step),
        "dept": department.name,
        "due": timezone.localtime(step.due_at).strftime("%Y-%m-%d %H:%M"),
        "late": late_workdays,
    }


def scheduled() -> str:
    """The django-q2 schedule's function: sweep, send the advance notices that are due
    (``kefu.flow.notices``), then retry the outbox messages that are due."""
    from .notices import send_due

    result = sweep()
    notices = send_due()
    sent = outbox.retry_due()
    return f"overdue={result.overdue} issued={len(result.issued)} retried_sent={sent} notices={notices.sent}"

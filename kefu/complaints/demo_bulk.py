"""Many demo histories quickly: walk a few hundred templates through the engine, copy them (issue 13).

``kefu demo --complaints 100000`` cannot take every action through
``engine.perform`` (about 0.1 s a case: hours). ``spread`` instead

1. walks ``templates`` of the registered complaints (old enough to close, of
   each severity) through the engine with ``demo.walk``, recording after each
   action what the engine wrote: the complaint's fields, its step rows, the
   rows other tables keep for it (replies, memos, meeting decisions, anything
   with a foreign key to the complaint) and its audit rows;
2. gives every other complaint the history of a template of its severity with
   its own times: each step finished on a working day in office hours, mostly
   on time and now and then one to five working days late, its deadline
   computed by the step's clock from its own start (``clocks.due``, as the
   engine does); the history stops where the next action would fall after
   ``now``, so a copy is a prefix of its template, in the state the template
   was in at that point. A closed copy gets the lateness inquiries of its late
   steps (some answered, with their audit rows), as ``engine._close_case``
   would have issued them;
3. writes it all with ``bulk_create`` and ``executemany``, a few thousand
   complaints per transaction, into the tables and fields the engine writes;
4. runs the sweep as of ``now`` for the reminder notices of overdue steps.

Not copied: notifications and e-mails of the copied actions (history, not
news), attachments, extensions (templates are walked without them) and
follow-up complaints (a template whose customer rejected the reply is not
copied; it and its follow-up are real engine histories of their own).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.db.models import F

from kefu.core import audit, config
from kefu.core.choices import ROLE_RANK, DepartmentCode, Role
from kefu.core.models import AuditEvent, NumberSequence
from kefu.core.workcalendar import WorkCalendar
from kefu.flow import clocks
from kefu.flow.models import Inquiry, Kind, Meeting, Memo, Step
from kefu.flow.sweep import sweep

from . import demo, services, workflow
from .choices import Status
from .models import Attachment, Complaint

D = DepartmentCode
FLOW = workflow.FLOW
CHUNK = 2000  # complaints per transaction
TEMPLATE_AGE = dt.timedelta(days=120)  # templates are old enough to have closed
# Actions a copy may repeat: those that close a step, and these two that only add a row.
SIDE_ACTIONS = {"object", "record_meeting_decision"}
# Rows kept by (record_type, record_id) that a copy gets; inquiries are issued afresh.
FLOW_SIDE_MODELS = (Memo, Meeting)
SKIP_RELATED = {Attachment}
# Complaint fields a copy never takes from its template.
OWN_FIELDS = {
    "id", "number", "period", "serial", "customer_id", "region", "channel", "title", "description",
    "category", "severity", "received_at", "registered_at", "registered_by_id", "order_no", "part_no",
    "quantity", "quantity_pending", "defect_quantity", "ship_date", "customer_request", "sample_received",
    "contact_name", "contact_phone", "contact_email", "submitter_ip", "acknowledged_at", "answer_by",
    "case_due_at", "customer_deadline", "parent_id",
}  # fmt: skip


# --- fast plumbing ------------------------------------------------------------------------------------


class DayCache:
    """A work calendar that remembers its answers (the copies ask about the same few hundred days
    millions of times); ``clocks`` takes it where it takes a ``WorkCalendar``."""

    def __init__(self, calendar: WorkCalendar):
        self.calendar = calendar
        self.is_workday = functools.lru_cache(maxsize=None)(calendar.is_workday)
        self.add_workdays = functools.lru_cache(maxsize=None)(self._add)
        self.workdays_between = functools.lru_cache(maxsize=None)(self._between)

    def _add(self, start: dt.date, days: int) -> dt.date:
        return WorkCalendar.add_workdays(self, start, days)

    def _between(self, start: dt.date, end: dt.date) -> int:
        return WorkCalendar.workdays_between(self, start, end)


PREPARED = (models.DateTimeField, models.DateField, models.JSONField, models.DecimalField)


def insert(model, rows: list, *, batch: int = 400) -> list[int]:
    """INSERT ``rows`` (dicts by attname, or unsaved instances) of ``model``, ``batch`` rows per
    statement with ``RETURNING`` the new ids, in order (as ``bulk_create`` does on SQLite >= 3.35
    and PostgreSQL, without its per-value compiler work: only dates, JSON and decimals are adapted).
    Sets the ids on instances; returns them."""
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plan = [(f.attname, f if isinstance(f, PREPARED) else None, f.get_default()) for f in fields]
    qn = connection.ops.quote_name
    head = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES "
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = f" RETURNING {qn(model._meta.pk.column)}"
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            params = []
            for row in part:
                get = row.get if isinstance(row, dict) else lambda name, default, row=row: getattr(row, name)
                for name, field, default in plan:
                    value = get(name, default)
                    params.append(
                        value if field is None or value is None else field.get_db_prep_save(value, connection)
                    )
            cursor.execute(head + ", ".join([one] * len(part)) + tail, params)
            got = [r[0] for r in cursor.fetchall()]
            ids += got
            for row, pk in zip(part, got, strict=True):
                if isinstance(row, dict):
                    row["id"] = pk
                else:
                    row.pk = pk
                    row._state.adding = False
    return ids


# --- registering many ----------------------------------------------------------------------------


def _reserve(key: str, count: int) -> int:
    """The first of ``count`` consecutive serials of ``key`` (gap-free: inside the caller's transaction)."""
    seq = NumberSequence.objects.select_for_update().filter(key=key).first()
    if seq is None:
        seq = NumberSequence.objects.create(key=key, last=0)
    first = seq.last + 1
    NumberSequence.objects.filter(pk=seq.pk).update(last=F("last") + count)
    return first


def register_many(entries: list[tuple]) -> list[int]:
    """Register complaints as ``services.register_complaint`` does, many per statement: the same
    complaint row (``services._prepare``), serial and number of the month, case deadline and first
    step (``engine.start_steps``) and the two audit rows. ``entries``: (by, customer, fields) with
    the fields ``register_complaint`` takes (plain values, no attachments), in the order of their
    ``now``, which numbers them. Call it inside a transaction; returns the new ids."""
    prepared = []
    for by, customer, fields in entries:
        fields = dict(fields)
        now = fields.pop("now")
        complaint, steps = services._prepare(by=by, customer=customer, now=now, fields=fields)
        prepared.append((by, complaint, steps))
    periods = defaultdict(int)
    for _by, complaint, _steps in prepared:
        periods[complaint.period] += 1
    serials = {period: _reserve(f"complaint:{period}", n) for period, n in sorted(periods.items())}
    for _by, complaint, _steps in prepared:
        complaint.serial = serials[complaint.period]
        serials[complaint.period] += 1
        complaint.number = services.format_number(complaint.period, complaint.serial)
    insert(Complaint, [c for _b, c, _s in prepared])
    steps, events = [], []
    for by, complaint, rows in prepared:
        for step in rows:
            step.record_id, step.record_key = complaint.pk, complaint.number
            steps.append(step)
        at = complaint.registered_at
        events += [
            audit.event_for(
                complaint, "register", by=by, to_state=Status.REGISTERED, at=at,
                data={"customer": complaint.customer.code, "channel": complaint.channel, "attachments": 0},
            ),
            audit.event_for(complaint, "acknowledge", by=by, data={"answer_by": complaint.answer_by.isoformat()}, at=at),
        ]  # fmt: skip
    insert(Step, steps)
    insert(AuditEvent, events)
    return [c.pk for _b, c, _s in prepared]


# --- recording templates ----------------------------------------------------------------------------


def _related_models() -> list[tuple[type[models.Model], str]]:
    """(model, attname of its foreign key to the complaint) of the rows other tables keep for it."""
    out = []
    for rel in Complaint._meta.related_objects:
        model = rel.related_model
        if model is Complaint or model in SKIP_RELATED or not rel.one_to_many:
            continue
        out.append((model, rel.field.attname))
    return out


@dataclass
class Snapshot:
    complaint: dict
    steps: list[dict]
    side: dict  # model -> rows (dicts)


@dataclass
class Move:
    action: str
    at: dt.datetime
    closes: bool
    after: Snapshot
    events: list[dict]


@dataclass
class Template:
    complaint_id: int
    number: str
    severity: str
    registered_at: dt.datetime
    start: Snapshot
    moves: list[Move] = field(default_factory=list)
    fields: tuple = ()  # the complaint fields its history changed

    def opened_by(self, i: int) -> dict | None:
        """The step row that move ``i`` (1-based) opened, if any."""
        move = self.moves[i - 1]
        for row in move.after.steps:
            if row["kind"] == Kind.STEP and row["started_at"] == move.at and row["done_at"] is None:
                return row
        return None


def snapshot(pk: int, related) -> Snapshot:
    complaint = Complaint.objects.filter(pk=pk).values()[0]
    steps = list(
        Step.objects.filter(record_type=FLOW.name, record_id=pk).order_by("started_at", "id").values()
    )
    side = {
        (model, attname): list(model.objects.filter(**{attname: pk}).order_by("pk").values())
        for model, attname in related
    }
    for model in FLOW_SIDE_MODELS:
        side[(model, "record_id")] = list(
            model.objects.filter(record_type=FLOW.name, record_id=pk).order_by("pk").values()
        )
    return Snapshot(complaint, steps, side)


def record_template(c: Complaint, rng: random.Random, people, now, calendar, related) -> Template | None:
    """Walk ``c`` through the engine to its end, recording each action; None when it cannot be copied."""
    tpl = Template(c.pk, c.number, c.severity, c.registered_at, snapshot(c.pk, related))
    last_event = [AuditEvent.objects.filter(object_type=FLOW.name, object_id=c.number).order_by("-id")
                  .values_list("id", flat=True).first() or 0]  # fmt: skip
    copyable = [True]

    def on_move(result) -> None:
        action = result.action
        spec = FLOW.actions[action]
        if not spec.closes_step and not spec.task and action not in SIDE_ACTIONS:
            copyable[0] = False
        events = list(
            AuditEvent.objects.filter(object_type=FLOW.name, object_id=c.number, id__gt=last_event[0])
            .order_by("id")
            .values()
        )
        if events:
            last_event[0] = events[-1]["id"]
        at = result.event.at if result.event is not None else events[-1]["at"]
        # ``closes``: the action closes the workflow step (a task's action closes its task).
        tpl.moves.append(
            Move(action, at, spec.closes_step and not spec.task, snapshot(c.pk, related), events)
        )

    done = demo.walk(c, rng, people, now, calendar=calendar, extensions=False, on_move=on_move)
    if not done.done or not copyable[0] or Complaint.objects.filter(parent_id=c.pk).exists():
        return None
    changed = set()
    for move in tpl.moves:
        for name, value in move.after.complaint.items():
            if name not in OWN_FIELDS and value != tpl.start.complaint.get(name):
                changed.add(name)
    tpl.fields = tuple(sorted(changed | {"status", "due_at", "closed_at"}))
    return tpl


def pick_templates(ids: list[int], rng: random.Random, now: dt.datetime, count: int) -> list[int]:
    """``count`` of the complaints registered long enough ago, of each severity in proportion
    (at least a few of each)."""
    old = list(
        Complaint.objects.filter(pk__in=ids, registered_at__lt=now - TEMPLATE_AGE).values_list(
            "pk", "severity"
        )
    )
    by_severity = defaultdict(list)
    for pk, severity in old:
        by_severity[severity].append(pk)
    chosen = []
    for pks in by_severity.values():
        want = max(min(8, len(pks)), round(count * len(pks) / max(len(old), 1)))
        chosen += rng.sample(pks, min(want, len(pks)))
    return sorted(chosen)


# --- copying ---------------------------------------------------------------------------------------


class Users:
    """User ids and names; a sales clerk's actions on a copy are its own customer's clerk's."""

    def __init__(self, people):
        self.names = dict(get_user_model().objects.values_list("pk", "username"))
        self.sales_clerks = {
            m.user_id for m in people.rows if m.department.code == D.SALES and m.role == Role.CLERK
        }
        self.sales_managers = [
            m.user_id for m in people.rows if m.department.code == D.SALES and ROLE_RANK[m.role] >= 2
        ]

    def map(self, uid, owner_id):
        if uid in self.sales_clerks and owner_id in self.sales_clerks:
            return owner_id
        return uid


@dataclass
class Batch:
    """The rows of one chunk of copies."""

    new_steps: list = field(default_factory=list)
    step_updates: list = field(default_factory=list)  # (done_at, done_by_id, data, assignee_id, id)
    complaint_updates: dict = field(default_factory=lambda: defaultdict(list))  # fields -> [values + id]
    events: list = field(default_factory=list)
    side: dict = field(default_factory=lambda: defaultdict(list))
    closings: list = field(default_factory=list)  # (complaint row, closed_at, closer id, [steps])


class Copier:
    def __init__(self, templates: list[Template], rng, people, now, calendar, settings):
        self.rng, self.people, self.now, self.calendar, self.settings = rng, people, now, calendar, settings
        self.users = Users(people)
        self.all = templates
        self.by_severity = defaultdict(list)
        for tpl in templates:
            self.by_severity[tpl.severity].append(tpl)
        self.user_fields = {
            model: {f.attname for f in model._meta.concrete_fields if f.is_relation
                    and f.related_model is get_user_model()}
            for model in [Complaint, *{m for t in templates for mv in t.moves for (m, _fk) in mv.after.side}]
        }  # fmt: skip
        self.step_fields = {
            model: {
                f.attname for f in model._meta.concrete_fields if f.is_relation and f.related_model is Step
            }
            for model in self.user_fields
        }
        self.time_fields = {
            model: {f.attname for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)}
            for model in self.user_fields
        }

    # -- one copy --

    def timeline(self, tpl: Template, row: dict, assign_due: dt.datetime) -> list[dt.datetime]:
        """The copy's moments: registration, then each action of the template until ``now``."""
        times = [row["registered_at"]]
        start, due = row["registered_at"], assign_due
        for i, move in enumerate(tpl.moves, 1):
            if move.closes:
                late_by = demo.lateness(self.rng, demo.LATE_SHARE)
                at = demo.finish_time(self.rng, start, due, self.calendar, late_by=late_by)
            else:
                before = tpl.moves[i - 2].at if i > 1 else tpl.registered_at
                at = times[-1] + (move.at - before)
            at = max(at, times[-1] + dt.timedelta(minutes=1))
            if at >= self.now:
                break
            times.append(at)
            if move.closes and (opened := tpl.opened_by(i)) is not None:
                start = at
                due = clocks.due(
                    at, clocks.Duration(opened["allowed"], opened["unit"]), self.calendar, self.settings
                )
        return times

    def copy(self, row: dict, regs: dict, batch: Batch) -> str:
        """Add the rows of one complaint's copied history to ``batch``; returns its state."""
        tpl = self.rng.choice(self.by_severity.get(row["severity"]) or self.all)
        assign, case = regs["step"], regs["case"]
        times = self.timeline(tpl, row, assign["due_at"])
        p = len(times) - 1
        if p == 0:
            return Status.REGISTERED
        owner = row["customer__owner_id"]
        marks = [tpl.registered_at] + [m.at for m in tpl.moves[:p]]

        def at(value):
            if value is None:
                return None
            j = max(bisect.bisect_right(marks, value) - 1, 0)
            return times[j] + (value - marks[j])

        def user(uid):
            return self.users.map(uid, owner)

        snap = tpl.moves[p - 1].after
        number, pk = row["number"], row["id"]
        # Steps: the registration's two rows are updated, the others are new.
        dues = {}
        steps = []
        by_tpl_id = {}  # the template's step id -> the copy's row (a memo points at its task)
        for s in snap.steps:
            done_at, done_by = at(s["done_at"]), user(s["done_by_id"])
            if s["kind"] == Kind.CASE:
                batch.step_updates.append((done_at, done_by, s["data"], s["assignee_id"], case["id"]))
                steps.append(dict(s, id=case["id"], due_at=case["due_at"], done_at=done_at))
                by_tpl_id[s["id"]] = steps[-1]
                continue
            if s["started_at"] == tpl.registered_at and s["code"] == FLOW.first_step:
                batch.step_updates.append((done_at, done_by, s["data"], user(s["assignee_id"]), assign["id"]))
                steps.append(dict(s, id=assign["id"], due_at=assign["due_at"], done_at=done_at))
                by_tpl_id[s["id"]] = steps[-1]
                continue
            started = at(s["started_at"])
            due = clocks.due(started, clocks.Duration(s["allowed"], s["unit"]), self.calendar, self.settings)
            dues[s["started_at"]] = due
            step = dict(
                record_type=FLOW.name, record_id=pk, record_key=number, customer_id=row["customer_id"],
                kind=s["kind"], code=s["code"], department_id=s["department_id"], role=s["role"],
                co_department_id=s["co_department_id"], assignee_id=user(s["assignee_id"]),
                started_at=started, due_at=due, unit=s["unit"], allowed=s["allowed"], extended=0,
                done_at=done_at, done_by_id=done_by, data=s["data"],
            )  # fmt: skip
            batch.new_steps.append(step)
            steps.append(step)
            by_tpl_id[s["id"]] = step
        # The complaint.
        values = []
        for name in tpl.fields:
            value = snap.complaint[name]
            if name == "due_at":
                open_ = [s for s in snap.steps if s["kind"] == Kind.STEP and s["done_at"] is None]
                value = (dues.get(open_[-1]["started_at"]) or assign["due_at"]) if open_ else None
            elif name in self.user_fields[Complaint]:
                value = user(value)
            elif name in self.time_fields[Complaint]:
                value = at(value)
            values.append(value)
        batch.complaint_updates[tpl.fields].append([*values, pk])
        # The audit rows of each action.
        title = f"{number} {row['title']}"[:200]
        for i, move in enumerate(tpl.moves[:p], 1):
            opened = tpl.opened_by(i)
            for e in move.events:
                data = e["data"]
                if opened is not None and isinstance(data, dict) and "next_step" in data:
                    due = dues.get(opened["started_at"])
                    data = {
                        **data,
                        "next_step": {**data["next_step"], "due_at": due.isoformat() if due else None},
                    }
                actor = user(e["actor_id"])
                batch.events.append(
                    dict(
                        at=at(e["at"]), actor_id=actor, actor_label=self.users.names.get(actor, e["actor_label"]),
                        object_type=e["object_type"], object_id=number, object_repr=title, action=e["action"],
                        from_state=e["from_state"], to_state=e["to_state"], note=e["note"], data=data,
                    )
                )  # fmt: skip
        # Replies, memos, meeting decisions ...
        for (model, fk), rows in snap.side.items():
            users, times_ = self.user_fields.get(model, set()), self.time_fields.get(model, set())
            for r in rows:
                values = {}
                for name, value in r.items():
                    if name == "id":
                        continue
                    if name in users:
                        value = user(value)
                    elif name in times_:
                        value = at(value)
                    elif name in self.step_fields.get(model, ()) and value is not None:
                        value = by_tpl_id[value]  # the copy's step row: its id once written
                    values[name] = value
                values[fk] = pk
                batch.side[model].append(values)
        if snap.complaint["closed_at"] is not None:
            batch.closings.append((row, at(snap.complaint["closed_at"]), steps))
        return snap.complaint["status"]

    # -- writing --

    def write(self, batch: Batch) -> None:
        insert(Step, batch.new_steps)
        _update_steps(batch.step_updates)
        for fields, rows in batch.complaint_updates.items():
            _update_complaints(fields, rows)
        for model, rows in batch.side.items():
            for row in rows:
                for name in self.step_fields.get(model, ()):
                    if isinstance(row[name], dict):
                        row[name] = row[name]["id"]
            insert(model, rows)
        self.inquiries(batch)
        insert(AuditEvent, batch.events)

    def inquiries(self, batch: Batch) -> None:
        """At closing, a lateness inquiry for each late step and a late case (engine._close_case);
        most answered within a few working days."""
        rows = []
        for complaint, closed_at, steps in batch.closings:
            for s in steps:
                done, due = s["done_at"], s["due_at"]
                # Asked at closing, about what was late by then (a task done later is not).
                if done is not None and done > due and done <= closed_at:
                    late = clocks.late_workdays(due, done, self.calendar)
                    rows.append(
                        (complaint, s["code"], dict(
                            step_id=s["id"], record_type=FLOW.name, record_id=complaint["id"],
                            department_id=s["department_id"], late_workdays=late, issued_at=closed_at,
                            reason="", answered_at=None, answered_by_id=None,
                        ))
                    )  # fmt: skip
        for _complaint, _code, inquiry in rows:
            day = self.calendar.add_workdays(clocks.local_date(inquiry["issued_at"]), self.rng.randint(1, 4))
            moment = demo.office_moment(self.rng, day)
            if self.rng.random() < 0.7 and moment is not None and moment < self.now:
                by = self.answerer(inquiry["department_id"])
                if by is not None:
                    inquiry.update(
                        reason=self.rng.choice(demo.REASONS), answered_at=moment, answered_by_id=by
                    )
        insert(Inquiry, [r[2] for r in rows])
        for complaint, code, inquiry in rows:
            if inquiry["answered_at"] is not None:
                batch.events.append(
                    dict(
                        at=inquiry["answered_at"], actor_id=inquiry["answered_by_id"],
                        actor_label=self.users.names.get(inquiry["answered_by_id"], ""), object_type=FLOW.name,
                        object_id=complaint["number"], object_repr=f"治办 {inquiry['step_id']}",
                        action="answer_inquiry", from_state="", to_state="", note=inquiry["reason"],
                        data={"inquiry": inquiry["id"], "step": code},
                    )
                )  # fmt: skip

    def answerer(self, department_id: int):
        found = [
            m.user_id
            for m in self.people.rows
            if m.department_id == department_id
            and ROLE_RANK[m.role] >= (2 if m.department.code == D.SALES else 1)
        ]
        return self.rng.choice(found) if found else None


def _update_rows(model, names, rows) -> None:
    """``UPDATE`` the fields ``names`` (attnames) of ``model``'s rows, one statement run for all:
    each row is its values in that order, then its primary key."""
    if not rows:
        return
    meta = model._meta
    fields = [next(f for f in meta.concrete_fields if f.attname == n or f.name == n) for n in names]
    qn = connection.ops.quote_name
    sql = (
        f"UPDATE {qn(meta.db_table)} SET "
        + ", ".join(f"{qn(f.column)} = %s" for f in fields)
        + f" WHERE {qn(meta.pk.column)} = %s"
    )
    params = [
        [f.get_db_prep_save(v, connection) for f, v in zip(fields, r[:-1], strict=True)] + [r[-1]]
        for r in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _update_steps(rows: list[tuple]) -> None:
    _update_rows(Step, ("done_at", "done_by", "data", "assignee"), rows)


def _update_complaints(names: tuple, rows: list[list]) -> None:
    _update_rows(Complaint, names, rows)


# --- the whole run ------------------------------------------------------------------------------------


def spread(ids: list[int], rng: random.Random, now: dt.datetime, *, templates: int, log=None):
    """Give the registered complaints ``ids`` histories up to ``now`` (see the module docstring)."""
    people = demo.People()
    calendar = WorkCalendar.cached()
    settings = config.snapshot()
    related = _related_models()
    chosen = pick_templates(ids, rng, now, templates)
    recorded = []
    for pk in chosen:
        c = Complaint.objects.select_related("customer").get(pk=pk)
        tpl = record_template(c, rng, people, now, calendar, related)
        if tpl is not None:
            recorded.append(tpl)
    # Follow-ups of rejected replies are engine histories of their own.
    followups = list(
        Complaint.objects.filter(parent_id__in=chosen, status=Status.REGISTERED).values_list("pk", flat=True)
    )
    if followups:
        demo.spread_over_states(followups, rng, now, finish=False)
    demo.answer_some_inquiries(rng, people, now)
    if log:
        log(f"  {len(chosen)} walked through the engine, {len(recorded)} of them copied")
    rest = sorted(set(ids) - set(chosen))
    if not recorded:  # nothing to copy (a tiny or very recent demo): walk them all
        demo.spread_over_states(rest, rng, now)
        return
    copier = Copier(recorded, rng, people, now, DayCache(calendar), settings)
    for start in range(0, len(rest), CHUNK):
        chunk = rest[start : start + CHUNK]
        with transaction.atomic():
            rows = list(
                Complaint.objects.filter(pk__in=chunk, status=Status.REGISTERED)
                .order_by("pk")
                .values(
                    "id", "number", "title", "severity", "customer_id", "customer__owner_id", "registered_at"
                )
            )
            regs = defaultdict(dict)
            for s in Step.objects.filter(record_type=FLOW.name, record_id__in=chunk).values(
                "id", "record_id", "kind", "due_at"
            ):
                regs[s["record_id"]][s["kind"]] = s
            batch = Batch()
            for row in rows:
                copier.copy(row, regs[row["id"]], batch)
            copier.write(batch)
        if log and (start // CHUNK) % 10 == 9:
            log(f"  {start + len(chunk)} histories copied")
    result = sweep(now)
    if log:
        log(
            f"  {len(rest)} histories copied; {len(result.issued)} reminder notices for {result.overdue} overdue"
        )

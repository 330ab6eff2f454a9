"""Advance notices ("heads-up"): a mail at a set time before a date of a record (R5.3; for an audit,
000 客户审核 4.1.1 "at least 1-2 days before", 4.2.1 "one day before", 4.2.3 "one hour before").

A flow declares them (``Flow.notices``, ``spec.NoticeSpec``); ``schedule(flow, record)`` writes a
``Notice`` row per notice, due its setting's duration before the record's moment, in the caller's
transaction, and moves or drops the unsent ones when the moment moves or goes away. The notice pass
``send_due(now)``, run by the schedule after the reminder sweep, reads the unsent notices that are
due (one range of the partial index ``flow_notice_due_idx``), claims each with a guarded UPDATE (two
workers never send one twice), and writes its mail to the outbox, to the recipients who may see the
record's customer (R1.2). A notice whose moment has passed, or whose record closed, is marked
skipped and sends nothing. The reminder sweep (``kefu.flow.sweep``) is untouched: only flows that
declare notices have rows here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from kefu.core import config, outbox
from kefu.core.workcalendar import TZ, WorkCalendar

from . import clocks, registry
from .engine import readers
from .models import Notice
from .spec import Flow, NoticeSpec

BATCH = 500


def before(moment: dt.datetime, duration, calendar: WorkCalendar) -> dt.datetime:
    """``moment`` less ``duration``: ``2 workdays`` -> the same time of day two working days earlier on
    China's calendar (Monday 09:00 -> Thursday 09:00; Friday 2026-10-09 -> Wednesday 09-30, before
    National Day); ``7 days`` -> a week earlier; ``1 hours`` (or work hours) -> an hour earlier."""
    d = clocks.Duration.parse(duration)
    if d.unit == clocks.WORKDAYS:
        local = moment.astimezone(TZ)
        day = calendar.add_workdays(local.date(), -d.amount)
        return dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=TZ)
    if d.unit == clocks.DAYS:
        return moment - dt.timedelta(days=d.amount)
    return moment - dt.timedelta(hours=d.amount)


def due_of(flow: Flow, spec: NoticeSpec, record, settings: dict, calendar: WorkCalendar):
    """(the moment the notice is about, when it goes out), or None when this record gets none."""
    if spec.when is not None and not spec.when(record):
        return None
    moment = spec.of(record)
    if moment is None:
        return None
    return moment, before(moment, settings.get(spec.setting_key(flow.name), spec.before), calendar)


def schedule(
    flow: Flow, record, *, settings: dict | None = None, calendar: WorkCalendar | None = None
) -> list:
    """Write (or move, or drop) the record's unsent notices to match its dates now; in the caller's
    transaction. A notice already sent for the same moment is not sent again; a moved moment gets
    a new notice. Returns the unsent notices."""
    if not flow.notices:
        return []
    settings = settings if settings is not None else config.snapshot()
    calendar = calendar or WorkCalendar.cached()
    rows = {
        (n.code, n.about): n
        for n in Notice.objects.select_for_update().filter(record_type=flow.name, record_id=record.pk)
    }
    wanted = {}
    if flow.is_open(record):
        for spec in flow.notices.values():
            due = due_of(flow, spec, record, settings, calendar)
            if due is not None:
                wanted[(spec.code, due[0])] = due[1]
    stale = [n.pk for key, n in rows.items() if n.sent_at is None and key not in wanted]
    if stale:
        Notice.objects.filter(pk__in=stale).delete()
    customer = flow.customer_of(record) if flow.customer_of is not None else None
    new = [
        Notice(
            record_type=flow.name,
            record_id=record.pk,
            record_key=flow.key(record),
            customer_id=customer,
            code=code,
            about=about,
            at=at,
        )
        for (code, about), at in wanted.items()
        if (code, about) not in rows
    ]
    Notice.objects.bulk_create(new)
    for key, at in wanted.items():  # a setting changed since: the unsent notice follows it
        n = rows.get(key)
        if n is not None and n.sent_at is None and n.at != at:
            n.at = at
            n.save(update_fields=["at"])
    return [n for n in new] + [n for k, n in rows.items() if k in wanted and n.sent_at is None]


@dataclass
class NoticeResult:
    now: dt.datetime
    sent: int = 0
    skipped: int = 0
    mails: int = 0


def send_due(now: dt.datetime | None = None, *, batch: int = BATCH) -> NoticeResult:
    """Send the advance notices due at ``now``; safe to run twice and concurrently."""
    now = now or timezone.now()
    result = NoticeResult(now=now)
    while True:
        with transaction.atomic():
            qs = Notice.objects.filter(sent_at__isnull=True, at__lte=now).order_by("at", "id")
            if transaction.get_connection().features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            due = list(qs[:batch])
            _send(due, now, result)
        if len(due) < batch:
            return result


def _moment(flow: Flow, spec: NoticeSpec, record):
    if spec.when is not None and not spec.when(record):
        return None
    return spec.of(record)


def drop(flow: Flow, record, codes=None) -> int:
    """Delete the record's unsent notices (of these codes): it was called off, or the moment they
    announce came; in the caller's transaction."""
    qs = Notice.objects.filter(record_type=flow.name, record_id=record.pk, sent_at__isnull=True)
    if codes is not None:
        qs = qs.filter(code__in=list(codes))
    return qs.delete()[0]


def _send(due: list[Notice], now: dt.datetime, result: NoticeResult) -> None:
    from .selectors import records_for

    if not due:
        return
    flows = registry.flows_by_name()
    records = records_for(due)
    mail = []
    for n in due:
        flow = flows.get(n.record_type)
        spec = flow.notices.get(n.code) if flow is not None else None
        record = records.get((n.record_type, n.record_id))
        skipped = ""
        if spec is None or record is None:
            skipped = "gone"
        elif not flow.is_open(record):
            skipped = "closed"
        elif _moment(flow, spec, record) != n.about:
            skipped = "moved"  # the date moved (or no longer applies) since it was scheduled
        elif n.about <= now:
            skipped = "passed"  # the sweep did not run in time: a notice after the fact is noise
        rows = []
        delivers = not skipped and spec.deliver is not None
        if not skipped and not delivers:
            departments, min_role, users = spec.to(record)
            members = outbox.members(departments, min_role=min_role) if departments else []
            users, members = readers(flow, record, users, members)
            subject, body = spec.text(record, n.about)
            rows = outbox.build(
                kind=f"notice_{n.code}",
                subject=f"[{n.record_key}] {subject}",
                body=body,
                users=users,
                memberships=members,
                obj_type=n.record_type,
                obj_id=n.record_key,
                now=now,
            )
        claimed = Notice.objects.filter(pk=n.pk, sent_at__isnull=True).update(
            sent_at=now, mails=len(rows), skipped=skipped
        )
        if not claimed:  # another worker sent it first
            continue
        if delivers:  # claimed first: its own writes (and audit entry) happen once
            rows = spec.deliver(record, n.about, now)
            Notice.objects.filter(pk=n.pk).update(mails=len(rows))
        if skipped:
            result.skipped += 1
        else:
            result.sent += 1
            result.mails += len(rows)
            mail += rows
    outbox.save(mail)

"""The outbox: notifications written in the transaction of their cause, e-mailed after commit (R5.3).

``notify`` resolves recipients (users, or the members of a department from a
minimum role up) and writes one ``Notification`` per address; after commit a
django-q2 task sends them (``send_many``). A failed send stays pending with
``next_attempt_at`` and is retried by ``retry_due`` (run by the sweep
schedule) until ``outbox.max_attempts``. Senders claim a row with a guarded
UPDATE, so two workers never send the same message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import config
from .choices import ROLE_RANK
from .db import rows
from .models import Membership, Notification

log = logging.getLogger(__name__)
STALE_CLAIM = dt.timedelta(minutes=15)
TASK = "kefu.core.outbox.send_many"


def members(department_codes: Iterable[str], *, min_role: str | None = None, roles: Iterable[str] = ()):
    """Active users of these departments with at least ``min_role`` (or one of ``roles``); one query."""
    wanted = set(roles)
    rows = (
        Membership.objects.filter(department__code__in=list(department_codes), user__is_active=True)
        .select_related("user", "department")
        .order_by("user_id")
    )
    out = []
    for m in rows:
        if wanted and m.role not in wanted:
            continue
        if min_role is not None and ROLE_RANK[m.role] < ROLE_RANK[min_role]:
            continue
        if not wanted and min_role is None and ROLE_RANK[m.role] == 0:
            continue  # the system administrator is not a recipient of business mail
        out.append(m)
    return out


def build(
    *,
    kind: str,
    subject: str,
    body: str,
    users=(),
    memberships=(),
    obj_type: str = "",
    obj_id: str = "",
    now=None,
) -> list[Notification]:
    """Unsaved rows, one per distinct address (users without an address are skipped)."""
    now = now or timezone.now()
    seen: set[str] = set()
    rows = []
    pairs = [(u, None) for u in users] + [(m.user, m.department) for m in memberships]
    for user, dept in pairs:
        address = (user.email or "").strip()
        if not address or address in seen:
            continue
        seen.add(address)
        rows.append(
            Notification(
                kind=kind,
                recipient=user,
                department=dept,
                to=address,
                subject=subject[:200],
                body=body,
                object_type=obj_type,
                object_id=obj_id,
                created_at=now,
                next_attempt_at=now,
            )
        )
    return rows


def save(rows: list[Notification]) -> list[Notification]:
    """Write the rows in the caller's transaction and enqueue their sending after commit."""
    if not rows:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox rows are written inside the transaction of their cause")
    saved = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in saved if n.pk is not None]
    if ids:
        transaction.on_commit(lambda: enqueue(ids))
    return saved


def notify(**kwargs) -> list[Notification]:
    return save(build(**kwargs))


def enqueue(ids: list[int]) -> None:
    """Hand the ids to a django-q2 worker; when the queue itself fails, the sweep retries later."""
    from django_q.tasks import async_task

    try:
        async_task(TASK, ids, task_name=f"outbox-{ids[0]}-{len(ids)}")
    except Exception:  # the rows stay pending: retry_due picks them up
        log.exception("could not enqueue outbox %s", ids)


def send_many(ids: list[int], now: dt.datetime | None = None) -> int:
    return sum(send(pk, now=now) for pk in ids)


def send(pk: int, now: dt.datetime | None = None) -> bool:
    """Send one message if it is still pending; True when it went out now."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        Q(state=Notification.State.PENDING)
        | Q(state=Notification.State.SENDING, claimed_at__lt=now - STALE_CLAIM),
        pk=pk,
    ).update(state=Notification.State.SENDING, claimed_at=now)
    if not claimed:
        return False
    msg = Notification.objects.get(pk=pk)
    attempts = msg.attempts + 1
    try:
        send_mail(msg.subject, msg.body, django_settings.DEFAULT_FROM_EMAIL, [msg.to], fail_silently=False)
    except Exception as exc:  # any backend error: count it and retry later
        limit = int(config.get("outbox.max_attempts"))
        failed = attempts >= limit
        Notification.objects.filter(pk=pk).update(
            state=Notification.State.FAILED if failed else Notification.State.PENDING,
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=None
            if failed
            else now + dt.timedelta(minutes=int(config.get("outbox.retry_minutes"))),
            claimed_at=None,
        )
        log.warning("outbox %s attempt %s failed: %s", pk, attempts, exc)
        return False
    Notification.objects.filter(pk=pk).update(
        state=Notification.State.SENT, attempts=attempts, sent_at=now, last_error="", claimed_at=None
    )
    return True


def retry_due(now: dt.datetime | None = None, limit: int = 200) -> int:
    """Send pending messages whose next attempt is due (and reclaim stale claims); run by the schedule."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            Q(state=Notification.State.PENDING, next_attempt_at__lte=now)
            | Q(state=Notification.State.SENDING, claimed_at__lt=now - STALE_CLAIM)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return send_many(ids, now=now)


RECENT = 30

_FOR_OBJECT = rows.Prepared(
    # Two filter() calls keep the parameters in this order (one call sorts its keywords).
    lambda obj_type, obj_id: (
        Notification.objects.filter(object_type=obj_type)
        .filter(object_id=obj_id)
        .order_by("-created_at", "-id")[:RECENT]
    ),
    sample=("complaint", "202612-0001"),
)


def for_object(obj_type: str, obj_id: str) -> list[Notification]:
    """The object's latest ``RECENT`` messages, newest first (one precompiled query)."""
    return _FOR_OBJECT.all(obj_type, obj_id)

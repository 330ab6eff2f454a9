"""The audit trail: call ``record`` inside the transaction of the change it describes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .db import rows
from .models import AuditEvent

rows.insertable(AuditEvent, save_not_needed="its save() only refuses updates of a saved row")


def record(obj, action: str, **fields) -> AuditEvent:
    """Write one event (see ``event_for`` for the fields) inside the change's transaction."""
    return record_many([event_for(obj, action, **fields)])[0]


def record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Write several ``event_for`` rows in one INSERT, in order, inside the change's transaction."""
    _require_transaction()
    rows.insert(events)
    return events


def event_for(
    obj,
    action: str,
    *,
    by=None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: dict | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    at=None,
    label: str = "",
) -> AuditEvent:
    """An unsaved audit row (``record`` saves one, ``record_many`` several). ``label`` names an actor
    that is no user (``"system"`` for the scheduled jobs); without a user or label it is ``public``."""
    return AuditEvent(
        at=at or timezone.now(),
        actor=by if by is not None and by.is_authenticated else None,
        actor_label=label or (by.get_username() if by is not None and by.is_authenticated else "public"),
        object_type=object_type or obj._meta.model_name,
        object_id=object_id or str(getattr(obj, "audit_key", obj.pk)),
        object_repr=str(obj)[:200],
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        note=note or "",
        data=data or {},
    )


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the change it records")


_EVENTS_FOR = rows.Prepared(
    # Two filter() calls keep the parameters in this order (one call sorts its keywords).
    lambda object_type, object_id: (
        AuditEvent.objects.filter(object_type=object_type).filter(object_id=object_id).select_related("actor")
    ),
    sample=("complaint", "202612-0001"),
)


def events_for(object_type: str, object_id: str) -> list[AuditEvent]:
    """The object's audit trail, oldest first, with the actors (one precompiled query)."""
    return _EVENTS_FOR.all(object_type, object_id)

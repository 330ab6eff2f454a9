"""Business settings that the seeds leave open, with the seed's value as default (STYLE 10).

An admin overrides any of them in the ``Setting`` table; ``get`` reads the
table (one query per call; use ``snapshot`` to read many at once).

``snapshot`` is kept per process for ``CACHE_SECONDS``; saving or deleting a
``Setting`` drops it at once in that process (signals, ``kefu.core.apps``), so
other processes see the change within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import time
from decimal import Decimal

CACHE_SECONDS = 30.0
_snapshot: tuple[float, dict[str, object]] | None = None

DEFAULTS: dict[str, object] = {
    # Outbox: attempts before a message is given up, minutes between attempts.
    "outbox.max_attempts": 5,
    "outbox.retry_minutes": 10,
}

# What each setting means (docs/workflow.md prints this table). The apps above core register
# their own settings with their defaults (``register``): the case engine its escalation and
# extension limits, each record type its step durations (``due.<flow>.<step>``).
HELP: dict[str, str] = {
    "outbox.max_attempts": "e-mail attempts before a notification is marked failed",
    "outbox.retry_minutes": "minutes between e-mail attempts",
}


def register(defaults: dict[str, object], help_texts: dict[str, str] | None = None) -> None:
    """Settings of a module above core (a flow's step durations), with their defaults; a key
    registered already keeps its default."""
    for key, value in defaults.items():
        DEFAULTS.setdefault(key, value)
    for key, text in (help_texts or {}).items():
        if text:
            HELP.setdefault(key, text)
    invalidate()


def get(key: str):
    from .models import Setting

    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    row = Setting.objects.filter(key=key).values_list("value", flat=True).first()
    return DEFAULTS[key] if row is None else row


def snapshot() -> dict[str, object]:
    """All settings as a new dict (no query while this process's copy is fresh)."""
    global _snapshot
    from .models import Setting

    if _snapshot is None or time.monotonic() - _snapshot[0] >= CACHE_SECONDS:
        values = dict(DEFAULTS)
        values.update(dict(Setting.objects.values_list("key", "value")))
        _snapshot = (time.monotonic(), values)
    return dict(_snapshot[1])


def invalidate(**_) -> None:
    """Forget this process's snapshot (a ``Setting`` was saved or deleted)."""
    global _snapshot
    _snapshot = None


def decimal(key: str) -> Decimal:
    return Decimal(str(get(key)))

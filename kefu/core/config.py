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
    # R5.2, 002 篇4 第十条: whole case closed within 15 calendar days domestic / 20 foreign
    # (002 篇15 says 13 / 17: see CASE_DAY_PRESETS)
    "case_days_domestic": 15,
    "case_days_foreign": 20,
    # 000 5.3.3: the customer is told the date by which they get an answer
    "ack_answer_days_domestic": 15,
    "ack_answer_days_foreign": 20,
    # Working days per workflow step (R5.2, 002 篇4 第九条, 002 篇1 第十一条).
    # ``step_days.<step>.<severity>`` wins over ``step_days.<step>``.
    "step_days.assign": 1,
    "step_days.investigation": 3,  # 第九条(二): quality reports within three days
    "step_days.countermeasure": 1,  # 篇1 第十一条(三): general complaints within one working day
    "step_days.countermeasure.major": 3,  # ... larger ones within three
    "step_days.countermeasure.serious": 3,
    "step_days.rd_opinion": 2,
    "step_days.proposal": 1,
    "step_days.synthesis": 1,  # 第九条(五): GM office synthesis within one day
    "step_days.approval": 1,
    "step_days.reply": 1,
    # 篇1 第十一条(三): extensions approved by the managers, at most seven working days in all
    "extension.max_workdays": 7,
    # Authority matrix (R1.3, 第九条(五)): loss amount up to these limits is decided by
    # the sales manager, then the deputy GM; above the second limit by the GM.
    "authority.sales_manager_max": "5000.00",
    "authority.deputy_gm_max": "50000.00",
    # Reminder notices (R5.3, 第十四条): level 0 to the owning department when the
    # step is overdue, level 1 to its manager and level 2 to the GM after these
    # further working days.
    "escalation.manager_after_workdays": 1,
    "escalation.gm_after_workdays": 2,
    # Outbox: attempts before a message is given up, minutes between attempts.
    "outbox.max_attempts": 5,
    "outbox.retry_minutes": 10,
}

# What the workflow settings mean (docs/workflow.md prints this table).
HELP: dict[str, str] = {
    "case_days_domestic": "whole case, calendar days from registration, domestic customer (002 篇4 第十条)",
    "case_days_foreign": "whole case, calendar days from registration, foreign customer (002 篇4 第十条)",
    "step_days.assign": "GM office assigns the case to quality, working days",
    "step_days.investigation": "quality's investigation report, working days (002 篇4 第九条(二))",
    "step_days.countermeasure": "countermeasure of the responsible department, general complaint (篇1 第十一条)",
    "step_days.countermeasure.major": "countermeasure, major complaint (篇1 第十一条(三))",
    "step_days.countermeasure.serious": "countermeasure, serious complaint (篇1 第十一条(三))",
    "step_days.rd_opinion": "R&D opinion, working days",
    "step_days.proposal": "sales' handling proposal after negotiating with the customer, working days",
    "step_days.synthesis": "GM office synthesis, working days (002 篇4 第九条(五))",
    "step_days.approval": "decision by the authority matrix, working days",
    "step_days.reply": "sales tells the customer and records the answer, working days",
    "extension.max_workdays": "extensions of one step, working days in all (篇1 第十一条(三))",
    "authority.sales_manager_max": "loss amount up to which the sales manager approves (yuan)",
    "authority.deputy_gm_max": "loss amount up to which the deputy GM approves; above it the GM (yuan)",
    "escalation.manager_after_workdays": "reminder escalates to the department manager after these working days",
    "escalation.gm_after_workdays": "reminder escalates to the GM after these working days",
    "outbox.max_attempts": "e-mail attempts before a notification is marked failed",
    "outbox.retry_minutes": "minutes between e-mail attempts",
}

# The other preset of the whole-case deadline: 002 篇4 第十条 is the default, 篇15 the alternative.
CASE_DAY_PRESETS: dict[str, dict[str, int]] = {
    "002 篇4 第十条": {"case_days_domestic": 15, "case_days_foreign": 20},
    "002 篇15": {"case_days_domestic": 13, "case_days_foreign": 17},
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

"""Business settings that the seeds leave open, with the seed's value as default (STYLE 10).

An admin overrides any of them in the ``Setting`` table; ``get`` reads the
table (one query per call; use ``snapshot`` to read many at once).
"""

from __future__ import annotations

from decimal import Decimal

DEFAULTS: dict[str, object] = {
    # R5.2, 002 篇4 第十条: whole case closed within 15 calendar days domestic / 20 foreign
    "case_days_domestic": 15,
    "case_days_foreign": 20,
    # 000 5.3.3: the customer is told the date by which they get an answer
    "ack_answer_days_domestic": 15,
    "ack_answer_days_foreign": 20,
    # first workflow step (GM office assigns) in working days
    "step_days.assign": 1,
}


def get(key: str):
    from .models import Setting

    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    row = Setting.objects.filter(key=key).values_list("value", flat=True).first()
    return DEFAULTS[key] if row is None else row


def snapshot() -> dict[str, object]:
    from .models import Setting

    values = dict(DEFAULTS)
    values.update(dict(Setting.objects.values_list("key", "value")))
    return values


def decimal(key: str) -> Decimal:
    return Decimal(str(get(key)))

"""Gap-free serial numbers (R3.3).

``next_serial`` must run inside the transaction that inserts the numbered
row: the counter row is locked (PostgreSQL row lock; SQLite's BEGIN
IMMEDIATE holds the write lock) until commit, so concurrent callers queue,
and a rolled-back insert rolls the counter back with it: no gaps.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import NumberSequence


def next_serial(key: str) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_serial must run inside the transaction that uses the number")
    updated = NumberSequence.objects.filter(key=key).update(last=F("last") + 1)
    if not updated:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(key=key, last=1)
            return 1
        except IntegrityError:
            # Another transaction created the row first; its lock now orders us.
            NumberSequence.objects.filter(key=key).update(last=F("last") + 1)
    return NumberSequence.objects.filter(key=key).values_list("last", flat=True).get()

"""Gap-free serial numbers (R3.3).

``next_serial`` must run inside the transaction that inserts the numbered
row: the counter row is locked (PostgreSQL row lock; SQLite's BEGIN
IMMEDIATE holds the write lock) until commit, so concurrent callers queue,
and a rolled-back insert rolls the counter back with it: no gaps.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from .models import NumberSequence


def next_serial(key: str) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_serial must run inside the transaction that uses the number")
    returned = _increment_returning(key)
    if returned is not None:
        return returned
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


def _increment_returning(key: str) -> int | None:
    """One ``UPDATE ... RETURNING`` (PostgreSQL, SQLite >= 3.35); None when the row is missing or
    the database cannot, and the caller takes the two-query path."""
    if not _can_return():
        return None
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE {table} SET "last" = "last" + 1 WHERE "key" = %s RETURNING "last"', [key])
        row = cursor.fetchone()
    return None if row is None else row[0]


def _can_return() -> bool:
    if connection.vendor == "postgresql":
        return True
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version_info >= (3, 35)
    return False

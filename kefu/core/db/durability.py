"""A start-up check that the database keeps what kefu acknowledges (issue 11).

A complaint answered ``201`` must survive not only a crash of kefu (every
commit is in the database's log before the answer leaves) but a power loss or
an OS crash: that needs the log flushed to disk before the commit returns.

- SQLite: ``PRAGMA synchronous`` of a live connection must be FULL (2) or
  EXTRA (3). kefu sets FULL unless ``KEFU_SQLITE_SYNCHRONOUS=NORMAL`` asks for
  the faster mode; then the warning says what was given up (``kefu.W911``).
- PostgreSQL: ``synchronous_commit=off`` acknowledges a commit before its WAL
  is flushed (``kefu.W912``); ``fsync=off`` never flushes it at all and may
  corrupt the cluster (``kefu.W913``); ``full_page_writes=off`` can leave torn
  pages that recovery cannot repair (``kefu.W914``). The values are those of
  kefu's own session, so ``ALTER DATABASE/ROLE ... SET`` is seen as well.

Warnings, not errors: an operator may choose speed knowingly (a demo, a
bench), and SILENCED_SYSTEM_CHECKS keeps the choice quiet. The check runs
with every management command that checks (``kefu serve``, ``migrate``,
``check``); an unreachable database is left to the commands themselves.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connections

SQLITE_LEVELS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
PG_SETTINGS = ("synchronous_commit", "fsync", "full_page_writes")


def sqlite_warnings(level: int, asked: str) -> list[checks.CheckMessage]:
    """What a connection with ``PRAGMA synchronous`` = ``level`` gives up (nothing from FULL on)."""
    if level >= 2:
        return []
    name = SQLITE_LEVELS.get(level, str(level))
    why = (
        "KEFU_SQLITE_SYNCHRONOUS=NORMAL asked for it"
        if asked == "NORMAL"
        else f"KEFU_SQLITE_SYNCHRONOUS is {asked}, yet the connection runs with {name}"
    )
    return [
        checks.Warning(
            f"SQLite runs with synchronous={name} ({why}): commits are not flushed to disk before they "
            "are acknowledged, so the last acknowledged complaints may be lost on a power loss or an "
            "OS crash (a crash of kefu alone loses nothing)",
            hint="unset KEFU_SQLITE_SYNCHRONOUS (FULL) unless that risk is accepted",
            id="kefu.W911",
        )
    ]


# A PostgreSQL setting that, when off, acknowledges commits a crash may lose.
_PG_UNSAFE = (
    (
        "synchronous_commit",
        "PostgreSQL runs with synchronous_commit=off: a commit is acknowledged before its WAL "
        "is on disk, so the last acknowledged complaints may be lost on a database crash, an "
        "OS crash or a power loss",
        "set synchronous_commit = on (the default) for kefu's database and role",
        "kefu.W912",
    ),
    (
        "fsync",
        "PostgreSQL runs with fsync=off: nothing is flushed to disk, so an OS crash or a power "
        "loss may lose acknowledged complaints and corrupt the database",
        "set fsync = on (the default) in postgresql.conf",
        "kefu.W913",
    ),
    (
        "full_page_writes",
        "PostgreSQL runs with full_page_writes=off: a page half written at a power loss cannot "
        "be repaired by recovery",
        "set full_page_writes = on (the default) in postgresql.conf",
        "kefu.W914",
    ),
)


def pg_warnings(values: dict[str, str]) -> list[checks.CheckMessage]:
    """What the PostgreSQL settings ``values`` (name -> SHOW value) give up."""
    # on, local, remote_write and remote_apply all flush the local WAL before the commit returns.
    return [
        checks.Warning(msg, hint=hint, id=check_id)
        for name, msg, hint, check_id in _PG_UNSAFE
        if values.get(name) == "off"
    ]


def live_values(using: str = "default") -> tuple[str, object]:
    """(vendor, setting) of a live connection: the SQLite level, or the PostgreSQL settings."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous")
            return "sqlite", cursor.fetchone()[0]
        if connection.vendor == "postgresql":
            cursor.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(PG_SETTINGS)])
            return "postgresql", dict(cursor.fetchall())
    return connection.vendor, None


@checks.register()
def check_durability(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        vendor, value = live_values()
    except DatabaseError:  # not reachable: the command that needs it says so
        return []
    if vendor == "sqlite":
        return sqlite_warnings(value, getattr(settings, "KEFU_SQLITE_SYNCHRONOUS", "FULL"))
    if vendor == "postgresql":
        return pg_warnings(value)
    return []

"""Planner statistics kept fresh in production (issue 12).

A database that grows by use is never ANALYZEd unless someone does it: SQLite
keeps no statistics of its own, and without them its planner guesses (on a
list filtered by status it would walk the status index and sort every match).
The lists' indexes are chosen so that their plans hold without statistics
(docs/performance.md), and this keeps the statistics fresh anyway:

- SQLite: ``ANALYZE`` with ``PRAGMA analysis_limit`` (each index sampled, so it
  takes well under a second at a million complaints), daily from the
  background worker's schedule ``kefu-statistics`` and by ``kefu analyze``.
- PostgreSQL: autovacuum's analyze does it; this only reports when the
  complaint table was last analyzed, so that a disabled autovacuum shows.
"""

from __future__ import annotations

from django.db import connections

STATISTICS_SCHEDULE = "kefu-statistics"
# Rows each index is sampled at: SQLite's own advice for routine use is a few hundred to a thousand.
ANALYSIS_LIMIT = 1000


def refresh_statistics(using: str = "default") -> str:
    """Bring the planner statistics up to date; returns what was done, for the log and the command."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
            cursor.execute("ANALYZE")
            return f"sqlite: ANALYZE done (analysis_limit={ANALYSIS_LIMIT})"
        cursor.execute(
            "SELECT greatest(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
            "WHERE relname = 'complaints_complaint'"
        )
        row = cursor.fetchone()
        when = row[0] if row else None
        return f"postgresql: left to autovacuum (complaints last analyzed {when or 'never'})"


def scheduled() -> str:
    """The daily task of the background worker."""
    return refresh_statistics()

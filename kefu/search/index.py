"""Query side of the index and its maintenance for bulk loads (bench/generate.py)."""

from __future__ import annotations

from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet

from .tokens import query_bigrams

PG_TABLE = "search_complaintdoc"
PG_INDEX = "search_complaintdoc_tsv_idx"
PG_INDEX_SQL = f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON {PG_TABLE} USING gin (tsv)"
PG_FILL_SQL = (
    f"INSERT INTO {PG_TABLE} (complaint_id, tsv) SELECT id, kefu_search_tsv(title, description) "
    "FROM complaints_complaint WHERE id BETWEEN %s AND %s ON CONFLICT (complaint_id) DO NOTHING"
)
SQLITE_TABLE = "search_complaint_fts"


def _ordered(compiler) -> bool:
    """Whether the query being compiled has an ORDER BY (a page), not a count or an aggregate."""
    query = compiler.query
    return bool(query.order_by) or (query.default_ordering and bool(query.get_meta().ordering))


class _DocMatch(Func):
    """``EXISTS (stored bigrams of this complaint @@ 'ab' & 'bc')``.

    PostgreSQL turns it into a semi-join: it walks the list order and probes
    each complaint's stored tsvector by primary key, or finds the matches in
    the GIN index first, by its per-bigram statistics. For several bigrams it
    multiplies their frequencies as if independent, which they are not (包装,
    装破, 破损 come together), so a frequent phrase looks rare and a page
    fetches and sorts every match; with ``walk`` the EXISTS is kept as a
    per-row probe (``OFFSET 0`` stops the semi-join) in ordered queries.
    """

    def __init__(self, grams: list[str], walk: bool = False):
        super().__init__(F("id"), output_field=BooleanField())
        self.tsquery = " & ".join(f"'{g}'" for g in grams)
        self.walk = walk

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        fence = " OFFSET 0" if self.walk and _ordered(compiler) else ""
        return (
            f"EXISTS (SELECT 1 FROM {PG_TABLE} d WHERE d.complaint_id = {sql} AND d.tsv @@ %s::tsquery{fence})",
            (*params, self.tsquery),
        )


class _FtsMatch(Func):
    """``id IN (SELECT rowid FROM the FTS table WHERE it MATCHes)``, with a unary ``+`` when ``walk``.

    SQLite plans ``id IN (...)`` as one rowid lookup per match followed by a
    sort for the list order: fine for a rare term, 0.5 s at a million rows for
    a word in one complaint of ten. ``+id`` keeps SQLite from using the rowid
    for the IN, so it walks the list order's index (newest first) and probes
    the matches, stopping after one page: a few ms for a frequent term, but a
    walk through everything for a rare one. ``filter_term`` chooses.
    """

    def __init__(self, match: str, walk: bool):
        super().__init__(F("id"), output_field=BooleanField())
        self.match, self.walk = match, walk

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        # Only an ordered query (a page) can walk an order's index; a count or an
        # aggregate (no ORDER BY) is cheapest as one lookup per match.
        prefix = "+" if self.walk and _ordered(compiler) else ""
        return (
            f"{prefix}{sql} IN (SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s)",
            (*params, self.match),
        )


# Walk the list order when at least this share of complaints match. A page of
# 50 then visits at most 50 / WALK_SHARE index entries, and a count capped at
# 10,000 (docs/performance.md) at most 10,000 / WALK_SHARE; below the share the
# rowid lookups and the sort of the matches stay under 2 % of the table.
WALK_SHARE = 0.02


def _frequent(qs: QuerySet, count_sql: str, param: str) -> bool:
    """Whether at least WALK_SHARE of the complaints match; the count stops there."""
    with connections[qs.db].cursor() as c:
        c.execute(f"SELECT max(id) FROM {qs.model._meta.db_table}")
        enough = max(int((c.fetchone()[0] or 0) * WALK_SHARE), 1)
        c.execute(f"SELECT count(*) FROM ({count_sql} LIMIT %s) m", [param, enough])
        return c.fetchone()[0] >= enough


# PostgreSQL: the share of matches is read from the newest documents, the ones a
# page walks first: a bounded primary-key range, not the bigrams' whole postings.
SAMPLE = 2000


def _frequent_among_newest(qs: QuerySet, tsquery: str) -> bool:
    """Whether at least WALK_SHARE of the newest SAMPLE indexed complaints match ``tsquery``.

    Counting up to WALK_SHARE of all complaints read the matches' stored
    bigrams from every page of the table that held one (60 ms for 包装破损 at a
    million rows); the newest SAMPLE are one index range, and they are what a
    walk in list order (newest first) visits.
    """
    with connections[qs.db].cursor() as c:
        # The LIMIT keeps the sample a backward scan of the primary key: with the condition
        # beside it, the planner underestimates the matches and reads all of them from GIN.
        c.execute(
            f"SELECT count(*) FROM (SELECT tsv FROM {PG_TABLE} ORDER BY complaint_id DESC LIMIT %s) newest"
            " WHERE tsv @@ %s::tsquery",
            [SAMPLE, tsquery],
        )
        return c.fetchone()[0] >= max(int(SAMPLE * WALK_SHARE), 1)


def _candidates(qs: QuerySet, grams: list[str]):
    vendor = connections[qs.db].vendor
    if vendor == "postgresql":
        tsquery = " & ".join(f"'{g}'" for g in grams)
        # One bigram: PostgreSQL's own statistics choose well (see _DocMatch).
        walk = len(grams) > 1 and _frequent_among_newest(qs, tsquery)
        return _DocMatch(grams, walk)
    if vendor == "sqlite":
        match = " ".join(f'"{g}"' for g in grams)
        walk = _frequent(qs, f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s", match)
        return _FtsMatch(match, walk)
    return None


def filter_term(qs: QuerySet, term: str) -> QuerySet | None:
    """``qs`` narrowed to complaints whose title or description contains ``term``, through the index.

    None when the index cannot serve the term (the caller then scans).
    """
    grams = query_bigrams(term)
    if grams is None:
        return None
    candidates = _candidates(qs, grams)
    if candidates is None:
        return None
    qs = qs.filter(candidates)
    if len(term) > 2:
        # Bigrams say nothing about order and adjacency: keep only exact substrings.
        qs = qs.filter(Q(title__contains=term) | Q(description__contains=term))
    return qs


def drop_for_bulk_load(connection) -> None:
    """Before a bulk load (bench/generate.py): a GIN index is built faster in one pass than row by row."""
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")


def restore_after_bulk_load(connection, workers: int = 2) -> None:
    """After a load that ran with triggers off: index every complaint that has no row yet, in parallel."""
    if connection.vendor != "postgresql":
        return
    import threading

    import psycopg

    with connection.cursor() as c:
        c.execute("SELECT min(id), max(id) FROM complaints_complaint")
        lo, hi = c.fetchone()
    if lo is not None:
        params = connection.get_connection_params()
        step = (hi - lo) // workers + 1
        errors: list[BaseException] = []

        def fill(a: int, b: int) -> None:
            try:
                with psycopg.connect(**params, autocommit=True) as conn:
                    conn.execute(PG_FILL_SQL, (a, b))
            except BaseException as e:  # noqa: BLE001 - re-raised below
                errors.append(e)

        threads = [
            threading.Thread(target=fill, args=(a, min(a + step - 1, hi))) for a in range(lo, hi + 1, step)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
    with connection.cursor() as c:
        c.execute(PG_INDEX_SQL)
        c.execute(f"ANALYZE {PG_TABLE}")

"""SQLite side of the index: the tokenising function its triggers call."""

from __future__ import annotations

from .tokens import document


def register_functions(sender, connection, **kwargs) -> None:
    """Give every SQLite connection ``kefu_search_doc(title, description)``.

    The triggers of migration 0001 call it on every insert, update and delete
    of a complaint, so the FTS5 table follows every write, bulk ones included.
    A connection opened outside Django (the sqlite3 shell) lacks the function
    and cannot write complaints; that is deliberate: an unindexed write would
    make search silently wrong.
    """
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("kefu_search_doc", 2, document, deterministic=True)

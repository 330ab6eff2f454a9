"""Text search over complaint title and description.

``apply_text_search`` is the only entry point used by selectors. Every
whitespace-separated term must occur (substring, case-insensitive) in the
title or the description. Chinese terms of two or more characters go through
the bigram index of ``kefu.search`` (FTS5 on SQLite, a GIN expression index
on PostgreSQL; docs/performance.md says why); other terms, or any term when
that app is not installed, fall back to ``icontains``, which scans.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q, QuerySet


def apply_text_search(qs: QuerySet, q: str) -> QuerySet:
    q = (q or "").strip()
    if not q:
        return qs
    indexed = apps.is_installed("kefu.search")
    if indexed:
        from kefu.search.index import filter_term
    for term in q.split():
        narrowed = filter_term(qs, term) if indexed else None
        qs = (
            narrowed
            if narrowed is not None
            else qs.filter(Q(title__icontains=term) | Q(description__icontains=term))
        )
    return qs

"""Text search over complaint title and description.

``apply_text_search`` is the only entry point used by selectors; its
internals (an index that works for Chinese on both databases) belong to the
performance work (docs/performance.md).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet


def apply_text_search(qs: QuerySet, q: str) -> QuerySet:
    q = (q or "").strip()
    if not q:
        return qs
    for term in q.split():
        qs = qs.filter(Q(title__icontains=term) | Q(description__icontains=term))
    return qs

"""One page of a list: one capped COUNT and one slice, for every list of the pages and the API."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .errors import Malformed
from .filters import parse_int

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Counting every match of a broad filter over a million rows costs more than the
# page itself; beyond this many a list says "more than 10,000" instead.
COUNT_CAP = 10_000


@dataclass
class PageOf:
    items: list
    count: int
    number: int
    page_size: int
    count_exact: bool = True  # False: there are more than ``count`` (COUNT_CAP) matches

    @property
    def num_pages(self) -> int:
        pages = max(1, -(-self.count // self.page_size))
        return pages if self.count_exact else max(pages, self.number + int(self.has_next))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        if not self.count_exact:
            return len(self.items) == self.page_size
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    def as_api(self, rows: list) -> dict:
        """The page as the API answers it."""
        return {
            "count": self.count,
            "count_exact": self.count_exact,
            "page": self.number,
            "page_size": self.page_size,
            "results": rows,
        }


def empty(page_size: int = DEFAULT_PAGE_SIZE) -> PageOf:
    return PageOf(items=[], count=0, number=1, page_size=page_size)


def paginate(
    qs: QuerySet,
    page=1,
    page_size=DEFAULT_PAGE_SIZE,
    *,
    load: Callable[[Sequence[int]], list] | None = None,
) -> PageOf:
    """One capped COUNT and one slice. A page past the end is empty, not an error.

    With ``load`` the slice is a deferred join: the page's primary keys first (``SELECT id ...
    ORDER BY ... LIMIT``, which an index holding the filter and sort columns answers without
    touching a row), then ``load(ids)`` reads those rows only, returned in the order of ``ids``.
    Without it a broad filter whose matches must be sorted makes the database read every
    matching row before it can keep the page's 50.
    """
    number = parse_int(page, "page", 1)
    size = parse_int(page_size, "page_size", DEFAULT_PAGE_SIZE)
    if number < 1:
        raise Malformed(_("must be 1 or more"), field="page")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise Malformed(_("must be between 1 and %(n)d") % {"n": MAX_PAGE_SIZE}, field="page_size")
    counted = qs.order_by()[: COUNT_CAP + 1].count()
    exact = counted <= COUNT_CAP
    count = min(counted, COUNT_CAP)
    offset = (number - 1) * size
    items = []
    if offset < count or not exact:
        if load is None:
            items = list(qs[offset : offset + size])
        else:
            ids = list(qs.values_list("pk", flat=True)[offset : offset + size])
            by_pk = {obj.pk: obj for obj in load(ids)} if ids else {}
            items = [by_pk[pk] for pk in ids if pk in by_pk]
    return PageOf(items=items, count=count, number=number, page_size=size, count_exact=exact)

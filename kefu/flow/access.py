"""What the engine needs to know about confidentiality (R1.2) without importing the customers app.

The customers app registers, at start-up, the queryset of the customers a
user may see and the function that logs a refusal in a customer's access log
(``kefu.customers.apps``). The engine filters work lists and notices by it and
logs every refused action on a record.
"""

from __future__ import annotations

from collections.abc import Callable

_visible_customers: Callable | None = None
_may_see_customer: Callable | None = None
_log_refusal: Callable | None = None


def register(*, visible_customers: Callable, may_see_customer: Callable, log_refusal: Callable) -> None:
    """``visible_customers(user)``: a queryset of the customers ``user`` may see, or None for all;
    ``may_see_customer(user, customer_id)``; ``log_refusal(user, customer_id, detail)``."""
    global _visible_customers, _may_see_customer, _log_refusal
    _visible_customers, _may_see_customer, _log_refusal = visible_customers, may_see_customer, log_refusal


def visible_customers(user):
    """Customers ``user`` may see as a queryset of primary keys, or None when they see every customer."""
    return _visible_customers(user) if _visible_customers is not None else None


def may_see_customer(user, customer_id: int | None) -> bool:
    if customer_id is None or _may_see_customer is None:
        return True
    return bool(_may_see_customer(user, customer_id))


def log_refusal(user, customer_id: int | None, detail: str) -> None:
    if _log_refusal is not None:
        _log_refusal(user, customer_id, detail)

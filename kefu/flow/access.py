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
_reader_test: Callable | None = None


def register(
    *,
    visible_customers: Callable,
    may_see_customer: Callable,
    log_refusal: Callable,
    reader_test: Callable | None = None,
) -> None:
    """``visible_customers(user)``: a queryset of the customers ``user`` may see, or None for all;
    ``may_see_customer(user, customer_id)``; ``log_refusal(user, customer_id, detail)``;
    ``reader_test(user_ids, customer_ids)``: a function ``may(user_id, customer_id)`` for these
    people and customers, read at once (who gets a mail about a record)."""
    global _visible_customers, _may_see_customer, _log_refusal, _reader_test
    _visible_customers, _may_see_customer, _log_refusal = visible_customers, may_see_customer, log_refusal
    _reader_test = reader_test


def _everyone(user_id, customer_id) -> bool:
    return True


def reader_test(user_ids, customer_ids) -> Callable[[int, int | None], bool]:
    """``may(user_id, customer_id)``: whether that person may see that customer, for the people and
    customers given (a record without a customer: everyone). Only the people who may see only some
    customers are looked up; pass the others' ids or not, the answer for them is yes."""
    user_ids = {u for u in user_ids if u is not None}
    customer_ids = {c for c in customer_ids if c is not None}
    if _reader_test is None or not user_ids or not customer_ids:
        return _everyone
    test = _reader_test(user_ids, customer_ids)
    return lambda user_id, customer_id: customer_id is None or test(user_id, customer_id)


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


def record_by_number(user, queryset, number: str, *, kind: str, what: str, missing, refused):
    """The record numbered ``number`` for ``user``: 404 ``missing`` when there is none; when it has a
    customer the user may not see, 403 ``refused`` (``%(code)s`` is the customer's code), logged in
    that customer's access log as ``"<kind> <number>: <what>"`` (R1.2). ``missing`` and ``refused``
    are lazy translations, rendered in the reader's language."""
    from kefu.core.errors import Forbidden, NotFound

    record = queryset.filter(number=number).first()
    if record is None:
        raise NotFound(str(missing) % {"number": number}, field="number")
    if record.customer_id is not None and not may_see_customer(user, record.customer_id):
        log_refusal(user, record.customer_id, f"{kind} {number}: {what}")
        raise Forbidden(str(refused) % {"code": record.customer.code})
    return record

"""Who may see, change, grant and export customer records (R1.2, 002 篇10 / 篇12).

This module is the one place that answers "may this user see this customer":
pages, the API and the Excel export all go through ``visible_customers`` and
``access_customer``.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from kefu.core import access as core_access
from kefu.core import config
from kefu.core.choices import DepartmentCode
from kefu.core.errors import Forbidden, NotFound
from kefu.core.net import client_ip

from .choices import AccessAction
from .models import Customer, CustomerAccessLog, CustomerGrant

EXPORT_PERMISSION = "customers.export_customer"


def visible_customers(user) -> QuerySet[Customer]:
    """Customers ``user`` may read.

    A sales clerk with no other department sees the customers they own and
    those a manager granted them (R1.2); anyone else with a membership sees
    all customers; a user with no membership sees none.
    """
    qs = Customer.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if core_access.is_admin(user):
        return qs
    if not core_access.memberships(user):
        return qs.none()
    if core_access.is_sales_only(user):
        granted = CustomerGrant.objects.filter(customer=OuterRef("pk"), user=user)
        return qs.filter(Q(owner=user) | Exists(granted))
    return qs


def restricted(user) -> bool:
    """Whether ``user`` sees only some customers (a sales clerk, or someone in no department)."""
    return not core_access.is_admin(user) and (
        core_access.is_sales_only(user) or not core_access.memberships(user)
    )


def visible_customer_ids(user):
    """The primary keys of the customers ``user`` may see, as a subquery; None when they see all."""
    return visible_customers(user).values("pk") if restricted(user) else None


def may_read_id(user, customer_id: int) -> bool:
    return not restricted(user) or visible_customers(user).filter(pk=customer_id).exists()


def may_read(user, customer: Customer) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if core_access.is_admin(user):
        return True
    if not core_access.memberships(user):
        return False
    if not core_access.is_sales_only(user):
        return True
    if customer.owner_id == user.pk:
        return True
    return CustomerGrant.objects.filter(customer=customer, user=user).exists()


def reader_test(user_ids, customer_ids):
    """``may(user_id, customer_id)`` for these people and customers: ``may_read`` (the rule
    ``access_customer`` applies) read for all of them at once, for the mails of the case engine
    and the sweep. Two queries: the people's memberships, then what the ones who see only some
    customers own or were granted among these customers."""
    from django.contrib.auth import get_user_model

    limited: set[int] = set()
    rows = (
        get_user_model()
        .objects.filter(pk__in=list(user_ids))
        .values_list("pk", "is_superuser", "memberships__department__code", "memberships__role")
    )
    people: dict[int, list] = {}
    for pk, superuser, code, role in rows:
        entry = people.setdefault(pk, [superuser])
        if code is not None:
            entry.append((code, role))
    for pk, (superuser, *pairs) in people.items():
        if superuser or any(role in core_access.EXECUTIVE_ROLES for _code, role in pairs):
            continue
        if not pairs or all(core_access.limiting_membership(code, role) for code, role in pairs):
            limited.add(pk)
    if not limited:
        return lambda user_id, customer_id: True
    owned = (
        Customer.objects.filter(pk__in=list(customer_ids), owner_id__in=limited)
        .order_by()
        .values_list("owner_id", "pk")
    )
    granted = (
        CustomerGrant.objects.filter(customer_id__in=list(customer_ids), user_id__in=limited)
        .order_by()
        .values_list("user_id", "customer_id")
    )
    allowed = set(owned.union(granted, all=True))
    return lambda user_id, customer_id: user_id not in limited or (user_id, customer_id) in allowed


def can_edit(user) -> bool:
    """Sales (clerks and managers), executives and admins create and edit customer records."""
    return core_access.is_executive(user) or core_access.in_department(user, DepartmentCode.SALES)


def can_manage(user) -> bool:
    """Sales managers and executives grant access to records and import in bulk (R1.2)."""
    return core_access.is_manager_of(user, DepartmentCode.SALES)


def role_list(text) -> list[tuple[str, str]]:
    """A setting naming roles: ``"gm, deputy_gm, sales:manager"`` -> [("", "gm"), ("", "deputy_gm"),
    ("sales", "manager")]: a role anywhere, or a role in one department."""
    items = text if isinstance(text, list | tuple) else str(text or "").split(",")
    out = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        department, _sep, role = item.rpartition(":")
        out.append((department.strip(), role.strip()))
    return out


def holds_one_of(user, roles: list[tuple[str, str]]) -> bool:
    """Whether ``user`` holds one of these roles (exactly that role, in that department if named)."""
    return any(
        role == held and department in ("", code)
        for code, held in core_access.memberships(user)
        for department, role in roles
    )


def can_export(user) -> bool:
    """Exporting customer records (002 篇10: no private copies of the files) is a permission given to
    named roles, the setting ``customers.export_roles`` (the GM, the deputy GM and the sales manager
    by default), or to a user or group by the Django permission; not to every manager."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_perm(EXPORT_PERMISSION):  # the superuser has every permission
        return True
    return holds_one_of(user, role_list(config.snapshot()["customers.export_roles"]))


def _log(
    user, customer: Customer | None, action: str, *, detail: str = "", request=None
) -> CustomerAccessLog:
    # Its own atomic block: a read is logged even when the caller is not in a
    # transaction, and a refusal row is committed before the error is raised.
    with transaction.atomic():
        return CustomerAccessLog.objects.create(
            user=user if getattr(user, "is_authenticated", False) else None,
            customer=customer,
            action=action,
            detail=detail[:300],
            ip=client_ip(request),
        )


def access_customer(user, code: str, *, action: str = AccessAction.VIEW, request=None) -> Customer:
    """Return the customer ``code`` if ``user`` may read it, logging the read (R1.2).

    Raises NotFound for an unknown code and Forbidden (after logging a
    "denied" row) for a customer the user may not read. Call it outside any
    transaction of your own so the refusal row survives the error.
    """
    customer = Customer.objects.select_related("owner").filter(code=code).first()
    if customer is None:
        raise NotFound(_("no customer with code %(code)s") % {"code": code}, field="customer")
    if not may_read(user, customer):
        _log(
            user,
            customer,
            AccessAction.DENIED,
            detail=f"{action}: not assigned and no grant",
            request=request,
        )
        raise Forbidden(
            _("you may not read this customer record; ask a sales manager for a grant"), field="customer"
        )
    _log(user, customer, action, request=request)
    return customer


def log_refusal(user, customer: Customer | None, detail: str, *, request=None) -> CustomerAccessLog:
    """Log a refused read or action on a record that belongs to ``customer`` (R1.2: every refusal
    on a confidential record is logged, as ``access_customer`` logs its own). Call it where the
    refusal will not be rolled back: outside the refused change's transaction."""
    return _log(user, customer, AccessAction.DENIED, detail=detail, request=request)


def log_refusal_id(user, customer_id: int | None, detail: str) -> CustomerAccessLog:
    """``log_refusal`` by the customer's primary key (the case engine knows no more)."""
    with transaction.atomic():
        return CustomerAccessLog.objects.create(
            user=user if getattr(user, "is_authenticated", False) else None,
            customer_id=customer_id,
            action=AccessAction.DENIED,
            detail=detail[:300],
        )


def log_export(user, *, detail: str, count: int, request=None) -> CustomerAccessLog:
    """Log an export of ``count`` customer records with the filter used (R1.2)."""
    return _log(user, None, AccessAction.EXPORT, detail=f"{count} rows; {detail}", request=request)


def require_export(user, *, detail: str = "", request=None) -> None:
    """Refuse (and log the refusal) an export by a user without the permission."""
    if not can_export(user):
        _log(user, None, AccessAction.DENIED, detail=f"export: no permission; {detail}", request=request)
        raise Forbidden(_("exporting customer records needs the export permission"), field="export")

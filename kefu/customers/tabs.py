"""Tabs of the customer page: a registry, so each module adds its own (R2.3).

Another app adds a tab from its ``AppConfig.ready()``::

    from kefu.customers.tabs import Tab, register

    register(Tab("visits", _("Visits"), "crm/customer_tab_visits.html", visits_context, order=50))

The context function gets ``(request, customer)`` and returns a dict for the
template; it runs only when its tab is shown. ``visible`` may hide a tab from
some users. The customer was already read through ``access_customer``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from . import access, selectors
from .models import Customer

COMPLAINTS_SHOWN = 20


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    template: str
    context: Callable[[object, Customer], dict]
    order: int = 100
    visible: Callable[[object, Customer], bool] = lambda user, customer: True


_REGISTRY: dict[str, Tab] = {}


def register(tab: Tab) -> Tab:
    """Add (or replace, by key) a tab on the customer page."""
    _REGISTRY[tab.key] = tab
    return tab


def tabs_for(user, customer: Customer) -> list[Tab]:
    return sorted(
        (t for t in _REGISTRY.values() if t.visible(user, customer)), key=lambda t: (t.order, t.key)
    )


def _overview(request, customer: Customer) -> dict:
    return {"contacts": list(customer.contacts.all())}


def _grades(request, customer: Customer) -> dict:
    from .forms import GradeForm

    return {
        "grade_changes": list(selectors.grade_history(customer)),
        "grade_form": GradeForm(initial={"grade": customer.grade}) if access.can_edit(request.user) else None,
    }


def _complaints(request, customer: Customer) -> dict:
    rows, total = selectors.customer_complaints(customer, limit=COMPLAINTS_SHOWN)
    return {"complaints": rows, "complaints_total": total, "complaints_capped": total > len(rows)}


def _access(request, customer: Customer) -> dict:
    from .forms import GrantForm

    manager = access.can_manage(request.user)
    return {
        "grants": list(selectors.grants(customer)),
        "grant_form": GrantForm() if manager else None,
        "access_log": selectors.access_log(customer) if manager else None,
    }


register(Tab("overview", _("Overview"), "customers/tabs/overview.html", _overview, order=0))
register(Tab("grades", _("Grade history"), "customers/tabs/grades.html", _grades, order=10))
register(Tab("complaints", _("Complaints"), "customers/tabs/complaints.html", _complaints, order=20))
register(Tab("access", _("Access"), "customers/tabs/access.html", _access, order=90))

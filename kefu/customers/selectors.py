"""Read queries of customer records: one list selector for page, API and export (STYLE 8)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from kefu.core.errors import Invalid, Malformed
from kefu.core.filters import parse_bool

from .access import visible_customers
from .choices import Grade, Region
from .models import Contact, Customer, CustomerAccessLog, CustomerGrant, GradeChange


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    grade: str = ""
    region: str = ""
    owner: str = ""
    key: bool | None = None

    def as_query(self) -> str:
        """The filters as a query string, for pagination links and export."""
        params = {k: v for k, v in asdict(self).items() if v not in ("", None)}
        if "key" in params:
            params["key"] = "1" if params["key"] else "0"
        return urlencode(params)


def parse_filters(data: Mapping | CustomerFilters | None) -> CustomerFilters:
    """Read the list filters from a query dict; an unknown grade, region or key value is refused."""
    if isinstance(data, CustomerFilters):
        return data
    data = data or {}

    def get(name: str) -> str:
        value = data.get(name)
        return "" if value is None else str(value).strip()

    grade, region = get("grade").upper(), get("region")
    if grade and grade not in Grade.values:
        raise Malformed(_("must be A, B, C or D"), field="grade")
    if region and region not in Region.values:
        raise Malformed(_("must be domestic or foreign"), field="region")
    try:
        key = parse_bool(get("key"), "key", blank=None)
    except Invalid:
        raise Malformed(_("must be 1 (key customers) or 0 (others)"), field="key") from None
    return CustomerFilters(q=get("q")[:100], grade=grade, region=region, owner=get("owner"), key=key)


def open_complaints_count():
    """Subquery: open complaints of the outer customer row (0 when none)."""
    from kefu.complaints.choices import OPEN_STATES
    from kefu.complaints.models import Complaint

    counts = (
        Complaint.objects.filter(customer=OuterRef("pk"), status__in=OPEN_STATES)
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def customer_list(user, filters: Mapping | CustomerFilters | None = None) -> QuerySet[Customer]:
    """Customers ``user`` may see, filtered, with owner and open-complaint count; no query per row."""
    f = parse_filters(filters)
    qs = visible_customers(user)
    if f.q:
        contact_hit = Contact.objects.filter(customer=OuterRef("pk")).filter(
            Q(name__icontains=f.q) | Q(phone__icontains=f.q) | Q(mobile__icontains=f.q)
        )
        qs = qs.filter(Q(code__icontains=f.q) | Q(name__icontains=f.q) | Exists(contact_hit))
    if f.grade:
        qs = qs.filter(grade=f.grade)
    if f.region:
        qs = qs.filter(region=f.region)
    if f.owner:
        qs = qs.filter(owner__username=f.owner)
    if f.key is not None:
        qs = qs.filter(is_key=f.key)
    return qs.select_related("owner").annotate(open_complaints=open_complaints_count()).order_by("code")


def customer_complaints(customer: Customer, *, limit: int = 20):
    """The customer's complaints, newest first, capped at ``limit``; returns (rows, total)."""
    from kefu.complaints.models import Complaint

    qs = Complaint.objects.filter(customer=customer).order_by("-received_at", "-id")
    return list(qs[:limit]), qs.count()


def grade_history(customer: Customer) -> QuerySet[GradeChange]:
    return customer.grade_changes.select_related("changed_by").order_by("-changed_at", "-id")


def grants(customer: Customer) -> QuerySet[CustomerGrant]:
    return customer.grants.select_related("user", "granted_by").order_by("-granted_at")


def access_log(customer: Customer, *, limit: int = 50) -> list[CustomerAccessLog]:
    return list(
        CustomerAccessLog.objects.filter(customer=customer)
        .select_related("user")
        .order_by("-at", "-id")[:limit]
    )

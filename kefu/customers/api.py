"""Customer API: /api/v1/customers (SPEC section 3). Parse, call access / services / selectors, return."""

from __future__ import annotations

from typing import Literal

from ninja import Router, Status

from kefu.core.pagination import paginate
from kefu.core.schemas import Page, PageSize, Text, errors

from . import access, selectors, services
from .choices import AccessAction, Grade, Region
from .schemas import CustomerIn, CustomerOut, CustomerPage, CustomerPatch, GradeIn

# The list filters' choices, declared in the OpenAPI document (empty: no filter).
GradeFilter = Literal[("", *Grade.values)]
RegionFilter = Literal[("", *Region.values)]

router = Router(tags=["customers"])


def _out(customer):
    """The customer with its open-complaint count, read through the list selector's annotation."""
    customer.open_complaints = (
        type(customer)
        .objects.filter(pk=customer.pk)
        .annotate(n=selectors.open_complaints_count())
        .values_list("n", flat=True)
        .get()
    )
    return customer


@router.post("", response={201: CustomerOut, **errors(403, 409, 422)}, summary="Register a customer")
def create_customer(request, payload: CustomerIn):
    data = payload.dict()
    contacts = data.pop("contacts")
    customer = services.create_customer(by=request.user, contacts=contacts, source="api", **data)
    return Status(201, _out(customer))


@router.get("", response={200: CustomerPage, **errors()}, summary="List customers the caller may see")
def list_customers(
    request,
    q: Text = "",
    grade: GradeFilter = "",
    region: RegionFilter = "",
    owner: Text = "",
    key: Text = "",
    page: Page = 1,
    page_size: PageSize = 50,
):
    filters = {"q": q, "grade": grade, "region": region, "owner": owner, "key": key}
    result = paginate(selectors.customer_list(request.user, filters), page, page_size)
    return result.as_api(result.items)


@router.get(
    "/{code}", response={200: CustomerOut, **errors(403, 404)}, summary="One customer (the read is logged)"
)
def get_customer(request, code: Text):
    customer = access.access_customer(request.user, code, action=AccessAction.API_READ, request=request)
    return _out(customer)


@router.patch(
    "/{code}", response={200: CustomerOut, **errors(403, 404, 409, 422)}, summary="Change a customer's fields"
)
def patch_customer(request, code: Text, payload: CustomerPatch):
    customer = access.access_customer(request.user, code, action=AccessAction.API_READ, request=request)
    changes = payload.dict(exclude_unset=True)
    contacts = changes.pop("contacts", None)
    customer = services.update_customer(customer, by=request.user, contacts=contacts, **changes)
    return _out(customer)


@router.post(
    "/{code}/grade",
    response={200: CustomerOut, **errors(403, 404, 409, 422)},
    summary="Re-evaluate the grade, with a reason",
)
def change_grade(request, code: Text, payload: GradeIn):
    customer = access.access_customer(request.user, code, action=AccessAction.API_READ, request=request)
    customer = services.change_grade(customer, payload.grade, payload.reason, request.user)
    return _out(customer)

"""API schemas of customer records (SPEC section 3)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.utils import timezone
from ninja import Field, Schema

from kefu.core.schemas import In

RegionCode = Literal["domestic", "foreign"]
GradeCode = Literal["A", "B", "C", "D"]


class ContactIn(In):
    id: int | None = Field(None, description="an existing contact's id, to change it in place (PATCH)")
    name: str
    title: str = ""
    phone: str = ""
    mobile: str = ""
    email: str = ""
    is_primary: bool = False


class ContactOut(Schema):
    id: int
    name: str
    title: str
    phone: str
    mobile: str
    email: str
    is_primary: bool


class CustomerIn(In):
    code: str = Field(..., max_length=32)
    name: str
    region: RegionCode = "domestic"
    grade: GradeCode = "C"
    is_key: bool = False
    owner: str | None = Field(None, description="username of the sales owner")
    address: str = ""
    legal_representative: str = ""
    products: str = ""
    area: str = ""
    notes: str = ""
    contacts: list[ContactIn] = []


class CustomerPatch(In):
    """Only the fields sent change; ``contacts``, when sent, replaces the whole list."""

    name: str | None = None
    region: RegionCode | None = None
    is_key: bool | None = None
    owner: str | None = Field(None, description="username, or null to unassign")
    address: str | None = None
    legal_representative: str | None = None
    products: str | None = None
    area: str | None = None
    notes: str | None = None
    grade: str | None = Field(None, description="refused: use POST /customers/{code}/grade with a reason")
    contacts: list[ContactIn] | None = None


class GradeIn(In):
    grade: GradeCode
    reason: str


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value else None


class CustomerSummary(Schema):
    code: str
    name: str
    region: str
    area: str
    grade: str
    is_key: bool
    owner: str | None
    open_complaints: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner(obj) -> str | None:
        return obj.owner.username if obj.owner_id else None

    @staticmethod
    def resolve_updated_at(obj) -> dt.datetime:
        return _local(obj.updated_at)


class CustomerOut(CustomerSummary):
    address: str
    legal_representative: str
    products: str
    notes: str
    created_at: dt.datetime
    contacts: list[ContactOut]

    @staticmethod
    def resolve_created_at(obj) -> dt.datetime:
        return _local(obj.created_at)

    @staticmethod
    def resolve_contacts(obj) -> list:
        return list(obj.contacts.all())


class CustomerPage(Schema):
    count: int
    count_exact: bool = Field(description="false: there are more than `count` (10,000) matches")
    page: int
    page_size: int
    results: list[CustomerSummary]

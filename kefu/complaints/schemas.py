"""API schemas of the complaints (SPEC section 3). Times are ISO 8601 in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Schema
from pydantic import Field, StrictInt, StringConstraints, field_validator

from kefu.core.schemas import CheckedModel, Day, In, Moment

from .choices import Category, Channel, CustomerRequest, Severity
from .services import MAX_QUANTITY


def local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def _text(max_length: int, *, required: bool = False):
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1 if required else 0, max_length=max_length)
    ]


# The lengths of the model's columns (models.Complaint), declared in the OpenAPI document.
CustomerCode = _text(32, required=True)
Title = _text(200, required=True)
Description = _text(20_000, required=True)
Reference = _text(64)
ContactName = _text(100)
Phone = _text(50)
Email = _text(254)
Quantity = Annotated[StrictInt, Field(ge=0, le=MAX_QUANTITY)]
RequestCode = Literal[("", *CustomerRequest.values)]  # empty: no request stated


class ComplaintIn(In):
    """Unknown fields are refused: a typo such as `quantiy` is a 400, not a silently lost quantity."""

    customer: CustomerCode = Field(description="customer code")
    channel: Channel
    title: Title
    description: Description
    category: Category
    severity: Severity = Severity.GENERAL
    received_at: Moment | None = Field(
        None,
        description="RFC 3339, 2000-01-01..2099-12-31 and not in the future; without offset it is "
        "Asia/Shanghai; default: now",
    )
    order_no: Reference = ""
    part_no: Reference = ""
    quantity: Quantity | None = None
    quantity_pending: bool = Field(
        False, description="quantity not yet determined, customer still processing"
    )
    defect_quantity: Quantity | None = Field(None, description="at most the quantity")
    ship_date: Day | None = Field(None, description="2000-01-01..2099-12-31, not after the date received")
    customer_request: RequestCode = Field("", description="what the customer asks for, or empty")
    sample_received: bool = False
    contact_name: ContactName = ""
    contact_phone: Phone = ""
    contact_email: Email = ""


class ComplaintSummaryOut(Schema):
    number: str
    status: str
    customer: str
    customer_name: str | None = Field(description="null when the caller may not read the customer record")
    region: str | None = Field(description="null when the caller may not read the customer record")
    channel: str
    title: str
    category: str
    severity: str
    validity: str
    received_at: dt.datetime
    registered_at: dt.datetime
    due_at: dt.datetime | None
    case_due_at: dt.datetime | None
    closed_at: dt.datetime | None

    @staticmethod
    def from_complaint(c) -> dict:
        return {
            "number": c.number,
            "status": c.status,
            "customer": c.customer.code,
            "customer_name": c.customer.name,
            "region": c.region,
            "channel": c.channel,
            "title": c.title,
            "category": c.category,
            "severity": c.severity,
            "validity": c.validity,
            "received_at": local(c.received_at),
            "registered_at": local(c.registered_at),
            "due_at": local(c.due_at),
            "case_due_at": local(c.case_due_at),
            "closed_at": local(c.closed_at),
        }


class ComplaintListOut(Schema):
    count: int = Field(description="matches, capped at 10,000 (see count_exact)")
    count_exact: bool = Field(True, description="false when there are more matches than count")
    page: int
    page_size: int
    results: list[ComplaintSummaryOut]


class StepOut(Schema):
    step: str
    department: str
    assignee: str | None
    started_at: dt.datetime
    due_at: dt.datetime
    done_at: dt.datetime | None
    late: bool


class HistoryOut(Schema):
    action: str
    from_status: str
    to_status: str
    by: str
    at: dt.datetime
    note: str


class LinksOut(Schema):
    parent: str | None
    followups: list[str]


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime
    uploaded_by: str | None
    url: str


class ComplaintOut(ComplaintSummaryOut):
    description: str
    registered_by: str | None
    order_no: str
    part_no: str
    quantity: int | None
    quantity_pending: bool
    defect_quantity: int | None
    ship_date: dt.date | None
    customer_request: str
    sample_received: bool
    contact_name: str
    contact_phone: str
    contact_email: str
    acknowledged_at: dt.datetime | None
    answer_by: dt.date | None
    responsible_department: str | None
    supplier: str
    handling: str
    loss_amount: str | None
    steps: list[StepOut] = []
    history: list[HistoryOut] = []
    links: LinksOut
    attachments: list[AttachmentOut] = []


# --- the bodies of the workflow actions (kefu/complaints/workflow.py; docs/workflow.md) -------------

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


def _joined(value):
    """A list of names (operators, attendees) as one text, as the paper form writes them."""
    return "、".join(str(v) for v in value) if isinstance(value, list) else value


class ActionIn(CheckedModel):
    """Unknown fields refused, texts checked (``kefu.core.schemas.CheckedModel``)."""

    note: OptText = ""


class AssignIn(ActionIn):
    assignee: Short = Field("", description="username of the quality member who investigates (optional)")


class InvestigationIn(ActionIn):
    cause: Text
    valid: bool
    needs_rd: bool = False
    responsible_department: Short = Field("", description="department code; required when valid")
    supplier: Short = ""


class CountermeasureIn(ActionIn):
    analysis: Text
    action: Text
    unit: Short = ""
    shift: Short = ""
    operators: Short = ""
    production_date: Day | None = None

    @field_validator("operators", mode="before")
    @classmethod
    def _operators(cls, value):
        return _joined(value)


class RdOpinionIn(ActionIn):
    opinion: Text


class ProposalIn(ActionIn):
    handling: CustomerRequest
    loss_amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
    customer_position: OptText = ""


class SynthesisIn(ActionIn):
    opinion: Text


class SendBackIn(ActionIn):
    note: Text


class ReplyIn(ActionIn):
    letter: Text
    customer_accepts: bool


# --- a complaint not established, and the memo ruling (002 篇4 第九条(十一)(十三)) ----------------------


class ExplanationIn(ActionIn):
    """The explanation to the customer of a complaint found not established (001 6.2.8: 非公司原因的
    则反馈客户处进行说明), by letter or phone; a phone call records who spoke with whom."""

    channel: Literal["letter", "phone"] = Field(description="letter or phone")
    content: Text = Field(description="the letter, or what was said on the phone")
    spoke_with: Short = Field("", description="phone: the customer's person spoken with (required)")
    spoke_by: Short = Field("", description="phone: who of ours spoke (the user by default)")


class CollectionIn(ActionIn):
    """Sales collects the receivable on the normal terms (002 篇4 第九条(十三))."""

    result: Text = Field(description="what was collected or agreed, and when")
    collected_on: Day | None = None

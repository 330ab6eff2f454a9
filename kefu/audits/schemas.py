"""The audit's request bodies: the actions' (the engine validates them, 400 naming the field) and
the API's create and nonconformity bodies."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from kefu.complaints.choices import Severity
from kefu.core.schemas import CheckedModel, In, Moment

from .models import AuditType

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _lines(value):
    """A list, or a text with one item per line (the form's textarea)."""
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value


class ActionIn(CheckedModel):
    note: OptText = ""


class MeetingIn(ActionIn):
    """A meeting held: when, who attended on each side, the minutes."""

    held_at: Moment | None = Field(None, description="when it was held; now by default")
    ours: Annotated[list[Name], Field(min_length=1, max_length=50, description="our attendees, one each")]
    customer: Annotated[list[Name], Field(max_length=50, description="the customer's attendees")] = []
    minutes: OptText = ""

    @field_validator("ours", "customer", mode="before")
    @classmethod
    def _rows(cls, value):
        return _lines(value)


class ClosingIn(ActionIn):
    closing_at: Moment = Field(description="when the closing meeting will be held")


class CancelIn(ActionIn):
    note: Text


# --- the API ----------------------------------------------------------------------------------------


class DepartmentIn(In):
    department: Short = Field(min_length=1, description="department code")
    manager: Short = ""


class AuditorIn(In):
    name: Short = Field(min_length=1)
    title: Short = ""
    email: Short = ""


class AuditIn(In):
    customer: Short = Field(min_length=1, description="customer code")
    audit_type: Literal[tuple(AuditType.values)]
    planned_start: Moment
    planned_end: Moment
    departments: Annotated[list[DepartmentIn], Field(min_length=1, max_length=20)]
    auditors: Annotated[list[AuditorIn], Field(max_length=20)] = []
    scope: OptText = ""


class NonconformityIn(In):
    description: Text
    department: Short = Field(min_length=1, description="the responsible department's code")
    clause: Short = ""
    severity: Literal[tuple(Severity.values)] = Severity.GENERAL

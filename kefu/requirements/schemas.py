"""Request bodies: the actions' (the engine validates them, 400 naming the field) and the API's
create bodies. A form's textarea of rows (``rohs | 铅 Pb | 1000 | ppm | IEC 62321``) and the API's
list of objects are the same field."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from kefu.core.choices import DepartmentCode as D
from kefu.core.schemas import CheckedModel, Day, In

from .models import Answer, Regime

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptShort = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
RegimeCode = Literal[tuple(Regime.values)]


def _lines(value):
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value


def _rows(value, names: tuple[str, ...]):
    """Lines of ``|``-separated cells (the form) or a list of objects (the API)."""
    if not isinstance(value, str):
        return value
    out = []
    for line in _lines(value):
        cells = [c.strip() for c in line.replace("｜", "|").split("|")]
        cells += [""] * (len(names) - len(cells))
        row = dict(zip(names, cells, strict=False))
        row["regime"] = row.get("regime", "").lower()
        out.append({k: v for k, v in row.items() if v != "" or k in ("regime",)})
    return out


class ActionIn(CheckedModel):
    note: OptText = ""


# --- CSR review -----------------------------------------------------------------------------------


class ReviewIn(ActionIn):
    """A department's review (004 顾客特殊要求评审记录表). ``needs_action`` takes the action and may
    name its owner (a username; the reviewer by default) and its due date."""

    answer: Literal[tuple(Answer.values)]
    comment: OptText = ""
    action: OptText = ""
    action_owner: OptShort = ""
    action_due: Day | None = None


class ActionDoneIn(ActionIn):
    result: Text


class WithdrawIn(ActionIn):
    note: Text


# --- HSF cycles ---------------------------------------------------------------------------------------


class LimitIn(BaseModel):
    regime: RegimeCode
    substance: Short
    limit: Annotated[Decimal, Field(ge=0, le=Decimal("1000000"), max_digits=14, decimal_places=4)]
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
    source: Short
    cas: OptShort = ""


class LawIn(BaseModel):
    regime: RegimeCode
    title: Short
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    issued_on: Day
    note: OptText = ""


class CollectIn(ActionIn):
    """What a cycle collects: a customer's limits (annual / change: sales, 000 HSF 5.1), the laws
    (quality, 5.2), or the evaluation's result."""

    limits: Annotated[list[LimitIn], Field(max_length=500)] = []
    laws: Annotated[list[LawIn], Field(max_length=500)] = []
    result: OptText = ""
    compliant: bool | None = None

    @field_validator("limits", mode="before")
    @classmethod
    def _limits(cls, value):
        return _rows(value, ("regime", "substance", "limit", "unit", "source", "cas"))

    @field_validator("laws", mode="before")
    @classmethod
    def _laws(cls, value):
        return _rows(value, ("regime", "title", "version", "issued_on", "note"))


class ApproveIn(ActionIn):
    """An approval or an identification: nothing beyond the optional note."""


class SendBackIn(ActionIn):
    note: Text


# --- the API's create bodies ---------------------------------------------------------------------------


class DocumentIn(BaseModel):
    title: Short
    number: Code
    revision: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
    date: Day


class LinkedDocument(BaseModel):
    number: Code
    title: OptShort = ""
    revision: OptShort = ""


class RequirementIn(In):
    customer: Code = Field(description="customer code")
    document: DocumentIn = Field(description="the source document (found again by number and revision)")
    clause: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] = ""
    title: Short
    text: Text
    red_line: bool = False
    departments: Annotated[list[Literal[tuple(D.values)]], Field(min_length=1, max_length=len(D.values))] = (
        Field(description="department codes that review it")
    )
    linked_documents: Annotated[list[LinkedDocument], Field(max_length=50)] = []


class ChangeCycleIn(In):
    customer: Code = Field(description="customer code")
    reason: Text

"""The CAPA's request bodies: the actions' (the engine validates them, 400 naming the field) and
the API's create body; and the shapes the API answers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from kefu.complaints.choices import Severity
from kefu.core.schemas import CheckedModel, Day, In, Moment

from . import fishbone
from .models import DocumentKind, SourceType

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Qty = Annotated[int, Field(ge=0, le=100_000_000)]
# A fishbone: category -> causes (the API), or the form's "category: cause" lines; the services
# check the categories (``fishbone.normalise``, 422 naming the field).
Fishbone = dict[str, list[str] | str] | str


def _lines(value):
    """A list, or a text with one item per line (the form's textarea)."""
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value


class Document(BaseModel):
    """A document updated in D7, with its new revision."""

    kind: Literal[tuple(DocumentKind.values)]
    number: Short = Field(min_length=1)
    revision: Short = Field(min_length=1)


def _documents(value):
    """Lines ``kind | number | revision`` (the form) or a list of objects (the API)."""
    if not isinstance(value, str):
        return value
    out = []
    for line in _lines(value):
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        parts += [""] * (3 - len(parts))
        kind = parts[0].lower().replace(" ", "_")
        aliases = {
            "控制计划": "control_plan",
            "作业指导书": "work_instruction",
            "pfmea": "pfmea",
            "其他": "other",
        }
        out.append({"kind": aliases.get(parts[0], kind), "number": parts[1], "revision": parts[2]})
    return out


class ActionIn(CheckedModel):
    note: OptText = ""


class ReplyIn(ActionIn):
    """The department's 8D reply, D0 and D3-D7 (000 4.6.1); D1-D2 came with the opening."""

    team: Annotated[list[Short], Field(min_length=1, max_length=30, description="D0: name (role), one each")]
    containment: Text
    plant_checked: Qty
    plant_nonconforming: Qty
    transit_checked: Qty
    transit_nonconforming: Qty
    customer_checked: Qty
    customer_nonconforming: Qty
    why_occurrence: Annotated[list[Short], Field(max_length=10, description="D4: 5-Why rows")] = []
    fishbone_occurrence: Fishbone = Field(
        default_factory=dict,
        description="D4: the fishbone (6M) of the occurrence, category -> causes; categories: "
        + ", ".join(fishbone.CODES)
        + ". 5-Why rows or a fishbone (or both) are required",
    )
    root_cause_occurrence: Text
    why_escape: Annotated[list[Short], Field(max_length=10, description="D4: 5-Why rows")] = []
    fishbone_escape: Fishbone = Field(
        default_factory=dict, description="D4: the fishbone (6M) of the escape, as `fishbone_occurrence`"
    )
    root_cause_escape: Text
    corrective_action: Text
    implementation: Text
    verify_by: Day = Field(
        description="D6: the date the verification is due (at most a month after the reply)"
    )
    prevention: Text
    documents: Annotated[
        list[Document], Field(max_length=50, description="D7: PFMEA, control plan, work instructions updated")
    ] = []

    @field_validator("team", "why_occurrence", "why_escape", mode="before")
    @classmethod
    def _rows(cls, value):
        return _lines(value)

    @field_validator("documents", mode="before")
    @classmethod
    def _docs(cls, value):
        return _documents(value)


class ApproveIn(ActionIn):
    """An approval: nothing beyond the optional note of every action."""


class SendBackIn(ActionIn):
    note: Text


class VerifyIn(ActionIn):
    effective: bool
    result: Text


class CustomerDeadlineIn(ActionIn):
    """The customer set or moved its deadline after the 8D was opened (000 4.5.1, 4.7.2)."""

    customer_deadline: Moment | None = Field(
        description="the deadline the customer set (a naive time is Asia/Shanghai); null removes it and the "
        "clocks apply again"
    )
    reason: Text = Field(description="why: the customer's request (its mail, the call)")


class CloseIn(ActionIn):
    closure: Text
    recognition: Text


# --- the API ----------------------------------------------------------------------------------------


class CapaIn(In):
    title: Short = Field(min_length=1)
    department: Short = Field(min_length=1, description="department code of the responsible department")
    problem: Text
    nonconformity: Short = Field(min_length=1, description="the nonconformity's type, for the monthly Pareto")
    severity: Literal[tuple(Severity.values)] = Severity.GENERAL
    customer: Short = Field("", description="customer code (optional)")
    what: OptText = ""
    where: OptText = ""
    when: OptText = ""
    who: OptText = ""
    why: OptText = ""
    how: OptText = ""
    how_many: OptText = ""
    customer_deadline: Moment | None = None
    source_type: Literal[tuple(SourceType.values)] = SourceType.MANUAL
    source: Short = Field("", description="the source record's key (a complaint number ...)")

"""The survey request bodies: the round actions' (the engine validates them, 400 naming the
field) and the API's; the scoring endpoint's body is checked by ``scoring`` itself so that a bad
item or rating is named as the issue asks."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from kefu.core.schemas import CheckedModel, Day

OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Year = Annotated[int, Field(ge=2000, le=2099)]
Id = Annotated[int, Field(ge=1, le=2**53)]


class ActionIn(CheckedModel):
    note: OptText = ""


class SendBackIn(CheckedModel):
    note: Text


class FollowUpIn(CheckedModel):
    """What was done about a dissatisfied answer, and that the customer was told (003 4.5.3.7)."""

    note: Text
    customer_told: bool = False


class ScoreIn(CheckedModel):
    """``POST /surveys/score``: checked by ``scoring`` (unknown item, rating outside the scale,
    impossible figures, weights not adding up to 1 are 400 naming the place)."""

    template: Code = "default"
    responses: list[dict[str, Any]] = Field(min_length=1, max_length=10_000)
    internal: dict[str, Any]
    weights: dict[str, Any] | None = None


class RoundFromPlanIn(CheckedModel):
    year: int = Field(ge=2000, le=2099)
    month: int = Field(ge=1, le=12)
    title: Short = ""
    template: Code | None = None
    collect_until: Day | None = None
    period_start: Day | None = None
    period_end: Day | None = None


class RoundIn(CheckedModel):
    """A round outside the plan (special survey)."""

    title: Short = Field(min_length=1)
    customers: list[Code] = Field(min_length=1, max_length=10_000)
    template: Code | None = None
    collect_until: Day | None = None
    period_start: Day | None = None
    period_end: Day | None = None


class AnswersIn(CheckedModel):
    """A form's answers: ``{item: level code or value}``, an explicit complaint (``comment``),
    suggestions, who answered."""

    answers: dict[str, Any] = Field(min_length=1)
    comment: OptText = ""
    suggestions: OptText = ""
    respondent: Short = ""


class StaffAnswersIn(AnswersIn):
    channel: Annotated[str, StringConstraints(pattern=r"^(oral|paper)$")] = "oral"


class CompetitorIn(AnswersIn):
    competitor: Short = Field(min_length=1)
    customer: Code | None = None


class FiguresIn(CheckedModel):
    deliveries: int = Field(ge=0, le=100_000_000)
    on_time_deliveries: int = Field(ge=0, le=100_000_000)
    line_stops: int = Field(ge=0, le=100_000_000)
    excess_freight: Annotated[Any, Field()] = 0
    total_freight: Annotated[Any, Field()] = 0
    self_degree: Any = None
    self_rate: Any = None


class PlanIn(CheckedModel):
    year: int = Field(ge=2000, le=2099)
    template: Code | None = None


class TemplateIn(CheckedModel):
    """A template's name, pass mark and items (checked by ``services.edit_template``)."""

    name: Short | None = None
    name_en: Short | None = None
    description: OptText | None = None
    pass_mark: Any = None
    items: list[dict[str, Any]] | None = Field(default=None, max_length=200)

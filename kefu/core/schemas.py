"""Shared pieces of the API schemas (docs/api.md).

- ``In`` / ``CheckedModel``: the base of every input body: unknown fields refused, every text
  checked for NUL and lone surrogates (``kefu.core.validation``).
- ``Text``: a query or path parameter checked the same way.
- ``Day`` / ``Moment``: a date or a date-time in the sane range; a naive date-time is
  Asia/Shanghai. Answers carry every moment in Asia/Shanghai (+08:00 throughout the range), so
  every date-time the API returns is RFC 3339.
- ``ErrorOut`` and ``errors(...)``: the error body and the error responses an operation declares.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from . import validation
from .pagination import MAX_PAGE_SIZE

_RANGE = {
    "formatMinimum": validation.FIRST_DATE.isoformat(),
    "formatMaximum": validation.LAST_DATE.isoformat(),
}


def _day(value: dt.date) -> dt.date:
    problem = validation.day_problem(value)
    if problem:
        raise PydanticCustomError("date_range", problem)
    return value


def _moment(value: dt.datetime) -> dt.datetime:
    value = validation.aware(value)
    problem = validation.moment_problem(value)
    if problem:
        raise PydanticCustomError("date_range", problem)
    return value


Day = Annotated[dt.date, AfterValidator(_day), Field(json_schema_extra=_RANGE)]
Moment = Annotated[
    dt.datetime,
    AfterValidator(_moment),
    Field(
        json_schema_extra={
            "formatMinimum": validation.FIRST_MOMENT.isoformat(),
            "formatMaximum": validation.LAST_MOMENT.isoformat(),
            "x-naive-time-zone": "Asia/Shanghai",
        }
    ),
]


def _text(value: str) -> str:
    problem = validation.text_problem(value)
    if problem:
        raise PydanticCustomError("text", problem)
    return value


# A query or path parameter that is text (bodies check theirs through ``CheckedModel``).
Text = Annotated[str, AfterValidator(_text)]


# The page parameters of every list (``kefu.core.pagination`` checks them too, for the pages).
Page = Annotated[int, Field(ge=1)]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]


def _check_texts(value: Any) -> None:
    if isinstance(value, str):
        _text(value)
    elif isinstance(value, list | tuple | set):
        for item in value:
            _check_texts(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_texts(key)
            _check_texts(item)


class CheckedModel(BaseModel):
    """A request body: unknown fields are refused (a typo is not silently lost) and no text holds
    a NUL character or a lone surrogate. Nested models check their own fields."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _texts(cls, value):
        _check_texts(value)
        return value


class In(Schema, CheckedModel):
    """``CheckedModel`` as a django-ninja ``Schema``."""

    model_config = ConfigDict(extra="forbid")


# --- the error body and the error responses -----------------------------------------------------


class ErrorItem(Schema):
    field: str = Field(description="the field, dotted for nested ones (`contacts.0.email`)")
    message: str = Field(description="the rule it breaks")


class ErrorOut(Schema):
    detail: str = Field(description="`field: rule` (or the rule alone when no field is concerned)")
    field: str | None = Field(None, description="the field concerned, when there is one")
    errors: list[ErrorItem] | None = Field(None, description="every error when there are several")


class ConflictOut(ErrorOut):
    allowed: list[str] | None = Field(None, description="the workflow actions allowed now")


# What each code means is in docs/api.md. No API operation answers 429 (the public web form's
# rate limit is a page), so none is declared.
ERROR_RESPONSES: dict[int, type[Schema]] = {
    400: ErrorOut,  # malformed: not the declared type, enum, length or range; unknown field; bad text
    401: ErrorOut,  # no valid bearer token
    403: ErrorOut,  # the department, role or authority does not allow it
    404: ErrorOut,  # no such record
    409: ConflictOut,  # not in the record's current state
    422: ErrorOut,  # well-formed, refused by a business rule
}


def errors(*codes: int) -> dict[int, type[Schema]]:
    """The ``response={...}`` entries of an operation's error answers; 400 and 401 always."""
    wanted = sorted({400, 401, *codes})
    return {code: ERROR_RESPONSES[code] for code in wanted}

"""Calendar API (SPEC section 3)."""

import datetime as dt
from typing import Annotated

from ninja import Router, Schema
from pydantic import Field

from .schemas import Day, errors
from .workcalendar import MAX_SPAN_DAYS, WorkCalendar

router = Router(tags=["calendar"])


class DateOut(Schema):
    date: dt.date


class WorkdayOut(Schema):
    date: dt.date
    workday: bool


@router.get("/add-workdays", response={200: DateOut, **errors()}, summary="Add working days to a date")
def add_workdays(request, start: Day, days: Annotated[int, Field(ge=-MAX_SPAN_DAYS, le=MAX_SPAN_DAYS)]):
    return {"date": WorkCalendar.load().add_workdays(start, days)}


@router.get(
    "/is-workday",
    response={200: WorkdayOut, **errors()},
    summary="Is this date a working day in mainland China?",
)
def is_workday(request, date: Day):
    return {"date": date, "workday": WorkCalendar.load().is_workday(date)}

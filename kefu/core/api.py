"""Calendar API (SPEC section 3)."""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Router, Schema

from .errors import Invalid
from .workcalendar import MAX_SPAN_DAYS, WorkCalendar

router = Router(tags=["calendar"])


class DateOut(Schema):
    date: dt.date


class WorkdayOut(Schema):
    date: dt.date
    workday: bool


@router.get("/add-workdays", response=DateOut, summary="Add working days to a date")
def add_workdays(request, start: dt.date, days: int):
    if abs(days) > MAX_SPAN_DAYS:
        raise Invalid(_("must be between -%(n)d and %(n)d") % {"n": MAX_SPAN_DAYS}, field="days")
    return {"date": WorkCalendar.load().add_workdays(start, days)}


@router.get("/is-workday", response=WorkdayOut, summary="Is this date a working day in mainland China?")
def is_workday(request, date: dt.date):
    return {"date": date, "workday": WorkCalendar.load().is_workday(date)}

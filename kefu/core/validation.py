"""What every value a user types must be before any rule looks at it: dates in a sane range, text
without NUL characters or lone surrogates. One place for the API schemas (``kefu.core.schemas``),
the forms, the workflow action bodies, the list filters and the services.

The range is fixed, 2000-01-01 to 2099-12-31 (Asia/Shanghai): wide enough for any receipt, ship or
production date of a running business, narrow enough that every moment in it converts to and from
Asia/Shanghai (+08:00 throughout; before 1901 the zone is local mean time, +08:05:43) and to UTC
without overflow on SQLite or PostgreSQL. Business rules (a receipt not in the future, a ship date
not after the receipt) are checked by the services on top of it.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import Malformed
from .workcalendar import TZ

FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2099, 12, 31)
FIRST_MOMENT = dt.datetime.combine(FIRST_DATE, dt.time.min, tzinfo=TZ)
LAST_MOMENT = dt.datetime.combine(LAST_DATE, dt.time.max, tzinfo=TZ)

_no_nul = ProhibitNullCharactersValidator()  # what Django's form CharField runs


def range_message() -> str:
    return _("must be between %(first)s and %(last)s") % {
        "first": FIRST_DATE.isoformat(),
        "last": LAST_DATE.isoformat(),
    }


def day_problem(value: dt.date) -> str | None:
    """Why ``value`` is not an acceptable date, or None."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not FIRST_DATE <= value <= LAST_DATE:
        return range_message()
    return None


def moment_problem(value: dt.datetime) -> str | None:
    """Why ``value`` (aware) is not an acceptable moment, or None. Aware datetimes compare through
    their UTC offsets without converting, so year 1 at +14:00 is refused, not an OverflowError."""
    if not FIRST_MOMENT <= value <= LAST_MOMENT:
        return range_message()
    return None


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None: a NUL character (PostgreSQL refuses it, the
    forms refuse it with Django's own validator) or a lone surrogate (not encodable as UTF-8)."""
    try:
        _no_nul(value)
    except ValidationError as exc:
        return str(exc.messages[0])
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("must be valid Unicode text (no lone surrogates)")
    return None


def aware(value: dt.datetime) -> dt.datetime:
    """A naive moment is Asia/Shanghai (SPEC section 3)."""
    return value.replace(tzinfo=TZ) if timezone.is_naive(value) else value


# --- as typed errors (services, filters) ---------------------------------------------------------


def check_day(value, field: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise Malformed(_("must be a date"), field=field)
    problem = day_problem(value)
    if problem:
        raise Malformed(problem, field=field)
    return value


def check_moment(value, field: str) -> dt.datetime:
    """``value`` aware (naive is Asia/Shanghai) and in range."""
    if not isinstance(value, dt.datetime):
        raise Malformed(_("must be a date and time"), field=field)
    value = aware(value)
    problem = moment_problem(value)
    if problem:
        raise Malformed(problem, field=field)
    return value


def check_text(value, field: str):
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise Malformed(problem, field=field)
    return value


# --- as Django validators (forms) -----------------------------------------------------------------


def validate_day(value) -> None:
    problem = day_problem(value) if value is not None else None
    if problem:
        raise ValidationError(problem, code="date_range")


def validate_moment(value) -> None:
    problem = moment_problem(aware(value)) if value is not None else None
    if problem:
        raise ValidationError(problem, code="date_range")

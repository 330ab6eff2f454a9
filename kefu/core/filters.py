"""Parsing list filters from query parameters, for every list of the pages and the API (STYLE 8).

Each parser raises ``Malformed`` (400 in the API) naming the parameter, so a bad
filter is a 4xx with a message, never a 500 and never silently ignored.
"""

from __future__ import annotations

import datetime as dt

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from . import validation
from .errors import Malformed

TRUE_WORDS = frozenset({"1", "true", "yes", "on", "是"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "否"})


def parse_bool(value, name: str, *, blank: bool | None = False) -> bool | None:
    """``true|false`` (also 1/0, yes/no, on/off, 是/否); an empty value gives ``blank``."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text == "":
        return blank
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise Malformed(_("expected true or false"), field=name)


def parse_day(value, name: str) -> dt.date | None:
    """A date ``YYYY-MM-DD`` within 2000..2099 (``kefu.core.validation``); empty gives None."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return validation.check_day(value, name)
    try:
        day = parse_date(str(value).strip())
    except ValueError:
        day = None
    if day is None:
        raise Malformed(_("expected a date YYYY-MM-DD"), field=name)
    return validation.check_day(day, name)


def parse_choice(value, choices, name: str) -> str:
    """One of a ``TextChoices``' codes; empty gives ""."""
    value = "" if value is None else str(value).strip()
    if value and value not in choices.values:
        raise Malformed(
            _("unknown value %(value)r; choose one of %(choices)s")
            % {"value": value, "choices": ", ".join(choices.values)},
            field=name,
        )
    return value


def parse_int(value, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Malformed(_("expected a whole number"), field=name) from None

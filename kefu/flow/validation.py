"""An action's body checked against its model: one set of rules for the API and the pages.

Errors are ``Malformed`` (400) naming the field, with every error listed, in the
reader's language for the common pydantic error types.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from pydantic import BaseModel, ValidationError

from kefu.core.errors import Malformed


def _choices(expected: str) -> str:
    """``'a', 'b' or 'c'`` (pydantic's English list) -> ``a, b, c``."""
    return ", ".join(re.findall(r"'([^']*)'", expected)) or expected


def error_message(error: dict) -> str:
    """A short translatable message for the common pydantic error types; pydantic's text otherwise."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("required")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("must be a whole number")
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type"):
        return _("must be a number")
    if kind == "greater_than_equal":
        return _("must be at least %(n)s") % {"n": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("must be at most %(n)s") % {"n": ctx.get("le")}
    if kind == "decimal_max_places":
        return _("at most %(n)s decimal places") % {"n": ctx.get("decimal_places")}
    if kind == "decimal_max_digits":
        return _("at most %(n)s digits") % {"n": ctx.get("max_digits")}
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return _("must not be empty")
        return _("at least %(n)s characters") % {"n": ctx.get("min_length")}
    if kind == "string_too_long":
        return _("at most %(n)d characters") % {"n": ctx.get("max_length")}
    if kind in ("bool_parsing", "bool_type"):
        return _("expected true or false")
    if kind in ("date_parsing", "date_type", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return _("expected a date YYYY-MM-DD")
    if kind in ("literal_error", "enum"):
        return _("must be one of %(choices)s") % {"choices": _choices(str(ctx.get("expected", "")))}
    if kind == "string_unicode":  # a lone surrogate, refused by pydantic's own JSON parser
        return _("must be valid Unicode text (no lone surrogates)")
    if kind == "extra_forbidden":
        return _("not a field of this action")
    if kind == "value_error" and isinstance(ctx.get("error"), ValueError):
        return str(ctx["error"])
    return error.get("msg", "")


def validate(model: type[BaseModel], payload) -> BaseModel:
    """``payload`` (a dict, or None for an empty body) as ``model``; ``Malformed`` naming the field."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise Malformed(_("the body must be a JSON object"), field="body")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": error_message(e)}
            for e in exc.errors()
        ]
        first = errors[0]
        raise Malformed(first["message"], field=first["field"], errors=errors) from None

"""Typed domain errors; the API maps them to status codes, pages to messages."""

from __future__ import annotations


class KefuError(Exception):
    status = 400

    def __init__(self, detail: str, *, field: str | None = None, **extra):
        self.detail = f"{field}: {detail}" if field else detail
        self.field = field
        self.extra = extra
        super().__init__(self.detail)


class Invalid(KefuError):
    """Input that a rule refuses (an unknown customer, a receipt in the future): the message names
    the field and the rule."""

    status = 422


class Malformed(Invalid):
    """Input that does not have the declared shape (wrong type, unknown field, a date out of range,
    NUL or invalid Unicode in a text): the OpenAPI document says it in advance."""

    status = 400


class NotFound(KefuError):
    status = 404


class Forbidden(KefuError):
    status = 403


class Conflict(KefuError):
    """The action does not fit the object's current state."""

    status = 409

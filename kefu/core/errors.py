"""Typed domain errors; the API maps them to status codes, pages to messages."""

from __future__ import annotations


class KefuError(Exception):
    status = 400

    def __init__(self, detail: str, *, field: str | None = None, **extra):
        self.detail = f"{field}: {detail}" if field else detail
        self.rule = detail  # the message without its field
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


def on_page(exc: KefuError, form=None) -> str:
    """The message a page shows: the field by its label in the reader's language, not its code."""
    field = form.fields.get(exc.field) if form is not None and exc.field else None
    return f"{field.label}: {exc.rule}" if field is not None and field.label else exc.detail


def add_to_form(form, exc: KefuError) -> None:
    """Put ``exc`` beside its field when the form has it, else on top of the form."""
    if exc.field in form.fields:
        form.add_error(exc.field, exc.rule)
    else:
        form.add_error(None, exc.detail)


def summary(form, *formsets) -> list[dict]:
    """Every error of a refused form (and its formsets), for the summary on top of the page:
    ``{"id": the input's id or "", "label": the field's label or "", "message": ...}``.

    The same errors stay beside their fields; the summary links to them by label, in the reader's
    language, never by the field's code.
    """
    out = [{"id": "", "label": "", "message": str(m)} for m in form.non_field_errors()]
    for name, messages in form.errors.items():
        if name == "__all__":
            continue
        field = form[name] if name in form.fields else None
        for m in messages:
            out.append(
                {
                    "id": field.id_for_label if field is not None else "",
                    "label": str(field.label) if field is not None else "",
                    "message": str(m),
                }
            )
    for formset in formsets:
        out.extend({"id": "", "label": "", "message": str(m)} for m in formset.non_form_errors())
        for n, sub in enumerate(formset.forms, start=1):
            for item in summary(sub):
                if item["label"]:
                    item["label"] = f"{item['label']} ({n})"
                out.append(item)
    return out

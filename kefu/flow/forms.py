"""The action forms on the pages: the inputs each action shows (``Action.inputs``), POST -> body.

Validation is the engine's (``validation.validate`` on the action's body
model): one set of rules for the API and the pages. This module renders
inputs and turns form strings into the body dict.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .spec import Action, Input

YES_NO = (("true", _("yes")), ("false", _("no")))


def text(name: str, label, required: bool = True) -> Input:
    return Input(name, "text", label, required)


def area(name: str, label, required: bool = True) -> Input:
    return Input(name, "textarea", label, required)


def yes_no(name: str, label, required: bool = True) -> Input:
    return Input(name, "yesno", label, required, YES_NO)


NOTE = area("note", _("Note"), required=False)


def parse(action: Action, data) -> dict:
    """Form strings -> body; empty optional inputs are left out so the defaults apply."""
    body = {}
    for spec in action.inputs:
        if spec.kind == "check":
            body[spec.name] = data.get(spec.name) in ("on", "true", "1")
            continue
        value = (data.get(spec.name) or "").strip()
        if value == "" and not spec.required:
            continue
        body[spec.name] = value
    return body


def form_inputs(action: Action, *, posted=None, errors: dict | None = None) -> list[dict]:
    """The action's inputs with what was typed and the error of each, for the template."""
    out = []
    for spec in action.inputs:
        value = posted.get(spec.name, "") if posted is not None else ""
        out.append({"spec": spec, "value": value, "error": (errors or {}).get(spec.name, "")})
    return out

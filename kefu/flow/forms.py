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


def person(name: str, label, department: str, required: bool = False) -> Input:
    """A member of ``department``, chosen by name from a list (the value sent is the username)."""
    return Input(name, "person", label, required, department=department)


NOTE = area("note", _("Note"), required=False)


SHARE_ROWS = 4  # rows of a "shares" input (department, person, percent) on the page


def _shares(name: str, data) -> list[dict]:
    """The filled rows of a "shares" input (``<name>-<i>-department`` ...) as a list of dicts."""
    rows = []
    for i in range(SHARE_ROWS):
        row = {k: (data.get(f"{name}-{i}-{k}") or "").strip() for k in ("department", "person", "share")}
        if not any(row.values()):
            continue
        rows.append({k: v for k, v in row.items() if v or k != "person"})
    return rows


def parse(action: Action, data) -> dict:
    """Form strings -> body; empty inputs are left out, so an optional one takes its default and a
    required one is refused as "required" (not as "expected true or false" for an empty yes/no)."""
    body = {}
    for spec in action.inputs:
        if spec.kind == "check":
            body[spec.name] = data.get(spec.name) in ("on", "true", "1")
            continue
        if spec.kind == "shares":
            body[spec.name] = _shares(spec.name, data)
            continue
        value = (data.get(spec.name) or "").strip()
        if value == "":
            continue
        body[spec.name] = value
    return body


def labelled_errors(action: Action, error) -> tuple[dict[str, str], list[dict]]:
    """A refused action's errors for its form: ``(by input name, summary)``.

    Every error of the body is listed (``Malformed`` carries them all in ``extra["errors"]``), each
    beside its input and in the summary by the input's label in the reader's language, never by
    its code. An error on no input of the form (a rule on the record, a 409 or 403) goes to the
    summary only, with its message alone.
    """
    if error is None:
        return {}, []
    labels = {spec.name: str(spec.label) for spec in action.inputs}
    listed = error.extra.get("errors") or (
        [{"field": error.field, "message": error.rule}] if error.field else []
    )
    by_field, summary = {}, []
    for e in listed:
        field = e.get("field") or ""
        if field in labels:
            by_field.setdefault(field, e["message"])
            summary.append(
                {
                    "id": f"{action.name}-{field}",
                    "field": field,
                    "label": labels[field],
                    "message": e["message"],
                }
            )
        else:
            summary.append({"id": "", "field": "", "label": "", "message": e["message"]})
    if not listed:
        summary.append({"id": "", "field": "", "label": "", "message": error.rule})
    return by_field, summary


def form_inputs(
    action: Action, *, posted=None, errors: dict | None = None, people: dict | None = None
) -> list[dict]:
    """The action's inputs with what was typed and the error of each, for the template.

    ``people``: a dict shared by the forms of one page, so that a list of forms (the work list)
    reads each department's members once.
    """
    out = []
    for spec in action.inputs:
        value = posted.get(spec.name, "") if posted is not None else ""
        choices = spec.choices
        if spec.kind == "shares":
            out.append(_shares_input(spec, posted, errors))
            continue
        if spec.kind == "person":
            people = {} if people is None else people
            if spec.department not in people:
                people[spec.department] = _people(spec.department)
            choices = people[spec.department]
        out.append(
            {"spec": spec, "value": value, "error": (errors or {}).get(spec.name, ""), "choices": choices}
        )
    return out


def _people(department: str) -> list[tuple[str, str]]:
    """(username, name) of the department's active members, by name."""
    from kefu.core.outbox import members
    from kefu.core.templatetags.kefu_format import person

    users = {m.user.pk: m.user for m in members([department])}
    return sorted(((u.get_username(), person(u)) for u in users.values()), key=lambda c: c[1])


def _shares_input(spec: Input, posted, errors) -> dict:
    """A "shares" input: rows of department, person (any active staff member, by name) and percent,
    with what was posted kept and each row's error."""
    from kefu.core.choices import DepartmentCode

    errors = errors or {}
    rows = []
    for i in range(SHARE_ROWS):
        get = (
            (lambda k, i=i: posted.get(f"{spec.name}-{i}-{k}", "")) if posted is not None else (lambda k: "")
        )
        rows.append(
            {
                "i": i,
                "department": get("department"),
                "person": get("person"),
                "share": get("share"),
                "error": " ".join(v for k, v in errors.items() if k.startswith(f"{spec.name}.{i}.")),
            }
        )
    return {
        "spec": spec,
        "value": "",
        "rows": rows,
        "error": errors.get(spec.name, ""),
        "choices": tuple((d.value, d.label) for d in DepartmentCode),
        "people": _staff(),
    }


def _staff() -> list[tuple[str, str]]:
    """(username, "name · department") of the active members of every department, by name."""
    from kefu.core.choices import DepartmentCode
    from kefu.core.outbox import members
    from kefu.core.templatetags.kefu_format import person

    rows = {
        (m.user.get_username(), f"{person(m.user)} · {m.department.name}")
        for m in members(DepartmentCode.values)
    }
    return sorted(rows, key=lambda c: c[1])

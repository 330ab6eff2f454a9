"""The action forms of the workflow panel: which inputs each action shows, and POST -> payload.

Validation is the service's (``actions.validate``, one set of rules for the
API and the pages); this module only renders inputs and turns form strings
into the payload dict.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kefu.core.choices import DepartmentCode

from .choices import CustomerRequest

YES_NO = (("true", _("yes")), ("false", _("no")))


@dataclass(frozen=True)
class Input:
    name: str
    kind: str  # text, textarea, yesno, check, choice, date, decimal, int
    label: str
    required: bool = True
    choices: tuple = ()

    @property
    def widget(self) -> str:
        return self.kind


def _t(name, label, required=True):
    return Input(name, "text", label, required)


def _area(name, label, required=True):
    return Input(name, "textarea", label, required)


NOTE = _area("note", _("Note"), required=False)
DEPARTMENTS = tuple((d.value, d.label) for d in DepartmentCode)
HANDLINGS = tuple((h.value, h.label) for h in CustomerRequest)

INPUTS: dict[str, list[Input]] = {
    "assign": [_t("assignee", _("Investigator (username in quality)"), required=False), NOTE],
    "submit_investigation": [
        _area("cause", _("Cause")),
        Input("valid", "yesno", _("Complaint valid (established)"), choices=YES_NO),
        Input("responsible_department", "choice", _("Responsible department"), False, DEPARTMENTS),
        _t("supplier", _("Responsible supplier, if any"), required=False),
        Input("needs_rd", "check", _("Needs an R&D opinion"), required=False),
        NOTE,
    ],
    "submit_countermeasure": [
        _area("analysis", _("Cause analysis")),
        _area("action", _("Countermeasure")),
        _t("unit", _("Unit"), required=False),
        _t("shift", _("Shift"), required=False),
        _t("operators", _("Operators"), required=False),
        Input("production_date", "date", _("Production date"), required=False),
        NOTE,
    ],
    "submit_rd_opinion": [_area("opinion", _("R&D opinion")), NOTE],
    "submit_proposal": [
        Input("handling", "choice", _("Handling"), choices=HANDLINGS),
        Input("loss_amount", "decimal", _("Loss amount (yuan)")),
        _area("customer_position", _("Customer's position"), required=False),
        NOTE,
    ],
    "submit_synthesis": [_area("opinion", _("Synthesis opinion")), NOTE],
    "approve": [NOTE],
    "send_back": [_area("note", _("Why it goes back"))],
    "record_reply": [
        _area("letter", _("Letter to the customer (not the internal form)")),
        Input("customer_accepts", "yesno", _("Customer accepts"), choices=YES_NO),
        NOTE,
    ],
    "object": [_area("memo", _("Memo (签呈) to the GM"))],
    "request_extension": [Input("days", "int", _("Working days")), _area("reason", _("Reason"))],
    "approve_extension": [Input("approved", "yesno", _("Approve"), choices=YES_NO), NOTE],
    "record_meeting_decision": [_area("decision", _("Decision")), _t("attendees", _("Attendees"))],
}


def parse(action: str, data) -> dict:
    """Form strings -> payload; empty optional inputs are left out so the defaults apply."""
    payload = {}
    for spec in INPUTS.get(action, ()):
        if spec.kind == "check":
            payload[spec.name] = data.get(spec.name) in ("on", "true", "1")
            continue
        value = (data.get(spec.name) or "").strip()
        if value == "" and not spec.required:
            continue
        payload[spec.name] = value
    return payload

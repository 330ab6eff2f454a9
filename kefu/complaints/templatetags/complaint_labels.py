"""Human labels for the codes kept in the audit trail (actions and states)."""

from django import template
from django.utils.translation import gettext_noop as N_

from kefu.complaints import workflow
from kefu.complaints.choices import Status

register = template.Library()

_OTHER_ACTIONS = {
    "register": N_("Registered"),
    "acknowledge": N_("Acknowledged to the customer"),
    "attach": N_("Attachments added"),
    "reassign_customer": N_("Linked to another customer"),
    "answer_inquiry": N_("Lateness inquiry answered"),
}


@register.filter
def action_label(code: str) -> str:
    from django.utils.translation import gettext

    action = workflow.ACTIONS.get(code)
    if action is not None:
        return gettext(action.label)
    return gettext(_OTHER_ACTIONS[code]) if code in _OTHER_ACTIONS else code


@register.filter
def status_label(code: str) -> str:
    if code in Status.values:
        return Status(code).label
    return code or "—"

"""Human labels for the codes kept in the audit trail (actions and states)."""

from django import template
from django.utils.translation import gettext_noop

from kefu.complaints import workflow
from kefu.complaints.choices import Status

register = template.Library()

_OTHER_ACTIONS = {
    "register": gettext_noop("Registered"),
    "acknowledge": gettext_noop("Acknowledged to the customer"),
    "attach": gettext_noop("Attachments added"),
    "reassign_customer": gettext_noop("Linked to another customer"),
    "answer_inquiry": gettext_noop("Lateness inquiry answered"),
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

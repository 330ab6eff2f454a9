"""``{% flow_panel record %}``: a record's workflow panel (steps, clocks, the user's actions, notices)."""

from django import template

register = template.Library()


@register.inclusion_tag("flow/_partials/panel.html", takes_context=True)
def flow_panel(context, record):
    from kefu.flow import registry
    from kefu.flow.views import panel_context

    request = context.get("request")
    flow = registry.for_model(type(record))
    # The record's page may have read the steps and records already (``workflow``: its own reads).
    given = context.get("workflow") or {}
    # An action's answer renders the record's page: its panel says what the action did.
    outcome = getattr(request, "kefu_flow_outcome", None)
    shown = outcome.panel_kwargs(flow, record) if outcome is not None else {}
    ctx = panel_context(
        flow, record, request.user, steps=given.get("steps"), records=given.get("records"), **shown
    )
    ctx["request"] = request
    ctx["csrf_token"] = context.get("csrf_token")
    return ctx


@register.filter
def clock_text(reading) -> str:
    """A step's clock in words: late by / left, in working days or hours."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from kefu.flow import clocks

    if reading is None:
        return ""
    hours = reading.unit == clocks.HOURS
    if reading.late_by:
        if hours:
            return ngettext("late by %(n)s hour", "late by %(n)s hours", reading.late_by) % {
                "n": reading.late_by
            }
        return ngettext("late by %(n)s working day", "late by %(n)s working days", reading.late_by) % {
            "n": reading.late_by
        }
    if reading.done:
        return ""
    if hours:
        if reading.remaining:
            return ngettext("%(n)s hour left", "%(n)s hours left", reading.remaining) % {
                "n": reading.remaining
            }
        return _("due within the hour")
    if reading.remaining:
        return ngettext("%(n)s working day left", "%(n)s working days left", reading.remaining) % {
            "n": reading.remaining
        }
    return _("due today")

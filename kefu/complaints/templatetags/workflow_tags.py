"""``{% workflow_panel complaint %}``: the step timeline and the action forms on the complaint page."""

from django import template

register = template.Library()


@register.inclusion_tag("complaints/_partials/workflow_panel_body.html", takes_context=True)
def workflow_panel(context, complaint):
    from kefu.complaints.views_workflow import panel_context

    request = context.get("request")
    detail = context.get("detail")  # the complaint page has read the steps and records already
    if detail is not None and detail.complaint is complaint:
        ctx = panel_context(request.user, complaint, steps=detail.steps, records=detail.records)
    else:
        ctx = panel_context(request.user, complaint)
    ctx["request"] = request
    ctx["csrf_token"] = context.get("csrf_token")
    return ctx

"""``{% requirements_section customer %}``: the registers' section of a customer's page (red lines
first, R2.3); the customer detail template includes ``requirements/_customer_section.html``."""

from django import template

register = template.Library()


@register.inclusion_tag("requirements/_partials/customer_section.html", takes_context=True)
def requirements_section(context, customer):
    from kefu.requirements import selectors, services

    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "customer": customer,
        "section": selectors.customer_section(user, customer) if customer is not None else None,
        "may_upload": user is not None and services.may_register(user),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }

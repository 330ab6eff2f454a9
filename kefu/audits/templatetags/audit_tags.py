"""``{% customer_audits customer %}``: the customer's audits, for a section on its page."""

from django import template

register = template.Library()


@register.inclusion_tag("audits/_partials/customer_audits.html")
def customer_audits(customer):
    from kefu.audits.selectors import customer_audits as audits

    return {"customer": customer, "audits": audits(None, customer)}

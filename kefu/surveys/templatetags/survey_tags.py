"""Survey pages: scores shown half-up to two places (issue 15: Decimal arithmetic, rounded only
when shown), the level as a badge, a customer's survey history on the customer page."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

TWO = Decimal("0.01")


def rounded(value, places: Decimal = TWO) -> Decimal | None:
    """``value`` as a Decimal rounded half-up (None stays None)."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


@register.filter
def score(value) -> str:
    """A score half-up to two places (``86.70``); "—" when there is none."""
    shown = rounded(value)
    return "—" if shown is None else f"{shown}"


@register.filter
def pct(value) -> str:
    """A fraction or a percentage figure as ``82.5 %`` (one place, half-up); "—" for none."""
    shown = rounded(value, Decimal("0.1"))
    return "—" if shown is None else f"{shown} %"


@register.inclusion_tag("surveys/_partials/customer_history.html", takes_context=True)
def customer_surveys(context, customer) -> dict:
    """``{% customer_surveys customer %}``: the customer's survey forms, newest first."""
    from kefu.surveys.display import customer_history

    return {"rows": customer_history(customer), "customer": customer}

"""How pages show people and money: a person's name, not their username; ¥12,800.00."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

CENT = Decimal("0.01")


@register.filter
def person(user) -> str:
    """The user's full name, else their username; "" for nobody."""
    if user is None:
        return ""
    return user.get_full_name().strip() or user.get_username()


@register.filter
def money(value) -> str:
    """An amount in yuan as ``¥12,800.00`` (half-up to the cent; a negative one ``-¥5.00``); "" for none."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


@register.inclusion_tag("forms/error_summary.html")
def error_summary(form, *formsets) -> dict:
    """``{% error_summary form formset %}``: the box on top of a refused form listing every error."""
    from kefu.core.errors import summary

    bound = form is not None and form.is_bound
    return {"summary": summary(form, *formsets) if bound else []}

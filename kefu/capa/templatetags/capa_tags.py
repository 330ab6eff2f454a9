"""``{% capa_links record %}``: the corrective actions opened from a record (a complaint ...),
for a small block on that record's page (the source linked both ways)."""

from django import template

register = template.Library()


@register.inclusion_tag("capa/_partials/links.html", takes_context=True)
def capa_links(context, record, source_type: str = "complaint"):
    from kefu.capa.services import capas_of

    key = getattr(record, "number", "")
    return {"capas": list(capas_of(source_type, key).select_related("department")) if key else []}


@register.inclusion_tag("capa/_partials/fishbone.html")
def fishbone(causes, effect="", dom_id="fishbone"):
    """D4's fishbone (6M): man, machine, material above the spine; method, measurement,
    environment below; the effect (the root cause found) at the head."""
    from kefu.capa import fishbone as bones

    rows = bones.rows(causes)
    return {"top": rows[:3], "bottom": rows[3:], "effect": effect, "dom_id": dom_id}

"""How the survey pages show a round (issue 15): the score sheet as in the seed (004 6.4.2: the
item table, external, the internal parts, internal, total, level; one row per customer), the
dissatisfied answers with their owners, last round's dissatisfied points, a customer's survey
history, and the score sheet as an Excel workbook (openpyxl). The figures are the selectors'
(Decimal at full precision); they are rounded half-up to two places only when shown."""

from __future__ import annotations

import io
from decimal import Decimal

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from . import rules, selectors
from .choices import FormState, Level, Subject, TriggerKind
from .models import Answer, Form, Round, Trigger
from .templatetags.survey_tags import rounded, score

HUNDRED = Decimal(100)


def level_label(code: str) -> str:
    return str(Level(code).label) if code in Level.values else ""


def localized(level: dict) -> str:
    zh = (get_language() or "zh").startswith("zh")
    return (level.get("label_en") if not zh and level.get("label_en") else level.get("label")) or str(
        level.get("value", "")
    )


def template_items_by_code(template) -> dict:
    """code -> the template's Item (labels and levels)."""
    return {i.code: i for i in template.items.all()}


def last_points(form: Form, items: dict) -> list[str]:
    """The dissatisfied points of the customer's previous survey (``Form.last_dissatisfied``:
    ``[{"round", "item", "label", "level", "value"}]``), in words: ``产品价格 不满意 (3)``."""
    out = []
    for p in form.last_dissatisfied or []:
        if not isinstance(p, dict):
            out.append(items[p].title if p in items else str(p))
            continue
        code = p.get("item") or ""
        item = items.get(code)
        label = item.title if item else (p.get("label") or code)
        level = next((lv for lv in (item.levels if item else []) if lv.get("code") == p.get("level")), None)
        words = localized(level) if level else ""
        value = f"({p['value']})" if p.get("value") not in (None, "") else ""
        out.append(" ".join(x for x in (label, words, value) if x))
    return out


def dissatisfied_answers(round_: Round, items: dict) -> list[dict]:
    answers = (
        Answer.objects.filter(form__round=round_, dissatisfied=True)
        .select_related("form__customer", "owner")
        .order_by("form__customer__code", "id")
    )
    capas = {
        (t.form_id, t.item): t.capa
        for t in Trigger.objects.filter(round=round_, capa__isnull=False).select_related("capa")
    }
    by_customer = {
        t.customer_id: t.capa
        for t in Trigger.objects.filter(round=round_, capa__isnull=False, item="").select_related("capa")
    }
    rows = []
    for a in answers:
        item = items.get(a.item)
        level = next((lv for lv in (item.levels if item else []) if lv.get("code") == a.level), None)
        capa = capas.get((a.form_id, a.item)) or by_customer.get(a.form.customer_id)
        rows.append(
            {
                "customer_code": a.form.customer.code if a.form.customer else a.form.competitor,
                "customer_name": a.form.customer.name if a.form.customer else "",
                "item": item.title if item else a.item,
                "answer": f"{localized(level) if level else a.level} ({a.value.normalize():f})",
                "owner": (a.owner.get_full_name() or a.owner.get_username()) if a.owner else "",
                "capa": capa.number if capa else "",
                "capa_url": reverse("capa:detail", args=[capa.number]) if capa else "",
            }
        )
    return rows


PART_LABELS = {
    "quality": (gettext_lazy("Quality"), gettext_lazy("(1 - quality complaints / deliveries) x 100")),
    "on_time": (gettext_lazy("On-time delivery"), gettext_lazy("on-time deliveries / deliveries x 100")),
    "line_stop": (gettext_lazy("Line stops"), gettext_lazy("(1 - line stops / deliveries) x 100")),
    "freight": (gettext_lazy("Freight"), gettext_lazy("(1 - excess freight / total freight) x 100")),
}
FIGURE_LABELS = {
    "deliveries": gettext_lazy("Deliveries"),
    "quality_complaints": gettext_lazy("Quality complaints"),
    "on_time_deliveries": gettext_lazy("On-time deliveries"),
    "line_stops": gettext_lazy("Line stops"),
    "excess_freight": gettext_lazy("Excess freight"),
    "total_freight": gettext_lazy("Total freight"),
}


def _trigger_text(t, items: dict, customers: dict) -> str:
    kind = getattr(t, "kind", "")
    label = str(TriggerKind(kind).label) if kind in TriggerKind.values else kind
    customer = getattr(t, "customer", None)
    if customer is not None and not isinstance(customer, str):
        who = f"{customer.code} {customer.name}"
    else:
        who = customers.get(customer, customer or "")
    item = getattr(t, "item", "") or ""
    parts = [label, who, items[item].title if item in items else item]
    value = getattr(t, "score", None)
    if value is not None:
        parts.append(score(value))
    return " · ".join(p for p in parts if p)


def sheet_context(round_: Round, user) -> dict:
    """The score sheet as the page and the workbook show it."""
    sheet = selectors.score_sheet(round_)
    items = template_items_by_code(round_.template)
    first = next(iter(items.values()), None)
    same_scale = first is not None and all(
        [lv.get("code") for lv in i.levels] == [lv.get("code") for lv in first.levels] for i in items.values()
    )
    scale = (
        [{"code": lv.get("code"), "label": localized(lv), "points": lv["value"]} for lv in first.levels]
        if (same_scale)
        else []
    )
    counts: dict[tuple[str, str], int] = {}
    if scale:
        for row in (
            Answer.objects.filter(
                form__round=round_, form__subject=Subject.OURS, form__state=FormState.RETURNED
            )
            .values("item", "level")
            .annotate(n=Count("id"))
        ):
            counts[(row["item"], row["level"])] = row["n"]
    th = rules.thresholds()

    def item_low(on_hundred) -> bool:  # the trigger's item threshold reads on a 10-point scale
        if on_hundred is None:
            return False
        on_ten = on_hundred / 10
        return on_ten <= th.item_low if th.item_low_inclusive else on_ten < th.item_low

    item_rows = []
    for row in sheet.items:
        item_rows.append(
            {
                "code": row.code,
                "label": row.label,
                "counts": [counts.get((row.code, s["code"]), 0) for s in scale],
                "sum": row.score * row.answers if row.score is not None else None,
                "score": row.score,
                "low": item_low(row.on_hundred),
            }
        )
    customers = []
    customer_below = th.customer_below
    for c in selectors.customer_sheet(round_, user):
        if not c.returned:
            continue
        customers.append(
            {
                "code": c.customer_code,
                "name": c.customer_name,
                "ratings": [
                    {"points": plain(c.ratings.get(row.code)), "low": row.code in c.dissatisfied}
                    for row in sheet.items
                ],
                "score": c.score,
                "low": c.score is not None and c.score < customer_below,
            }
        )
    names = {c["code"]: f"{c['code']} {c['name']}" for c in customers}
    triggers = []
    for t in sheet.triggers:
        capa = getattr(t, "capa", None)
        triggers.append(
            {
                "text": _trigger_text(t, items, names),
                "capa": capa.number if capa else "",
                "capa_url": reverse("capa:detail", args=[capa.number]) if capa else "",
            }
        )
    figures = [
        {"label": FIGURE_LABELS[k], "value": v}
        for k, v in (sheet.figures or {}).items()
        if k in FIGURE_LABELS and v is not None
    ]
    return {
        "scored": sheet.scored,
        "returned": sheet.returned,
        "scale": scale,
        "label_span": len(scale) + 3,
        "items": item_rows,
        "external": sheet.external_score,
        "internal_parts": [
            {"code": k, "label": PART_LABELS[k][0], "formula": PART_LABELS[k][1], "score": v}
            for k, v in sheet.internal_parts.items()
            if k in PART_LABELS
        ],
        "internal": sheet.internal_score,
        "figures": figures,
        "weight_external": sheet.weights.get("external", Decimal("0.6")) * HUNDRED,
        "weight_internal": sheet.weights.get("internal", Decimal("0.4")) * HUNDRED,
        "total": sheet.total,
        "level": sheet.level,
        "level_label": level_label(sheet.level),
        "satisfaction_rate": sheet.satisfaction_rate,
        "combined_degree": sheet.combined_degree,
        "combined_rate": sheet.combined_rate,
        "customers": customers,
        "triggers": triggers,
    }


def plain(value):
    if value is None:
        return None
    return value.normalize() if isinstance(value, Decimal) else value


def customer_history(customer, limit: int = 20) -> list[dict]:
    """The customer's survey forms, newest first, with their score and dissatisfied points."""
    forms = list(
        Form.objects.filter(customer=customer, subject=Subject.OURS)
        .select_related("round__template")
        .order_by("-round__created_at", "-id")[:limit]
    )
    low = {}
    for a in Answer.objects.filter(form__in=forms, dissatisfied=True).values("form_id", "item"):
        low.setdefault(a["form_id"], []).append(a["item"])
    labels: dict[int, dict] = {}
    rows = []
    below = rules.thresholds().customer_below
    for f in forms:
        if f.round.template_id not in labels:
            labels[f.round.template_id] = template_items_by_code(f.round.template)
        items = labels[f.round.template_id]
        rows.append(
            {
                "round": f"{f.round.number} {f.round.title}",
                "url": reverse("surveys:customer-sheet", args=[f.round.number, customer.code])
                if f.state == FormState.RETURNED
                else reverse("surveys:round", args=[f.round.number]),
                "status": f.get_state_display(),
                "returned_at": f.returned_at,
                "score": f.score,
                "low": f.score is not None and f.score < below,
                "low_items": [items[c].title if c in items else c for c in low.get(f.pk, [])],
            }
        )
    return rows


def workbook(round_name: str, sheet: dict) -> bytes:
    """The score sheet (``sheet_context``) as an xlsx file, laid out as the page."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = _("Score sheet")[:31]
    bold = Font(bold=True)
    head = PatternFill("solid", fgColor="DDE6F0")

    def header_row(values):
        ws.append(values)
        for c in range(1, len(values) + 1):
            ws.cell(row=ws.max_row, column=c).font = bold
            ws.cell(row=ws.max_row, column=c).fill = head

    def scored(label, value):
        ws.append([label, rounded(value)])
        ws.cell(row=ws.max_row, column=1).font = bold
        ws.cell(row=ws.max_row, column=2).number_format = "0.00"

    ws.append([f"{_('Score sheet')} · {round_name}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("Returned forms"), sheet["returned"]])
    ws.append([])
    scale = sheet["scale"]
    header_row(
        [_("No."), _("Item")] + [f"{s['label']} ({s['points']})" for s in scale] + [_("Sum"), _("Item score")]
    )
    for n, row in enumerate(sheet["items"], start=1):
        ws.append([n, row["label"], *row["counts"], rounded(row["sum"]), rounded(row["score"])])
        for c in (len(scale) + 3, len(scale) + 4):
            ws.cell(row=ws.max_row, column=c).number_format = "0.00"
    ws.append([])
    scored(_("External score"), sheet["external"])
    ws.append([])
    header_row([_("Part"), _("Score"), _("Formula")])
    for p in sheet["internal_parts"]:
        ws.append([str(p["label"]), rounded(p["score"]), str(p["formula"])])
        ws.cell(row=ws.max_row, column=2).number_format = "0.00"
    scored(_("Internal score"), sheet["internal"])
    ws.append([])
    scored(_("Total score"), sheet["total"])
    ws.append([_("Level"), sheet["level_label"] or ""])
    ws.cell(row=ws.max_row, column=1).font = bold
    ws.append([])
    header_row([_("Customer code"), _("Customer")] + [r["label"] for r in sheet["items"]] + [_("Score")])
    for c in sheet["customers"]:
        ws.append([c["code"], c["name"], *[v["points"] for v in c["ratings"]], rounded(c["score"])])
        ws.cell(row=ws.max_row, column=len(sheet["items"]) + 3).number_format = "0.00"
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 28
    for c in range(3, len(sheet["items"]) + 4):
        ws.column_dimensions[get_column_letter(c)].width = 12
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

"""The score sheet as an Excel workbook (openpyxl), laid out as the page and the seed's sheet
(004 6.4.2): the item table, external, the internal parts, internal, total, level; then one row
per customer. Scores are numbers rounded half-up to two places; the page's sheet dict is the
input, so the page and the workbook never disagree."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from .templatetags.survey_tags import rounded


def _num(value):
    shown = rounded(value)
    return None if shown is None else shown


def workbook(round_name: str, sheet: dict) -> bytes:
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
        ws.append([label, _num(value)])
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
        ws.append([n, row["label"], *row["counts"], _num(row["sum"]), _num(row["score"])])
        for c in (len(scale) + 3, len(scale) + 4):
            ws.cell(row=ws.max_row, column=c).number_format = "0.00"
    ws.append([])
    scored(_("External score"), sheet["external"])
    ws.append([])
    header_row([_("Part"), _("Score"), _("Formula")])
    for p in sheet["internal_parts"]:
        ws.append([p["label"], _num(p["score"]), p["formula"]])
        ws.cell(row=ws.max_row, column=2).number_format = "0.00"
    scored(_("Internal score"), sheet["internal"])
    ws.append([])
    scored(_("Total score"), sheet["total"])
    ws.append([_("Level"), sheet["level_label"] or ""])
    ws.cell(row=ws.max_row, column=1).font = bold
    ws.append([])
    header_row([_("Customer code"), _("Customer")] + [r["label"] for r in sheet["items"]] + [_("Score")])
    for c in sheet["customers"]:
        ws.append([c["code"], c["name"], *[v["points"] for v in c["ratings"]], _num(c["score"])])
        ws.cell(row=ws.max_row, column=len(sheet["items"]) + 3).number_format = "0.00"
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 28
    for c in range(3, len(sheet["items"]) + 4):
        ws.column_dimensions[get_column_letter(c)].width = 12
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

"""The CSR checklist as an Excel workbook (openpyxl): requirements x departments with the answers."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from .models import Answer

RED = PatternFill("solid", fgColor="FDE2E1")


def checklist_xlsx(data) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("CSR checklist")[:31]
    ws.append([_("CSR checklist"), f"{data.customer.code} {data.customer.name}"])
    ws["A1"].font = Font(bold=True, size=13)
    header = [_("Number"), _("Document"), _("Clause"), _("Title"), _("Red line"), _("Status")]
    header += [str(label) for _code, label in data.departments]
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    answers = dict(Answer.choices)
    for req, cells in data.rows:
        row = [
            req.number,
            f"{req.document.number} {req.document.revision}",
            req.clause,
            req.title,
            _("yes") if req.red_line else "",
            req.get_status_display(),
        ]
        for review in cells:
            if review is None:
                row.append("")
            elif not review.answer:
                row.append(_("awaiting answer"))
            else:
                who = (
                    review.answered_by.get_full_name() or review.answered_by.username
                    if review.answered_by
                    else ""
                )
                when = (
                    timezone.localtime(review.answered_at).strftime("%Y-%m-%d") if review.answered_at else ""
                )
                text = f"{answers[review.answer]} ({who} {when})"
                if review.action:
                    text += f"\n{review.action}"
                row.append(text)
        ws.append(row)
        if req.red_line:
            for cell in ws[ws.max_row]:
                cell.fill = RED
    for col, width in zip("ABCDEF", (18, 18, 8, 40, 8, 16), strict=True):
        ws.column_dimensions[col].width = width
    for i in range(len(data.departments)):
        ws.column_dimensions[chr(ord("G") + i)].width = 24
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

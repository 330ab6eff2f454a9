"""The 8D report: a PDF in the usual 8D layout (Chinese text, the vendored Noto Sans SC font, else
the system's Noto Sans CJK) and an Excel workbook with the same content (R6.1; the issue's "prints
as a PDF ... and exports to Excel"). Where the customer prescribes its own format, the file sent is
kept as an attachment of kind ``customer_report``.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from . import fishbone

FONT_DIR = Path(settings.BASE_DIR) / "kefu" / "static" / "kefu" / "vendor" / "noto-sans-sc"


def sections(capa) -> list[tuple[str, list[tuple[str, str]]]]:
    """The eight disciplines as (heading, [(label, text)]), shared by the PDF and the workbook."""

    def qty(checked, bad):
        if checked is None and bad is None:
            return "—"
        return _("%(checked)s checked, %(bad)s nonconforming") % {
            "checked": "—" if checked is None else checked,
            "bad": "—" if bad is None else bad,
        }

    def whys(rows):
        return "\n".join(f"{i}. {w}" for i, w in enumerate(rows or [], start=1))

    docs = "\n".join(
        f"{d.get('kind', '')} {d.get('number', '')} → {d.get('revision', '')}" for d in capa.documents or []
    )
    return [
        (_("D0 Team"), [(_("Team"), "\n".join(capa.team or []))]),
        (
            _("D1-D2 Problem description (5W2H)"),
            [
                (_("Problem"), capa.problem),
                (_("What"), capa.what),
                (_("Where"), capa.where),
                (_("When"), capa.when),
                (_("Who"), capa.who),
                (_("Why"), capa.why),
                (_("How"), capa.how),
                (_("How many"), capa.how_many),
            ],
        ),
        (
            _("D3 Containment"),
            [
                (_("Containment"), capa.containment),
                (_("At our plant"), qty(capa.plant_checked, capa.plant_nonconforming)),
                (_("In transit"), qty(capa.transit_checked, capa.transit_nonconforming)),
                (_("At the customer"), qty(capa.customer_checked, capa.customer_nonconforming)),
            ],
        ),
        (
            _("D4 Root cause"),
            [
                (_("5-Why (occurrence)"), whys(capa.why_occurrence)),
                (_("Fishbone (occurrence)"), fishbone.as_text(capa.fishbone_occurrence)),
                (_("Root cause (occurrence)"), capa.root_cause_occurrence),
                (_("5-Why (escape)"), whys(capa.why_escape)),
                (_("Fishbone (escape)"), fishbone.as_text(capa.fishbone_escape)),
                (_("Root cause (escape)"), capa.root_cause_escape),
            ],
        ),
        (
            _("D5-D6 Permanent corrective action and implementation"),
            [
                (_("Corrective action"), capa.corrective_action),
                (_("Implementation"), capa.implementation),
                (_("Verification committed by"), capa.verify_by.isoformat() if capa.verify_by else ""),
                (_("Verification result"), capa.verification),
            ],
        ),
        (_("D7 Prevention"), [(_("Prevention"), capa.prevention), (_("Documents updated"), docs)]),
        (
            _("D8 Closure and recognition"),
            [(_("Closure"), capa.closure), (_("Team recognition"), capa.recognition)],
        ),
    ]


def _header(capa) -> list[tuple[str, str]]:
    def when(moment):
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""

    def who(user):
        return (user.get_full_name() or user.get_username()) if user is not None else ""

    return [
        (_("Number"), capa.number),
        (_("Title"), capa.title),
        (_("Customer"), f"{capa.customer.code} {capa.customer.name}" if capa.customer_id else ""),
        (_("Responsible department"), capa.department.name),
        (_("Source"), f"{capa.get_source_type_display()} {capa.source_key}".strip()),
        (_("Severity"), capa.get_severity_display()),
        (_("Opened"), when(capa.opened_at)),
        (_("Status"), capa.get_status_display()),
        (_("Reply submitted"), f"{when(capa.reply_submitted_at)} {who(capa.reply_submitted_by)}".strip()),
        (
            _("Approved by the department manager"),
            f"{when(capa.reply_approved_at)} {who(capa.reply_approved_by)}".strip(),
        ),
        (
            _("Approved by the management rep"),
            f"{when(capa.report_approved_at)} {who(capa.report_approved_by)}".strip(),
        ),
    ]


def fishbones(capa) -> list[dict]:
    """D4's fishbones drawn in the PDF (those the reply gave): heading, effect, 6M bones."""
    out = []
    for heading, causes, effect in (
        (_("Fishbone (occurrence)"), capa.fishbone_occurrence, capa.root_cause_occurrence),
        (_("Fishbone (escape)"), capa.fishbone_escape, capa.root_cause_escape),
    ):
        if causes:
            rows = fishbone.rows(causes)
            out.append({"heading": heading, "effect": effect, "top": rows[:3], "bottom": rows[3:]})
    return out


def html(capa) -> str:
    """The report's HTML, which the PDF renders: the disciplines as tables, D4's fishbones drawn
    (the same causes are in D4's table as text, which the workbook shows)."""
    return render_to_string(
        "capa/report_8d.html",
        {"capa": capa, "header": _header(capa), "sections": sections(capa), "fishbones": fishbones(capa)},
    )


def pdf(capa, **options) -> bytes:
    """The 8D report as PDF bytes (WeasyPrint; ``options`` go to ``write_pdf``)."""
    from weasyprint import CSS, HTML

    fonts = [CSS(filename=str(FONT_DIR / name)) for name in ("400.css", "700.css")]
    fonts.append(CSS(filename=str(Path(__file__).with_name("report_8d.css"))))
    return HTML(string=html(capa), base_url=str(FONT_DIR)).write_pdf(stylesheets=fonts, **options)


def xlsx(capa) -> bytes:
    """The 8D report as an Excel workbook: one sheet, the header then each discipline."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "8D"
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 90
    ws.append([_("8D report"), capa.number])
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in _header(capa):
        ws.append([label, value])
    fill = PatternFill("solid", fgColor="DDE6F0")
    for heading, rows in sections(capa):
        ws.append([])
        ws.append([heading])
        cell = ws.cell(row=ws.max_row, column=1)
        cell.font = Font(bold=True)
        for c in (1, 2):
            ws.cell(row=ws.max_row, column=c).fill = fill
        for label, value in rows:
            ws.append([label, value or ""])
            ws.cell(row=ws.max_row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

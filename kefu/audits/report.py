"""The improvement report of an audit (不符合项改善报告, 000 3.1): a PDF with Chinese text
(WeasyPrint, the vendored Noto Sans SC font as the 8D report uses): the audit, then every
nonconformity with its 8D's root cause, corrective action, verification and status. Where the
customer prescribes its own format, the file sent is kept in folder A (``customer_format``)."""

from __future__ import annotations

from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone

from kefu.capa.report import FONT_DIR


def html(detail) -> str:
    return render_to_string(
        "audits/report.html",
        {
            "audit": detail.audit,
            "findings": detail.findings,
            "meetings": detail.meetings,
            "now": timezone.now(),
        },
    )


def pdf(detail, **options) -> bytes:
    from weasyprint import CSS, HTML

    sheets = [CSS(filename=str(FONT_DIR / name)) for name in ("400.css", "700.css")]
    sheets.append(CSS(filename=str(Path(__file__).with_name("report.css"))))
    return HTML(string=html(detail), base_url=str(FONT_DIR)).write_pdf(stylesheets=sheets, **options)

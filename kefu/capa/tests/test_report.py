"""The 8D report as PDF (Chinese text, the 8D layout) and as an Excel workbook."""

from __future__ import annotations

import io

import pytest

from kefu.capa.tests.factory import open_capa, to_verification

pytestmark = pytest.mark.django_db


def test_pdf_has_the_disciplines_in_chinese(org, page):
    capa = to_verification(org, open_capa(org))
    res = page("quality").get(f"/capa/{capa.number}/8d.pdf")
    assert res.status_code == 200 and res["Content-Type"] == "application/pdf"
    data = res.content
    assert data.startswith(b"%PDF-")
    # the Chinese text is set in a CJK font, embedded (the system's Noto Sans CJK or the vendored one)
    from kefu.capa import report

    plain = report.pdf(capa, uncompressed_pdf=True)
    assert b"Noto-Sans-CJK-SC" in plain or b"NotoSansSC" in plain

    text = report.html(capa)
    for needle in ("8D 报告", "D4 根本原因", "刀具寿命未管控", "PF-001", "管理者代表批准", capa.number):
        assert needle in text, needle


def test_excel_export(org, page):
    from openpyxl import load_workbook

    capa = to_verification(org, open_capa(org))
    res = page("quality").get(f"/capa/{capa.number}/8d.xlsx")
    assert res.status_code == 200
    ws = load_workbook(io.BytesIO(res.content)).active
    values = [(r[0], r[1]) for r in ws.iter_rows(values_only=True) if r and r[0]]
    cells = dict(v for v in values if v[1] is not None)
    assert cells["8D 报告"] == capa.number
    assert cells["流出根本原因"] == "控制计划未含孔径全检"
    assert any("D3" in str(v[0]) for v in values)


def test_reports_are_refused_to_who_may_not_see_the_customer(org, page):
    from kefu.complaints.tests.workflow_factory import customer

    capa = open_capa(org, customer=customer("C9", owner=org["sales"]))
    assert page("sales2").get(f"/capa/{capa.number}/8d.pdf").status_code == 403

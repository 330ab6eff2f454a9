"""The CAPA pages: list with its filters, new form, detail with every discipline and its history,
the engine's action panel, evidence upload; Chinese by default, English on request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.capa.models import Capa
from kefu.capa.tests.factory import PNG, open_capa, prodmgr, reply

pytestmark = pytest.mark.django_db


def test_list_filters_and_languages(org, page):
    a = open_capa(org)
    b = open_capa(org, department="warehouse", title="错发")
    client = page("quality")
    html = client.get("/capa/").content.decode()
    assert a.number in html and b.number in html and "纠正措施" in html
    html = client.get("/capa/?department=warehouse").content.decode()
    assert b.number in html and a.number not in html
    html = client.get("/capa/?status=closed").content.decode()
    assert a.number not in html
    client.cookies["django_language"] = "en"
    html = client.get("/capa/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Corrective actions (8D)" in html


def test_new_capa_form(org, page):
    client = page("quality")
    assert client.get("/capa/new/").status_code == 200
    res = client.post(
        "/capa/new/",
        {
            "title": "孔偏",
            "department": "production",
            "nonconformity": "位置度",
            "severity": "general",
            "problem": "孔位偏移",
        },
    )
    capa = Capa.objects.get(title="孔偏")
    assert res.status_code == 302 and res["Location"] == f"/capa/{capa.number}/"
    res = client.post(
        "/capa/new/",
        {
            "title": "x",
            "department": "production",
            "nonconformity": "y",
            "severity": "general",
            "problem": "z",
            "customer": "NOPE",
        },
    )
    assert res.status_code == 200 and Capa.objects.count() == 1


def test_detail_shows_the_disciplines_and_the_actions_go_through_the_panel(org, page):
    capa = open_capa(org, now=dt.datetime.now(dt.UTC))
    client = page("production")
    html = client.get(f"/capa/{capa.number}/").content.decode()
    for text in ("D0", "D1-D2", "D3", "D4", "D5-D6", "D7", "D8", "孔径超差", 'id="workflow"', "submit_reply"):
        assert text in html, text
    client.post(
        f"/capa/{capa.number}/attachments/",
        {"kind": "evidence", "attachments": [SimpleUploadedFile("p.png", PNG, "image/png")]},
    )
    data = reply((dt.date.today() + dt.timedelta(days=7)).isoformat())
    form = {k: ("\n".join(v) if isinstance(v, list) and k != "documents" else v) for k, v in data.items()}
    form["documents"] = "pfmea | PF-001 | C\ncontrol_plan | CP-001 | B"
    res = client.post(f"/work/capa/{capa.number}/act/submit_reply/", form, HTTP_HX_REQUEST="true")
    assert res.status_code == 200
    capa.refresh_from_db()
    assert capa.reply_submitted_at is not None, res.content.decode()[:2000]
    assert capa.documents[1] == {"kind": "control_plan", "number": "CP-001", "revision": "B"}
    assert capa.why_occurrence == data["why_occurrence"]
    prodmgr(org)
    client.force_login(org["prodmgr"])
    client.post(f"/work/capa/{capa.number}/act/approve_reply/", {})
    capa.refresh_from_db()
    assert capa.status == "review"
    html = client.get(f"/capa/{capa.number}/").content.decode()
    assert "PF-001" in html and "审核回复（部门经理）" in html and "控制计划" in html  # history, D7 in words


def test_analysis_page_has_the_pareto_table_and_chart(org, page):
    open_capa(org, nonconformity="外观")
    open_capa(org, nonconformity="外观", severity="serious")
    open_capa(org, nonconformity="尺寸")
    html = page("quality").get("/capa/analysis/?month=2026-11").content.decode()
    assert 'id="pareto"' in html and "echarts.min.js" in html
    rows = html.split('id="pareto-table"')[1]
    assert rows.index("外观") < rows.index("尺寸")
    assert page("quality").get("/capa/analysis/?month=bad").status_code == 200


def test_pareto_table_counts_and_cumulates(org):
    from kefu.capa.selectors import pareto

    for _ in range(3):
        open_capa(org, nonconformity="外观")
    open_capa(org, nonconformity="尺寸", severity="serious")
    rows = pareto(org["quality"], "2026-11")
    assert [(r["nonconformity"], r["count"], r["score"], r["cumulative"]) for r in rows] == [
        ("外观", 3, 3, 75.0),
        ("尺寸", 1, 9, 100.0),
    ]
    assert pareto(org["quality"], "2026-10") == []


def test_list_rows_show_source_department_translated_labels_lateness_and_escape(
    org, page, django_assert_max_num_queries
):
    import datetime as dt

    late = open_capa(org, title="<b>划伤</b>", source_type="complaint", source="202611-0007")
    fresh = open_capa(org, now=dt.datetime.now(dt.UTC), severity="major")
    client = page("quality")
    with django_assert_max_num_queries(12):
        html = client.get("/capa/").content.decode()
    rows = {n: html.split(n, 1)[1].split("</tr>", 1)[0] for n in (late.number, fresh.number)}
    assert "&lt;b&gt;划伤&lt;/b&gt;" in rows[late.number] and "<b>划伤" not in html
    assert '<span class="num">202611-0007</span>' in rows[late.number] and "客诉" in rows[late.number]
    assert 'class="late"' in rows[late.number] and 'class="late"' not in rows[fresh.number]
    assert "制造部" in rows[late.number] and 'data-label="责任部门"' in rows[late.number]
    assert "badge-major" in rows[fresh.number] and "2026-11-04 10:00" in rows[late.number]

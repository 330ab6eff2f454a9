"""The CAPA API: open, list with filters, detail, evidence upload, the engine's actions (409 / 403 /
422 as for complaints), and its OpenAPI document."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.capa.tests.factory import PNG, evidence, open_capa, prodmgr, reply

pytestmark = pytest.mark.django_db

NEW = {
    "title": "划伤",
    "department": "production",
    "problem": "表面划伤",
    "nonconformity": "外观",
    "severity": "major",
}


def test_create_and_read(org, api):
    res = api("quality").post("/api/v1/capa", NEW, content_type="application/json")
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["status"] == "reply" and body["department"] == "production"
    assert body["disciplines"]["d1_d2_problem"]["problem"] == "表面划伤"
    assert body["steps"][0]["step"] == "reply" and body["steps"][0]["clock"] == {
        "amount": 48,
        "unit": "hours",
    }
    assert body["history"][0]["action"] == "open"


def test_create_refusals(org, api):
    res = api("quality").post(
        "/api/v1/capa", {**NEW, "department": "nowhere"}, content_type="application/json"
    )
    assert res.status_code == 422 and res.json()["field"] == "department"
    res = api("quality").post("/api/v1/capa", {**NEW, "colour": "red"}, content_type="application/json")
    assert res.status_code == 400
    res = api("sales").post("/api/v1/capa", NEW, content_type="application/json")
    assert res.status_code == 403


def test_list_filters(org, api):
    a = open_capa(org)
    b = open_capa(org, department="warehouse")
    rows = lambda q: [r["number"] for r in api("quality").get(f"/api/v1/capa?{q}").json()["results"]]  # noqa: E731
    assert set(rows("")) == {a.number, b.number}
    assert rows("department=warehouse") == [b.number]
    assert set(rows("status=reply")) == {a.number, b.number}
    assert rows("status=closed") == []
    assert set(rows("overdue=true")) == {a.number, b.number}  # opened in 2026-11, long past 48 hours
    assert api("quality").get("/api/v1/capa?status=nope").status_code == 400


def test_reply_through_the_api_needs_evidence_then_the_manager(org, api):
    capa = open_capa(org, now=dt.datetime.now(dt.UTC))
    url = f"/api/v1/capa/{capa.number}/actions"
    today = dt.date.today()
    data = reply((today + dt.timedelta(days=10)).isoformat())
    res = api("production").post(f"{url}/submit_reply", data, content_type="application/json")
    assert res.status_code == 422 and res.json()["field"] == "attachments"
    up = api("production").post(
        f"/api/v1/capa/{capa.number}/attachments",
        {"attachments": [SimpleUploadedFile("a.png", PNG, "image/png")]},
    )
    assert up.status_code == 201 and up.json()[0]["kind"] == "evidence"
    late = reply((today + dt.timedelta(days=40)).isoformat())
    res = api("production").post(f"{url}/submit_reply", late, content_type="application/json")
    assert res.status_code == 422 and res.json()["field"] == "verify_by"
    res = api("production").post(f"{url}/submit_reply", data, content_type="application/json")
    assert res.status_code == 200 and res.json()["status"] == "reply"
    assert api("quality").post(f"{url}/accept_report", {}, content_type="application/json").status_code == 409
    assert (
        api("production").post(f"{url}/approve_reply", {}, content_type="application/json").status_code == 403
    )
    prodmgr(org)
    res = api("prodmgr").post(f"{url}/approve_reply", {}, content_type="application/json")
    assert res.status_code == 200 and res.json()["status"] == "review"
    allowed = api("quality").get(url).json()["allowed"]
    assert {"accept_report", "send_back"} <= set(allowed)


def test_openapi_documents_the_capa_routes(org, api):
    paths = api("quality").get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/capa" in paths
    assert "/api/v1/capa/{number}/actions/{action}" in paths
    assert "/api/v1/capa/{number}/attachments" in paths


def test_evidence_is_listed_on_the_detail(org, api):
    capa = open_capa(org)
    evidence(capa, org, "training.png")
    body = api("quality").get(f"/api/v1/capa/{capa.number}").json()
    assert [a["name"] for a in body["attachments"]] == ["training.png"]


def test_a_capa_of_a_customer_is_as_confidential_as_the_customer(org, api):
    from kefu.complaints.tests.workflow_factory import customer
    from kefu.customers.models import CustomerAccessLog

    mine = open_capa(org, customer=customer("C7", owner=org["sales"]))
    plain = open_capa(org)
    numbers = lambda user: {r["number"] for r in api(user).get("/api/v1/capa").json()["results"]}  # noqa: E731
    assert numbers("sales") == {mine.number, plain.number}
    assert numbers("sales2") == {plain.number}
    assert api("sales2").get(f"/api/v1/capa/{mine.number}").status_code == 403
    assert CustomerAccessLog.objects.filter(customer__code="C7").exists()
    assert api("sales").get(f"/api/v1/capa/{mine.number}").status_code == 200

"""The audit API: plan, list with filters, detail, nonconformities, documents, the engine's actions
(409 / 403 as for complaints and 8Ds), confidentiality of another salesman's customer (R1.2)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.audits.tests.factory import at, customer, plan
from kefu.customers.models import CustomerAccessLog

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def new(code="C001", **over):
    data = {
        "customer": code,
        "audit_type": "csr",
        "planned_start": "2026-12-14T09:00:00+08:00",
        "planned_end": "2026-12-15T17:00:00+08:00",
        "departments": [{"department": "production", "manager": "王五"}],
        "auditors": [{"name": "Smith", "title": "SQE", "email": "smith@customer.example"}],
        "scope": "CSR 红线",
    }
    data.update(over)
    return data


def test_plan_and_read(org, api):
    customer("C001")
    res = api("sales").post("/api/v1/audits", new(), content_type="application/json")
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["number"].startswith("AU-") and body["status"] == "planned" and body["audit_type"] == "csr"
    assert body["name"].startswith("20261214 客户C001")
    assert [s["step"] for s in body["steps"]] == ["preparation"]
    assert body["steps"][0]["due_at"] == "2026-12-14T09:00:00+08:00"
    notices = {n["notice"]: n for n in body["notices"]}
    assert notices["departments"]["at"] == "2026-12-10T09:00:00+08:00"  # Monday -> Thursday
    assert notices["opening"]["at"] == "2026-12-11T09:00:00+08:00" and notices["opening"]["sent_at"] is None
    got = api("sales").get(f"/api/v1/audits/{body['number']}").json()
    assert got["departments"] == [{"department": "production", "manager": "王五"}]


def test_plan_refusals(org, api):
    customer("C001")
    res = api("sales").post("/api/v1/audits", new(audit_type="nope"), content_type="application/json")
    assert res.status_code == 400
    res = api("sales").post(
        "/api/v1/audits", new(departments=[{"department": "nowhere"}]), content_type="application/json"
    )
    assert res.status_code == 422 and res.json()["field"] == "departments"
    res = api("sales").post(
        "/api/v1/audits", new(planned_end="2026-12-13T09:00:00+08:00"), content_type="application/json"
    )
    assert res.status_code == 422 and res.json()["field"] == "planned_end"
    res = api("sales").post("/api/v1/audits", new(code="NOPE"), content_type="application/json")
    assert res.status_code == 422 and res.json()["field"] == "customer"
    assert api("production").post("/api/v1/audits", new(), content_type="application/json").status_code == 403


def test_list_filters(org, api):
    a = plan(org, cust=customer("C001"))
    b = plan(org, cust=customer("C002"), audit_type="csr", start=at(2026, 11, 20))
    rows = lambda q: [r["number"] for r in api("quality").get(f"/api/v1/audits?{q}").json()["results"]]  # noqa: E731
    assert rows("") == [b.number, a.number]  # the latest planned first
    assert rows("audit_type=csr") == [b.number]
    assert rows("customer=C001") == [a.number]
    assert rows("status=open") == [b.number, a.number]
    assert rows("status=closed") == []
    assert api("quality").get("/api/v1/audits?status=nope").status_code == 400


def test_actions_409_and_403(org, api):
    a = plan(org)
    url = f"/api/v1/audits/{a.number}/actions"
    allowed = api("sales").get(url).json()
    assert "open_meeting" in str(allowed)
    res = api("sales").post(f"{url}/close_meeting", {"ours": ["王五"]}, content_type="application/json")
    assert res.status_code == 409 and "open_meeting" in res.json()["allowed"]
    res = api("production").post(f"{url}/open_meeting", {"ours": ["王五"]}, content_type="application/json")
    assert res.status_code == 403
    res = api("sales").post(f"{url}/open_meeting", {"ours": []}, content_type="application/json")
    assert res.status_code == 400 and res.json()["field"] == "ours"
    res = api("sales").post(
        f"{url}/open_meeting", {"ours": ["王五"], "customer": ["Smith"]}, content_type="application/json"
    )
    assert res.status_code == 200 and res.json()["status"] == "in_progress"


def test_nonconformities_and_attachments(org, api):
    a = plan(org)
    url = f"/api/v1/audits/{a.number}"
    nc = {"description": "首件记录缺失", "department": "production", "clause": "8.5.1"}
    assert api("sales").post(f"{url}/nonconformities", nc, content_type="application/json").status_code == 409
    api("sales").post(f"{url}/actions/open_meeting", {"ours": ["王五"]}, content_type="application/json")
    res = api("sales").post(f"{url}/nonconformities", nc, content_type="application/json")
    assert res.status_code == 201 and res.json()["key"] == f"{a.number}-NC01"
    res = api("sales").post(
        f"{url}/nonconformities", {**nc, "department": "x"}, content_type="application/json"
    )
    assert res.status_code == 422 and res.json()["field"] == "department"
    res = api("sales").post(
        f"{url}/attachments", {"attachments": [SimpleUploadedFile("c.png", PNG, "image/png")], "folder": "c"}
    )
    assert res.status_code == 201 and res.json()[0]["folder"] == "c"
    body = api("sales").get(url).json()
    assert body["nonconformities"][0]["capa"] is None and body["attachments"][0]["name"] == "c.png"


def test_another_salesmans_customer_is_403_and_logged(org, api):
    c = customer("S002", owner="sales2")
    a = plan(org, cust=c, by="sales2")
    assert api("sales2").get(f"/api/v1/audits/{a.number}").status_code == 200
    res = api("sales").get(f"/api/v1/audits/{a.number}")
    assert res.status_code == 403
    assert CustomerAccessLog.objects.filter(customer=c, user=org["sales"]).exists()
    assert api("sales").get(f"/api/v1/audits/{a.number}/actions").status_code == 403
    assert a.number not in str(api("sales").get("/api/v1/audits").json())
    res = api("sales").post("/api/v1/audits", new("S002"), content_type="application/json")
    assert res.status_code == 403

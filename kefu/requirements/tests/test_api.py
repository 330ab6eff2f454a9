"""The API at /api/v1/requirements: list with filters, create, detail, reviews, files, the engine's
actions (403 / 409 as for the complaint and the CAPA), HSF cycles; bad input 4xx naming the field;
confidentiality (R1.2) as for the CAPA."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.customers.models import CustomerAccessLog
from kefu.requirements.models import HsfCycle

from .factory import LIMITS, PDF, customer, hspm, requirement

pytestmark = pytest.mark.django_db

BODY = {
    "customer": "C001",
    "document": {"title": "CSR 手册", "number": "QA-CSR-01", "revision": "B", "date": "2026-09-01"},
    "clause": "5.1",
    "title": "过程审核每年一次",
    "text": "按 VDA 6.3 每年完成过程审核",
    "red_line": True,
    "departments": ["quality", "production"],
    "linked_documents": [{"number": "QP-09", "title": "内部审核程序", "revision": "A"}],
}


def test_create_list_detail_and_filters(org, api):
    customer("C001", owner=org["sales"])
    r = api("sales").post("/api/v1/requirements", BODY, content_type="application/json")
    assert r.status_code == 201, r.content
    out = r.json()
    assert (out["status"], out["red_line"], out["reviewed"]) == ("review", True, False)
    assert [v["department"] for v in out["reviews"]] == ["quality", "production"]
    assert out["document"]["number"] == "QA-CSR-01" and out["linked_documents"][0]["number"] == "QP-09"
    requirement(org, title="普通要求")  # not a red line
    listed = api("quality").get("/api/v1/requirements?red_line=true").json()
    assert [x["number"] for x in listed["results"]] == [out["number"]]
    assert api("quality").get("/api/v1/requirements?customer=C001&status=review").json()["count"] == 2
    assert api("quality").get("/api/v1/requirements?status=in_force").json()["count"] == 0
    assert api("quality").get(f"/api/v1/requirements/{out['number']}").json()["title"] == "过程审核每年一次"


def test_review_through_the_action_routes_403_409(org, api):
    req = requirement(org, departments=("quality",))
    url = f"/api/v1/requirements/{req.number}/actions"
    assert api("quality").get(url).json()["allowed"] == ["review", "withdraw"]
    r = api("production").post(f"{url}/review", {"answer": "accepted"}, content_type="application/json")
    assert r.status_code == 403
    r = api("quality").post(f"{url}/review", {"answer": "needs_action"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "action"
    r = api("quality").post(f"{url}/review", {"answer": "maybe"}, content_type="application/json")
    assert r.status_code == 400 and "answer" in r.json()["field"]
    r = api("quality").post(f"{url}/review", {"answer": "accepted"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "in_force"
    r = api("quality").post(f"{url}/review", {"answer": "accepted"}, content_type="application/json")
    assert r.status_code == 409
    reviews = api("quality").get(f"/api/v1/requirements/{req.number}/reviews").json()
    assert reviews["reviewed"] is True and reviews["reviews"][0]["by"] == "quality"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"departments": []}, "departments"),
        ({"departments": ["marketing"]}, "departments"),
        ({"title": ""}, "title"),
        ({"document": {"title": "x", "number": "n", "revision": "A", "date": "2026-13-01"}}, "document"),
        ({"customer": "NOPE"}, "customer"),
    ],
)
def test_bad_input_is_4xx_naming_the_field(org, api, change, field):
    customer("C001", owner=org["sales"])
    r = api("sales").post("/api/v1/requirements", {**BODY, **change}, content_type="application/json")
    assert r.status_code in (400, 404, 422), r.content
    assert field in (r.json().get("field") or "")


def test_bad_filter_names_the_field(org, api):
    r = api("quality").get("/api/v1/requirements?status=bogus")
    assert r.status_code in (400, 422) and "status" in r.content.decode()


def test_another_salesmans_customer_is_403_and_logged(org, api):
    req = requirement(org, code="C7")  # owned by "sales"
    assert api("sales2").get(f"/api/v1/requirements/{req.number}").status_code == 403
    assert api("sales2").get(f"/api/v1/requirements/{req.number}/actions").status_code == 403
    assert api("sales2").get("/api/v1/requirements").json()["count"] == 0
    assert CustomerAccessLog.objects.filter(user=org["sales2"], customer__code="C7").exists()
    assert api("sales").get(f"/api/v1/requirements/{req.number}").status_code == 200


def test_registering_is_for_sales_quality_gm_office(org, api):
    customer("C001")
    r = api("warehouse").post("/api/v1/requirements", BODY, content_type="application/json")
    assert r.status_code == 403


def test_cmrt_upload_with_date(org, api):
    customer("C001", owner=org["sales"])
    url = "/api/v1/requirements/customers/C001/files"
    r = api("quality").post(url, {"kind": "cmrt", "attachments": [SimpleUploadedFile("cmrt.pdf", PDF)]})
    assert r.status_code == 422 and r.json()["field"] == "dated"
    r = api("quality").post(
        url, {"kind": "cmrt", "dated": "2026-11-20", "attachments": [SimpleUploadedFile("cmrt.pdf", PDF)]}
    )
    assert r.status_code == 201, r.content
    assert r.json()[0]["dated"] == "2026-11-20"


def test_hsf_cycle_api_chain(org, api):
    customer("C001", owner=org["sales"])
    r = api("sales").post(
        "/api/v1/requirements/hsf/cycles",
        {"customer": "C001", "reason": "新版环保规范"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    url = f"/api/v1/requirements/hsf/cycles/{number}/actions"
    assert api("sales").get(url).json()["allowed"] == ["collect"]
    r = api("sales").post(f"{url}/identify", {}, content_type="application/json")
    assert r.status_code == 409
    r = api("sales").post(f"{url}/collect", {"limits": LIMITS}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "identify"
    api("quality").post(f"{url}/identify", {}, content_type="application/json")
    hspm(org)
    r = api("quality").post(f"{url}/approve", {}, content_type="application/json")
    assert r.status_code == 403
    r = api("hspm").post(f"{url}/approve", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    limits = api("quality").get("/api/v1/requirements/hsf/limits?customer=C001").json()
    assert limits["count"] == 3
    cycles = api("quality").get("/api/v1/requirements/hsf/cycles?kind=change").json()
    assert [c["number"] for c in cycles["results"]] == [number]
    assert (
        api("quality").get(f"/api/v1/requirements/hsf/cycles/{number}").json()["limits"][0]["unit"] == "ppm"
    )


def test_hsf_change_needs_reason(org, api):
    customer("C001")
    r = api("sales").post(
        "/api/v1/requirements/hsf/cycles", {"customer": "C001"}, content_type="application/json"
    )
    assert r.status_code in (400, 422) and "reason" in r.json()["field"]
    assert not HsfCycle.objects.exists()


def test_api_answers_in_english_and_chinese(org, api):
    req = requirement(org, departments=("quality",))
    url = f"/api/v1/requirements/{req.number}/actions/review"
    en = api("production").post(
        url, {"answer": "accepted"}, content_type="application/json"
    )  # the API's default
    zh = api("production").post(
        url, {"answer": "accepted"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert zh.status_code == en.status_code == 403
    assert "your department has no open review" in en.json()["detail"]
    assert "您的部门对该要求没有待答复的评审" in zh.json()["detail"] and "答复评审" in zh.json()["detail"]

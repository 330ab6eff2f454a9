"""SPEC section 3: /api/v1/customers."""

import pytest
from django.test import Client

from kefu.customers.models import Customer, CustomerAccessLog

BODY = {"code": "C9001", "name": "北方重工", "region": "domestic", "grade": "B", "is_key": True}


def test_create_returns_201_with_the_customer(org, api):
    body = {
        **BODY,
        "owner": "sales",
        "area": "辽宁",
        "contacts": [{"name": "周敏", "email": "zm@example.com"}],
    }
    response = api("salesmgr").post("/api/v1/customers", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert {
        k: data[k] for k in ("code", "name", "region", "grade", "is_key", "owner", "area", "open_complaints")
    } == {
        "code": "C9001",
        "name": "北方重工",
        "region": "domestic",
        "grade": "B",
        "is_key": True,
        "owner": "sales",
        "area": "辽宁",
        "open_complaints": 0,
    }
    assert [c["name"] for c in data["contacts"]] == ["周敏"]
    assert data["created_at"].endswith("+08:00")
    assert Customer.objects.get(code="C9001").owner == org["sales"]


def test_duplicate_code_is_409_naming_code(org, api):
    api("salesmgr").post("/api/v1/customers", BODY, content_type="application/json")
    response = api("salesmgr").post("/api/v1/customers", BODY, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["detail"] == "code: a customer with this code already exists"


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"region": "mars"}, "region", 400),
        ({"grade": "E"}, "grade", 400),
        ({"owner": "ghost"}, "owner", 422),
        ({"name": None}, "name", 400),
        ({"name": ""}, "name", 422),
        ({"code": "a/b"}, "code", 422),
        ({"contacts": [{"name": "A", "email": "bad@"}]}, "contacts.0.email", 422),
        ({"contacts": [{"email": "a@example.com"}]}, "contacts.0.name", 400),
        ({"nmae": "typo"}, "nmae", 400),
        ({"name": "a\x00b"}, "name", 400),
    ],
)
def test_bad_input_is_4xx_naming_the_field(org, api, change, field, status):
    """400: not the declared shape (docs/api.md); 422: refused by a rule of the service."""
    body = {k: v for k, v in {**BODY, **change}.items() if v is not None}
    response = api("salesmgr").post("/api/v1/customers", body, content_type="application/json")
    assert response.status_code == status, response.content
    assert response.json()["detail"].startswith(f"{field}: ")
    assert not Customer.objects.exists()


def test_no_token_is_401(org):
    assert Client().get("/api/v1/customers").status_code == 401
    assert Client().post("/api/v1/customers", BODY, content_type="application/json").status_code == 401
    assert Client(headers={"Authorization": "Bearer kf_wrong"}).get("/api/v1/customers/C1").status_code == 401


def test_quality_clerk_may_not_create(org, api):
    response = api("quality").post("/api/v1/customers", BODY, content_type="application/json")
    assert response.status_code == 403


def test_get_returns_the_customer_and_logs_the_read(org, api, customers):
    response = api("sales").get("/api/v1/customers/C-S1")
    assert response.status_code == 200
    data = response.json()
    assert (data["code"], data["name"], data["owner"], data["contacts"][0]["mobile"]) == (
        "C-S1",
        "华东精密机械",
        "sales",
        "13800000001",
    )
    assert (
        CustomerAccessLog.objects.filter(
            user=org["sales"], customer=customers["mine"], action="api_read"
        ).count()
        == 1
    )


def test_list_is_paginated_and_limited_to_visible_customers(org, api, make_customer):
    for i in range(7):
        make_customer(f"L{i:02d}", owner="sales" if i < 5 else "sales2", grade="A" if i % 2 else "C")
    data = api("sales").get("/api/v1/customers?page=2&page_size=2").json()
    assert (data["count"], data["page"], data["page_size"]) == (5, 2, 2)
    assert [r["code"] for r in data["results"]] == ["L02", "L03"]
    data = api("salesmgr").get("/api/v1/customers?grade=A").json()
    assert [r["code"] for r in data["results"]] == ["L01", "L03", "L05"]


def test_list_filters_search_contacts_owner_region_key(org, api, customers, make_customer):
    make_customer(
        "F1",
        owner="sales2",
        region="foreign",
        is_key=True,
        contacts=[{"name": "Hans", "phone": "+49 30 1234"}],
    )
    client = api("salesmgr")

    def codes(query):
        return [r["code"] for r in client.get(f"/api/v1/customers?{query}").json()["results"]]

    assert codes("q=李娜") == ["C-S1"]
    assert codes("q=13800000001") == ["C-S1"]
    assert codes("q=1234") == ["F1"]
    assert codes("q=西南") == ["C-S2"]
    assert codes("owner=sales2") == ["C-S2", "F1"]
    assert codes("region=foreign") == ["F1"]
    assert codes("key=1") == ["F1"]
    assert codes("key=0") == ["C-S1", "C-S2"]


def test_list_counts_open_complaints(org, api, customers, make_complaint):
    make_complaint(customers["mine"])
    make_complaint(customers["mine"], status="investigating")
    make_complaint(customers["mine"], status="closed")
    rows = {
        r["code"]: r["open_complaints"] for r in api("salesmgr").get("/api/v1/customers").json()["results"]
    }
    assert rows == {"C-S1": 2, "C-S2": 0}


@pytest.mark.parametrize(
    "query", ["grade=Z", "region=mars", "key=maybe", "page=0", "page=x", "page_size=1000"]
)
def test_list_bad_filter_is_400(org, api, query):
    response = api("salesmgr").get(f"/api/v1/customers?{query}")
    assert response.status_code == 400
    assert response.json()["detail"].split(":")[0] == query.split("=")[0]


def test_list_query_count_does_not_grow_with_rows(
    org, api, make_customer, make_complaint, django_assert_max_num_queries
):
    for i in range(35):
        c = make_customer(f"Q{i:03d}", contacts=[{"name": f"联系人{i}"}])
        make_complaint(c)
    client = api("salesmgr")
    client.get("/api/v1/customers")  # token last-used touch
    with django_assert_max_num_queries(5):
        data = client.get("/api/v1/customers?page_size=50").json()
    assert data["count"] == 35 and len(data["results"]) == 35
    assert all(r["open_complaints"] == 1 for r in data["results"])


def test_patch_changes_fields_and_replaces_contacts(org, api, customers):
    response = api("sales").patch(
        "/api/v1/customers/C-S1",
        {"name": "华东精密", "is_key": True, "contacts": [{"name": "新联系人", "email": "n@example.com"}]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["name"], data["is_key"], [c["name"] for c in data["contacts"]]) == (
        "华东精密",
        True,
        ["新联系人"],
    )


def test_patch_refusals(org, api, customers):
    client = api("sales")
    r = client.patch("/api/v1/customers/C-S1", {"grade": "A"}, content_type="application/json")
    assert (r.status_code, r.json()["detail"].split(":")[0]) == (422, "grade")
    r = client.patch("/api/v1/customers/C-S1", {"region": "moon"}, content_type="application/json")
    assert (r.status_code, r.json()["detail"].split(":")[0]) == (400, "region")
    r = client.patch("/api/v1/customers/C-S1", {"owner": "sales2"}, content_type="application/json")
    assert r.status_code == 403
    r = client.patch("/api/v1/customers/C-S2", {"name": "x"}, content_type="application/json")
    assert r.status_code == 403
    r = api("salesmgr").patch("/api/v1/customers/C-S1", {"owner": "ghost"}, content_type="application/json")
    assert (r.status_code, r.json()["detail"].split(":")[0]) == (422, "owner")
    r = api("salesmgr").patch("/api/v1/customers/C-S1", {"owner": None}, content_type="application/json")
    assert (r.status_code, r.json()["owner"]) == (200, None)


def test_grade_endpoint_changes_grade_with_reason(org, api, customers):
    client = api("sales")
    r = client.post(
        "/api/v1/customers/C-S1/grade", {"grade": "A", "reason": "销量翻倍"}, content_type="application/json"
    )
    assert (r.status_code, r.json()["grade"]) == (200, "A")
    assert customers["mine"].grade_changes.first().reason == "销量翻倍"
    r = client.post(
        "/api/v1/customers/C-S1/grade", {"grade": "B", "reason": ""}, content_type="application/json"
    )
    assert (r.status_code, r.json()["detail"]) == (422, "reason: a grade change needs a reason")
    r = client.post("/api/v1/customers/C-S1/grade", {"grade": "B"}, content_type="application/json")
    assert (r.status_code, r.json()["detail"].split(":")[0]) == (400, "reason")
    r = client.post(
        "/api/v1/customers/C-S1/grade", {"grade": "A", "reason": "x"}, content_type="application/json"
    )
    assert r.status_code == 409


def test_openapi_lists_customer_paths(org, api):
    paths = api("sales").get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/customers", "/api/v1/customers/{code}", "/api/v1/customers/{code}/grade"} <= set(paths)

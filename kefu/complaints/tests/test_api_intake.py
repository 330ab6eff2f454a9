"""Complaints API v1 (SPEC section 3): register, list, detail, attachments; every bad input is a 4xx."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from kefu.core.models import CalendarDay

from ..models import Complaint
from .test_intake import EXE, JPEG, PDF, at, intake, make_customer, upload

URL = "/api/v1/complaints"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    # Files go to a temporary folder; messages are asserted in English (the msgids).
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def customers(org):
    return {
        "mine": make_customer("C001", owner=org["sales"]),
        "other": make_customer("C002", owner=org["sales2"]),
        "foreign": make_customer("F001", owner=org["sales"], region="foreign"),
    }


def body(**overrides) -> dict:
    data = {
        "customer": "C001",
        "channel": "phone",
        "title": "外壳划痕",
        "description": "20 of 500 housings scratched",
        "category": "quality",
        "severity": "general",
    }
    data.update(overrides)
    return data


# --- POST ---------------------------------------------------------------------


@pytest.mark.django_db
def test_post_registers_a_complaint_with_number_deadlines_and_region(api, customers, time_machine):
    time_machine.move_to(at(2026, 9, 30, 10, 0), tick=False)
    response = api("gmoffice").post(
        URL,
        body(
            customer="F001",
            received_at="2026-09-30T08:15:00+08:00",
            order_no="SO-1",
            part_no="P-9",
            quantity=500,
            defect_quantity=20,
            ship_date="2026-09-20",
            customer_request="exchange",
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"] == "202609-0001"
    assert data["status"] == "registered"
    assert data["region"] == "foreign"
    assert data["due_at"] == "2026-10-08T23:59:59+08:00"
    assert data["case_due_at"] == "2026-10-20T23:59:59+08:00"
    assert data["received_at"] == "2026-09-30T08:15:00+08:00"
    assert data["answer_by"] == "2026-10-20"
    assert (data["quantity"], data["defect_quantity"], data["ship_date"]) == (500, 20, "2026-09-20")
    assert data["steps"][0]["step"] == "assign" and data["steps"][0]["department"] == "gm_office"
    assert [h["action"] for h in data["history"]] == ["register", "acknowledge"]
    assert data["history"][0] == {
        "action": "register",
        "from_status": "",
        "to_status": "registered",
        "by": "gmoffice",
        "at": "2026-09-30T10:00:00+08:00",
        "note": "",
    }


@pytest.mark.django_db
def test_post_accepts_quantity_pending(api, customers):
    response = api("sales").post(URL, body(quantity_pending=True), content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["quantity_pending"] is True
    assert response.json()["quantity"] is None


# 400: not the declared shape (type, enum, length, date); 422: a rule refuses a well-formed value.
BAD = [
    ({"customer": "NOPE"}, 422, "customer: "),
    ({"quantity": -5}, 400, "quantity: "),
    ({"quantity": 2.5}, 400, "quantity: "),
    ({"quantity": "many"}, 400, "quantity: "),
    ({"defect_quantity": -1}, 400, "defect_quantity: "),
    ({"quantity": 10, "defect_quantity": 11}, 422, "defect_quantity: "),
    ({"quantity": 10, "quantity_pending": True}, 422, "quantity: "),
    ({"received_at": "2026-02-30T10:00:00+08:00"}, 400, "received_at: "),
    ({"received_at": "2099-01-01T10:00:00+08:00"}, 422, "received_at: "),
    ({"ship_date": "2026-02-30"}, 400, "ship_date: "),
    ({"ship_date": "2099-01-01"}, 422, "ship_date: "),
    ({"channel": "pigeon"}, 400, "channel: "),
    ({"category": "cosmetic"}, 400, "category: "),
    ({"severity": "apocalyptic"}, 400, "severity: "),
    ({"customer_request": "money"}, 400, "customer_request: "),
    ({"title": ""}, 400, "title: "),
    ({"description": "  "}, 400, "description: "),
    ({"title": "x" * 300}, 400, "title: "),
    ({"contact_email": "nope"}, 422, "contact_email: "),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad", "status", "prefix"), BAD, ids=[f"{list(b)[-1]}-{i}" for i, (b, _s, _p) in enumerate(BAD)]
)
def test_post_bad_input_is_4xx_naming_the_field_and_saves_nothing(api, customers, bad, status, prefix):
    response = api("gmoffice").post(URL, body(**bad), content_type="application/json")
    assert response.status_code == status, response.content
    assert response.json()["detail"].startswith(prefix)
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_post_missing_required_field_names_it(api, customers):
    data = body()
    del data["title"]
    response = api("gmoffice").post(URL, data, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("title: ")


@pytest.mark.django_db
def test_post_malformed_json_is_4xx_not_500(api, customers):
    response = api("gmoffice").post(URL, "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500


@pytest.mark.django_db
def test_no_token_is_401(customers):
    assert Client().post(URL, body(), content_type="application/json").status_code == 401
    assert Client().get(URL).status_code == 401


# --- GET list -----------------------------------------------------------------


@pytest.mark.django_db
def test_list_filters_status_customer_category_severity_and_dates(api, org, customers):
    clerk = org["gmoffice"]
    a = intake(clerk, customers["mine"], now=at(2026, 11, 3, 9, 0), category="quality", severity="major")
    b = intake(clerk, customers["other"], now=at(2026, 11, 5, 9, 0), category="non_quality")
    c = intake(clerk, customers["mine"], now=at(2026, 11, 6, 9, 0), title="包装破损 packing broken")
    client = api("quality")

    def numbers(query: str) -> list[str]:
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return [r["number"] for r in response.json()["results"]]

    assert numbers("") == [c.number, b.number, a.number]
    assert numbers("customer=C001") == [c.number, a.number]
    assert numbers("category=non_quality") == [b.number]
    assert numbers("severity=major") == [a.number]
    assert numbers("status=registered&customer=C002") == [b.number]
    assert numbers("received_from=2026-11-05&received_to=2026-11-05") == [b.number]
    assert numbers("received_from=2026-11-04") == [c.number, b.number]
    assert numbers("q=packing") == [c.number]


@pytest.mark.django_db
def test_list_overdue_means_open_and_past_step_or_case_deadline(api, org, customers, time_machine):
    clerk = org["gmoffice"]
    old = intake(clerk, customers["mine"], now=at(2026, 11, 2, 9, 0))  # assign due 11-03 23:59:59
    fresh = intake(clerk, customers["mine"], now=at(2026, 11, 5, 9, 0))  # due 11-06 23:59:59
    time_machine.move_to(at(2026, 11, 5, 12, 0), tick=False)
    response = api("quality").get(f"{URL}?overdue=true")
    assert [r["number"] for r in response.json()["results"]] == [old.number]
    assert fresh.number not in [r["number"] for r in response.json()["results"]]


@pytest.mark.django_db
def test_list_pages(api, org, customers):
    for i in range(5):
        intake(org["gmoffice"], customers["mine"], now=at(2026, 11, 3, 9, i))
    data = api("quality").get(f"{URL}?page=2&page_size=2").json()
    assert (data["count"], data["page"], data["page_size"]) == (5, 2, 2)
    assert [r["number"] for r in data["results"]] == ["202611-0003", "202611-0002"]
    assert api("quality").get(f"{URL}?page=9&page_size=2").json()["results"] == []


@pytest.mark.parametrize(
    ("query", "prefix"),
    [
        ("status=sleeping", "status: "),
        ("category=x", "category: "),
        ("severity=x", "severity: "),
        ("received_from=2026-02-30", "received_from: "),
        ("received_from=2026-11-05&received_to=2026-11-01", "received_to: "),
        ("page=0", "page: "),
        ("page=abc", "page: "),
        ("page_size=100000", "page_size: "),
        ("overdue=perhaps", "overdue: "),
    ],
)
@pytest.mark.django_db
def test_list_bad_filters_are_4xx_naming_the_parameter(api, customers, query, prefix):
    response = api("quality").get(f"{URL}?{query}")
    # A malformed parameter is 400; received_to before received_from is a rule between two: 422.
    assert response.status_code == (422 if query.startswith("received_from=2026-11-05") else 400), (
        response.content
    )
    assert response.json()["detail"].startswith(prefix)


# --- visibility (R1.2) ---------------------------------------------------------


@pytest.mark.django_db
def test_sales_lists_only_complaints_of_their_customers(api, org, customers):
    mine = intake(org["gmoffice"], customers["mine"], now=at(2026, 11, 3, 9, 0))
    intake(org["gmoffice"], customers["other"], now=at(2026, 11, 3, 10, 0))
    data = api("sales").get(URL).json()
    assert [r["number"] for r in data["results"]] == [mine.number]
    assert data["count"] == 1
    assert api("sales").get(f"{URL}?customer=C002").json()["results"] == []
    assert api("salesmgr").get(URL).json()["count"] == 2


@pytest.mark.django_db
def test_sales_asking_for_another_salesmans_complaint_is_403(api, org, customers):
    theirs = intake(org["gmoffice"], customers["other"], now=at(2026, 11, 3, 9, 0))
    response = api("sales").get(f"{URL}/{theirs.number}")
    assert response.status_code == 403
    assert "C002" in response.json()["detail"]
    assert api("sales2").get(f"{URL}/{theirs.number}").status_code == 200
    assert (
        api("sales")
        .post(f"{URL}/{theirs.number}/attachments", {"attachments": [upload("a.jpg")]})
        .status_code
        == 403
    )


@pytest.mark.django_db
def test_unknown_number_is_404(api, customers):
    assert api("quality").get(f"{URL}/209901-0001").status_code == 404


# --- GET detail ---------------------------------------------------------------


@pytest.mark.django_db
def test_detail_has_steps_history_links_and_attachments(api, org, customers):
    CalendarDay.objects.create(date=dt.date(2026, 11, 4), is_workday=True)
    parent = intake(org["gmoffice"], customers["mine"], now=at(2026, 11, 2, 9, 0))
    child = intake(
        org["gmoffice"], customers["mine"], now=at(2026, 11, 3, 9, 0), attachments=[upload("a.jpg")]
    )
    Complaint.objects.filter(pk=child.pk).update(parent=parent)
    data = api("sales").get(f"{URL}/{child.number}").json()
    assert data["links"] == {"parent": parent.number, "followups": []}
    assert api("sales").get(f"{URL}/{parent.number}").json()["links"] == {
        "parent": None,
        "followups": [child.number],
    }
    assert data["steps"] == [
        {
            "step": "assign",
            "department": "gm_office",
            "assignee": None,
            "started_at": "2026-11-03T09:00:00+08:00",
            "due_at": "2026-11-04T23:59:59+08:00",
            "done_at": None,
            "late": True,
        }
    ]
    assert data["attachments"][0]["name"] == "a.jpg"
    assert data["attachments"][0]["content_type"] == "image/jpeg"
    assert (
        data["attachments"][0]["url"]
        == f"/complaints/{child.number}/attachments/{data['attachments'][0]['id']}/"
    )


# --- POST attachments ------------------------------------------------------------


@pytest.mark.django_db
def test_upload_attachments_multipart(api, org, customers):
    c = intake(org["gmoffice"], customers["mine"], now=at(2026, 11, 3, 9, 0))
    response = api("sales").post(
        f"{URL}/{c.number}/attachments",
        {"attachments": [upload("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 50), upload("r.pdf", PDF)]},
    )
    assert response.status_code == 201, response.content
    assert [a["name"] for a in response.json()] == ["photo.png", "r.pdf"]
    assert c.attachments.count() == 2


@pytest.mark.django_db
def test_upload_refuses_wrong_type_and_oversize_naming_attachments(api, org, customers, settings):
    c = intake(org["gmoffice"], customers["mine"], now=at(2026, 11, 3, 9, 0))
    client = api("sales")
    exe = client.post(f"{URL}/{c.number}/attachments", {"attachments": [upload("invoice.jpg", EXE)]})
    assert exe.status_code == 422
    assert exe.json()["detail"].startswith("attachments: invoice.jpg")
    script = client.post(f"{URL}/{c.number}/attachments", {"attachments": [upload("run.exe", EXE)]})
    assert script.status_code == 422 and "run.exe" in script.json()["detail"]
    settings.KEFU_ATTACHMENT_MAX_BYTES = 100
    big = client.post(f"{URL}/{c.number}/attachments", {"attachments": [upload("big.jpg", JPEG)]})
    assert big.status_code == 422 and big.json()["detail"].startswith("attachments: big.jpg")
    assert c.attachments.count() == 0


@pytest.mark.django_db
def test_upload_count_limit_covers_files_already_on_the_complaint(api, org, customers, settings):
    settings.KEFU_ATTACHMENT_MAX_FILES = 2
    c = intake(org["gmoffice"], customers["mine"], now=at(2026, 11, 3, 9, 0), attachments=[upload("a.jpg")])
    response = api("sales").post(
        f"{URL}/{c.number}/attachments", {"attachments": [upload("b.jpg"), upload("c.jpg")]}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("attachments: ")
    assert c.attachments.count() == 1


# --- query counts (STYLE 8) --------------------------------------------------------


@pytest.mark.django_db
def test_list_api_query_count_does_not_grow_with_rows(api, org, customers, django_assert_max_num_queries):
    for i in range(35):
        intake(
            org["gmoffice"],
            customers["mine" if i % 2 else "other"],
            now=at(2026, 11, 3, 9, 0) + dt.timedelta(minutes=i),
        )
    client, quality = api("sales"), api("quality")
    client.get(URL)  # the first use of a token touches its last_used_at
    quality.get(URL)
    with django_assert_max_num_queries(4):
        data = quality.get(f"{URL}?page_size=50").json()
    assert data["count"] == 35 and len(data["results"]) == 35
    with django_assert_max_num_queries(4):
        assert client.get(URL).json()["count"] == 17


@pytest.mark.django_db
def test_detail_api_query_count_is_fixed(api, org, customers, django_assert_max_num_queries):
    c = intake(
        org["gmoffice"],
        customers["mine"],
        now=at(2026, 11, 3, 9, 0),
        attachments=[upload("a.jpg"), upload("b.jpg")],
    )
    client = api("sales")
    client.get(URL)
    # token, memberships, complaint, steps, attachments, follow-ups, history
    with django_assert_max_num_queries(7):
        assert client.get(f"{URL}/{c.number}").status_code == 200


@pytest.mark.django_db
def test_errors_name_the_field_in_the_default_chinese_locale_too(api, customers, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    response = api("gmoffice").post(URL, body(quantity=-1), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("quantity: ")
    upload_response = api("gmoffice").post(URL, body(customer="NOPE"), content_type="application/json")
    assert upload_response.json()["detail"].startswith("customer: ")

"""R1.2 on complaints: names shown only to readers of the customer, every refusal logged (issue 11)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.core.errors import Forbidden
from kefu.customers.models import CustomerAccessLog

from ..models import Complaint
from ..services import take_action
from .workflow_factory import complaint, customer, walk_to

URL = "/api/v1/complaints"


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def theirs(org):
    """A complaint of a customer that sales2 owns: sales may not read it."""
    customer("C-S2", owner=org["sales2"])
    return complaint(org, code="C-S2")


def denials(user) -> list[str]:
    return list(
        CustomerAccessLog.objects.filter(user=user, action="denied")
        .order_by("id")
        .values_list("detail", flat=True)
    )


def body(**overrides) -> dict:
    data = {
        "customer": "C-S2",
        "channel": "phone",
        "title": "外壳划痕",
        "description": "20 of 500 housings scratched",
        "category": "quality",
    }
    return data | overrides


def test_a_clerk_registering_for_another_clerks_customer_is_not_told_its_name_or_region(api, org):
    customer("C-S2", "foreign", owner=org["sales2"])
    response = api("sales").post(URL, body(), content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["customer"] == "C-S2"
    assert data["customer_name"] is None and data["region"] is None
    assert "客户 C-S2" not in response.content.decode()
    # The owner and anyone outside sales see both.
    number = data["number"]
    assert api("sales2").get(f"{URL}/{number}").json()["customer_name"] == "客户 C-S2"
    mine = api("sales2").post(URL, body(), content_type="application/json").json()
    assert (mine["customer_name"], mine["region"]) == ("客户 C-S2", "foreign")


def test_the_staff_form_files_it_too_without_showing_the_customer(page, org):
    customer("C-S2", owner=org["sales2"])
    client = page("sales")
    form = body(received_at="", severity="general")
    response = client.post("/complaints/new/", form, follow=True)
    assert response.status_code == 200
    created = Complaint.objects.get()
    assert created.customer.code == "C-S2"
    assert response.redirect_chain[-1][0] == "/complaints/"
    assert "客户 C-S2" not in response.content.decode()
    assert created.number in response.content.decode()


def test_refused_reads_of_a_complaint_are_logged_as_the_customers_are(api, page, org, theirs):
    number = theirs.number
    assert api("sales").get(f"{URL}/{number}").status_code == 403
    assert api("sales").get(f"{URL}/{number}/actions").status_code == 403
    assert page("sales").get(f"/complaints/{number}/").status_code == 403
    photo = SimpleUploadedFile("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    assert api("sales").post(f"{URL}/{number}/attachments", {"attachments": photo}).status_code == 403
    assert denials(org["sales"]) == [
        f"complaint {number}: api_read",
        f"complaint {number}: api_read actions",
        f"complaint {number}: view",
        f"complaint {number}: upload",
    ]
    assert set(
        CustomerAccessLog.objects.filter(action="denied").values_list("customer__code", flat=True)
    ) == {"C-S2"}


def test_refused_actions_are_logged_whether_the_record_or_the_step_refuses(api, page, org, theirs):
    number = theirs.number
    r = api("sales").post(f"{URL}/{number}/actions/assign", {}, content_type="application/json")
    assert r.status_code == 403
    r = page("sales").post(f"/work/complaint/{number}/act/assign/", {})
    assert r.status_code == 302  # back to the page, with the refusal as a message
    # A reader of the record who is not the step's owner: refused by the workflow, logged as well.
    r = api("production").post(f"{URL}/{number}/actions/assign", {}, content_type="application/json")
    assert r.status_code == 403
    assert denials(org["sales"]) == [f"complaint {number}: action assign"] * 2
    [row] = denials(org["production"])
    assert row.startswith(f"complaint {number}: action assign: ")
    theirs.refresh_from_db()
    assert theirs.status == "registered"


def test_the_administrator_is_told_that_the_role_not_the_department_stops_them(org, api):
    c = complaint(org)
    r = api("admin").post(f"{URL}/{c.number}/actions/assign", {}, content_type="application/json")
    assert r.status_code == 403
    detail = r.json()["detail"]
    assert detail.startswith("Assign to quality may be taken by: GM office")
    assert "administrator, a role that takes no part in the workflow" in detail


@pytest.mark.parametrize(
    ("user", "state", "action", "why"),
    [
        ("quality", "registered", "assign", "you are in Quality"),
        (
            "salesmgr",
            "approval",
            "approve",
            "the loss amount needs the deputy GM or above; your highest role is Manager",
        ),
        ("qualitymgr", "registered", "assign", "you are in Quality"),
    ],
)
def test_a_refusal_says_what_stops_this_user(org, user, state, action, why):
    c = walk_to(org, complaint(org), state, loss="20000.00")
    with pytest.raises(Forbidden) as refused:
        take_action(c.number, action, by=org[user], payload={})
    assert refused.value.detail.endswith(why)


# --- 002 篇10: a sales clerk's work list, badge and mails hold only their customers (issue 13) ---------


def test_a_sales_clerks_work_list_badge_and_mails_hold_only_their_customers(api, page, org):
    import datetime as dt

    from kefu.core.models import Notification
    from kefu.customers.services import grant_access
    from kefu.flow import selectors
    from kefu.flow.sweep import sweep

    from .workflow_factory import MONDAY, walk_to

    customer("C-S2", owner=org["sales2"])
    mine = walk_to(org, complaint(org, code="C001"), "negotiation", now=MONDAY)
    theirs = walk_to(org, complaint(org, code="C-S2"), "negotiation", now=MONDAY)

    # The mail that the proposal step opened: to the sales members who may see the customer.
    def told(c, kind):
        return set(Notification.objects.filter(object_id=c.number, kind=kind).values_list("to", flat=True))

    assert told(mine, "step_opened") >= {"sales@example.com", "salesmgr@example.com"}
    assert "sales2@example.com" not in told(mine, "step_opened")
    assert {"sales2@example.com", "salesmgr@example.com"} <= told(theirs, "step_opened")
    assert "sales@example.com" not in told(theirs, "step_opened")

    # The work list (service, API, page) and the badge.
    assert [s.record_key for s in selectors.work(org["sales"])] == [mine.number]
    assert [s.record_key for s in selectors.work(org["sales2"])] == [theirs.number]
    assert {s.record_key for s in selectors.work(org["salesmgr"])} == {mine.number, theirs.number}
    assert [w["record"] for w in api("sales").get("/api/v1/work").json()["results"]] == [mine.number]
    html = page("sales").get("/work/").content.decode()
    assert mine.number in html and theirs.number not in html
    assert selectors.badge_counts(org["sales"], now=MONDAY)["waiting"] == 1
    assert selectors.badge_counts(org["sales2"], now=MONDAY)["waiting"] == 1

    # The sweep's reminders: level 0 to whoever must act, only those who may see the customer.
    sweep(MONDAY + dt.timedelta(days=3))
    assert told(mine, "reminder_l0") == {"sales@example.com", "salesmgr@example.com"}
    assert told(theirs, "reminder_l0") == {"sales2@example.com", "salesmgr@example.com"}

    # A grant lets the clerk in: the list follows.
    grant_access(theirs.customer, org["sales"], by=org["salesmgr"], reason="covering")
    assert {s.record_key for s in selectors.work(org["sales"])} == {mine.number, theirs.number}


def test_the_memo_and_extension_mails_skip_a_clerk_who_may_not_see_the_customer(org):
    from kefu.core.models import Notification

    from .workflow_factory import walk_to

    customer("C-S2", owner=org["sales2"])
    theirs = walk_to(org, complaint(org, code="C-S2"), "negotiation")
    take_action(
        theirs.number, "request_extension", by=org["sales2"], payload={"days": 1, "reason": "customer away"}
    )
    take_action(theirs.number, "approve_extension", by=org["salesmgr"], payload={"approved": True})
    requested = Notification.objects.filter(object_id=theirs.number, kind="extension_request")
    assert set(requested.values_list("to", flat=True)) == {"salesmgr@example.com"}
    decided = Notification.objects.filter(object_id=theirs.number, kind="extension_decided")
    assert set(decided.values_list("to", flat=True)) == {"sales2@example.com"}
    # A step assigned by name to a clerk who may not see the customer is not mailed to them either.
    from kefu.flow import engine
    from kefu.flow.registry import get

    users, members = engine.readers(get("complaint"), theirs, [org["sales"], org["sales2"]], [])
    assert users == [org["sales2"]] and members == []

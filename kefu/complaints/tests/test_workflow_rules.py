"""Authority matrix, extensions and input errors of the workflow actions."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.utils import translation

from kefu.complaints.services import take_action
from kefu.complaints.tests.workflow_factory import MONDAY, TZ, complaint, open_step, steps, walk_to
from kefu.core.errors import Forbidden, Invalid
from kefu.core.models import Notification, Setting
from kefu.flow.models import Extension


def post(api, user, number, action, body, raw=None):
    return api(user).post(
        f"/api/v1/complaints/{number}/actions/{action}",
        data=raw if raw is not None else json.dumps(body),
        content_type="application/json",
    )


def test_api_409_keeps_the_allowed_codes_whatever_the_language(api, org):
    """The API contract: ``allowed`` and ``status`` are codes; only ``detail`` is translated."""
    c = complaint(org)  # registered
    codes = [
        "assign",
        "object",
        "request_extension",
        "approve_extension",
        "record_meeting_decision",
        "rule_memo",
    ]
    r = post(api, "gm", c.number, "submit_investigation", {"cause": "x", "valid": True})
    assert r.status_code == 409
    assert r.json()["allowed"] == codes and r.json()["status"] == "registered"
    assert r.json()["detail"] == (
        "Submit investigation is not allowed when the complaint is Registered; allowed now: Assign to quality, "
        "File an objection (签呈), Request an extension, Decide on the extension, "
        "Record the management meeting decision, Rule on the memo (签呈)"
    )
    r = api("gm").post(
        f"/api/v1/complaints/{c.number}/actions/submit_investigation",
        data=json.dumps({"cause": "x", "valid": True}),
        content_type="application/json",
        headers={"Accept-Language": "zh-CN"},
    )
    assert r.status_code == 409 and r.json()["allowed"] == codes and r.json()["status"] == "registered"
    assert r.json()["detail"].startswith(
        "客诉处于“已登记”状态，不能执行“提交调查结果”；目前可执行：分派给品质部、"
    )


# --- authority matrix (R1.3) ------------------------------------------------------

# loss amount -> (the lowest who may approve, the highest who may not)
MATRIX = [
    ("0.00", "salesmgr", "sales"),
    ("4999.99", "salesmgr", "sales"),
    ("5000.00", "salesmgr", "sales"),
    ("5000.01", "dgm", "salesmgr"),
    ("49999.99", "dgm", "salesmgr"),
    ("50000.00", "dgm", "salesmgr"),
    ("50000.01", "gm", "dgm"),
]


@pytest.mark.parametrize(("loss", "lowest", "refused"), MATRIX)
def test_authority_matrix_at_below_and_above_each_threshold(api, org, loss, lowest, refused):
    c = walk_to(org, complaint(org), "approval", loss=loss)
    assert c.loss_amount == Decimal(loss)
    r = post(api, refused, c.number, "approve", {})
    assert r.status_code == 403, r.content  # refused, not warned
    assert r.json()["detail"].startswith("Approve may be taken by: the ")
    c.refresh_from_db()
    assert c.status == "approval"
    r = post(api, lowest, c.number, "approve", {"note": "ok"})
    assert r.status_code == 200 and r.json()["status"] == "reply"


def test_quality_manager_and_management_rep_have_no_approval_authority(api, org):
    c = walk_to(org, complaint(org), "approval", loss="100.00")
    for user in ("qualitymgr", "mrep", "admin", "gmoffice"):
        assert post(api, user, c.number, "approve", {}).status_code == 403, user


def test_thresholds_are_settings(api, org):
    Setting.objects.create(key="authority.sales_manager_max", value="1000")
    c = walk_to(org, complaint(org), "approval", loss="3000.00")
    assert post(api, "salesmgr", c.number, "approve", {}).status_code == 403
    assert post(api, "dgm", c.number, "approve", {}).status_code == 200


def test_approval_step_goes_to_the_approver_level(org):
    small = walk_to(org, complaint(org), "approval", loss="100.00")
    big = walk_to(org, complaint(org), "approval", loss="80000.00")
    step = steps(small).get(code="approval")
    assert step.department.code == "sales" and step.data["authority"] == "sales_manager"
    step = steps(big).get(code="approval")
    assert step.department.code == "gm_office" and step.data["authority"] == "gm"
    to_approve = set(
        Notification.objects.filter(object_id=big.number, kind="approval_request").values_list(
            "to", flat=True
        )
    )
    assert to_approve == {"gm@example.com"}


# --- extensions (002 篇1 第十一条(三)) ---------------------------------------------------


def test_a_steps_whole_time_with_its_extensions_is_capped_at_seven_working_days(org):
    """002 篇1 第十一条(三): 最多不超过七个工作日 -- the investigation's 3 days and its extensions
    together (the setting ``extension.max_workdays``)."""
    c = walk_to(org, complaint(org), "investigating", now=MONDAY)
    step = open_step(c)
    assert step.due_at == dt.datetime(2026, 11, 5, 23, 59, 59, tzinfo=TZ)  # Mon + 3 working days

    def extend(days):
        take_action(c.number, "request_extension", by=org["quality"], payload={"days": days, "reason": "lab"},
                        now=MONDAY)  # fmt: skip
        take_action(c.number, "approve_extension", by=org["qualitymgr"], payload={}, now=MONDAY)

    extend(2)
    extend(2)
    step.refresh_from_db()
    assert (step.allowed, step.extended) == (3, 4)
    # Thu 11-05 + 4 working days = Wed 11-11: 7 working days from Monday in all
    assert step.due_at == dt.datetime(2026, 11, 11, 23, 59, 59, tzinfo=TZ)
    c.refresh_from_db()
    assert c.due_at == step.due_at
    with pytest.raises(Invalid) as err:
        take_action(c.number, "request_extension", by=org["quality"], payload={"days": 1, "reason": "x"})
    assert err.value.field == "days" and err.value.extra == {"cap": 7, "left": 0}
    assert Extension.objects.count() == 2


def test_one_request_beyond_the_cap_is_refused_422_naming_days_and_the_cap(api, org):
    c = walk_to(org, complaint(org), "investigating")
    r = post(api, "quality", c.number, "request_extension", {"days": 5, "reason": "x"})
    assert r.status_code == 422, r.content
    assert (r.json()["field"], r.json()["cap"], r.json()["left"]) == ("days", 7, 4)
    assert r.json()["detail"] == (
        "days: at most 7 working days in all for this step, extensions included "
        "(3 allowed, 0 extended): at most 4 more"
    )
    assert not Extension.objects.exists()
    assert post(api, "quality", c.number, "request_extension", {"days": 4, "reason": "x"}).status_code == 200


def test_the_cap_is_a_setting(org):
    Setting.objects.create(key="extension.max_workdays", value=4)
    c = walk_to(org, complaint(org), "investigating")
    with pytest.raises(Invalid) as err:
        take_action(c.number, "request_extension", by=org["quality"], payload={"days": 2, "reason": "x"})
    assert err.value.extra == {"cap": 4, "left": 1}


def test_the_lowest_role_that_approves_an_extension_is_a_setting(org):
    Setting.objects.create(key="extension.approver_role", value="deputy_gm")
    c = walk_to(org, complaint(org), "investigating")
    take_action(c.number, "request_extension", by=org["quality"], payload={"days": 2, "reason": "lab"})
    with translation.override("en"), pytest.raises(Forbidden) as refused:
        take_action(c.number, "approve_extension", by=org["qualitymgr"], payload={})
    assert refused.value.detail == (
        "Decide on the extension may be taken by: Deputy GM or above; "
        "your highest role is Manager; an extension needs Deputy GM or above"
    )
    take_action(c.number, "approve_extension", by=org["dgm"], payload={})
    assert open_step(c).extended == 2


def test_refused_extension_keeps_the_deadline(org):
    c = walk_to(org, complaint(org), "investigating")
    due = c.due_at
    take_action(c.number, "request_extension", by=org["quality"], payload={"days": 2, "reason": "lab"})
    take_action(c.number, "approve_extension", by=org["qualitymgr"], payload={"approved": False})
    c.refresh_from_db()
    assert c.due_at == due
    req = Extension.objects.get()
    assert req.approved is False and req.decided_by == org["qualitymgr"]
    assert open_step(c).extended == 0


def test_a_clerk_cannot_approve_an_extension(org):
    c = walk_to(org, complaint(org), "investigating")
    take_action(c.number, "request_extension", by=org["quality"], payload={"days": 2, "reason": "lab"})
    with pytest.raises(Forbidden):
        take_action(c.number, "approve_extension", by=org["quality"], payload={})


# --- input errors: 400 (malformed) or 422 (a rule) naming the field, 404, 401; never 500 -----------


HANDLINGS = "return, exchange, allowance, compensation, explanation, rework"


@pytest.mark.parametrize(
    ("action", "state", "user", "body", "detail"),
    [
        ("submit_investigation", "investigating", "quality", {"valid": True}, "cause: required"),
        ("submit_investigation", "investigating", "quality", {"cause": "x"}, "valid: required"),
        ("submit_investigation", "investigating", "quality", {"cause": "x", "valid": "maybe"},
         "valid: expected true or false"),
        ("submit_countermeasure", "countermeasure", "production", {"analysis": "x", "action": " "},
         "action: must not be empty"),
        ("submit_countermeasure", "countermeasure", "production",
         {"analysis": "x", "action": "y", "production_date": "yesterday"},
         "production_date: expected a date YYYY-MM-DD"),
        ("submit_proposal", "negotiation", "sales", {"handling": "gift", "loss_amount": "1"},
         f"handling: must be one of {HANDLINGS}"),
        ("submit_proposal", "negotiation", "sales", {"handling": "return", "loss_amount": "-1"},
         "loss_amount: must be at least 0"),
        ("submit_proposal", "negotiation", "sales", {"handling": "return", "loss_amount": "1.234"},
         "loss_amount: at most 2 decimal places"),
        ("submit_proposal", "negotiation", "sales", {"handling": "return"}, "loss_amount: required"),
        ("assign", "registered", "gmoffice", {"assignee": "sales"}, "assignee: 'sales' is not a member of Quality"),
        ("assign", "registered", "gmoffice", {"colour": "red"}, "colour: not a field of this action"),
        ("request_extension", "registered", "gmoffice", {"days": 0, "reason": "x"}, "days: must be at least 1"),
        ("object", "registered", "quality", {"memo": ""}, "memo: must not be empty"),
    ],
)  # fmt: skip
def test_bad_fields_are_4xx_naming_the_field(api, org, action, state, user, body, detail):
    c = walk_to(org, complaint(org), state)
    r = post(api, user, c.number, action, body)
    # Only the assignee who is not in quality is well-formed and refused by a rule (422).
    assert r.status_code == (422 if "is not a member" in detail else 400), r.content
    assert r.json()["field"] == detail.split(":", 1)[0]
    assert r.json()["detail"] == detail
    c.refresh_from_db()
    assert c.status == state


def test_field_errors_are_chinese_when_the_client_asks(api, org):
    c = walk_to(org, complaint(org), "negotiation")
    r = api("sales").post(
        f"/api/v1/complaints/{c.number}/actions/submit_proposal",
        data=json.dumps({"handling": "gift", "loss_amount": "-1"}),
        content_type="application/json",
        headers={"Accept-Language": "zh-hans"},
    )
    assert r.status_code == 400 and r.json()["field"] == "handling"
    assert r.json()["errors"] == [
        {"field": "handling", "message": f"必须是以下之一：{HANDLINGS}"},
        {"field": "loss_amount", "message": "不能小于 0"},
    ]


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"text"', "null"])
def test_a_body_that_is_not_an_object_is_400(api, org, raw):
    c = complaint(org)
    r = post(api, "gmoffice", c.number, "assign", None, raw=raw)
    assert r.status_code == 400 and r.json()["field"] == "body"


def test_unknown_action_and_number_are_404_and_anonymous_is_401(api, org, client):
    c = complaint(org)
    assert post(api, "gmoffice", c.number, "teleport", {}).status_code == 404
    assert post(api, "gmoffice", "209901-0001", "assign", {}).status_code == 404
    assert client.post(f"/api/v1/complaints/{c.number}/actions/assign").status_code == 401


def test_assign_names_the_investigator(api, org):
    c = complaint(org)
    r = post(api, "gmoffice", c.number, "assign", {"assignee": "qualitymgr"})
    assert r.json()["steps"][-1]["assignee"] == "qualitymgr"
    assert (
        Notification.objects.filter(object_id=c.number, kind="step_opened").get().to
        == "qualitymgr@example.com"
    )


def test_empty_body_is_fine_where_nothing_is_required(api, org):
    c = complaint(org)
    r = api("gmoffice").post(f"/api/v1/complaints/{c.number}/actions/assign")
    assert r.status_code == 200 and r.json()["status"] == "investigating"


@pytest.mark.django_db
def test_the_investigator_is_chosen_by_name_from_the_quality_members(org, page):
    """Not typed as a username: the assign form lists quality's members by name (issue 13)."""
    from kefu.complaints.tests.workflow_factory import complaint

    quality = org["quality"]
    quality.first_name = "张伟"
    quality.save()
    c = complaint(org)
    html = page("gmoffice").get(f"/complaints/{c.number}/").content.decode()
    assert re.search(r'<select id="[\w-]*assignee" name="assignee">', html)  # a list, not a text box
    assert '<option value="quality">张伟</option>' in html
    assert '<option value="sales">' not in html  # only quality's members
    response = page("gmoffice").post(
        f"/work/complaint/{c.number}/act/assign/", {"assignee": "quality"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    c.refresh_from_db()
    assert c.status == "investigating"
    from kefu.flow.models import Step

    assert Step.objects.get(record_id=c.pk, done_at__isnull=True, kind="step").assignee == quality

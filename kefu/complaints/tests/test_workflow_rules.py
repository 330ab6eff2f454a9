"""Authority matrix, extensions and input errors of the workflow actions."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from kefu.complaints import actions
from kefu.complaints.models import ComplaintStep, ExtensionRequest
from kefu.complaints.tests.workflow_factory import MONDAY, TZ, complaint, walk_to
from kefu.core.errors import Forbidden, Invalid
from kefu.core.models import Notification, Setting

pytestmark = pytest.mark.urls("kefu.complaints.tests.workflow_urls")


def post(api, user, number, action, body, raw=None):
    return api(user).post(
        f"/api/v1/complaints/{number}/actions/{action}",
        data=raw if raw is not None else json.dumps(body),
        content_type="application/json",
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
    assert r.json()["detail"].startswith("approve may be taken by")
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
    step = ComplaintStep.objects.get(complaint=small, step="approval")
    assert step.department.code == "sales" and step.data["authority"] == "sales_manager"
    step = ComplaintStep.objects.get(complaint=big, step="approval")
    assert step.department.code == "gm_office" and step.data["authority"] == "gm"
    to_approve = set(
        Notification.objects.filter(object_id=big.number, kind="approval_request").values_list(
            "to", flat=True
        )
    )
    assert to_approve == {"gm@example.com"}


# --- extensions (002 篇1 第十一条(三)) ---------------------------------------------------


def test_extensions_are_capped_at_seven_working_days_per_step(org):
    c = walk_to(org, complaint(org), "investigating", now=MONDAY)
    step = ComplaintStep.objects.get(complaint=c, done_at__isnull=True)
    assert step.due_at == dt.datetime(2026, 11, 5, 23, 59, 59, tzinfo=TZ)  # Mon + 3 working days

    def extend(days):
        actions.perform(c.number, "request_extension", by=org["quality"], payload={"days": days, "reason": "lab"},
                        now=MONDAY)  # fmt: skip
        actions.perform(c.number, "approve_extension", by=org["qualitymgr"], payload={}, now=MONDAY)

    extend(3)
    extend(4)
    step.refresh_from_db()
    assert step.extended_days == 7
    # Thu 11-05 + 7 working days = Mon 11-16
    assert step.due_at == dt.datetime(2026, 11, 16, 23, 59, 59, tzinfo=TZ)
    c.refresh_from_db()
    assert c.due_at == step.due_at
    with pytest.raises(Invalid) as err:
        actions.perform(c.number, "request_extension", by=org["quality"], payload={"days": 1, "reason": "x"})
    assert err.value.field == "days" and "7" in err.value.detail


def test_one_request_beyond_the_cap_is_refused_at_once(org):
    c = walk_to(org, complaint(org), "investigating")
    with pytest.raises(Invalid) as err:
        actions.perform(c.number, "request_extension", by=org["quality"], payload={"days": 8, "reason": "x"})
    assert err.value.field == "days"
    assert not ExtensionRequest.objects.exists()


def test_refused_extension_keeps_the_deadline(org):
    c = walk_to(org, complaint(org), "investigating")
    due = c.due_at
    actions.perform(c.number, "request_extension", by=org["quality"], payload={"days": 2, "reason": "lab"})
    actions.perform(c.number, "approve_extension", by=org["qualitymgr"], payload={"approved": False})
    c.refresh_from_db()
    assert c.due_at == due
    req = ExtensionRequest.objects.get()
    assert req.approved is False and req.decided_by == org["qualitymgr"]
    assert ComplaintStep.objects.get(complaint=c, done_at__isnull=True).extended_days == 0


def test_a_clerk_cannot_approve_an_extension(org):
    c = walk_to(org, complaint(org), "investigating")
    actions.perform(c.number, "request_extension", by=org["quality"], payload={"days": 2, "reason": "lab"})
    with pytest.raises(Forbidden):
        actions.perform(c.number, "approve_extension", by=org["quality"], payload={})


# --- input errors: 422 naming the field, 404, 401; never 500 -------------------------------


@pytest.mark.parametrize(
    ("action", "state", "user", "body", "field"),
    [
        ("submit_investigation", "investigating", "quality", {"valid": True}, "cause"),
        ("submit_investigation", "investigating", "quality", {"cause": "x"}, "valid"),
        ("submit_investigation", "investigating", "quality", {"cause": "x", "valid": "maybe"}, "valid"),
        ("submit_countermeasure", "countermeasure", "production", {"analysis": "x", "action": " "}, "action"),
        ("submit_countermeasure", "countermeasure", "production",
         {"analysis": "x", "action": "y", "production_date": "yesterday"}, "production_date"),
        ("submit_proposal", "negotiation", "sales", {"handling": "gift", "loss_amount": "1"}, "handling"),
        ("submit_proposal", "negotiation", "sales", {"handling": "return", "loss_amount": "-1"}, "loss_amount"),
        ("submit_proposal", "negotiation", "sales", {"handling": "return", "loss_amount": "1.234"}, "loss_amount"),
        ("submit_proposal", "negotiation", "sales", {"handling": "return"}, "loss_amount"),
        ("assign", "registered", "gmoffice", {"assignee": "sales"}, "assignee"),
        ("assign", "registered", "gmoffice", {"colour": "red"}, "colour"),
        ("request_extension", "registered", "gmoffice", {"days": 0, "reason": "x"}, "days"),
        ("object", "registered", "quality", {"memo": ""}, "memo"),
    ],
)  # fmt: skip
def test_bad_fields_are_422_naming_the_field(api, org, action, state, user, body, field):
    c = walk_to(org, complaint(org), state)
    r = post(api, user, c.number, action, body)
    assert r.status_code == 422, r.content
    assert r.json()["field"] == field
    c.refresh_from_db()
    assert c.status == state


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"text"', "null"])
def test_a_body_that_is_not_an_object_is_422(api, org, raw):
    c = complaint(org)
    r = post(api, "gmoffice", c.number, "assign", None, raw=raw)
    assert r.status_code == 422 and r.json()["field"] == "body"


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

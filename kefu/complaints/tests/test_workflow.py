"""Issue 4 acceptance: the whole state machine walked through the API.

Every legal action from every state, every illegal one (409), every wrong
role (403) — with an expectation table written here by hand, independent of
``workflow.py`` — and the branches: not established, R&D, send back, the
rejected reply with its linked new complaint.
"""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from kefu.complaints import workflow
from kefu.complaints.choices import Status
from kefu.complaints.models import Complaint, CustomerReply
from kefu.complaints.tests.workflow_factory import MONDAY, RD_STEP, WALK, complaint, steps, walk_to
from kefu.core.models import AuditEvent, Notification
from kefu.flow.models import Extension, Meeting, Memo, Step

GM_OFFICE = {"gm", "dgm", "gmoffice"}
QUALITY = {"quality", "qualitymgr"}
SALES = {"sales", "salesmgr"}  # sales2 does not own the customer: R1.2 hides the case from them
APPROVERS_UP_TO_5000 = {"salesmgr", "dgm", "gm"}
EVERYONE = {"gm", "dgm", "gmoffice", "quality", "qualitymgr", "production", "rd", "sales", "salesmgr", "mrep",
            "warehouse", "accounting"}  # fmt: skip
ALL_USERS = EVERYONE | {"admin", "sales2"}
EXECUTIVES = {"gm", "dgm", "mrep"}

# Who owns the open step in each state of the walk (responsible department: production;
# loss 3,000 -> the sales manager approves, so the approval step belongs to sales).
OWNERS = {
    "registered": GM_OFFICE,
    "investigating": QUALITY,
    "countermeasure": {"production"},
    "rd_review": {"rd"},
    "negotiation": SALES,
    "synthesis": GM_OFFICE,
    "approval": SALES,
    "reply": SALES,
}
MANAGERS = {
    "registered": EXECUTIVES,
    "investigating": EXECUTIVES | {"qualitymgr"},
    "countermeasure": EXECUTIVES,
    "rd_review": EXECUTIVES,
    "negotiation": EXECUTIVES | {"salesmgr"},
    "synthesis": EXECUTIVES,
    "approval": EXECUTIVES | {"salesmgr"},
    "reply": EXECUTIVES | {"salesmgr"},
}
# The transitions of the table, by hand: state -> action -> (who, next state)
TRANSITIONS = {
    "registered": {"assign": (GM_OFFICE, "investigating")},
    "investigating": {"submit_investigation": (QUALITY, "countermeasure")},
    "countermeasure": {"submit_countermeasure": ({"production"}, "rd_review")},
    "rd_review": {"submit_rd_opinion": ({"rd"}, "negotiation")},
    "negotiation": {"submit_proposal": (SALES, "synthesis")},
    "synthesis": {"submit_synthesis": (GM_OFFICE, "approval")},
    "approval": {
        "approve": (APPROVERS_UP_TO_5000, "reply"),
        "send_back": (APPROVERS_UP_TO_5000, "negotiation"),
    },
    "reply": {"record_reply": (SALES, "closed")},
}
PAYLOAD = {action: payload for _state, action, _user, payload in [*WALK, RD_STEP]}
PAYLOAD["send_back"] = {"note": "too generous"}
PAYLOAD["object"] = {"memo": "we object to the responsibility split"}
PAYLOAD["request_extension"] = {"days": 2, "reason": "waiting for the lab"}
PAYLOAD["approve_extension"] = {"approved": True}
PAYLOAD["rule_memo"] = {"upheld": False, "note": "the decision stands"}
PAYLOAD["record_meeting_decision"] = {"decision": "replace all", "attendees": "GM, quality, sales"}


def post(api, user, number, action, body):
    return api(user).post(
        f"/api/v1/complaints/{number}/actions/{action}",
        data=json.dumps(body),
        content_type="application/json",
    )


def snapshot(c: Complaint):
    c.refresh_from_db()
    return (
        c.status,
        c.due_at,
        c.validity,
        c.loss_amount,
        list(Step.objects.filter(record_id=c.pk).values_list("id", "done_at", "due_at")),
        AuditEvent.objects.filter(object_id=c.number).count(),
        Memo.objects.filter(record_id=c.pk).count(),
        Extension.objects.filter(record_id=c.pk).count(),
        Notification.objects.count(),
    )


def customer_of_sales(org, c):
    c.customer.owner = org["sales"]
    c.customer.save()


@pytest.fixture
def fresh(org):
    def make(state: str, **kw):
        c = complaint(org, now=MONDAY)
        customer_of_sales(org, c)
        return walk_to(org, c, state, needs_rd=True, **kw)

    return make


@pytest.mark.parametrize("state", list(OWNERS))
def test_every_action_from_every_state_by_every_user(api, org, fresh, state):
    c = fresh(state)
    fitting = set(workflow.state_actions(state))
    expected_fitting = set(TRANSITIONS[state]) | {"object", "request_extension", "approve_extension",
                                                  "record_meeting_decision", "rule_memo"}  # fmt: skip
    assert fitting == expected_fitting

    # 409 for every action that does not fit the state, the allowed ones named; nothing changes.
    before = snapshot(c)
    for action in sorted(set(workflow.ACTIONS) - fitting):
        r = post(api, "gm", c.number, action, PAYLOAD.get(action, {}))
        assert r.status_code == 409, (action, r.content)
        assert set(r.json()["allowed"]) == fitting
        with translation.override("en"):  # the API speaks English; the message names labels, not codes
            expected = f"{workflow.label(action)} is not allowed when the complaint is {Status(state).label};"
        assert r.json()["detail"].startswith(expected), r.json()["detail"]
    # Guards: no extension request to decide, not a serious complaint, no memo to rule on.
    for action in ("approve_extension", "record_meeting_decision", "rule_memo"):
        assert post(api, "gm", c.number, action, PAYLOAD[action]).status_code == 409
    assert snapshot(c) == before

    # 403 for every user outside the expected set, for every fitting action.
    who = {action: users for action, (users, _to) in TRANSITIONS[state].items()}
    who["object"] = EVERYONE
    who["request_extension"] = OWNERS[state]
    for action, users in who.items():
        for user in sorted(ALL_USERS - users):
            r = post(api, user, c.number, action, PAYLOAD[action])
            assert r.status_code == 403, (action, user, r.content)
    assert snapshot(c) == before

    # GET .../actions lists exactly what each user may do now.
    for user in sorted(ALL_USERS):
        r = api(user).get(f"/api/v1/complaints/{c.number}/actions")
        if user == "sales2":
            assert r.status_code == 403
            continue
        assert set(r.json()["allowed"]) == {a for a, users in who.items() if user in users}, user

    # The non-transition actions leave the state as it is.
    r = post(api, sorted(EVERYONE)[0], c.number, "object", PAYLOAD["object"])
    assert r.status_code == 200 and r.json()["status"] == state
    owner = sorted(OWNERS[state])[0]
    due = c.due_at
    assert post(api, owner, c.number, "request_extension", PAYLOAD["request_extension"]).status_code == 200
    assert post(api, owner, c.number, "request_extension", PAYLOAD["request_extension"]).status_code == 409
    for user in sorted(ALL_USERS - MANAGERS[state]):
        assert post(api, user, c.number, "approve_extension", {}).status_code == 403, user
    r = post(api, sorted(MANAGERS[state])[0], c.number, "approve_extension", {})
    assert r.status_code == 200 and r.json()["status"] == state
    c.refresh_from_db()
    assert c.due_at > due

    # The transitions, each by an allowed user, lead where the table says.
    for action, (users, to) in TRANSITIONS[state].items():
        target = c if len(TRANSITIONS[state]) == 1 else fresh(state)
        r = post(api, sorted(users)[0], target.number, action, PAYLOAD[action])
        assert r.status_code == 200, (action, r.content)
        assert r.json()["status"] == to
        events = AuditEvent.objects.filter(object_id=target.number, action=action)
        assert events.filter(from_state=state, to_state=to).count() == 1


# After closing only a memo may be filed (and ruled on); a complaint not established has its two
# tasks for sales (002 篇4 第九条(十一)(十三)).
AFTER_CLOSING = {
    "closed": ["object", "rule_memo"],
    "not_established": ["object", "rule_memo", "record_explanation", "record_collection"],
}


@pytest.mark.parametrize("state", ["closed", "not_established"])
def test_closed_cases_refuse_everything_but_a_memo(api, org, fresh, state):
    c = fresh("investigating") if state == "not_established" else fresh("closed")
    if state == "not_established":
        r = post(api, "quality", c.number, "submit_investigation", {"cause": "misuse", "valid": False})
        assert r.status_code == 200 and r.json()["status"] == "not_established"
    before = snapshot(c)
    for action in set(workflow.ACTIONS) - set(AFTER_CLOSING[state]):
        r = post(api, "gm", c.number, action, PAYLOAD.get(action, {}))
        assert r.status_code == 409, action
        assert r.json()["allowed"] == AFTER_CLOSING[state]
    assert snapshot(c) == before
    assert api("gm").get(f"/api/v1/complaints/{c.number}/actions").json()["allowed"] == ["object"]


def test_not_established_closes_the_case_without_a_countermeasure(api, org, fresh):
    """R3.6: quality finds the complaint not established; the case closes as such."""
    c = fresh("investigating")
    r = post(api, "quality", c.number, "submit_investigation", {"cause": "customer misuse", "valid": False})
    body = r.json()
    assert body["status"] == "not_established" and body["validity"] == "not_established"
    assert body["due_at"] is None and body["closed_at"] is not None
    # The workflow steps are done; sales' two tasks are open (002 篇4 第九条(十三)).
    steps = [(s["step"], s["department"], s["done_at"] is None) for s in body["steps"]]
    assert steps == [
        ("assign", "gm_office", False),
        ("investigation", "quality", False),
        ("explanation", "sales", True),
        ("collection", "sales", True),
    ]


def test_valid_complaint_needs_the_responsible_department(api, org, fresh):
    c = fresh("investigating")
    r = post(api, "quality", c.number, "submit_investigation", {"cause": "burr", "valid": True})
    assert r.status_code == 422 and r.json()["field"] == "responsible_department"
    r = post(api, "quality", c.number, "submit_investigation", {"cause": "burr", "valid": True,
                                                                 "responsible_department": "nowhere"})  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "responsible_department"


def test_rd_branch_only_when_the_investigation_asks(org):
    with_rd = walk_to(org, complaint(org), "negotiation", needs_rd=True)
    without = walk_to(org, complaint(org), "negotiation", needs_rd=False)
    assert [s.code for s in steps(with_rd)] == [
        "assign", "investigation", "countermeasure", "rd_opinion", "proposal"]  # fmt: skip
    assert [s.code for s in steps(without)] == ["assign", "investigation", "countermeasure", "proposal"]


def test_send_back_reopens_the_proposal(api, org, fresh):
    c = fresh("approval")
    r = post(api, "salesmgr", c.number, "send_back", {"note": "ask for less"})
    assert r.json()["status"] == "negotiation"
    assert [s["step"] for s in r.json()["steps"]][-2:] == ["approval", "proposal"]


def test_rejected_reply_closes_and_opens_a_linked_new_complaint(api, org, fresh):
    """R4.1, 002 篇4 第九条(八): the customer does not accept -> a new complaint form, linked."""
    c = fresh("reply")
    r = post(api, "sales", c.number, "record_reply", {"letter": "We offer 5%.", "customer_accepts": False})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "closed" and body["followup"]
    new = Complaint.objects.get(number=body["followup"])
    assert new.parent_id == c.pk and new.status == "registered" and new.customer_id == c.customer_id
    assert steps(new).get().code == "assign"
    reply = CustomerReply.objects.get(complaint=c)
    assert reply.followup == new and reply.letter == "We offer 5%." and not reply.customer_accepts


def test_accepted_reply_is_a_separate_letter(api, org, fresh):
    """R1.4: the letter is its own record; the internal form is not part of it."""
    c = fresh("reply")
    post(api, "sales", c.number, "record_reply", {"letter": "Dear customer, we replace the parts.",
                                                   "customer_accepts": True})  # fmt: skip
    reply = CustomerReply.objects.get(complaint=c)
    assert reply.letter == "Dear customer, we replace the parts." and reply.followup is None
    assert Complaint.objects.filter(parent=c).count() == 0


def test_sales_cannot_reply_before_approval(api, org, fresh):
    """R1.3: no reply to the customer before the decision (409, not a warning)."""
    for state in ("negotiation", "synthesis", "approval"):
        c = fresh(state)
        r = post(api, "sales", c.number, "record_reply", {"letter": "ok", "customer_accepts": True})
        assert r.status_code == 409 and "record_reply" not in r.json()["allowed"]
        assert r.json()["detail"].startswith(
            "Record the customer's answer is not allowed when the complaint is"
        )


def test_supplier_makes_the_gm_office_co_owner(api, org, fresh):
    """R4.2: a supplier is responsible -> recorded, and the GM office handles it jointly."""
    c = fresh("investigating")
    post(api, "quality", c.number, "submit_investigation", {
        "cause": "bad steel", "valid": True, "responsible_department": "production", "supplier": "宝钢"})  # fmt: skip
    c.refresh_from_db()
    assert c.supplier == "宝钢"
    assert (
        "submit_countermeasure"
        in api("gmoffice").get(f"/api/v1/complaints/{c.number}/actions").json()["allowed"]
    )
    r = post(api, "gmoffice", c.number, "submit_countermeasure", PAYLOAD["submit_countermeasure"])
    assert r.status_code == 200 and r.json()["status"] == "negotiation"


def test_objection_memo_is_recorded_and_goes_to_the_gm(api, org, fresh):
    c = fresh("synthesis")
    r = post(api, "production", c.number, "object", {"memo": "the fault is the supplier's"})
    assert r.status_code == 200
    memo = Memo.objects.get(record_type="complaint", record_id=c.pk)
    assert memo.department.code == "production" and memo.status_at == "synthesis"
    assert Notification.objects.filter(kind="memo", to="gm@example.com").exists()


def test_meeting_decision_only_for_serious_complaints(api, org):
    serious = complaint(org, severity="serious")
    general = complaint(org)
    body = PAYLOAD["record_meeting_decision"]
    assert post(api, "gmoffice", general.number, "record_meeting_decision", body).status_code == 409
    assert post(api, "quality", serious.number, "record_meeting_decision", body).status_code == 403
    r = post(api, "gmoffice", serious.number, "record_meeting_decision", body)
    assert r.status_code == 200 and r.json()["status"] == "registered"
    assert Meeting.objects.get(record_id=serious.pk).attendees == "GM, quality, sales"


@pytest.mark.django_db
def test_the_list_filter_status_open_is_every_open_state_and_no_closed_one(api, org, fresh):
    """``status=open`` reads ``closed_at IS NULL`` (its partial index): every way of closing sets it."""
    closed, refused = fresh("closed"), fresh("investigating")
    post(api, "quality", refused.number, "submit_investigation", {"cause": "customer misuse", "valid": False})
    registered, approving = fresh("registered"), fresh("approval")
    refused.refresh_from_db()
    assert (refused.status, closed.status) == (Status.NOT_ESTABLISHED, Status.CLOSED)
    assert (
        Complaint.objects.filter(status__in=["closed", "not_established"], closed_at__isnull=True).count()
        == 0
    )
    response = api("quality").get("/api/v1/complaints?status=open")
    assert response.status_code == 200, response.content
    assert [r["number"] for r in response.json()["results"]] == [approving.number, registered.number]
    bad = api("quality").get("/api/v1/complaints?status=opened")
    assert bad.status_code == 400 and "open, registered" in str(bad.json())


@pytest.mark.django_db
def test_one_complaint_action_through_the_api_runs_a_fixed_number_of_queries(
    api, org, fresh, django_assert_num_queries
):
    """The whole request of ``assign``: the record read for the visibility check, then in one
    savepoint read again under its lock, its open steps, the step closed and the next opened,
    the members to mail, the record saved, the audit row, the notification; the answer is built
    from what perform() returned (no read after the action). The token is cached per process."""
    warm, c = fresh("registered"), fresh("registered")
    assert post(api, "gmoffice", warm.number, "assign", PAYLOAD["assign"]).status_code == 200
    with django_assert_num_queries(11):
        r = post(api, "gmoffice", c.number, "assign", PAYLOAD["assign"])
    assert r.status_code == 200 and r.json()["status"] == "investigating"

"""Issue 13: the procedure's decision points (002 篇4 第七条, 第九条; 篇1 第十一条; 001 6.3.6; 000 3.4).

Responsibility decided in the synthesis with shares adding up to 100; the instructions (批示) as
steps that settings switch off; the management meeting before the approval of a major or serious
case; the answer by letter or phone, the confirmation before closing, and the outcome filter.
"""

from __future__ import annotations

import json

import pytest

from kefu.complaints import workflow
from kefu.complaints.models import Complaint, CustomerReply, Responsibility
from kefu.complaints.services import take_action
from kefu.complaints.tests.workflow_factory import WALK, complaint, path, steps
from kefu.core.models import AuditEvent, Setting

SYNTHESIS = next(p for _s, a, _u, p in WALK if a == "submit_synthesis")


def post(api, user, number, action, body):
    return api(user).post(
        f"/api/v1/complaints/{number}/actions/{action}",
        data=json.dumps(body),
        content_type="application/json",
    )


def walk_to(org, c, state):
    """The factory's legal walk, leaving out the actions of the steps a setting switched off."""
    for _before, action, user, payload in path():
        c.refresh_from_db()
        if c.status == state:
            return c
        if action in workflow.state_actions(c.status):
            take_action(c.number, action, by=org[user], payload=payload)
    c.refresh_from_db()
    assert c.status == state, (c.status, state)
    return c


def ok(r) -> bool:
    return r.status_code == 200


def mine(org, **kw):
    c = complaint(org, **kw)
    c.customer.owner = org["sales"]
    c.customer.save()
    return c


def off(key):
    Setting.objects.update_or_create(key=key, defaults={"value": False})


# --- responsibility (第七条(二)1, (三)3, 第九条(六)) --------------------------------------------------


@pytest.mark.parametrize(
    "shares, field",
    [
        ([{"department": "production", "share": 60}, {"department": "quality", "share": 30}], "responsibility"),
        ([{"department": "production", "share": 100}, {"department": "quality", "share": 10}], "responsibility"),
        ([], "responsibility"),
        ([{"department": "production", "person": "sales", "share": 100}], "responsibility.0.person"),
        ([{"department": "production", "share": 50}, {"department": "production", "share": 50}],
         "responsibility.1.department"),
    ],
)  # fmt: skip
def test_responsibility_shares_must_add_up_to_100(api, org, shares, field):
    c = walk_to(org, mine(org), "synthesis")
    events = AuditEvent.objects.filter(object_id=c.number).count()
    r = post(api, "gmoffice", c.number, "submit_synthesis", {**SYNTHESIS, "responsibility": shares})
    assert r.status_code == 422, r.content
    assert r.json()["field"] == field
    c.refresh_from_db()
    assert c.status == "synthesis" and not Responsibility.objects.filter(complaint=c).exists()
    assert AuditEvent.objects.filter(object_id=c.number).count() == events


def test_the_shares_message_names_the_sum(api, org):
    c = walk_to(org, mine(org), "synthesis")
    shares = [{"department": "production", "share": 70}, {"department": "quality", "share": 20}]
    r = post(api, "gmoffice", c.number, "submit_synthesis", {**SYNTHESIS, "responsibility": shares})
    assert r.status_code == 422 and "90%" in r.json()["detail"] and "100%" in r.json()["detail"]


def test_human_negligence_is_exempt_from_tracking(api, org):
    c = walk_to(org, mine(org), "synthesis")
    body = {**SYNTHESIS, "human_negligence": True, "tracking": True}
    r = post(api, "gmoffice", c.number, "submit_synthesis", body)
    assert r.status_code == 422 and r.json()["field"] == "tracking"
    r = post(api, "gmoffice", c.number, "submit_synthesis", {**body, "tracking": False, "penalty": "warning"})
    assert r.status_code == 200
    c.refresh_from_db()
    assert (c.human_negligence, c.tracking, c.penalty) == (True, False, "warning")


def test_the_split_is_stored_per_department_and_person_and_replaced_after_a_send_back(api, org):
    c = walk_to(org, mine(org), "synthesis")
    shares = [
        {"department": "production", "person": "production", "share": 70},
        {"department": "quality", "share": 30},
    ]
    assert ok(post(api, "gmoffice", c.number, "submit_synthesis", {**SYNTHESIS, "responsibility": shares}))
    rows = list(Responsibility.objects.filter(complaint=c).select_related("department", "person"))
    assert [(r.department.code, r.person and r.person.username, r.share) for r in rows] == [
        ("production", "production", 70), ("quality", None, 30)]  # fmt: skip
    assert rows[0].decided_by == org["gmoffice"]
    # the approver sends it back; sales, its supervisor and the GM office go again
    assert ok(post(api, "salesmgr", c.number, "send_back", {"note": "too generous"}))
    c = walk_to(org, c, "approval")
    assert list(Responsibility.objects.filter(complaint=c).values_list("department__code", "share")) == [
        ("production", 100)]  # fmt: skip
    body = api("gm").get(f"/api/v1/complaints/{c.number}").json()
    assert body["responsibility"]["shares"] == [
        {"department": "production", "person": None, "person_name": None, "share": 100}]  # fmt: skip


def test_quality_proposes_the_responsible_persons(api, org):
    c = walk_to(org, mine(org), "investigating")
    body = {"cause": "burr", "valid": True, "responsible_department": "production",
            "responsible_persons": ["王强", "李娜"]}  # fmt: skip
    assert ok(post(api, "quality", c.number, "submit_investigation", body))
    found = api("gm").get(f"/api/v1/complaints/{c.number}").json()["findings"]
    assert found[-1]["step"] == "investigation" and found[-1]["data"]["responsible_persons"] == "王强、李娜"


def test_the_synthesis_form_on_the_page_takes_the_shares(page, org):
    c = walk_to(org, mine(org), "synthesis")
    form = {"opinion": "同意", "responsibility-0-department": "production", "responsibility-0-share": "80",
            "responsibility-1-department": "quality", "responsibility-1-person": "quality",
            "responsibility-1-share": "10", "penalty": "none"}  # fmt: skip
    r = page("gmoffice").post(
        f"/work/complaint/{c.number}/act/submit_synthesis/", form, HTTP_HX_REQUEST="true"
    )
    html = r.content.decode()
    assert 'data-field="responsibility"' in html and "90%" in html
    assert 'value="80"' in html  # what was typed is kept
    c.refresh_from_db()
    assert c.status == "synthesis"
    form["responsibility-1-share"] = "20"
    r = page("gmoffice").post(f"/work/complaint/{c.number}/act/submit_synthesis/", form)
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.status == "approval"
    assert list(Responsibility.objects.filter(complaint=c).values_list("person__username", "share")) == [
        (None, 80), ("quality", 20)]  # fmt: skip


# --- instructions (批示, 第九条(二)(三)(四)) ---------------------------------------------------------


def test_instruction_steps_are_on_by_default_each_owned_by_its_role(api, org):
    c = walk_to(org, mine(org), "instruction")
    assert steps(c).get(done_at__isnull=True).role == "gm"
    assert post(api, "dgm", c.number, "instruct", {"instruction": "x"}).status_code == 403
    assert (
        post(api, "gm", c.number, "instruct", {"instruction": "查清原因"}).json()["status"]
        == "countermeasure"
    )
    c = walk_to(org, c, "measure_review")
    assert post(api, "gmoffice", c.number, "review_countermeasure", {}).status_code == 403
    # sent back without a reason: refused; with one: the countermeasure again
    r = post(api, "dgm", c.number, "review_countermeasure", {"approved": False})
    assert r.status_code == 422 and r.json()["field"] == "opinion"
    r = post(api, "dgm", c.number, "review_countermeasure", {"approved": False, "opinion": "对策不足"})
    assert r.json()["status"] == "countermeasure"
    c = walk_to(org, c, "proposal_review")
    assert post(api, "sales", c.number, "review_proposal", {}).status_code == 403
    r = post(api, "salesmgr", c.number, "review_proposal", {"approved": False, "opinion": "再谈"})
    assert r.json()["status"] == "negotiation"
    c = walk_to(org, c, "proposal_review")
    assert (
        post(api, "salesmgr", c.number, "review_proposal", {"approved": True}).json()["status"] == "synthesis"
    )


@pytest.mark.parametrize(
    "key, skipped",
    [
        ("complaint.instruction.investigation", "instruction"),
        ("complaint.instruction.countermeasure", "measure_review"),
        ("complaint.instruction.proposal", "proposal_review"),
    ],
)
def test_each_instruction_step_can_be_switched_off(org, key, skipped):
    off(key)
    c = walk_to(org, mine(org), "closed")
    codes = [s.code for s in steps(c)]
    assert skipped not in codes
    expected = {"assign", "investigation", "instruction", "countermeasure", "measure_review", "proposal",
                "proposal_review", "synthesis", "approval", "reply", "confirmation"} - {skipped}  # fmt: skip
    assert set(codes) == expected


# --- the management meeting (篇1 第十一条(二)) --------------------------------------------------------


@pytest.mark.parametrize("severity", ["major", "serious"])
def test_major_and_serious_cases_wait_for_the_management_meeting(api, org, severity):
    c = walk_to(org, mine(org, severity=severity), "approval")
    r = post(api, "salesmgr", c.number, "approve", {})
    assert r.status_code == 409
    assert "management meeting" in r.json()["detail"] and "approve" not in r.json()["allowed"]
    assert "send_back" in r.json()["allowed"]
    c.refresh_from_db()
    assert c.status == "approval"
    meeting = {"decision": "全部换货", "attendees": ["总经理", "品质部", "业务部"]}
    assert post(api, "sales", c.number, "record_meeting_decision", meeting).status_code == 403
    assert ok(post(api, "gmoffice", c.number, "record_meeting_decision", meeting))
    c.refresh_from_db()
    assert c.meeting_at is not None
    assert api("gm").get(f"/api/v1/complaints/{c.number}").json()["meeting_at"]
    assert post(api, "salesmgr", c.number, "approve", {}).json()["status"] == "reply"


def test_general_cases_have_no_meeting_and_the_setting_switches_the_wait_off(api, org):
    general = walk_to(org, mine(org), "approval")
    meeting = {"decision": "x", "attendees": "y"}
    assert post(api, "gmoffice", general.number, "record_meeting_decision", meeting).status_code == 409
    off("complaint.meeting.major_serious")
    major = walk_to(org, mine(org, severity="major"), "approval")
    assert post(api, "salesmgr", major.number, "approve", {}).json()["status"] == "reply"


def test_the_approval_panel_says_it_waits_for_the_meeting(page, org):
    c = walk_to(org, mine(org, severity="major"), "approval")
    html = page("salesmgr").get(f"/complaints/{c.number}/").content.decode()
    panel = html[html.index('id="workflow-panel"') :]
    assert "经理办公会" in panel or "management meeting" in panel
    assert 'data-action="approve"' not in panel


# --- reply and closing (第九条(八)(十), 001 6.3.6, 000 3.4) ------------------------------------------


def test_a_phone_answer_records_who_spoke_with_whom_and_when(api, org):
    c = walk_to(org, mine(org), "reply")
    r = post(api, "sales", c.number, "record_reply", {"letter": "电话告知处理结果", "method": "phone"})
    assert r.status_code == 422 and r.json()["field"] == "spoke_with"
    body = {"letter": "电话告知处理结果", "method": "phone", "spoke_with": "采购部张经理"}
    r = post(api, "sales", c.number, "record_reply", body)
    assert r.status_code == 422 and r.json()["field"] == "spoke_at"
    r = post(api, "sales", c.number, "record_reply", {**body, "spoke_at": "2026-11-20T10:30:00+08:00"})
    assert r.status_code == 200 and r.json()["status"] == "confirmation"
    reply = CustomerReply.objects.get(complaint=c)
    assert (reply.method, reply.spoke_with, reply.recorded_by) == ("phone", "采购部张经理", org["sales"])
    assert reply.spoke_at.isoformat() == "2026-11-20T02:30:00+00:00" and reply.customer_accepts is None


def test_closing_waits_for_the_customers_confirmation(api, org):
    c = walk_to(org, mine(org), "reply")
    assert (
        post(api, "sales", c.number, "record_reply", {"letter": "处理如下"}).json()["status"]
        == "confirmation"
    )
    c.refresh_from_db()
    assert c.closed_at is None and c.outcome == ""
    r = post(
        api, "sales", c.number, "confirm_closing", {"via": "customer_confirmation", "customer_accepts": True}
    )
    assert r.status_code == 400 and r.json()["field"] == "contact"
    r = post(api, "sales", c.number, "confirm_closing",
             {"via": "customer_confirmation", "customer_accepts": True, "contact": "张经理"})  # fmt: skip
    assert r.json()["status"] == "closed" and r.json()["followup"] is None
    c.refresh_from_db()
    assert c.outcome == "accepted" and c.closed_at is not None
    reply = CustomerReply.objects.get(complaint=c)
    assert reply.customer_accepts is True and reply.confirmed_via == "customer_confirmation"


def test_a_rejection_at_the_follow_up_call_opens_a_linked_case_with_outcome_rejected(api, org):
    c = walk_to(org, mine(org), "confirmation")
    r = post(api, "sales", c.number, "confirm_closing",
             {"via": "follow_up_call", "customer_accepts": False, "contact": "张经理", "note": "要求全额赔偿"})  # fmt: skip
    body = r.json()
    assert body["status"] == "closed" and body["followup"]
    new = Complaint.objects.get(number=body["followup"])
    assert new.parent_id == c.pk and new.status == "registered"
    c.refresh_from_db()
    assert c.outcome == "rejected"
    assert CustomerReply.objects.get(complaint=c).followup == new


def test_the_outcome_filter_of_the_list_page_and_api(api, page, org):
    accepted = walk_to(org, mine(org), "closed")
    rejected = walk_to(org, mine(org), "reply")
    post(api, "sales", rejected.number, "record_reply", {"letter": "x", "customer_accepts": False})
    rejected.refresh_from_db()
    assert rejected.outcome == "rejected" and rejected.status == "closed"
    invalid = walk_to(org, mine(org), "investigating")
    post(api, "quality", invalid.number, "submit_investigation", {"cause": "misuse", "valid": False})
    still_open = mine(org)

    def numbers(outcome):
        r = api("gm").get("/api/v1/complaints", {"outcome": outcome})
        return {row["number"] for row in r.json()["results"]}

    assert numbers("accepted") == {accepted.number}
    assert numbers("rejected") == {rejected.number}
    assert numbers("not_established") == {invalid.number}
    assert still_open.number in numbers("")
    assert api("gm").get("/api/v1/complaints", {"outcome": "maybe"}).status_code in (400, 422)
    html = page("gm").get("/complaints/", {"outcome": "rejected"}).content.decode()
    assert rejected.number in html and accepted.number not in html and 'name="outcome"' in html

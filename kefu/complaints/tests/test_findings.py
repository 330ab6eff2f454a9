"""Issue 13: the complaint form shows what each department wrote (客户抱怨处理表), on the page and
in the API, in the order of the paper form; the approver sees what they decide on."""

from __future__ import annotations

import json

from kefu.complaints.tests.workflow_factory import complaint, walk_to

FORM_ORDER = [
    "assign", "investigation", "instruction", "countermeasure", "measure_review", "rd_opinion", "proposal",
    "proposal_review", "synthesis", "approval", "reply", "confirmation",
]  # fmt: skip


def closed_case(org):
    c = complaint(org)
    c.customer.owner = org["sales"]
    c.customer.save()
    org["production"].first_name = "王强"
    org["production"].save()
    return walk_to(org, c, "closed", needs_rd=True)


def test_api_returns_every_steps_content_in_the_order_of_the_form(api, org):
    c = closed_case(org)
    body = api("gm").get(f"/api/v1/complaints/{c.number}").json()
    assert [f["step"] for f in body["findings"]] == FORM_ORDER
    by_step = {f["step"]: f for f in body["findings"]}
    assert by_step["investigation"]["data"]["cause"] == "burr on the edge"
    assert by_step["investigation"]["data"]["responsible_department"] == "production"
    assert by_step["instruction"]["data"]["instruction"] == "find the root cause, check the die"
    assert by_step["instruction"]["by"] == "gm"
    cm = by_step["countermeasure"]["data"]
    assert (cm["analysis"], cm["unit"], cm["shift"], cm["operators"], cm["production_date"]) == (
        "worn die", "stamping 2", "B", "张三、李四", "2026-10-20")  # fmt: skip
    assert by_step["countermeasure"]["by"] == "production" and by_step["countermeasure"]["by_name"] == "王强"
    assert by_step["rd_opinion"]["data"]["opinion"] == "change the radius"
    assert by_step["proposal"]["data"] == {
        "handling": "allowance", "loss_amount": "3000.00", "customer_position": "wants 5%", "note": ""}  # fmt: skip
    assert by_step["proposal_review"]["by"] == "salesmgr"
    assert by_step["synthesis"]["data"]["opinion"] == "allowance is fair"
    approval = by_step["approval"]
    assert approval["by"] == "salesmgr"
    assert approval["data"]["decision"] == "approved" and approval["data"]["authority"] == "sales_manager"
    assert approval["data"]["loss_amount"] == "3000.00" and approval["data"]["handling"] == "allowance"
    assert by_step["reply"]["data"]["letter"] == "Dear customer, ..."
    assert by_step["confirmation"]["data"]["via"] == "follow_up_call"
    assert by_step["confirmation"]["data"]["contact"] == "王经理"
    assert body["outcome"] == "accepted"
    assert body["responsibility"] == {
        "shares": [{"department": "production", "person": None, "person_name": None, "share": 100}],
        "tracking": True, "human_negligence": False, "penalty": "bonus_deduction"}  # fmt: skip
    # the contract's old fields are still there
    assert body["status"] == "closed" and body["loss_amount"] == "3000.00" and body["handling"] == "allowance"


def test_closed_case_page_shows_what_every_department_wrote(page, org):
    c = closed_case(org)
    html = page("quality").get(f"/complaints/{c.number}/").content.decode()
    assert 'id="findings"' in html
    positions = [html.index(f'class="finding" data-step="{code}"') for code in FORM_ORDER]
    assert positions == sorted(positions)
    for text in ("burr on the edge", "find the root cause, check the die", "worn die",
                 "replace the die, 100% check", "stamping 2", "张三、李四", "2026-10-20", "change the radius",
                 "wants 5%", "allowance is fair", "Dear customer, ...", "王经理"):  # fmt: skip
        assert text in html, text
    assert "¥3,000.00" in html  # the money filter
    assert "王强" in html  # people by name (the countermeasure's author)
    assert 'id="responsibility"' in html and "100%" in html
    assert 'id="outcome"' in html


def test_approver_sees_the_synthesis_proposal_and_amount_in_the_panel(page, org):
    c = walk_to(org, complaint(org), "approval")
    html = page("salesmgr").get(f"/complaints/{c.number}/").content.decode()
    panel = html[html.index('id="workflow-panel"') :]
    basis = panel[panel.index('id="decision-basis"') :]
    assert "allowance is fair" in basis and "¥3,000.00" in basis and "wants 5%" in basis
    assert 'data-field="responsibility"' in basis and "100%" in basis
    assert 'data-action="approve"' in panel


def test_detail_page_query_count_does_not_grow_with_the_steps(page, org, django_assert_max_num_queries):
    small = walk_to(org, complaint(org), "investigating")
    big = closed_case(org)
    client = page("gm")
    client.get(f"/complaints/{small.number}/")
    with django_assert_max_num_queries(40) as few:
        client.get(f"/complaints/{small.number}/")
    with django_assert_max_num_queries(len(few.captured_queries) + 3) as many:
        r = client.get(f"/complaints/{big.number}/")
    assert r.status_code == 200
    # the findings come from the steps already read (12 steps, no query each): a closed case reads
    # besides its letters, its responsibility split and its meeting/lateness rows
    assert len(many.captured_queries) <= len(few.captured_queries) + 3


def post(api, user, number, action, body):
    return api(user).post(
        f"/api/v1/complaints/{number}/actions/{action}",
        data=json.dumps(body),
        content_type="application/json",
    )

"""Acceptance in a real browser (issue 4): quality works a case from its work list; sales cannot approve."""

import pytest
from playwright.sync_api import expect

from kefu.complaints.models import Complaint
from kefu.complaints.tests import workflow_factory as wf

from .conftest import PASSWORD, log_in


@pytest.fixture
def whole_org(transactional_db):
    """One user per role, as the root conftest's ``org``, but on the live server's database."""
    from conftest import ORG
    from kefu.core.org import create_user

    return {
        username: create_user(username, password=PASSWORD, memberships=memberships)
        for username, memberships in ORG.items()
    }


def test_quality_submits_the_investigation_from_the_work_list(tab, whole_org, shot):
    c = wf.walk_to(whole_org, wf.complaint(whole_org, now=None), "investigating")

    log_in(tab, "quality")
    tab.goto("/work/")
    row = tab.locator(f"#work-steps tr[data-number='{c.number}']")
    expect(row).to_contain_text("调查")
    shot(tab, "work-list")

    row.locator("details.workflow-action summary").click()
    prefix = f"{c.number}-submit_investigation"
    row.locator(f"[id='{prefix}-cause']").fill("模具刃口磨损导致冲压毛刺")
    row.locator(f"[id='{prefix}-valid']").select_option("true")
    row.locator(f"[id='{prefix}-responsible_department']").select_option("production")
    row.locator("form button.btn-primary").click()

    # quality's report goes to the GM for instruction first (002 篇4 第九条(二))
    expect(tab.locator(".messages")).to_contain_text("总经理批示")  # "... the case is now 总经理批示"
    c.refresh_from_db()
    assert c.status == "instruction"
    assert c.responsible_department.code == "production"
    # The case moved on: it is no longer quality's open step.
    expect(tab.locator(f"#work-steps tr[data-number='{c.number}']")).to_have_count(0)

    tab.goto(f"/complaints/{c.number}/")
    timeline = tab.locator("#step-timeline li")
    expect(timeline).to_have_count(3)
    expect(tab.locator("#step-timeline li.current")).to_contain_text("总经理室")
    shot(tab, "workflow-detail")


def test_sales_cannot_approve(tab, whole_org):
    c = wf.walk_to(whole_org, wf.complaint(whole_org, now=None), "approval", loss="800.00")

    log_in(tab, "sales")
    tab.goto(f"/complaints/{c.number}/")
    expect(tab.locator("#step-timeline")).to_be_visible()
    expect(tab.locator("details.workflow-action[data-action='approve']")).to_have_count(0)

    # Posting the action anyway is refused, and the case stays where it was.
    token = next(ck["value"] for ck in tab.context.cookies() if ck["name"] == "csrftoken")
    response = tab.request.post(
        f"/work/complaint/{c.number}/act/approve/",
        form={"note": "同意"},
        headers={"X-CSRFToken": token, "HX-Request": "true", "Referer": tab.url},
    )
    assert 'role="alert"' in response.text()
    assert Complaint.objects.get(pk=c.pk).status == "approval"

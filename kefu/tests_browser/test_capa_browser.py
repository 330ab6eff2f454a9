"""Acceptance in a real browser (issue 14): an 8D opened from a complaint goes to closure through
the pages, every action in the engine's panel; the monthly Pareto chart renders."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kefu.capa import services
from kefu.capa.models import Capa
from kefu.complaints.tests import workflow_factory as wf

from .conftest import PASSWORD, log_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def whole_org(transactional_db):
    from conftest import ORG
    from kefu.core.choices import DepartmentCode as D
    from kefu.core.choices import Role as R
    from kefu.core.org import create_user

    users = {
        username: create_user(username, password=PASSWORD, memberships=memberships)
        for username, memberships in ORG.items()
    }
    users["prodmgr"] = create_user("prodmgr", password=PASSWORD, memberships=[(D.PRODUCTION, R.MANAGER)])
    return users


def act(tab, action: str, fields: dict | None = None) -> None:
    panel = tab.locator(f"details.workflow-action[data-action='{action}']")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    for name, value in (fields or {}).items():
        box = panel.locator(f"[id='{action}-{name}']")
        if box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)
    panel.locator("form button.btn-primary").click()
    # the panel answers in place (htmx) with what was done
    expect(tab.locator("#workflow-panel .msg-success")).to_be_visible()
    tab.reload()


def as_user(tab, username: str, number: str) -> None:
    tab.context.clear_cookies()
    log_in(tab, username)
    tab.goto(f"/capa/{number}/")


def test_an_8d_from_a_complaint_to_closure_through_the_pages(tab, whole_org, shot, tmp_path):
    org = whole_org
    now = timezone.now()
    complaint = wf.walk_to(org, wf.complaint(org, now=now), "negotiation", now=now)
    capa = services.open_from_complaint(complaint, org["gmoffice"])
    n = capa.number

    as_user(tab, "production", n)
    expect(tab.locator("#source")).to_contain_text(complaint.number)
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    tab.locator("#attachments input[type=file]").set_input_files(str(photo))
    tab.locator("#attachments button[type=submit]").click()
    expect(tab.locator("#attachments")).to_contain_text("现场照片.png")
    verify_by = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    act(
        tab,
        "submit_reply",
        {
            "team": "王五 生产经理\n赵六 品质工程师",
            "containment": "隔离在库品并全检",
            "plant_checked": "500",
            "plant_nonconforming": "12",
            "transit_checked": "200",
            "transit_nonconforming": "0",
            "customer_checked": "300",
            "customer_nonconforming": "5",
            "why_occurrence": "刀具磨损\n未按时更换",
            "root_cause_occurrence": "刀具寿命未管控",
            "why_escape": "抽检频次低",
            "root_cause_escape": "控制计划未含孔径全检",
            "corrective_action": "刀具寿命计数，到期强制更换",
            "implementation": "已实施",
            "verify_by": verify_by,
            "prevention": "更新 PFMEA 与控制计划",
            "documents": "pfmea | PF-001 | C",
        },
    )
    assert Capa.objects.get(number=n).reply_submitted_at is not None
    assert Capa.objects.get(number=n).status == "reply"  # not sent until the manager approves

    as_user(tab, "prodmgr", n)
    act(tab, "approve_reply")
    as_user(tab, "quality", n)
    expect(tab.locator("#status-badge")).to_have_text("品保审核")
    act(tab, "accept_report")
    as_user(tab, "mrep", n)
    act(tab, "approve_report")
    as_user(tab, "quality", n)
    act(tab, "verify", {"effective": "true", "result": "连续 3 批无不良"})
    act(tab, "close", {"closure": "关闭", "recognition": "表彰生产二课"})
    expect(tab.locator("#status-badge")).to_have_text("已结案")
    shot(tab, "capa-closed")
    capa = Capa.objects.get(number=n)
    assert (capa.status, capa.plant_nonconforming, capa.transit_nonconforming) == ("closed", 12, 0)
    tab.goto(f"/complaints/{complaint.number}/")
    expect(tab.locator("#capa-links")).to_contain_text(n)


def test_the_pareto_chart_renders(tab, whole_org, shot):
    org = whole_org
    for kind, severity in (
        [("外观划伤", "general")] * 4 + [("尺寸超差", "serious")] * 2 + [("错漏装", "major")]
    ):
        services.open_capa(
            by=org["quality"],
            title=kind,
            department="production",
            problem=kind,
            nonconformity=kind,
            severity=severity,
        )
    log_in(tab, "quality")
    tab.goto(f"/capa/analysis/?month={timezone.localdate():%Y-%m}")
    expect(tab.locator("#pareto canvas")).to_have_count(1)
    expect(tab.locator("#pareto-table tbody tr").first).to_contain_text("外观划伤")
    shot(tab, "capa-pareto")

"""Issue 13 in a real browser: a major complaint from registration to closing through the pages,
each step taken by its own user with the page's forms; the closed case shows what every department
wrote, at 1440 px and at 390 px (screenshots in test-artifacts/)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kefu.complaints.models import Complaint
from kefu.complaints.tests import workflow_factory as wf
from kefu.complaints.tests.test_findings_pages import STEPS

from .conftest import PASSWORD, log_in

FINDINGS = ("模具磨损导致毛刺", "限三日内提出对策", "冲模刃口磨损", "更换冲模, 全检在库品", "二车间", "王强、李娜",
            "同意对策, 追踪效果", "客户要求折让百分之五", "交涉结果合理", "同意折让, 责任归制造部与品质部",
            "¥12,800.00", "陈副总", "电话告知折让方案", "采购部张经理", "70%", "30%")  # fmt: skip


@pytest.fixture
def whole_org(transactional_db):
    from conftest import ORG
    from kefu.core.org import create_user

    names = {"production": "王强", "dgm": "陈副总", "gm": "李总", "sales": "林晓燕", "quality": "张伟"}
    return {
        username: create_user(
            username, password=PASSWORD, memberships=memberships, first_name=names.get(username, "")
        )
        for username, memberships in ORG.items()
    }


def _fill(form, name: str, value: str) -> None:
    field = form.locator(f"[name='{name}']")
    kind = field.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if kind.startswith("select"):
        field.select_option(value)
    elif kind == "input:checkbox":
        field.check()
    else:
        field.fill(value)


def test_a_major_complaint_from_registration_to_closing_in_the_browser(browser, live_server, whole_org, shot):
    c = wf.complaint(whole_org, severity="major", now=timezone.now() - dt.timedelta(hours=3))
    for n, (username, action, form_data) in enumerate(STEPS):
        context = browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1440, "height": 900},
        )
        context.set_default_timeout(20_000)
        tab = context.new_page()
        try:
            log_in(tab, username)
            tab.goto(f"/complaints/{c.number}/")
            panel = tab.locator(f"details.workflow-action[data-action='{action}']")
            expect(panel).to_have_count(1)
            if panel.get_attribute("open") is None:
                panel.locator("summary").click()
            form = panel.locator("form")
            for name, value in form_data.items():
                _fill(form, name, value)
            if action == "approve":  # what the approver decides on is on the page they decide on
                basis = tab.locator("#decision-basis")
                expect(basis).to_contain_text("¥12,800.00")
                expect(basis).to_contain_text("客户要求折让百分之五")
                shot(tab, "major-approval-1440")
            with tab.expect_response(lambda r: "/act/" in r.url and r.request.method == "POST") as answer:
                form.locator("button.btn-primary").click()
            assert answer.value.status in (200, 302), (action, answer.value.status)
            tab.wait_for_load_state("networkidle")
            # The whole page answers: no refusal shown, and the action is no longer offered as it was.
            expect(tab.locator("#main [role=alert]")).to_have_count(0)
        finally:
            context.close()
        c.refresh_from_db()
        assert n < len(STEPS) - 1 or c.status == "closed", (action, c.status)
    assert (c.status, c.outcome) == ("closed", "accepted")

    for width in (1440, 390):
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
            viewport={"width": width, "height": 900},
        )  # fmt: skip
        tab = context.new_page()
        try:
            log_in(tab, "quality")
            tab.goto(f"/complaints/{c.number}/")
            findings = tab.locator("#findings")
            for text in FINDINGS:
                expect(findings).to_contain_text(text)
            expect(tab.locator(".badge, .status").first).to_be_visible()
            assert "production" not in findings.inner_text()  # names, not usernames
            wide = tab.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, (width, wide)
            shot(tab, f"major-closed-{width}")
        finally:
            context.close()
    assert Complaint.objects.filter(parent=c).count() == 0

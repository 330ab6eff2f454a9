"""Acceptance in a real browser (issue 14, M7): a customer audit planned on the page, its opening and
closing meetings recorded in the engine's panel, a nonconformity recorded, handed over, and its 8D
opened by quality; the 8D links back to its audit. Screenshots at 1440 and 390 px."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kefu.audits.models import Audit
from kefu.capa.models import Capa

from .conftest import PASSWORD, log_in


@pytest.fixture
def audit_org(transactional_db):
    from kefu.core.choices import DepartmentCode as D
    from kefu.core.choices import Role as R
    from kefu.core.org import create_user, ensure_departments
    from kefu.customers.models import Customer

    ensure_departments()
    users = {
        "sales": create_user(
            "sales", password=PASSWORD, memberships=[(D.SALES, R.CLERK)], first_name="林晓燕"
        ),
        "quality": create_user(
            "quality", password=PASSWORD, memberships=[(D.QUALITY, R.CLERK)], first_name="张伟"
        ),
    }
    Customer.objects.create(
        code="C1001", name="苏州恒达精密机械有限公司", owner=users["sales"], grade="A", is_key=True
    )
    return users


def act(tab, action: str, fields: dict | None = None) -> None:
    panel = tab.locator(f"details.workflow-action[data-action='{action}']")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    for name, value in (fields or {}).items():
        panel.locator(f"[id='{action}-{name}']").fill(value)
    panel.locator("form button.btn-primary").click()
    expect(tab.locator("#workflow-panel .msg-success")).to_be_visible()
    tab.reload()


def at_width(tab, width: int, shot, name: str) -> None:
    tab.set_viewport_size({"width": width, "height": 900})
    shot(tab, name)


def test_an_audit_from_planning_to_its_8ds_through_the_pages(tab, audit_org, shot):
    start = (timezone.localtime() + dt.timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
    log_in(tab, "sales")
    tab.goto("/audits/new/")
    tab.fill("#id_customer", "C1001")
    tab.select_option("#id_audit_type", "periodic")
    tab.fill("#id_planned_start", start.strftime("%Y-%m-%dT%H:%M"))
    tab.fill("#id_planned_end", (start + dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"))
    tab.check("input[name=departments][value=production]")
    tab.check("input[name=departments][value=quality]")
    tab.fill("#id_managers", "production, 王五\nquality, 赵六")
    tab.fill("#id_auditors", "Smith, SQE, smith@customer.example")
    tab.fill("#id_scope", "IATF 16949 过程审核")
    at_width(tab, 1440, shot, "audit-new-1440")
    tab.locator("#audit-form button[type=submit]").click()
    expect(tab.locator("h1")).to_contain_text("苏州恒达精密机械有限公司")
    number = Audit.objects.get().number
    # a key customer: the preparation meeting is a task in the panel
    expect(tab.locator("#workflow")).to_contain_text("应审说明会")
    # the engine's advance notices: the departments 2 working days before, the opening e-mail 1 before
    expect(tab.locator("#notices [data-notice=departments]")).to_contain_text("待发送")
    expect(tab.locator("#notices [data-notice=opening]")).to_be_visible()

    act(tab, "open_meeting", {"ours": "王五\n赵六", "customer": "Smith", "minutes": "确认审核范围"})
    expect(tab.locator("#status-badge")).to_contain_text("审核进行中")
    expect(tab.locator("#notices [data-notice=departments]")).to_have_count(0)  # begun: moot, dropped
    tab.locator("#nc-add summary").click()
    tab.fill("#id_description", "首件检验记录缺失")
    tab.select_option("#id_department", "production")
    tab.fill("#id_clause", "8.5.1")
    tab.locator("#nc-add button[type=submit]").click()
    expect(tab.locator("#findings")).to_contain_text(f"{number}-NC01")
    act(tab, "close_meeting", {"ours": "王五", "customer": "Smith"})
    act(tab, "hand_over")
    expect(tab.locator("#routing")).to_contain_text("品保部")

    tab.context.clear_cookies()
    log_in(tab, "quality")
    tab.goto(f"/audits/{number}/")
    act(tab, "open_8ds")
    capa = Capa.objects.get(source_type="audit")
    expect(tab.locator("#findings")).to_contain_text(capa.number)
    at_width(tab, 1440, shot, "audit-detail-1440")
    at_width(tab, 390, shot, "audit-detail-390")
    tab.goto(f"/capa/{capa.number}/")
    expect(tab.locator("#source a")).to_have_attribute("href", f"/audits/{number}/#{number}-NC01")

    tab.context.clear_cookies()
    log_in(tab, "sales")
    tab.goto("/audits/")
    expect(tab.locator("#audit-table")).to_contain_text(number)
    at_width(tab, 1440, shot, "audit-list-1440")
    at_width(tab, 390, shot, "audit-list-390")
    tab.goto("/audits/new/")
    at_width(tab, 390, shot, "audit-new-390")

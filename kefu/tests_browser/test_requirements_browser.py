"""The requirement registers in a real browser (issue 14): a CSR reviewed by two departments
through the engine's panel, the checklist, the HSF page and a cycle, the customer's section with
its red lines; screenshots of each page at 1440 and 390 px (test-artifacts/requirements-*.png)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from kefu.requirements import services

from .conftest import PASSWORD, log_in
from .test_capa_browser import act

LIMITS = [
    {"regime": "rohs", "substance": "铅 Pb", "limit": "1000", "unit": "ppm", "source": "RoHS (EU) 2015/863"},
    {"regime": "rohs", "substance": "镉 Cd", "limit": "100", "unit": "ppm", "source": "RoHS (EU) 2015/863"},
    {"regime": "reach", "substance": "DEHP", "limit": "0.1", "unit": "%", "source": "REACH SVHC 第 32 批"},
    {
        "regime": "customer",
        "substance": "卤素 Cl",
        "limit": "900",
        "unit": "ppm",
        "source": "客户环保规范 E-01",
    },
]


@pytest.fixture
def registers(people):
    from kefu.core.choices import DepartmentCode as D
    from kefu.core.choices import Role as R
    from kefu.core.org import create_user
    from kefu.flow import engine

    users = people["users"]
    users["production"] = create_user(
        "production", password=PASSWORD, memberships=[(D.PRODUCTION, R.CLERK)], first_name="王强"
    )
    users["hspm"] = create_user(
        "hspm", password=PASSWORD, memberships=[(D.QUALITY, R.HSPM_REP)], first_name="陈静"
    )
    c = people["customers"][0]
    doc = {"title": "客户特殊要求手册", "number": "HD-CSR-001", "revision": "C", "date": dt.date(2026, 9, 1)}
    red = services.register_requirement(
        by=users["sales"], customer=c, document=doc, clause="3.1", title="禁止使用再生塑料", red_line=True,
        text="所有塑料件不得使用再生料; 违反即取消供货资格", departments=["quality", "production"],
        linked_documents=[{"number": "QP-07", "title": "采购控制程序", "revision": "B"}],
    )  # fmt: skip
    plain = services.register_requirement(
        by=users["sales"], customer=c, document=doc, clause="4.2", title="PPAP 等级 3",
        text="新零件按 PPAP 等级 3 提交", departments=["quality", "production"],
    )  # fmt: skip
    engine.perform(
        plain, "review", by=users["quality"], data={"answer": "accepted", "comment": "已纳入控制计划"}
    )
    cycle = services.open_change_cycle(c, by=users["sales"], reason="客户发布新版环保规范 E-01 版本 D")
    engine.perform(cycle, "collect", by=users["sales"], data={"limits": LIMITS})
    engine.perform(cycle, "identify", by=users["quality"], data={})
    engine.perform(cycle, "approve", by=users["hspm"], data={})
    change = services.open_change_cycle(c, by=users["sales"], reason="卤素限值收紧到 800 ppm")
    services.add_files(
        c, [_pdf("CMRT_6.4_恒达.pdf")], by=users["quality"], kind="cmrt", dated=dt.date(2026, 11, 20)
    )
    return {"users": users, "customer": c, "red": red, "plain": plain, "cycle": cycle, "change": change}


def _pdf(name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")


def both_widths(tab, shot, name):
    for width in (1440, 390):
        tab.set_viewport_size({"width": width, "height": 900})
        shot(tab, f"requirements-{name}-{width}")
        # nothing wider than the phone: wide tables scroll inside their card
        assert tab.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    tab.set_viewport_size({"width": 1440, "height": 900})


def test_csr_review_through_the_pages_and_every_page(tab, shot, registers):
    red = registers["red"]
    log_in(tab, "quality")
    tab.goto("/requirements/")
    expect(tab.locator("#csr-table")).to_contain_text(red.number)
    expect(tab.locator("#csr-table")).to_contain_text("红线")
    both_widths(tab, shot, "list")
    tab.goto(f"/requirements/{red.number}/")
    expect(tab.locator("#reviews")).to_contain_text("品质部")
    act(tab, "review", {"answer": "accepted", "comment": "来料检验增加再生料筛查"})
    expect(tab.locator("#reviews")).to_contain_text("接受")
    both_widths(tab, shot, "detail")
    tab.context.clear_cookies()
    log_in(tab, "production")
    tab.goto(f"/requirements/{red.number}/")
    act(
        tab,
        "review",
        {"answer": "needs_action", "action": "注塑车间增加再生料隔离区", "action_due": "2026-12-31"},
    )
    expect(tab.locator("#status-badge")).to_have_text("已评审, 措施未完成")
    act(tab, "complete_action", {"result": "隔离区已设置, 见 WI-22 版本 D"})
    expect(tab.locator("#status-badge")).to_have_text("已评审, 生效")
    tab.goto("/requirements/checklist/?customer=C1001")
    expect(tab.locator("#checklist")).to_contain_text("需采取措施")
    both_widths(tab, shot, "checklist")
    tab.goto("/requirements/hsf/")
    expect(tab.locator("#limits")).to_contain_text("铅 Pb")
    both_widths(tab, shot, "hsf")
    tab.goto(f"/requirements/hsf/{registers['change'].number}/")
    both_widths(tab, shot, "cycle")
    tab.goto("/customers/C1001/")
    expect(tab.locator("#red-lines")).to_contain_text("禁止使用再生塑料")
    expect(tab.locator("#cmrt")).to_contain_text("2026-11-20")
    both_widths(tab, shot, "customer")
    tab.context.clear_cookies()
    log_in(tab, "sales")
    tab.goto("/requirements/new/")
    both_widths(tab, shot, "new")

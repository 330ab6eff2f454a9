"""Acceptance in a real browser: staff register a complaint and find it; a customer files one."""

import re

from playwright.sync_api import expect

from kefu.complaints.models import Complaint

from .conftest import log_in

NUMBER = re.compile(r"^\d{6}-\d{4,}$")


def test_sales_registers_a_complaint_and_finds_it_in_the_list_by_number(tab, people, shot):
    log_in(tab, "sales")

    tab.goto("/complaints/new/")
    # The customer field suggests the customers this user may see as they type (code or name).
    tab.locator("#id_customer").press_sequentially("恒达", delay=50)
    options = tab.locator("#customer-codes option")
    expect(options).not_to_have_count(0)
    assert "C1001" in options.evaluate_all("els => els.map(e => e.value)")
    tab.fill("#id_customer", "C1001")
    tab.select_option("#id_channel", "phone")
    tab.fill("#id_title", "冲压件毛刺超标 浏览器测试")
    tab.fill(
        "#id_description", "客户来料检验发现批次 260412-3 的精密冲压件边缘毛刺，抽检 500 件中 12 件不良。"
    )
    tab.select_option("#id_category", "quality")
    tab.select_option("#id_severity", "major")
    tab.fill("#id_order_no", "PO202612345")
    tab.fill("#id_part_no", "JM-200-1A")
    tab.fill("#id_quantity", "500")
    tab.fill("#id_defect_quantity", "12")
    tab.locator("#submit-complaint").click()

    tab.wait_for_url(re.compile(r"/complaints/\d{6}-\d{4,}/$"))
    number = tab.locator("h1 .num").inner_text().strip()
    assert NUMBER.match(number), number
    expect(tab.locator("h1")).to_contain_text("冲压件毛刺超标")
    expect(tab.locator("main")).to_contain_text("苏州恒达精密机械有限公司")
    complaint = Complaint.objects.get(number=number)
    assert (complaint.customer.code, complaint.quantity, complaint.defect_quantity) == ("C1001", 500, 12)
    assert complaint.registered_by == people["users"]["sales"]
    shot(tab, "complaint-detail")

    tab.goto("/complaints/")
    tab.fill("#id_customer", "C1001")
    tab.fill("#id_q", "浏览器测试")
    tab.press("#id_q", "Enter")
    row = tab.locator("#complaint-table tbody tr", has=tab.get_by_role("link", name=number, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("冲压件毛刺超标 浏览器测试")
    expect(tab.locator("#complaint-table tbody tr")).to_have_count(1)
    shot(tab, "complaint-list")

    row.get_by_role("link", name=number, exact=True).click()
    tab.wait_for_url(f"**/complaints/{number}/")


def test_customer_files_a_complaint_on_the_public_form_without_an_account(tab, people, shot):
    tab.goto("/public/complaint/")
    tab.fill("#id_customer_code", "C1002")
    tab.fill("#id_contact_name", "周敏")
    tab.fill("#id_contact_phone", "0574-86881234")
    tab.fill("#id_order_no", "PO202688001")
    tab.fill("#id_quantity", "1000")
    tab.fill("#id_defect_quantity", "30")
    tab.fill("#id_description", "收到的电机端盖表面生锈，共 30 件，请尽快处理。")
    tab.locator("form.stacked button[type=submit]").click()

    tab.wait_for_url("**/public/complaint/thanks/")
    number = tab.locator("#complaint-number").inner_text().strip()
    assert NUMBER.match(number), number
    answer_by = tab.locator("#answer-by").inner_text().strip()
    complaint = Complaint.objects.get(number=number)
    assert answer_by == complaint.answer_by.isoformat()
    assert (
        complaint.customer.code == "C1002" and complaint.channel == "web" and complaint.registered_by is None
    )
    assert complaint.acknowledged_at is not None
    shot(tab, "public-thanks")

"""Acceptance in a real browser (issue 15): on a phone (390 px wide) a customer answers a survey
through the personal link, without an account, by tapping the scale's large targets; the link
cannot be used twice. The score sheet and the year-end trend's charts render at 390 and 1440 px."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from kefu.surveys import services

from .conftest import log_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
ITEMS = (
    "product_performance",
    "packing_transport",
    "on_time_delivery",
    "complaint_speed",
    "complaint_effectiveness",
    "service_attitude",
    "professional_knowledge",
    "onsite_service",
    "spare_parts_accuracy",
    "price",
)


@pytest.fixture
def survey(people):
    from importlib import import_module

    from django.apps import apps

    from kefu.customers.models import Customer
    from kefu.surveys.models import Template

    if not Template.objects.exists():  # a transactional test before this one emptied the tables
        import_module("kefu.surveys.migrations.0002_seed_templates").seed(apps, None)
    Customer.objects.filter(code="C1001").update(is_key=True)
    return services.create_round(
        by=people["users"]["sales"],
        customers=["C1001", "C1002"],
        title="2026年第四季度顾客满意度调查",
        collect_until=dt.date.today() + dt.timedelta(days=20),
    )


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page in a fresh zh-CN context, with no account."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_customer_answers_on_a_phone_through_the_personal_link_once(phone, survey, shot):
    form = survey.forms.get(customer__code="C1002")
    link = f"/surveys/answer/{services.issue_link(form, by=survey.created_by, send=False)}/"
    phone.goto(link)
    expect(phone.locator("#answer-customer")).to_have_text("宁波华瑞汽车零部件有限公司")
    assert fits(phone, PHONE["width"])
    # every level is a large tap target: at least 44 px high, and two of them side by side fit
    first = phone.locator("#item-product_performance .scale label").first
    box = first.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 120, box
    ratings = dict.fromkeys(ITEMS, "very_satisfied") | {"price": "neutral", "packing_transport": "satisfied"}
    for item, level in ratings.items():
        phone.locator(f"#item-{item} label:has(input[value='{level}'])").tap()
    expect(phone.locator("#item-price input[value='neutral']")).to_be_checked()
    phone.fill("#id_suggestions", "希望价格再优惠一些")
    shot(phone, "survey-phone-form")
    phone.locator("#answer-form button[type=submit]").tap()
    expect(phone.locator("#answer-thanks")).to_be_visible()
    shot(phone, "survey-phone-thanks")
    form.refresh_from_db()
    assert (form.state, form.channel) == ("returned", "link")
    assert form.score == Decimal(10 * 8 + 8 + 5)  # eight 10s, one 8, one 5
    assert form.suggestions == "希望价格再优惠一些"

    # the same link again: a clear page, not the form; nothing changes
    response = phone.goto(link)
    assert response.status == 409
    expect(phone.locator("#answer-used")).to_contain_text("已经回答")
    expect(phone.locator("#answer-form")).to_have_count(0)
    assert fits(phone, PHONE["width"])
    shot(phone, "survey-phone-used")
    form.refresh_from_db()
    assert form.score == Decimal(93)


def _answer_and_score(round_, sales, answers, *, score=True):
    from kefu.flow import engine

    services.enter_answers(
        round_.forms.get(customer__code="C1001").pk, by=sales, answers=answers, channel="oral"
    )
    services.set_internal_figures(
        round_,
        by=sales,
        deliveries=100,
        on_time_deliveries=95,
        line_stops=1,
        excess_freight=Decimal(500),
        total_freight=Decimal(10000),
    )
    if score:
        engine.perform(round_, "close_collection", by=sales)
        engine.perform(round_, "score", by=sales)


def test_the_score_sheet_and_the_trend_at_390_and_1440(tab, people, survey, shot):
    import time_machine

    sales = people["users"]["sales"]
    earlier = {  # two earlier years, scored: the trend's points
        730: dict.fromkeys(ITEMS, "satisfied") | {"price": "neutral", "on_time_delivery": "neutral"},
        365: dict.fromkeys(ITEMS, "very_satisfied") | {"price": "neutral"},
    }
    for days, answers in earlier.items():
        with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=days), tick=False):
            before = services.create_round(by=sales, customers=["C1001", "C1002"], title="年度顾客满意度调查")
            _answer_and_score(before, sales, answers)
    _answer_and_score(
        survey, sales, dict.fromkeys(ITEMS, "satisfied") | {"price": "dissatisfied"}, score=False
    )
    log_in(tab, "sales")
    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        tab.set_viewport_size(size)
        tab.goto(f"/surveys/{survey.number}/sheet/")
        expect(tab.locator("#item-table tbody tr")).to_have_count(10)
        expect(tab.locator("#external-score")).to_have_text("75.00")  # nine 8s and a 3, on 100
        assert fits(tab, size["width"]), name
        shot(tab, f"survey-score-sheet-{name}")
        tab.goto(f"/surveys/{survey.number}/")
        expect(tab.locator("#missing-key")).to_have_count(0)  # the key customer answered
        expect(tab.locator("#forms")).to_contain_text("C1002")
        pending = tab.locator("#forms tr[data-form]").filter(has_text="C1002")
        if pending.locator(".copy-link").count() == 0:  # no link yet: create it on the page
            pending.get_by_role("button", name="创建链接").click()
        expect(pending.locator(".copy-link input")).to_have_value(
            re.compile(r"^http://.+/surveys/answer/.+/$")
        )
        pending.locator("[data-copy]").click()
        expect(pending.locator(".copied")).to_be_visible()
        assert fits(tab, size["width"]), name
        shot(tab, f"survey-round-{name}")
        tab.goto("/surveys/trend/")
        expect(tab.locator("#trend-table tbody tr")).to_have_count(2)
        expect(tab.locator("#trend-line canvas")).to_have_count(1)
        expect(tab.locator("#trend-radar canvas")).to_have_count(1)
        assert fits(tab, size["width"]), name
        shot(tab, f"survey-trend-{name}")


def test_no_survey_page_is_wider_than_a_phone(tab, people, survey, shot):
    from kefu.surveys.plans import make_plan

    sales = people["users"]["sales"]
    year = dt.date.today().year
    make_plan(year, by=sales)
    answers = dict.fromkeys(ITEMS, "satisfied") | {"price": "dissatisfied"}
    _answer_and_score(survey, sales, answers, score=False)
    services.add_competitor_form(
        survey, by=sales, competitor="杭州竞品机械有限公司", answers=dict.fromkeys(ITEMS, "neutral")
    )
    pending = survey.forms.get(customer__code="C1002")
    services.issue_link(pending, by=sales, send=False)
    pages = [
        "/surveys/",
        f"/surveys/plan/?year={year}",
        "/surveys/new/",
        f"/surveys/{survey.number}/",
        f"/surveys/{survey.number}/sheet/",
        f"/surveys/{survey.number}/customers/C1001/",
        f"/surveys/{survey.number}/competitors/",
        f"/surveys/{survey.number}/competitors/new/",
        f"/surveys/forms/{pending.pk}/enter/",
        "/surveys/trend/",
        "/customers/C1001/",
    ]
    log_in(tab, "sales")
    tab.set_viewport_size(PHONE)
    too_wide = {}
    for path in pages:
        response = tab.goto(path)
        assert response.ok, path
        width = tab.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
        shot(tab, "survey-phone-" + (path.strip("/").replace("/", "-").replace("?year=", "-") or "home"))
    assert too_wide == {}

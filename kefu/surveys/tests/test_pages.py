"""The survey pages (issue 15): the rounds list, the plan with its coverage, a round from the
plan, the round's progress and personal links, the staff's oral entry on the same form, the
customer's answer page (once; expired and unknown links say so), the score sheet as in the
seed with its Excel export, the per-customer sheet, the competitors side by side, the year-end
trend, the customer page's section; Chinese by default, English on request."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from kefu.customers.models import Customer
from kefu.surveys import services
from kefu.surveys.models import Form, Plan, Round

pytestmark = pytest.mark.django_db

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


def all_rated(level: str = "satisfied", **over) -> dict:
    return {item: over.get(item, level) for item in ITEMS}


def form_post(answers: dict, **texts) -> dict:
    return {**{f"item_{k}": v for k, v in answers.items()}, **texts}


@pytest.fixture
def customers(org):
    return [
        Customer.objects.create(
            code="C1001", name="苏州恒达精密机械有限公司", is_key=True, grade="A", owner=org["sales"]
        ),
        Customer.objects.create(
            code="C1002", name="宁波华瑞汽车零部件有限公司", grade="B", owner=org["sales"]
        ),
        Customer.objects.create(code="C1003", name="无锡东方动力有限公司", grade="C", owner=org["sales"]),
    ]


@pytest.fixture
def survey(org, customers) -> Round:
    return services.create_round(
        by=org["sales"],
        customers=[c.code for c in customers],
        title="2026年第四季度顾客满意度调查",
        collect_until=dt.date.today() + dt.timedelta(days=20),
    )


def form_of(round_: Round, code: str) -> Form:
    return round_.forms.get(customer__code=code, subject="ours")


def link_of(org, f: Form) -> str:
    return f"/surveys/answer/{services.issue_link(f, by=org['sales'], send=False)}/"


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def test_rounds_list_in_chinese_and_in_english(page, survey):
    client = page("sales")
    html = client.get("/surveys/").content.decode()
    assert survey.number in html and "顾客满意度" in html and "回收率" in html
    assert 'href="/surveys/"' in html  # the nav link
    html = english(client).get("/surveys/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Customer satisfaction" in html and "Return rate" in html and survey.number in html
    assert client.get("/surveys/?page=0").status_code == 200  # a bad page is a message, not a 500


def test_the_plan_page_makes_the_plan_and_shows_the_coverage_against_90(page, org, customers):
    client = page("sales")
    html = client.get("/surveys/plan/?year=2027").content.decode()
    assert "2027" in html and "制定" in html  # no plan yet: the button
    res = client.post("/surveys/plan/", {"year": "2027"})
    assert res.status_code == 302 and Plan.objects.filter(year=2027).exists()
    html = client.get("/surveys/plan/?year=2027").content.decode()
    coverage = re.search(r'id="coverage-figure">([\d.]+) %<', html)
    assert coverage is not None and Decimal(coverage.group(1)) == Decimal("100.0")  # 3 of 3 active
    assert "C1001" in html and "每季度" in html  # the key customer, quarterly
    assert "90" in html  # the target
    assert page("quality").post("/surveys/plan/", {"year": "2028"}).status_code == 403
    assert client.get("/surveys/plan/?year=abc").status_code == 200


def test_a_round_from_the_plan_has_one_form_per_planned_customer(page, org, customers):
    client = page("sales")
    client.post("/surveys/plan/", {"year": "2027"})
    res = client.post("/surveys/new/", {"year": "2027", "month": "10", "title": "2027 年度调查"})
    assert res.status_code == 302, res.content.decode()[:3000]
    round_ = Round.objects.get(title="2027 年度调查")
    assert res["Location"] == f"/surveys/{round_.number}/"
    assert sorted(round_.forms.values_list("customer__code", flat=True)) == ["C1001", "C1002", "C1003"]
    res = client.post("/surveys/new/", {"year": "2031", "month": "10"})
    assert (
        res.status_code == 422 and "没有" in res.content.decode()
    )  # no plan that year: said beside the year


def test_the_round_page_shows_progress_links_and_the_missing_key_customer(page, org, survey):
    services.enter_answers(form_of(survey, "C1002").pk, by=org["sales"], answers=all_rated(), channel="oral")
    client = page("sales")
    html = client.get(f"/surveys/{survey.number}/").content.decode()
    assert html.count("创建链接") == 2  # no link issued yet for the two pending forms
    res = client.post(f"/surveys/forms/{form_of(survey, 'C1001').pk}/link/", {"send": "0"})
    assert res.status_code == 302 and form_of(survey, "C1001").token_nonce
    client.post(f"/surveys/forms/{form_of(survey, 'C1003').pk}/link/", {"send": "1"})  # no contact: said so
    html = client.get(f"/surveys/{survey.number}/").content.decode()
    progress = html.split('id="progress"')[1].split('class="grid2"')[0]
    assert "33.3 %" in progress  # 1 of 3 returned, against the 80 % target
    assert "1 / 3" in progress and "100" in progress  # returned forms against the round minimum
    missing = html.split('id="missing-key"')[1].split("</div>")[0]
    assert "C1001" in missing and "C1002" not in missing
    links = re.findall(r'value="(http://testserver/surveys/answer/[^"]+/)"', html)
    assert len(links) == 2  # the two pending forms; the returned one has no link
    assert 'data-copy="link-' in html and "复制链接" in html
    assert 'id="workflow"' in html and "close_collection" in html  # the engine's panel
    html = english(client).get(f"/surveys/{survey.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Return rate" in html and "Copy link" in html
    assert client.get("/surveys/CS-1999-99/").status_code == 404


def test_staff_enter_oral_answers_on_the_same_form(page, org, survey):
    f = form_of(survey, "C1001")
    client = page("sales")
    html = client.get(f"/surveys/forms/{f.pk}/enter/").content.decode()
    assert "产品性能" in html and "很满意" in html and 'name="channel"' in html
    partial = form_post(all_rated(price=""), respondent="周敏", channel="oral")
    partial.pop("item_price")
    res = client.post(f"/surveys/forms/{f.pk}/enter/", partial)
    assert res.status_code == 422
    html = res.content.decode()
    assert "产品价格" in html and "请为此项选择一个答案" in html  # the error beside the item
    assert 'value="satisfied" checked' in html and 'value="周敏"' in html  # what was chosen stays
    f.refresh_from_db()
    assert f.state == "pending"
    res = client.post(
        f"/surveys/forms/{f.pk}/enter/",
        form_post(all_rated(price="dissatisfied"), respondent="周敏", channel="oral"),
    )
    assert res.status_code == 302
    f.refresh_from_db()
    assert (f.state, f.channel, f.entered_by) == ("returned", "oral", org["sales"])
    assert f.answers.get(item="price").value == 3
    assert page("quality").get(f"/surveys/forms/{f.pk}/enter/").status_code == 403


def test_the_personal_link_answers_once_without_an_account(org, survey):
    f = form_of(survey, "C1003")
    link = link_of(org, f)
    anonymous = Client()
    res = anonymous.get(link)
    html = res.content.decode()
    assert res.status_code == 200 and "无锡东方动力有限公司" in html
    assert html.count('type="radio"') == 50  # ten items, five levels each
    assert "<script>" not in html and "style=" not in html  # CSP: no inline script or style
    res = anonymous.post(link, form_post(all_rated("very_satisfied"), suggestions="交付很及时"))
    assert res.status_code == 302 and res["Location"] == "/surveys/answer/thanks/"
    assert "感谢" in anonymous.get("/surveys/answer/thanks/").content.decode()
    f.refresh_from_db()
    assert (f.state, f.channel, f.score) == ("returned", "link", Decimal(100))
    again = anonymous.get(link)
    assert again.status_code == 409 and "已经回答" in again.content.decode()
    twice = anonymous.post(link, form_post(all_rated("very_dissatisfied")))
    assert twice.status_code == 409 and "已经回答" in twice.content.decode()
    token = link.split("/")[-2]
    api = anonymous.post(
        f"/api/v1/surveys/answer/{token}", {"answers": all_rated("neutral")}, content_type="application/json"
    )
    assert api.status_code == 409  # and the API refuses it too
    f.refresh_from_db()
    assert f.score == Decimal(100)  # the second use changed nothing


def test_a_refused_public_answer_keeps_what_was_chosen(org, survey):
    link = link_of(org, form_of(survey, "C1002"))
    answers = all_rated()
    answers.pop("on_time_delivery")
    res = Client().post(link, form_post(answers, comment="包装破损三次"))
    html = res.content.decode()
    assert res.status_code == 422 and "交付及时性" in html and "请为此项选择一个答案" in html
    assert "包装破损三次" in html and html.count("checked") == 9
    assert form_of(survey, "C1002").state == "pending"


def test_expired_and_unknown_links_say_so(org, survey):
    link = link_of(org, form_of(survey, "C1002"))
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=31), tick=False):
        res = Client().get(link)
    assert res.status_code == 410 and "已过期" in res.content.decode()
    res = Client().get("/surveys/answer/not-a-token/")
    assert res.status_code == 404 and "无效" in res.content.decode()
    res = english(Client()).get("/surveys/answer/not-a-token/", HTTP_ACCEPT_LANGUAGE="en")
    assert "This link is not valid" in res.content.decode()


def _worked_example(org, survey):
    """SPEC 6.5: ten items all 8 on one form -> external 80.0; 100 deliveries, 95 on time, 1 line
    stop, excess freight 500 of 10,000 and no quality complaint -> internal 97.25, total 86.90."""
    services.enter_answers(form_of(survey, "C1001").pk, by=org["sales"], answers=all_rated(), channel="oral")
    services.set_internal_figures(
        survey,
        by=org["sales"],
        deliveries=100,
        on_time_deliveries=95,
        line_stops=1,
        excess_freight=Decimal(500),
        total_freight=Decimal(10000),
    )


def test_the_score_sheet_as_in_the_seed(page, org, survey):
    _worked_example(org, survey)
    client = page("sales")
    html = client.get(f"/surveys/{survey.number}/sheet/").content.decode()
    items = html.split('id="item-table"')[1].split("</table>")[0]
    assert items.count("<tr data-item=") == 10 and "产品性能" in items and "8.00" in items
    assert re.search(r'id="external-score">80.00<', html)
    internal = html.split('id="internal-table"')[1].split("</table>")[0]
    for part in ("100.00", "95.00", "99.00"):
        assert part in internal
    assert re.search(r'id="internal-score">97.25<', html)
    assert re.search(r'id="total-score">86.90<', html)
    assert "很满意" in html.split('id="level"')[1][:200]
    customers = html.split('id="customer-table"')[1].split("</table>")[0]
    assert "C1001" in customers and "80.00" in customers and "C1002" not in customers
    html = english(client).get(f"/surveys/{survey.number}/sheet/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "External score" in html and "Very satisfied" in html


def test_the_score_sheet_exports_to_excel(page, org, survey):
    from openpyxl import load_workbook

    _worked_example(org, survey)
    res = page("sales").get(f"/surveys/{survey.number}/sheet.xlsx")
    assert res.status_code == 200 and res["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(res.content)).active
    rows = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert Decimal(str(rows["外部评分"])) == Decimal("80.00")
    assert Decimal(str(rows["内部评分"])) == Decimal("97.25")
    assert Decimal(str(rows["总分"])) == Decimal("86.90")
    assert rows["级别"] == "很满意"
    assert rows["C1001"] == "苏州恒达精密机械有限公司"


def test_the_per_customer_sheet_shows_each_answer_and_its_owner(page, org, survey):
    f = form_of(survey, "C1002")
    services.enter_answers(f.pk, by=org["sales"], answers=all_rated(price="dissatisfied"), comment="价格偏高")
    html = page("sales").get(f"/surveys/{survey.number}/customers/C1002/").content.decode()
    table = html.split('id="customer-items"')[1].split("</table>")[0]
    assert table.count("<tr data-item=") == 10 and "不满意" in table
    assert re.search(r'id="customer-score">75.00<', html)  # the sum of the ten ratings: 9 x 8 + 3
    assert "价格偏高" in html
    assert page("sales").get(f"/surveys/{survey.number}/customers/C9999/").status_code == 404


def test_competitors_side_by_side_per_item(page, org, survey):
    services.enter_answers(form_of(survey, "C1001").pk, by=org["sales"], answers=all_rated())
    client = page("sales")
    res = client.post(
        f"/surveys/{survey.number}/competitors/new/",
        {"competitor": "竞品甲", **form_post(all_rated("neutral", price="very_satisfied"))},
    )
    assert res.status_code == 302
    html = client.get(f"/surveys/{survey.number}/competitors/").content.decode()
    table = html.split('id="comparison"')[1].split("</table>")[0]
    assert "竞品甲" in table
    price = table.split('data-item="price"')[1].split("</tr>")[0]
    assert "80.00" in price and "100.00" in price and "-20.00" in price  # ours, theirs, behind (on 100)
    assert "竞品回答不足" in html  # 1 of the 10 a round needs


def scored(round_: Round, org) -> Round:
    from kefu.flow import engine

    engine.perform(round_, "close_collection", by=org["sales"])
    engine.perform(round_, "score", by=org["sales"])
    round_.refresh_from_db()
    return round_


def test_the_trend_page_has_its_charts_and_the_table_behind_them(page, org, survey):
    import json

    _worked_example(org, survey)
    html = page("sales").get("/surveys/trend/").content.decode()
    assert "这些年度没有已评分的调查" in html  # collecting: not in the trend yet
    scored(survey, org)
    html = page("sales").get("/surveys/trend/").content.decode()
    assert 'id="trend-line"' in html and 'id="trend-radar"' in html and "echarts.min.js" in html
    assert "<script>" not in html  # the chart's data is a JSON script element, no inline code
    table = html.split('id="trend-table"')[1].split("</table>")[0]
    assert survey.number in table and "80.00" in table and "97.25" in table and "86.90" in table
    data = json.loads(html.split('<script id="trend-data" type="application/json">')[1].split("</script>")[0])
    assert data["rounds"] == [survey.number]
    assert data["series"][2]["data"] == [86.9] and data["series"][2]["target"] == 80.0
    assert data["radar"][0]["value"][0] == 80.0  # product performance, on 100
    assert page("sales").get("/surveys/trend/?years=x").status_code == 200


def test_the_customer_page_shows_the_survey_history(page, org, survey):
    services.enter_answers(
        form_of(survey, "C1001").pk, by=org["sales"], answers=all_rated(price="dissatisfied")
    )
    html = page("sales").get("/customers/C1001/").content.decode()
    section = html.split('id="survey-history"')[1]
    assert survey.number in section and "产品价格" in section


def test_a_round_shows_last_rounds_dissatisfied_points_and_the_owners_of_this_ones(page, org, survey):
    services.enter_answers(
        form_of(survey, "C1001").pk,
        by=org["sales"],
        answers=all_rated(price="dissatisfied", service_attitude="very_dissatisfied"),
    )
    services.set_internal_figures(
        survey,
        by=org["sales"],
        deliveries=10,
        on_time_deliveries=10,
        line_stops=0,
        excess_freight=0,
        total_freight=100,
    )
    scored(survey, org)
    html = page("sales").get(f"/surveys/{survey.number}/").content.decode()
    dissatisfied = html.split('id="dissatisfied"')[1].split("</table>")[0]
    assert (
        dissatisfied.count("<tr><td") == 2 and "产品价格" in dissatisfied and "很不满意 (1)" in dissatisfied
    )
    # every one has a named owner (the customer's salesperson) and the corrective action opened for it
    assert re.findall(r'data-label="责任人">([^<]+)<', dissatisfied) == ["sales", "sales"]
    assert len(re.findall(r'href="/capa/8D-\d{6}-\d{4}/"', dissatisfied)) == 2
    later = services.create_round(by=org["sales"], customers=["C1001", "C1002"], title="复查")
    html = page("sales").get(f"/surveys/{later.number}/").content.decode()
    last = html.split('id="last-round"')[1].split("</table>")[0]
    assert "C1001" in last and "产品价格 不满意 (3)" in last and survey.number in last
    assert "C1002" not in last  # never surveyed before


def test_the_round_page_reads_a_fixed_number_of_queries_and_pages_its_forms(
    page, org, django_assert_max_num_queries
):
    from kefu.surveys import views

    many = [
        Customer.objects.create(code=f"M{n:03d}", name=f"客户{n}", is_key=n < 5, owner=org["sales"])
        for n in range(120)
    ]
    round_ = services.create_round(by=org["sales"], customers=[c.code for c in many], title="大批调查")
    for c in many[:30]:
        f = form_of(round_, c.code)
        services.issue_link(f, by=org["sales"], send=False)
        if c.code < "M010":
            services.enter_answers(f.pk, by=org["sales"], answers=all_rated(price="dissatisfied"))
    client = page("sales")
    client.get(f"/surveys/{round_.number}/")  # warm the caches (settings, calendar)
    with django_assert_max_num_queries(25):
        html = client.get(f"/surveys/{round_.number}/").content.decode()
    assert html.count("<tr data-form=") == views.FORMS_PAGE and "第 1 页，共 2 页" in html
    html = client.get(f"/surveys/{round_.number}/?state=returned").content.decode()
    assert html.count("<tr data-form=") == 10 and "M000" in html and "M011" not in html
    html = client.get(f"/surveys/{round_.number}/?page=2").content.decode()
    assert html.count("<tr data-form=") == 20
    with django_assert_max_num_queries(10):
        client.get("/surveys/")


def test_every_link_not_sent_yet_goes_out_from_the_round_page(page, org, survey):
    from kefu.core.models import Notification as Outbox
    from kefu.customers.models import Contact

    Contact.objects.create(customer=Customer.objects.get(code="C1002"), name="周敏", email="zhou@example.com")
    client = page("sales")
    assert "发送全部未发送的链接" in client.get(f"/surveys/{survey.number}/").content.decode()
    res = client.post(f"/surveys/{survey.number}/links/", follow=True)
    html = res.content.decode()
    assert "已发送 1 个专属链接" in html and "C1001, C1003 没有电子邮箱" in html  # no contact with an address
    assert Outbox.objects.filter(to="zhou@example.com").count() == 1
    assert form_of(survey, "C1002").link_sent_at is not None
    assert page("quality").post(f"/surveys/{survey.number}/links/").status_code == 302  # refused: a message
    assert Outbox.objects.count() == 1

"""A saved round through the case engine: forms from the plan, personal links, oral answers,
progress, scoring with the SPEC example, triggers (CAPAs, complaints, follow-ups), idempotence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kefu.capa.models import Capa
from kefu.complaints.models import Complaint
from kefu.core.errors import Conflict, Invalid, Malformed
from kefu.core.models import Notification, Setting
from kefu.flow.models import Step
from kefu.surveys import selectors, services
from kefu.surveys.models import Form, Trigger
from kefu.surveys.tests.factory import (
    JANUARY,
    WORKED_FIGURES,
    act,
    all_items,
    answer,
    customer,
    form_of,
    plan_and_round,
)

pytestmark = pytest.mark.django_db
APRIL = dt.datetime(2027, 4, 6, 10, 0, tzinfo=JANUARY.tzinfo)


def scored_round(
    org, answers_by_code: dict, *, comments=None, figures=WORKED_FIGURES, key=("K1",), general=("G1",)
):
    _plan, r = plan_and_round(org, key=key, general=general, month=4, now=APRIL)
    for code, answers in answers_by_code.items():
        answer(org, r, code, answers, comment=(comments or {}).get(code, ""), now=APRIL)
    services.set_internal_figures(r, by=org["sales"], **figures)
    act(r, "close_collection", org["sales"], now=APRIL + dt.timedelta(days=1))
    act(r, "score", org["sales"], now=APRIL + dt.timedelta(days=2))
    r.refresh_from_db()
    return r


def test_round_from_the_plan_has_one_form_per_customer_due_that_month(org):
    _plan, r = plan_and_round(org, key=("K1", "K2"), general=("G1",), month=1)
    # January: key customers only (quarterly 1/4/7/10); the others are surveyed in April and October.
    assert sorted(Form.objects.filter(round=r).values_list("customer__code", flat=True)) == ["K1", "K2"]
    assert r.number == "CS-2027-01" and r.status == "collection"
    step = Step.objects.get(record_type="survey", record_id=r.pk, done_at__isnull=True)
    assert step.code == "collection" and step.department.code == "sales"
    assert step.due_at.date() == r.collect_until  # the round's own deadline (30 days by default)
    assert r.collect_until == dt.date(2027, 2, 3)
    assert (r.period_start, r.period_end) == (dt.date(2026, 7, 1), dt.date(2026, 12, 31))


def test_a_plan_month_gets_one_round_only(org):
    plan, _r = plan_and_round(org, month=1)
    with pytest.raises(Conflict):
        services.create_round_from_plan(plan, 1, by=org["sales"], now=JANUARY)
    with pytest.raises(Invalid) as exc:
        services.create_round_from_plan(plan, 2, by=org["sales"], now=JANUARY)  # nobody is due in February
    assert exc.value.field == "month"


def test_the_next_round_shows_last_rounds_dissatisfied_points(org):
    r = scored_round(org, {"K1": all_items(8, price=3, packing_transport=1), "G1": all_items(8)})
    nxt = services.create_round_from_plan(
        r.plan, 7, by=org["sales"], now=dt.datetime(2027, 7, 5, tzinfo=JANUARY.tzinfo)
    )
    points = form_of(nxt, "K1").last_dissatisfied
    assert [(p["item"], p["value"], p["round"]) for p in points] == [
        ("packing_transport", "1", r.number),
        ("price", "3", r.number),
    ]
    assert points[1]["label"] == "产品价格"


# --- the personal link --------------------------------------------------------------------------------


def test_a_personal_link_is_mailed_to_the_customer_and_works_once(org):
    _plan, r = plan_and_round(org)
    form = form_of(r, "K1")
    token = services.issue_link(form, by=org["sales"], now=JANUARY)
    mail = Notification.objects.get(kind="survey_link")
    assert mail.to == "buyer@k1.example" and mail.recipient is None
    assert services.link_path(token) in mail.body
    assert services.form_by_token(token, now=JANUARY).pk == form.pk
    done = services.submit_by_token(token, answers=all_items("satisfied"), now=JANUARY)
    assert (done.state, done.channel, done.score) == ("returned", "link", Decimal(80))
    with pytest.raises(services.LinkUsed):
        services.submit_by_token(token, answers=all_items(10), now=JANUARY)
    with pytest.raises(services.LinkUsed):
        services.form_by_token(token, now=JANUARY)
    assert Form.objects.get(pk=form.pk).score == Decimal(80)  # the second answer changed nothing


def test_a_link_expires_after_the_setting_and_a_renewed_one_replaces_it(org):
    _plan, r = plan_and_round(org)
    form = form_of(r, "K1")
    token = services.issue_link(form, by=org["sales"], send=False, now=JANUARY)
    with pytest.raises(services.LinkExpired) as exc:
        services.form_by_token(token, now=JANUARY + dt.timedelta(days=30, seconds=1))
    assert exc.value.status == 410
    assert services.form_by_token(token, now=JANUARY + dt.timedelta(days=29)).pk == form.pk
    newer = services.issue_link(form, by=org["sales"], send=False, renew=True, now=JANUARY)
    with pytest.raises(services.LinkExpired):
        services.form_by_token(token, now=JANUARY)
    assert services.form_by_token(newer, now=JANUARY).pk == form.pk


def test_a_forged_or_mangled_token_is_not_found(org):
    _plan, r = plan_and_round(org)
    token = services.issue_link(form_of(r, "K1"), by=org["sales"], send=False, now=JANUARY)
    for bad in (token[:-2] + "xx", "abc", token.replace(":", ";")):
        with pytest.raises(services.LinkInvalid) as exc:
            services.form_by_token(bad, now=JANUARY)
        assert exc.value.status == 404


def test_missing_or_off_scale_answers_name_the_item(org):
    _plan, r = plan_and_round(org)
    token = services.issue_link(form_of(r, "K1"), by=org["sales"], send=False, now=JANUARY)
    answers = all_items(8)
    del answers["price"]
    with pytest.raises(Malformed) as exc:
        services.submit_by_token(token, answers=answers, now=JANUARY)
    assert exc.value.field == "price"
    with pytest.raises(Malformed) as exc:
        services.submit_by_token(token, answers=all_items(8, price=4), now=JANUARY)
    assert exc.value.field == "price"
    with pytest.raises(Malformed) as exc:
        services.submit_by_token(token, answers={**all_items(8), "colour": 8}, now=JANUARY)
    assert exc.value.field == "colour"
    assert form_of(r, "K1").state == "pending"  # nothing half-written


def test_the_link_stops_when_the_collection_is_closed(org):
    _plan, r = plan_and_round(org)
    token = services.issue_link(form_of(r, "K1"), by=org["sales"], send=False, now=JANUARY)
    act(r, "close_collection", org["sales"], now=JANUARY)
    with pytest.raises(services.RoundNotCollecting):
        services.submit_by_token(token, answers=all_items(8), now=JANUARY)


def test_staff_enter_an_oral_answer_on_the_same_form(org):
    _plan, r = plan_and_round(org)
    form = form_of(r, "K1")
    token = services.issue_link(form, by=org["sales"], send=False, now=JANUARY)
    done = services.enter_answers(
        form.pk, by=org["sales"], answers=all_items(10), respondent="王经理", now=JANUARY
    )
    assert (done.channel, done.entered_by, done.respondent, done.score) == (
        "oral",
        org["sales"],
        "王经理",
        100,
    )
    with pytest.raises(services.LinkUsed):
        services.submit_by_token(token, answers=all_items(8), now=JANUARY)
    with pytest.raises(services.LinkUsed):
        services.enter_answers(form.pk, by=org["sales"], answers=all_items(8), now=JANUARY)


def test_only_survey_staff_enter_answers(org):
    from kefu.core.errors import Forbidden

    _plan, r = plan_and_round(org)
    with pytest.raises(Forbidden):
        services.enter_answers(form_of(r, "K1").pk, by=org["production"], answers=all_items(8), now=JANUARY)


# --- progress --------------------------------------------------------------------------------------------


def test_return_rate_minimum_and_missing_key_customers(org):
    _plan, r = plan_and_round(org, key=("K1", "K2"), general=("G1", "G2", "G3"), month=4, now=APRIL)
    answer(org, r, "K1", all_items(8), now=APRIL)
    answer(org, r, "G1", all_items(8), now=APRIL)
    answer(org, r, "G2", all_items(8), now=APRIL)
    p = selectors.round_progress(r)
    assert (p.forms, p.returned, p.return_rate) == (5, 3, Decimal(60))
    assert p.return_target == Decimal(80) and not p.meets_return_target
    assert (p.minimum_returns, p.meets_minimum) == (100, False)
    assert [f.customer.code for f in p.missing_key] == ["K2"]
    answer(org, r, "K2", all_items(8), now=APRIL)
    p = selectors.round_progress(r)
    assert (p.return_rate, p.meets_return_target, p.missing_key) == (Decimal(80), True, [])


def test_the_minimum_of_returned_forms_is_a_setting(org):
    Setting.objects.create(key="surveys.min_returns", value=2)
    _plan, r = plan_and_round(org, month=4, now=APRIL)
    answer(org, r, "K1", all_items(8), now=APRIL)
    assert not selectors.round_progress(r).meets_minimum
    answer(org, r, "G1", all_items(8), now=APRIL)
    assert selectors.round_progress(r).meets_minimum


def test_remind_mails_the_customers_who_have_not_answered_and_names_missing_key_customers(org):
    customer("G9", email=None)
    _plan, r = plan_and_round(org, key=("K1", "K2"), general=("G1",), month=4, now=APRIL)
    answer(org, r, "K1", all_items(8), now=APRIL)
    Notification.objects.all().delete()
    act(r, "remind", org["sales"], now=APRIL + dt.timedelta(days=3))
    mails = sorted(Notification.objects.filter(kind="survey_reminder").values_list("to", flat=True))
    assert mails == ["buyer@g1.example", "buyer@k2.example"]
    staff = Notification.objects.get(kind="survey_missing", to="sales@example.com")
    assert "K2" in staff.body and "G9" in staff.body  # G9: no e-mail address, call them
    assert form_of(r, "K2").reminders == 1 and form_of(r, "K1").reminders == 0


# --- scoring -------------------------------------------------------------------------------------------------


def test_scoring_the_spec_example_stores_the_sheet_and_opens_a_capa_for_price(org):
    r = scored_round(org, {"K1": all_items(8, price=3), "G1": all_items(8)})
    # price (3 + 8) / 2 = 5.5, the other items 8: external (9 x 8 + 5.5) / 10 x 10 = 77.5
    assert r.status == "review"
    assert (r.external_score, r.internal_score) == (
        Decimal("77.5"),
        Decimal("97.25"),
    )  # no quality complaint: 100
    assert r.total == Decimal("77.5") * Decimal("0.6") + Decimal("97.25") * Decimal("0.4")
    assert r.level == "very_satisfied"  # 46.5 + 38.9 = 85.4
    sheet = selectors.score_sheet(r)
    assert sheet.scored and [i.score for i in sheet.items if i.code == "price"] == [Decimal("5.5")]
    item_triggers = Trigger.objects.filter(round=r, kind="item_low")
    assert [(t.customer.code, t.item) for t in item_triggers] == [("K1", "price")]
    capa = item_triggers[0].capa
    assert (capa.source_type, capa.source_key, capa.customer.code) == ("survey", r.number, "K1")
    assert capa.department.code == "sales"  # price: the item names no department


def test_quality_complaints_of_the_period_are_counted_from_kefu(org):
    from kefu.complaints.services import register_complaint

    _plan, r = plan_and_round(org, month=4, now=APRIL, general=())
    inside = dt.datetime(2026, 11, 2, 9, 0, tzinfo=JANUARY.tzinfo)
    outside = dt.datetime(2027, 4, 1, 9, 0, tzinfo=JANUARY.tzinfo)  # after the period (Oct 2026 - Mar 2027)
    k1 = form_of(r, "K1").customer
    made = []
    for at, category in (
        (inside, "quality"),
        (inside, "quality"),
        (inside, "non_quality"),
        (outside, "quality"),
    ):
        made.append(
            register_complaint(by=org["sales"], customer=k1, channel="phone", title="t", description="d",
                               category=category, received_at=at, now=at)
        )  # fmt: skip
    Complaint.objects.filter(pk__in=[c.pk for c in made]).update(validity="valid")
    assert services.count_quality_complaints(r) == 2
    answer(org, r, "K1", all_items(8), now=APRIL)
    services.set_internal_figures(r, by=org["sales"], **WORKED_FIGURES)
    act(r, "close_collection", org["sales"], now=APRIL)
    act(r, "score", org["sales"], now=APRIL)
    r.refresh_from_db()
    # SPEC 4: 98.0, 95.0, 99.0, 95.0 -> 96.75; 80.0 x 0.6 + 96.75 x 0.4 = 86.7, very satisfied.
    assert r.quality_complaints == 2
    assert (r.external_score, r.internal_score, r.total, r.level) == (
        Decimal("80.0"), Decimal("96.75"), Decimal("86.7"), "very_satisfied"
    )  # fmt: skip
    assert r.results["internal_parts"] == {
        "quality": "98.00",
        "on_time": "95.00",
        "line_stop": "99.00",
        "freight": "95.00",
    }
    assert not Trigger.objects.filter(round=r).exists()


def test_scoring_needs_the_internal_figures(org):
    _plan, r = plan_and_round(org)
    answer(org, r, "K1", all_items(8))
    act(r, "close_collection", org["sales"], now=JANUARY)
    with pytest.raises(Invalid) as exc:
        act(r, "score", org["sales"], now=JANUARY)
    assert exc.value.field == "deliveries"


def test_weights_changed_in_the_settings(org):
    Setting.objects.create(key="surveys.weight.external", value="0.5")
    Setting.objects.create(key="surveys.weight.internal", value="0.5")
    r = scored_round(org, {"K1": all_items(8)}, general=())
    assert r.total == Decimal("88.625")  # 80 x 0.5 + 97.25 x 0.5 (no quality complaint: 100, 95, 99, 95)
    assert r.results["weights"] == {"external": "0.5", "internal": "0.5"}


def test_each_trigger_opens_its_capa_and_an_explicit_complaint_becomes_a_complaint(org):
    r = scored_round(
        org,
        {"K1": all_items(5, price=1), "G1": all_items(8)},
        comments={"G1": "交货经常延迟, 请尽快改进"},
    )
    kinds = sorted(Trigger.objects.filter(round=r).values_list("kind", "customer__code", "item"))
    assert kinds == [
        ("customer_low", "K1", ""),
        ("explicit_comment", "G1", ""),
        ("item_low", "K1", "price"),
        ("total_low", None, ""),
    ]
    assert Capa.objects.filter(source_type="survey", source_key=r.number).count() == 4
    t = Trigger.objects.get(round=r, kind="explicit_comment")
    assert (t.complaint.channel, t.complaint.customer.code, t.complaint.description) == (
        "survey", "G1", "交货经常延迟, 请尽快改进"
    )  # fmt: skip
    assert form_of(r, "G1").complaint_id == t.complaint_id


def test_scoring_twice_opens_nothing_twice(org):
    r = scored_round(org, {"K1": all_items(8, price=3), "G1": all_items(5)}, comments={"G1": "价格太高"})
    before = (Trigger.objects.count(), Capa.objects.count(), Complaint.objects.count(), _follow_ups(r))
    act(r, "send_back", org["mrep"], {"note": "recheck the figures"}, now=APRIL + dt.timedelta(days=3))
    act(r, "score", org["sales"], now=APRIL + dt.timedelta(days=4))
    after = (Trigger.objects.count(), Capa.objects.count(), Complaint.objects.count(), _follow_ups(r))
    assert before == after and before[0] > 0


def _follow_ups(r) -> int:
    return Step.objects.filter(record_type="survey", record_id=r.pk, code="follow_up").count()


def test_cop14_preset_thresholds_and_the_management_rep_issues(org):
    Setting.objects.create(key="surveys.trigger.preset", value="cop14")
    r = scored_round(org, {"K1": all_items(8, price=3), "G1": all_items(5, price=10, packing_transport=10)})
    # K1 75 and G1 60: neither below 60; K1's price 3 is below 4.
    assert sorted(Trigger.objects.filter(round=r).values_list("kind", "item")) == [("item_low", "price")]
    capa = Trigger.objects.get(round=r).capa
    assert capa.opened_by == org["mrep"]


def test_custom_thresholds(org):
    Setting.objects.create(key="surveys.trigger.preset", value="custom")
    Setting.objects.create(key="surveys.trigger.item_low", value="5")
    Setting.objects.create(key="surveys.trigger.item_low_inclusive", value=False)
    Setting.objects.create(key="surveys.trigger.customer_below", value="50")
    Setting.objects.create(key="surveys.trigger.total_below", value="50")
    r = scored_round(org, {"K1": all_items(8, price=3, packing_transport=5)}, general=())
    assert list(Trigger.objects.filter(round=r).values_list("kind", "item")) == [("item_low", "price")]


def test_every_dissatisfied_answer_gets_a_named_owner_and_a_task(org):
    org_owner = org["sales2"]
    customer("G7", owner=org_owner)
    customer("G8", owner=None)
    r = scored_round(
        org, {"K1": all_items(8, price="very_dissatisfied"), "G7": all_items(8, onsite_service=3), "G8": all_items(8, price=3)},
        general=("G1",),
    )  # fmt: skip
    tasks = Step.objects.filter(record_type="survey", record_id=r.pk, code="follow_up").order_by("id")
    owners = [(t.data["customer"], t.data["item"], t.assignee.username) for t in tasks]
    assert owners == [
        ("K1", "price", "sales"),
        ("G7", "onsite_service", "sales2"),
        ("G8", "price", "salesmgr"),
    ]
    assert Notification.objects.filter(kind="survey_follow_up", to="sales2@example.com").exists()


def test_a_dissatisfied_key_customer_is_told_what_was_fixed(org):
    r = scored_round(org, {"K1": all_items(8, price=3), "G1": all_items(8)})
    r.refresh_from_db()
    with pytest.raises(Invalid) as exc:
        act(r, "record_follow_up", org["sales"], {"note": "价格已调整"})
    assert exc.value.field == "customer_told"
    act(r, "record_follow_up", org["sales"], {"note": "价格已调整, 已告知客户", "customer_told": True})
    assert not Step.objects.filter(
        record_type="survey", record_id=r.pk, code="follow_up", done_at__isnull=True
    ).exists()


def test_the_review_closes_the_round(org):
    r = scored_round(org, {"K1": all_items(10)}, general=())
    from kefu.core.errors import Forbidden

    with pytest.raises(Forbidden):
        act(r, "approve", org["sales"])
    act(r, "approve", org["mrep"], {"note": "提交管理评审"})
    r.refresh_from_db()
    assert r.status == "closed" and r.closed_at is not None


def test_competitor_answers_side_by_side(org):
    _plan, r = plan_and_round(org, month=4, now=APRIL)
    answer(org, r, "K1", all_items(8), now=APRIL)
    for i in range(10):
        services.add_competitor_form(
            r, by=org["sales"], competitor="甲公司" if i % 2 else "乙公司", answers=all_items(10 if i % 2 else 5),
            customer="K1", now=APRIL,
        )  # fmt: skip
    cmp = selectors.competitor_comparison(r)
    price = next(i for i in cmp.items if i["code"] == "price")
    assert (price["ours"], price["competitors"]) == (Decimal(80), Decimal("75"))
    assert price["by_competitor"] == {"乙公司": Decimal(50), "甲公司": Decimal(100)}
    assert (cmp.answers, cmp.meets_minimum) == (10, True)
    assert selectors.round_progress(r).competitor_answers == 10


def test_trend_by_round_and_item(org):
    r1 = scored_round(org, {"K1": all_items(8)}, general=())
    act(r1, "approve", org["mrep"])
    r2 = services.create_round_from_plan(
        r1.plan, 7, by=org["sales"], now=dt.datetime(2027, 7, 5, tzinfo=JANUARY.tzinfo)
    )
    answer(org, r2, "K1", all_items(10, price=5), now=dt.datetime(2027, 7, 5, tzinfo=JANUARY.tzinfo))
    services.set_internal_figures(r2, by=org["sales"], **WORKED_FIGURES)
    act(r2, "close_collection", org["sales"])
    act(r2, "score", org["sales"])
    t = selectors.trend("default")
    assert [x["number"] for x in t.rounds] == [r1.number, r2.number]
    assert t.table["price"] == [Decimal(80), Decimal(50)]
    assert t.table["service_attitude"] == [Decimal(80), Decimal(100)]
    assert t.by_year[0]["year"] == 2027 and t.by_year[0]["rounds"] == 2
    assert t.by_year[0]["items"]["price"] == Decimal(65)


def test_internal_figures_imported_from_excel(org):
    import io

    from openpyxl import Workbook

    _plan, r = plan_and_round(org)
    book = Workbook()
    sheet = book.active
    for row in (
        ("送货次数", 100),
        ("准时交货次数", 95),
        ("断线次数", 1),
        ("超额运费", 500),
        ("总运费", 10000),
        ("备注", "x"),
    ):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    r = services.import_internal_figures(r, by=org["sales"], upload=data)
    assert (r.deliveries, r.on_time_deliveries, r.line_stops, r.excess_freight, r.total_freight) == (
        100, 95, 1, Decimal("500.00"), Decimal("10000.00")
    )  # fmt: skip
    with pytest.raises(Malformed) as exc:
        services.import_internal_figures(r, by=org["sales"], upload=io.BytesIO(b"not a workbook"))
    assert exc.value.field == "file"


def test_impossible_figures_are_refused_naming_the_field(org):
    _plan, r = plan_and_round(org)
    with pytest.raises(Invalid) as exc:
        services.set_internal_figures(r, by=org["sales"], **{**WORKED_FIGURES, "on_time_deliveries": 101})
    assert exc.value.field == "on_time_deliveries"
    with pytest.raises(Malformed) as exc:
        services.set_internal_figures(r, by=org["sales"], **{**WORKED_FIGURES, "line_stops": -1})
    assert exc.value.field == "line_stops"


def test_self_assessment_combined_where_chosen(org):
    Setting.objects.create(key="surveys.self_assessment.enabled", value=True)
    _plan, r = plan_and_round(org, month=4, now=APRIL, general=("G1",))
    answer(org, r, "K1", all_items(8), now=APRIL)
    answer(org, r, "G1", all_items(5), now=APRIL)
    services.set_internal_figures(r, by=org["sales"], self_degree=90, self_rate=100, **WORKED_FIGURES)
    act(r, "close_collection", org["sales"], now=APRIL)
    act(r, "score", org["sales"], now=APRIL)
    r.refresh_from_db()
    sheet = selectors.score_sheet(r)
    # survey: external 65, internal 97.25 -> 77.9; rate 50 % (one of two forms at 80 or more)
    assert (sheet.total, sheet.satisfaction_rate) == (Decimal("77.9"), Decimal(50))
    assert sheet.combined_degree == Decimal("90") * Decimal("0.4") + Decimal("77.9") * Decimal("0.6")
    assert sheet.combined_rate == Decimal("70.0")  # 100 x 0.4 + 50 x 0.6


def test_lists_read_in_a_fixed_number_of_queries(org, django_assert_max_num_queries):
    from kefu.core.pagination import paginate

    _plan, r = plan_and_round(org, key=("K1", "K2", "K3"), general=("G1", "G2"), month=4, now=APRIL)
    for code in ("K1", "G1"):
        answer(org, r, code, all_items(8), now=APRIL)
    with django_assert_max_num_queries(3):
        page = paginate(selectors.form_list(org["gm"]), 1, 50)
        assert len([f.customer.code for f in page.items]) == 5 and page.items[0].round.number == r.number
    with django_assert_max_num_queries(2):
        page = paginate(selectors.round_list(org["gm"]), 1, 50)
        assert [x.template.code for x in page.items] == ["default"]
    with django_assert_max_num_queries(2):
        rows = selectors.customer_sheet(r, org["gm"])
        assert [row.customer_code for row in rows][:3] == ["K1", "K2", "K3"]
    with django_assert_max_num_queries(2):
        p = selectors.round_progress(r)
        assert [f.customer.code for f in p.missing_key] == ["K2", "K3"]


def test_a_salesperson_sees_only_their_customers_forms(org):
    customer("X1", owner=org["sales2"])
    _plan, r = plan_and_round(org, general=("G1",), month=4, now=APRIL)
    seen = {f.customer.code for f in selectors.form_list(org["sales2"])}
    assert seen == {"X1"}
    assert {f.customer.code for f in selectors.form_list(org["gm"])} == {"K1", "G1", "X1"}


def test_send_links_mails_every_form_not_sent_yet_once(org, api):
    customer("G9", email=None)
    _plan, r = plan_and_round(org, key=("K1", "K2"), general=("G1",), month=4, now=APRIL)
    services.issue_link(form_of(r, "K1"), by=org["sales"], now=APRIL)  # sent by hand before
    Notification.objects.all().delete()
    out = api("sales").post(f"/api/v1/surveys/rounds/{r.number}/links").json()
    assert out == {"sent": 2, "unreachable": ["G9"]}
    assert sorted(Notification.objects.filter(kind="survey_link").values_list("to", flat=True)) == [
        "buyer@g1.example", "buyer@k2.example"
    ]  # fmt: skip
    assert services.send_links(r, by=org["sales"]) == {"sent": 0, "unreachable": ["G9"]}
    assert api("production").post(f"/api/v1/surveys/rounds/{r.number}/links").status_code == 403


def test_only_survey_staff_open_rounds_and_issue_links(org):
    from kefu.core.errors import Forbidden

    customer("K1", key=True)
    with pytest.raises(Forbidden):
        services.create_round(by=org["production"], customers=["K1"], title="x", now=JANUARY)
    r = services.create_round(by=org["sales"], customers=["K1"], title="x", now=JANUARY)
    with pytest.raises(Forbidden):
        services.issue_link(form_of(r, "K1"), by=org["quality"], now=JANUARY)


# --- the automatic reminder (the engine's advance notice) -------------------------------------------------


def _reminder_time(r):
    from kefu.core.workcalendar import TZ, WorkCalendar
    from kefu.flow import notices

    moment = dt.datetime.combine(r.collect_until, dt.time(9), tzinfo=TZ)
    return notices.before(moment, "5 workdays", WorkCalendar.cached())


def test_the_customers_who_have_not_answered_are_reminded_5_working_days_before_answers_are_due(org):
    from kefu.core.models import AuditEvent
    from kefu.flow import notices

    _plan, r = plan_and_round(org, key=("K1", "K2"), general=("G1",), month=4, now=APRIL)
    answer(org, r, "K1", all_items(8), now=APRIL)
    Notification.objects.all().delete()
    at = _reminder_time(r)
    assert r.collect_until == dt.date(2027, 5, 6) and at.date() < r.collect_until
    assert at.weekday() < 5 and at.hour == 9

    assert notices.send_due(at - dt.timedelta(minutes=1)).sent == 0
    assert not Notification.objects.filter(kind="survey_reminder").exists()

    assert notices.send_due(at + dt.timedelta(minutes=1)).sent == 1
    mails = sorted(Notification.objects.filter(kind="survey_reminder").values_list("to", flat=True))
    assert mails == ["buyer@g1.example", "buyer@k2.example"]  # K1 answered: not reminded
    assert "K2" in Notification.objects.get(kind="survey_missing", to="sales@example.com").body
    assert form_of(r, "K2").reminders == 1 and form_of(r, "K1").reminders == 0
    event = AuditEvent.objects.get(object_type="survey", object_id=r.number, action="remind")
    assert event.actor_label == "system" and event.data["automatic"] is True

    assert notices.send_due(at + dt.timedelta(hours=1)).sent == 0  # once only
    assert Notification.objects.filter(kind="survey_reminder").count() == 2


def test_a_round_no_longer_collecting_gets_no_automatic_reminder(org):
    from kefu.flow import notices

    _plan, r = plan_and_round(org, key=("K1",), general=("G1",), month=4, now=APRIL)
    act(r, "close_collection", org["sales"], now=APRIL + dt.timedelta(days=1))
    Notification.objects.all().delete()
    result = notices.send_due(_reminder_time(r) + dt.timedelta(minutes=1))
    assert (result.sent, result.skipped) == (0, 1)
    assert not Notification.objects.filter(kind="survey_reminder").exists()


def test_the_reminders_lead_time_is_a_setting(org):
    from kefu.core.workcalendar import TZ
    from kefu.flow import notices

    Setting.objects.update_or_create(key="notice.survey.customer_reminder", defaults={"value": "1 days"})
    _plan, r = plan_and_round(org, key=("K1",), general=(), month=4, now=APRIL)
    moment = dt.datetime.combine(r.collect_until, dt.time(9), tzinfo=TZ)
    assert moment - dt.timedelta(days=1) != _reminder_time(r)
    assert notices.send_due(moment - dt.timedelta(days=1, minutes=1)).sent == 0
    assert notices.send_due(moment - dt.timedelta(days=1) + dt.timedelta(minutes=1)).sent == 1

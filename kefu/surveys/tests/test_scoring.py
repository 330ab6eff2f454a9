"""The arithmetic of 004 6.4.2-6.4.3 with SPEC.md's worked example (section 4), the level
boundaries, the presets and every refusal; pure (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kefu.core.errors import Malformed
from kefu.surveys import scoring
from kefu.surveys.scoring import Thresholds, Weights

ITEMS = (
    "product_performance", "packing_transport", "on_time_delivery", "complaint_speed", "complaint_effectiveness",
    "service_attitude", "professional_knowledge", "onsite_service", "spare_parts_accuracy", "price",
)  # fmt: skip
DEFAULT = scoring.TemplateDef("default", tuple(scoring.ItemDef(c, scoring.five_level()) for c in ITEMS))
WORKED_INTERNAL = {
    "deliveries": 100,
    "quality_complaints": 2,
    "on_time_deliveries": 95,
    "line_stops": 1,
    "excess_freight": 500,
    "total_freight": 10_000,
}


def forms(*answers, comments=()):
    raw = [{"customer": f"C{i}", "answers": a} for i, a in enumerate(answers)]
    for i, c in enumerate(comments):
        raw[i]["comment"] = c
    return scoring.check_responses(DEFAULT, raw)


def all_items(value, **over):
    return {c: over.get(c, value) for c in ITEMS}


def test_worked_example_item_score_is_the_sum_over_returned_forms():
    # SPEC 4: two returned surveys, on-time delivery rated 8 and 5: item score 6.5.
    rated = forms(all_items(8, on_time_delivery=8), all_items(8, on_time_delivery=5))
    assert scoring.item_scores(DEFAULT, rated)["on_time_delivery"] == Decimal("6.5")


def test_worked_example_external_internal_total_and_level():
    rated = forms(all_items(8))
    internal = scoring.check_internal(WORKED_INTERNAL)
    parts = scoring.internal_parts(internal)
    assert {k: scoring.shown(v) for k, v in parts.items()} == {
        "quality": Decimal("98.00"),
        "on_time": Decimal("95.00"),
        "line_stop": Decimal("99.00"),
        "freight": Decimal("95.00"),
    }
    result = scoring.evaluate(DEFAULT, rated, internal)
    assert result.external_score == Decimal("80.0")
    assert result.internal_score == Decimal("96.75")
    assert result.total == Decimal("86.7")  # 80.0 x 0.6 + 96.75 x 0.4
    assert result.level == "very_satisfied"
    assert result.customer_scores == {"C0": Decimal(80)}


def test_worked_example_price_rated_3_triggers_for_that_item():
    result = scoring.evaluate(DEFAULT, forms(all_items(8, price=3)), scoring.check_internal(WORKED_INTERNAL))
    item_hits = [h for h in result.triggers if h.kind == "item_low"]
    assert [(h.customer, h.item, h.score) for h in item_hits] == [("C0", "price", Decimal(3))]


def test_a_customer_score_is_the_sum_of_their_ten_ratings():
    rated = forms(all_items(10, price=1, packing_transport=5))
    assert scoring.customer_score(DEFAULT, rated[0]) == Decimal(10 * 8 + 1 + 5)


@pytest.mark.parametrize(
    "score, level",
    [
        ("79.99", "dissatisfied"),
        ("80", "satisfied"),  # 004: 80-85 satisfied: 80 itself is satisfied
        ("80.00", "satisfied"),
        ("85", "satisfied"),  # ... and 85 itself; only above 85 is very satisfied
        ("85.0001", "very_satisfied"),
        ("84.9999", "satisfied"),
    ],
)
def test_level_boundaries_80_and_85(score, level):
    assert scoring.level(Decimal(score), Thresholds()) == level


def test_level_compares_at_full_precision_not_the_rounded_figure():
    # 84.996 is shown 85.00 and is satisfied; 85.004 is shown 85.00 as well, but above 85.
    assert scoring.shown(Decimal("85.004")) == Decimal("85.00")
    assert scoring.level(Decimal("85.004"), Thresholds()) == "very_satisfied"
    assert scoring.level(Decimal("84.996"), Thresholds()) == "satisfied"


def test_shown_rounds_half_up_to_two_places():
    assert scoring.shown(Decimal("86.705")) == Decimal("86.71")
    assert scoring.shown(Decimal("86.715")) == Decimal("86.72")  # not banker's rounding
    assert scoring.shown(Decimal(2) / 3 * 100) == Decimal("66.67")


def test_total_with_other_weights():
    result = scoring.evaluate(
        DEFAULT,
        forms(all_items(8)),
        scoring.check_internal(WORKED_INTERNAL),
        Weights(Decimal("0.5"), Decimal("0.5")),
    )
    assert result.total == Decimal("88.375")


@pytest.mark.parametrize(
    "external, internal, field",
    [
        ("0.7", "0.4", "weights"),
        ("0.5", "0.4", "weights"),
        ("-0.1", "1.1", "weights.external"),
        ("x", "1", "weights.external"),
    ],
)
def test_weights_must_add_up_to_one(external, internal, field):
    with pytest.raises(Malformed) as exc:
        scoring.check_weights(external, internal)
    assert exc.value.field == field


def test_float_weights_are_read_as_written():
    assert scoring.check_weights(0.6, 0.4) == Weights(Decimal("0.6"), Decimal("0.4"))
    assert scoring.check_weights(0.7, 0.3).external == Decimal("0.7")


def test_each_trigger_kind_under_the_004_preset():
    rated = forms(all_items(8), all_items(5, price=1), comments=("包装破损, 请改进",))
    result = scoring.evaluate(DEFAULT, rated, scoring.check_internal(WORKED_INTERNAL))
    # items 6.5 (x9) and price 4.5: external 63.0; total 63.0 x 0.6 + 96.75 x 0.4 = 76.5.
    assert result.total == Decimal("76.5")
    assert [(h.kind, h.customer, h.item, h.score) for h in result.triggers] == [
        ("item_low", "C1", "price", Decimal(1)),
        ("customer_low", "C1", None, Decimal(46)),  # 9 x 5 + 1
        ("total_low", None, None, Decimal("76.5")),
        ("explicit_comment", "C0", None, None),
    ]


def test_total_low_trigger():
    rated = forms(all_items(5))
    result = scoring.evaluate(DEFAULT, rated, scoring.check_internal(WORKED_INTERNAL))
    assert result.total == Decimal("50") * Decimal("0.6") + Decimal("96.75") * Decimal("0.4")  # 68.7
    assert [h.kind for h in result.triggers if h.kind == "total_low"] == ["total_low"]
    assert [h.score for h in result.triggers if h.kind == "total_low"] == [Decimal("68.700")]


def test_item_rated_exactly_3_triggers_under_004_but_5_does_not():
    result = scoring.evaluate(DEFAULT, forms(all_items(10, price=3, packing_transport=5)), None)
    assert [(h.kind, h.item) for h in result.triggers] == [("item_low", "price")]


def test_cop14_preset_item_below_4_and_score_below_60():
    cop14 = scoring.PRESETS["cop14"]
    rated = forms(all_items(8, price=3), all_items(5, price=1), all_items(5))
    result = scoring.evaluate(DEFAULT, rated, None, th=cop14)
    kinds = sorted((h.kind, h.customer or "", h.item or "") for h in result.triggers)
    # C0: 8 x 9 + 3 = 75: only its price; C1: 46 < 60 and price 1; C2: 50 < 60; total 57 < 60.
    assert kinds == [
        ("customer_low", "C1", ""),
        ("customer_low", "C2", ""),
        ("item_low", "C0", "price"),
        ("item_low", "C1", "price"),
        ("total_low", "", ""),
    ]


def test_cop14_score_of_exactly_60_does_not_trigger():
    rated = forms(all_items(5, price=10, packing_transport=10, on_time_delivery=5))  # 8 x 5 + 20 = 60
    result = scoring.evaluate(DEFAULT, rated, None, th=scoring.PRESETS["cop14"])
    assert result.customer_scores["C0"] == Decimal(60)
    assert not [h for h in result.triggers if h.kind in ("customer_low", "total_low")]


def test_satisfaction_rate_is_the_share_of_forms_at_80_or_more():
    rated = forms(all_items(8), all_items(10), all_items(5), all_items(8, price=5))  # 80, 100, 50, 77
    result = scoring.evaluate(DEFAULT, rated, None)
    assert result.satisfaction_rate == Decimal(50)


def test_self_assessment_combination():
    assert scoring.combined(Decimal(90), Decimal(80), Decimal("0.4"), Decimal("0.6")) == Decimal("84.0")
    assert scoring.combined(None, Decimal(80), Decimal("0.4"), Decimal("0.6")) == Decimal(80)


def test_level_codes_and_numbers_are_both_ratings():
    rated = scoring.check_responses(
        DEFAULT,
        [
            {
                "customer": "C0",
                "answers": {"price": "dissatisfied", "on_time_delivery": "8", "service_attitude": 10},
            }
        ],
    )
    assert {k: v.value for k, v in rated[0].answers.items()} == {
        "price": Decimal(3),
        "on_time_delivery": Decimal(8),
        "service_attitude": Decimal(10),
    }


@pytest.mark.parametrize(
    "answers, field",
    [
        ({"prize": 8}, "responses[0].answers.prize"),  # unknown item
        ({"price": 11}, "responses[0].answers.price"),  # outside the scale
        ({"price": 0}, "responses[0].answers.price"),
        ({"price": 7}, "responses[0].answers.price"),  # between two levels: not a level of the scale
        ({"price": "great"}, "responses[0].answers.price"),  # not a level code
        ({"price": True}, "responses[0].answers.price"),
        ({}, "responses[0].answers"),
    ],
)
def test_bad_ratings_are_400_naming_the_place(answers, field):
    with pytest.raises(Malformed) as exc:
        scoring.check_responses(DEFAULT, [{"customer": "C0", "answers": answers}])
    assert exc.value.field == field
    assert exc.value.status == 400


def test_a_customer_given_twice_is_refused():
    with pytest.raises(Malformed) as exc:
        scoring.check_responses(DEFAULT, [{"customer": "C0", "answers": {"price": 8}}] * 2)
    assert exc.value.field == "responses[1].customer"


@pytest.mark.parametrize(
    "over, field",
    [
        (
            {"deliveries": 0, "quality_complaints": 1, "on_time_deliveries": 0, "line_stops": 0},
            "internal.quality_complaints",
        ),
        ({"deliveries": -1}, "internal.deliveries"),
        ({"quality_complaints": -2}, "internal.quality_complaints"),
        ({"excess_freight": -5}, "internal.excess_freight"),
        ({"total_freight": -1}, "internal.total_freight"),
        ({"on_time_deliveries": 101}, "internal.on_time_deliveries"),
        ({"line_stops": 101}, "internal.line_stops"),
        ({"excess_freight": 10_001}, "internal.excess_freight"),
        ({"deliveries": 2.5}, "internal.deliveries"),
        ({"deliveries": None}, "internal.deliveries"),
        ({"freight": 3}, "internal.freight"),
    ],
)
def test_impossible_internal_figures_are_400_naming_them(over, field):
    with pytest.raises(Malformed) as exc:
        scoring.check_internal({**WORKED_INTERNAL, **over})
    assert exc.value.field == field


def test_no_deliveries_and_no_complaints_leaves_those_parts_out():
    internal = scoring.check_internal(
        {
            "deliveries": 0,
            "quality_complaints": 0,
            "on_time_deliveries": 0,
            "line_stops": 0,
            "excess_freight": 0,
            "total_freight": 1000,
        }
    )
    parts = scoring.internal_parts(internal)
    assert parts == {"quality": None, "on_time": None, "line_stop": None, "freight": Decimal(100)}
    assert scoring.internal_score(parts) == Decimal(100)


def test_a_template_on_another_scale_is_normalised_to_100():
    # 002 篇1 附件1: quality 100..60, service 100/90/85/80/30/0.
    visit = scoring.TemplateDef(
        "visit_report",
        (
            scoring.ItemDef(
                "quality", tuple(scoring.LevelDef(str(v), Decimal(v)) for v in (100, 90, 85, 80, 70, 60))
            ),
            scoring.ItemDef(
                "service", tuple(scoring.LevelDef(str(v), Decimal(v)) for v in (100, 90, 85, 80, 30, 0))
            ),
        ),
    )
    rated = scoring.check_responses(visit, [{"customer": "C0", "answers": {"quality": 90, "service": 30}}])
    assert scoring.customer_score(visit, rated[0]) == Decimal(60)
    result = scoring.evaluate(visit, rated, None)
    assert result.external_score == Decimal(60)
    # service 30 is 3 on a 10-point scale: at the 004 threshold.
    assert [(h.kind, h.item) for h in result.triggers if h.kind == "item_low"] == [("item_low", "service")]


def test_seven_level_template_counts_70_as_basic_satisfaction():
    seven = tuple(scoring.LevelDef(str(v), Decimal(v)) for v in (7, 6, 5, 4, 3, 2, 1))
    shanxi = scoring.TemplateDef(
        "shanxi", tuple(scoring.ItemDef(f"i{n}", seven) for n in range(14)), Decimal(70)
    )
    rated = scoring.check_responses(shanxi, [{"customer": "C0", "answers": {f"i{n}": 5 for n in range(14)}}])
    score = scoring.customer_score(shanxi, rated[0])
    assert scoring.shown(score) == Decimal("71.43") and score >= shanxi.pass_mark

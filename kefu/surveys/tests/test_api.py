"""The survey API: ``POST /surveys/score`` as issue 15 specifies it (SPEC 4 worked example, every
bad input a 400 naming it), templates, plans, rounds with the engine's actions, forms, and the
public answer by personal link."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kefu.core.models import Setting
from kefu.surveys.models import Form, Round
from kefu.surveys.tests.factory import DECEMBER, ITEMS, JANUARY, WORKED_FIGURES, all_items, customer

pytestmark = pytest.mark.django_db
URL = "/api/v1/surveys/score"
INTERNAL = {
    "deliveries": 100,
    "quality_complaints": 2,
    "on_time_deliveries": 95,
    "line_stops": 1,
    "excess_freight": 500,
    "total_freight": 10_000,
}


def post(api, body, user="sales", url=URL):
    return api(user).post(url, body, content_type="application/json")


def test_score_the_worked_example(api):
    body = {
        "responses": [
            {"customer": "C001", "answers": {**{c: "satisfied" for c in ITEMS}, "on_time_delivery": 8}},
            {"customer": "C002", "answers": {"on_time_delivery": 5}},
        ],
        "internal": INTERNAL,
    }
    out = post(api, body).json()
    assert out["item_scores"]["on_time_delivery"] == 6.5  # (8 + 5) / 2


def test_score_ten_items_all_8_is_the_spec_total(api):
    out = post(
        api, {"responses": [{"customer": "C001", "answers": all_items(8)}], "internal": INTERNAL}
    ).json()
    assert out["external_score"] == 80.0
    assert out["internal_parts"] == {"quality": 98.0, "on_time": 95.0, "line_stop": 99.0, "freight": 95.0}
    assert out["internal_score"] == 96.75
    assert out["total"] == 86.7
    assert out["level"] == "very_satisfied"
    assert out["customer_scores"] == {"C001": 80.0}
    assert out["triggers"] == []


def test_score_price_rated_3_triggers_a_corrective_action(api):
    body = {"responses": [{"customer": "C001", "answers": all_items(8, price=3)}], "internal": INTERNAL}
    out = post(api, body).json()
    assert {"kind": "item_low", "customer": "C001", "item": "price", "score": 3.0} in out["triggers"]
    assert {"kind": "customer_low", "customer": "C001", "score": 75.0} in out["triggers"]


def test_score_an_explicit_comment_and_a_low_total(api):
    body = {
        "responses": [{"customer": "C001", "answers": all_items(5), "comment": "交期太长"}],
        "internal": INTERNAL,
    }
    out = post(api, body).json()
    kinds = [t["kind"] for t in out["triggers"]]
    assert kinds == ["customer_low", "total_low", "explicit_comment"]
    assert out["total"] == 68.7


def test_score_saves_nothing(api):
    post(api, {"responses": [{"customer": "C001", "answers": all_items(1)}], "internal": INTERNAL})
    assert not Round.objects.exists() and not Form.objects.exists()


@pytest.mark.parametrize(
    "weights, total", [({"external": 0.5, "internal": 0.5}, 88.38), ({"external": 1, "internal": 0}, 80.0)]
)
def test_score_with_weights_in_the_body(api, weights, total):
    body = {
        "responses": [{"customer": "C001", "answers": all_items(8)}],
        "internal": INTERNAL,
        "weights": weights,
    }
    assert post(api, body).json()["total"] == total  # 88.375 shown half-up: 88.38


def test_score_uses_the_weights_of_the_settings(api):
    Setting.objects.create(key="surveys.weight.external", value="0.7")
    Setting.objects.create(key="surveys.weight.internal", value="0.3")
    out = post(
        api, {"responses": [{"customer": "C001", "answers": all_items(8)}], "internal": INTERNAL}
    ).json()
    assert out["total"] == 85.03  # 56 + 29.025 = 85.025, half-up
    assert out["weights"] == {"external": 0.7, "internal": 0.3}


@pytest.mark.parametrize(
    "answers, weights, total, level",
    [
        (all_items(5, price=3), (0.4, 0.6), 79.2, "dissatisfied"),  # 48 x 0.4 + 100 x 0.6
        (all_items(5), (0.4, 0.6), 80.0, "satisfied"),  # 80 exactly: satisfied (004: 80-85)
        (all_items(5), (0.3, 0.7), 85.0, "satisfied"),  # 85 exactly: still satisfied
        (all_items(5), (0.29, 0.71), 85.5, "very_satisfied"),  # above 85
    ],
)
def test_score_boundaries_80_and_85(api, answers, weights, total, level):
    perfect = {
        **INTERNAL,
        "quality_complaints": 0,
        "on_time_deliveries": 100,
        "line_stops": 0,
        "excess_freight": 0,
    }
    body = {
        "responses": [{"customer": "C1", "answers": answers}],
        "internal": perfect,
        "weights": {"external": weights[0], "internal": weights[1]},
    }
    out = post(api, body).json()
    assert (out["internal_score"], out["total"], out["level"]) == (100.0, total, level)


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda b: b["responses"][0]["answers"].update(prize=8), "responses[0].answers.prize"),
        (lambda b: b["responses"][0]["answers"].update(price=11), "responses[0].answers.price"),
        (lambda b: b["responses"][0]["answers"].update(price="superb"), "responses[0].answers.price"),
        (
            lambda b: b["internal"].update(deliveries=0, on_time_deliveries=0, line_stops=0),
            "internal.quality_complaints",
        ),
        (lambda b: b["internal"].update(deliveries=-1), "internal.deliveries"),
        (lambda b: b["internal"].update(excess_freight=-10), "internal.excess_freight"),
        (lambda b: b["internal"].pop("total_freight"), "internal.total_freight"),
        (lambda b: b.update(weights={"external": 0.7, "internal": 0.4}), "weights"),
        (lambda b: b.update(weights={"external": 0.6}), "weights.internal"),
        (lambda b: b.update(template="nope"), "template"),
        (lambda b: b.update(responses=[]), "responses"),
        (lambda b: b.update(extra=1), "extra"),
    ],
)
def test_score_bad_input_is_400_naming_it(api, change, field):
    body = {"responses": [{"customer": "C001", "answers": all_items(8)}], "internal": dict(INTERNAL)}
    change(body)
    r = post(api, body)
    expected = 404 if field == "template" else 400
    assert r.status_code == expected, r.content
    assert r.json()["field"] == field


def test_score_needs_a_token(client):
    assert client.post(URL, {}, content_type="application/json").status_code == 401


def test_score_another_template(api):
    body = {
        "template": "visit_report",
        "responses": [{"customer": "C1", "answers": {"quality": 90, "service": "poor", "awareness": 100}}],
        "internal": INTERNAL,
    }
    out = post(api, body).json()
    assert out["customer_scores"] == {"C1": 73.33}
    assert {"kind": "item_low", "customer": "C1", "item": "service", "score": 30.0} in out["triggers"]


# --- templates ------------------------------------------------------------------------------------------


def test_templates_are_seeded(api):
    out = {t["code"]: t for t in api("sales").get("/api/v1/surveys/templates").json()}
    assert set(out) == {"default", "shanxi", "visit_report", "q003"}
    assert [i["code"] for i in out["default"]["items"]] == list(ITEMS)
    assert [lv["value"] for lv in out["default"]["items"][0]["levels"]] == [10, 8, 5, 3, 1]
    assert len(out["shanxi"]["items"]) == 14 and len(out["shanxi"]["items"][0]["levels"]) == 7
    assert out["shanxi"]["pass_mark"] == 70.0
    assert [lv["value"] for lv in out["visit_report"]["items"][1]["levels"]] == [100, 90, 85, 80, 30, 0]
    assert [lv["value"] for lv in out["visit_report"]["items"][2]["levels"]][-1] == 50
    assert [i["code"] for i in out["q003"]["items"]] == ["quality", "packing", "delivery", "service", "price"]


def test_a_template_in_use_gets_a_new_version(api, org):
    customer("K1", key=True, owner=org["sales"])
    with time_machine.travel(JANUARY, tick=False):
        post(api, {"customers": ["K1"], "title": "专项调查"}, url="/api/v1/surveys/rounds/special")
    r = api("salesmgr").put(
        "/api/v1/surveys/templates/default",
        {"name": "顾客满意度调查表 (2027)"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    assert Round.objects.get().template.version == 1  # the forms sent keep their version
    assert (
        api("sales")
        .put("/api/v1/surveys/templates/default", {"name": "x"}, content_type="application/json")
        .status_code
        == 403
    )


def test_an_unused_template_is_edited_in_place(api):
    body = {
        "items": [
            {
                "code": "quality",
                "label": "质量",
                "levels": [{"code": "good", "value": 10}, {"code": "bad", "value": 0, "dissatisfied": True}],
            }
        ]
    }
    r = api("admin").put("/api/v1/surveys/templates/q003", body, content_type="application/json")
    assert r.status_code == 200 and r.json()["version"] == 1 and len(r.json()["items"]) == 1
    bad = {"items": [{"code": "quality", "label": "质量", "levels": [{"code": "good", "value": 10}]}]}
    r = api("admin").put("/api/v1/surveys/templates/q003", bad, content_type="application/json")
    assert (r.status_code, r.json()["field"]) == (400, "items[0].levels")


# --- plans, rounds, forms -------------------------------------------------------------------------------


@pytest.fixture
def customers(org):
    customer("K1", key=True, owner=org["sales"])
    customer("G1", owner=org["sales"])
    customer("G2", owner=org["sales"])


def test_plan_made_in_december(api, customers):
    with time_machine.travel(DECEMBER, tick=False):
        r = post(api, {"year": 2027}, url="/api/v1/surveys/plans")
        assert r.status_code == 201, r.content
        plan = r.json()
        assert {ln["customer"]: (ln["frequency"], ln["months"]) for ln in plan["lines"]} == {
            "G1": ("semiannual", [4, 10]),
            "G2": ("semiannual", [4, 10]),
            "K1": ("quarterly", [1, 4, 7, 10]),
        }
        assert plan["coverage"]["planned_rate"] == 100.0 and plan["made_late"] is False
        assert post(api, {"year": 2027}, url="/api/v1/surveys/plans").status_code == 409
        r = post(api, {"year": 2028}, url="/api/v1/surveys/plans")
        assert (r.status_code, r.json()["field"]) == (422, "year")


def test_round_from_plan_answer_by_link_and_actions(api, org, customers, client):
    with time_machine.travel(DECEMBER, tick=False):
        post(api, {"year": 2027}, url="/api/v1/surveys/plans")
    with time_machine.travel(dt.datetime(2027, 4, 6, 10, 0, tzinfo=JANUARY.tzinfo), tick=False):
        r = post(api, {"year": 2027, "month": 4}, url="/api/v1/surveys/rounds")
        assert r.status_code == 201, r.content
        detail = r.json()
        number = detail["number"]
        assert detail["progress"]["forms"] == 3 and detail["progress"]["missing_key"] == ["K1"]
        assert detail["allowed_actions"] == ["remind", "close_collection", "request_extension"]
        listing = api("sales").get("/api/v1/surveys/rounds").json()
        assert [x["number"] for x in listing["results"]] == [number]
        forms = api("sales").get(f"/api/v1/surveys/forms?round={number}").json()["results"]
        k1 = next(f for f in forms if f["customer"] == "K1")
        link = api("sales").post(f"/api/v1/surveys/forms/{k1['id']}/link").json()
        token = link["token"]
        assert link["path"].endswith(f"{token}/")
        # the public form, no account
        shown = client.get(f"/api/v1/surveys/answer/{token}")
        assert shown.status_code == 200 and len(shown.json()["items"]) == 10
        answer = {"answers": all_items("satisfied", price="dissatisfied"), "comment": "价格偏高"}
        assert (
            client.post(
                f"/api/v1/surveys/answer/{token}", answer, content_type="application/json"
            ).status_code
            == 201
        )
        again = client.post(f"/api/v1/surveys/answer/{token}", answer, content_type="application/json")
        assert again.status_code == 409
        assert client.get(f"/api/v1/surveys/answer/{token}").status_code == 409
        assert client.get("/api/v1/surveys/answer/forged:token").status_code == 404
        g1 = next(f for f in forms if f["customer"] == "G1")
        r = api("sales").post(
            f"/api/v1/surveys/forms/{g1['id']}/answers",
            {"answers": all_items(10)},
            content_type="application/json",
        )
        assert r.status_code == 201 and r.json()["channel"] == "oral"
        r = api("sales").put(
            f"/api/v1/surveys/rounds/{number}/figures", WORKED_FIGURES, content_type="application/json"
        )
        assert r.status_code == 200 and r.json()["sheet"]["figures"]["deliveries"] == 100
        assert (
            api("sales").post(f"/api/v1/surveys/rounds/{number}/actions/close_collection").json()["status"]
            == "scoring"
        )
        out = api("sales").post(f"/api/v1/surveys/rounds/{number}/actions/score").json()
        assert out["status"] == "review"
        sheet = api("sales").get(f"/api/v1/surveys/rounds/{number}").json()["sheet"]
        assert sheet["scored"] and sheet["items"][-1] == {
            "code": "price", "label": "Price", "score": 6.5, "on_hundred": 65.0, "answers": 2, "dissatisfied": 1,
        }  # fmt: skip
        kinds = sorted(t["kind"] for t in sheet["triggers"])
        assert kinds == ["customer_low", "explicit_comment", "item_low"]
        assert all(t["capa"] for t in sheet["triggers"])
        customers_sheet = api("sales").get(f"/api/v1/surveys/rounds/{number}/customers").json()
        assert [(c["customer"], c["returned"], c["score"]) for c in customers_sheet] == [
            ("K1", True, 75.0), ("G1", True, 100.0), ("G2", False, None)
        ]  # fmt: skip
        assert api("sales").post(f"/api/v1/surveys/rounds/{number}/actions/approve").status_code == 403
        assert (
            api("mrep").post(f"/api/v1/surveys/rounds/{number}/actions/approve").json()["status"] == "closed"
        )


def test_expired_link_is_410(api, org, customers, client):
    with time_machine.travel(DECEMBER, tick=False):
        post(api, {"year": 2027}, url="/api/v1/surveys/plans")
    with time_machine.travel(JANUARY, tick=False):
        number = post(api, {"year": 2027, "month": 1}, url="/api/v1/surveys/rounds").json()["number"]
        form = Form.objects.get(round__number=number)
        token = api("sales").post(f"/api/v1/surveys/forms/{form.pk}/link?send=false").json()["token"]
    with time_machine.travel(JANUARY + dt.timedelta(days=31), tick=False):
        r = client.post(
            f"/api/v1/surveys/answer/{token}", {"answers": all_items(8)}, content_type="application/json"
        )
        assert r.status_code == 410


def test_coverage_and_trend_endpoints(api, customers):
    out = api("sales").get("/api/v1/surveys/coverage?year=2027").json()
    assert out == {
        "year": 2027, "active_customers": 3, "planned": 0, "surveyed": 0, "planned_rate": 0.0, "rate": 0.0,
        "target": 90.0, "meets_target": False,
    }  # fmt: skip
    assert api("sales").get("/api/v1/surveys/trend").json()["rounds"] == []


def test_openapi_lists_the_survey_paths(api):
    paths = api("sales").get("/api/v1/openapi.json").json()["paths"]
    for p in (
        "/api/v1/surveys/score",
        "/api/v1/surveys/rounds",
        "/api/v1/surveys/rounds/{number}",
        "/api/v1/surveys/rounds/{number}/actions/{action}",
        "/api/v1/surveys/forms",
        "/api/v1/surveys/answer/{token}",
        "/api/v1/surveys/templates",
    ):
        assert p in paths, p

"""D4 "5-Why or fishbone" (issue 14): the Ishikawa causes by 6M for the occurrence and the escape,
given by the API (an object) or the page (``category: cause`` lines), checked (422 naming the
field), shown on the page, drawn in the 8D PDF and listed in the workbook."""

from __future__ import annotations

import io

import pytest

from kefu.capa import fishbone
from kefu.capa.tests.factory import MONDAY, act, evidence, open_capa, open_step, prodmgr, reply
from kefu.core.errors import Invalid

pytestmark = pytest.mark.django_db

BONES = {
    "man": ["新员工未培训"],
    "machine": ["刀具磨损", "主轴跳动"],
    "method": ["作业指导书未写换刀"],
    "measurement": ["量具未覆盖孔径"],
}


def test_lines_in_english_chinese_and_codes_sorted_into_6m():
    text = (
        "人员: 新员工未培训\n设备：刀具磨损\nMachine | 主轴跳动\n\nenvironment: 车间温度高\n料: 来料硬度偏高"
    )
    assert fishbone.normalise(text, field="f") == {
        "man": ["新员工未培训"],
        "machine": ["刀具磨损", "主轴跳动"],
        "material": ["来料硬度偏高"],
        "environment": ["车间温度高"],
    }


@pytest.mark.parametrize(
    "value",
    [
        "刀具磨损",
        "luck: 运气不好",
        {"weather": ["雨"]},
        {"man": [""]},
        {"man": ["x" * 201]},
        {"man": ["a"] * 11},
    ],
)
def test_a_cause_without_a_6m_category_or_badly_formed_is_refused_naming_the_field(value):
    with pytest.raises(Invalid) as exc:
        fishbone.normalise(value, field="fishbone_escape")
    assert exc.value.field == "fishbone_escape"


def test_a_reply_with_a_fishbone_instead_of_5_why(org):
    capa = open_capa(org)
    evidence(capa, org)
    data = reply(why_occurrence=[], fishbone_occurrence=BONES, fishbone_escape="测量: 抽检频次低")
    act(capa, "submit_reply", org["production"], data, now=MONDAY)
    capa.refresh_from_db()
    assert capa.why_occurrence == [] and capa.fishbone_occurrence == BONES
    # shown in 6M order whatever order the database keeps the keys in (PostgreSQL's jsonb sorts them)
    assert [code for code, _label, causes in fishbone.rows(capa.fishbone_occurrence) if causes] == [
        "man",
        "machine",
        "method",
        "measurement",
    ]
    assert capa.fishbone_escape == {"measurement": ["抽检频次低"]}
    assert capa.why_escape == ["抽检频次低", "量具未覆盖孔径"]


def test_neither_5_why_nor_fishbone_is_refused_422_and_nothing_written(org, api):
    capa = open_capa(org)
    evidence(capa, org)
    with pytest.raises(Invalid) as exc:
        act(capa, "submit_reply", org["production"], reply(why_escape=[]), now=MONDAY)
    assert exc.value.field == "why_escape"
    capa.refresh_from_db()
    assert capa.reply_submitted_at is None


def test_the_api_answers_422_naming_the_fishbone_field(org, api):
    import datetime as dt

    capa = open_capa(org, now=dt.datetime.now(dt.UTC))
    evidence(capa, org)
    verify_by = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    url = f"/api/v1/capa/{capa.number}/actions/submit_reply"
    bad = reply(verify_by, fishbone_occurrence={"luck": ["运气"]})
    res = api("production").post(url, bad, content_type="application/json")
    assert res.status_code == 422 and res.json()["field"] == "fishbone_occurrence"
    res = api("production").post(
        url, reply(verify_by, fishbone_occurrence=BONES), content_type="application/json"
    )
    assert res.status_code == 200
    body = api("quality").get(f"/api/v1/capa/{capa.number}").json()
    assert body["disciplines"]["d4_root_cause"]["occurrence"]["fishbone"] == BONES


def test_the_page_form_takes_lines_and_shows_the_fishbone(org, page):
    capa = open_capa(org)
    evidence(capa, org)
    form = {
        k: v
        for k, v in reply("2026-11-20").items()
        if k not in ("team", "why_occurrence", "why_escape", "documents")
    }
    form.update(
        team="王五 (生产经理)",
        why_occurrence="",
        fishbone_occurrence="人: 新员工未培训\n机: 刀具磨损",
        why_escape="抽检频次低",
    )
    client = page("production")
    import time_machine

    with time_machine.travel(MONDAY, tick=False):
        res = client.post(f"/work/capa/{capa.number}/act/submit_reply/", form)
        assert res.status_code in (200, 302), res.content[:300]
        capa.refresh_from_db()
        assert capa.fishbone_occurrence == {"man": ["新员工未培训"], "machine": ["刀具磨损"]}
        bad = {**form, "fishbone_occurrence": "天气: 下雨"}
        client.post(f"/work/capa/{capa.number}/act/submit_reply/", bad)
        capa.refresh_from_db()
        assert capa.fishbone_occurrence == {"man": ["新员工未培训"], "machine": ["刀具磨损"]}
    html = page("quality").get(f"/capa/{capa.number}/").content.decode()
    assert 'id="fishbone-occurrence"' in html and "新员工未培训" in html and "刀具磨损" in html


def test_the_pdf_and_the_workbook_carry_the_fishbone(org):
    from openpyxl import load_workbook

    from kefu.capa import report

    capa = open_capa(org)
    evidence(capa, org)
    act(capa, "submit_reply", org["production"], reply(fishbone_occurrence=BONES), now=MONDAY)
    act(capa, "approve_reply", prodmgr(org), now=MONDAY)
    capa.refresh_from_db()
    html = report.html(capa)
    assert 'class="fishbone"' in html and "主轴跳动" in html and "鱼骨图" in html
    assert report.pdf(capa).startswith(b"%PDF-")
    ws = load_workbook(io.BytesIO(report.xlsx(capa))).active
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value]
    assert any("主轴跳动" in c and "设备" in c for c in cells)
    assert open_step(capa).code == "review"

"""The customer's deadline set or moved after the 8D was opened (000 4.5.1, 4.7.2: it replaces the
clocks): an action of the flow by quality or the management rep, with a reason; the open step's
deadline computed again by the engine; the history says old -> new."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.capa.models import Status
from kefu.capa.tests.factory import MONDAY, TZ, act, open_capa, open_step, to_verification
from kefu.core.audit import events_for
from kefu.core.errors import Conflict, Forbidden, Invalid
from kefu.core.models import Notification
from kefu.flow.models import Reminder
from kefu.flow.sweep import sweep

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def deadline(capa, user, when, reason="客户邮件要求提前", now=MONDAY + dt.timedelta(hours=2)):
    return act(capa, "set_customer_deadline", user, {"customer_deadline": when, "reason": reason}, now=now)


def test_quality_sets_a_deadline_after_opening_and_the_open_step_follows(org):
    capa = open_capa(org)
    step = open_step(capa)
    assert step.due_at == MONDAY + dt.timedelta(hours=48)
    new = at(2026, 11, 3, 12)  # the customer wants the 8D in 26 hours
    deadline(capa, org["quality"], new.isoformat())
    capa.refresh_from_db()
    step.refresh_from_db()
    assert capa.customer_deadline == new and capa.due_at == new and step.due_at == new
    sweep(now=new - MINUTE)
    assert not Reminder.objects.filter(step=step).exists()
    sweep(now=new + MINUTE)
    assert Reminder.objects.filter(step=step, level=0).exists()
    event = [e for e in events_for("capa", capa.number) if e.action == "set_customer_deadline"][-1]
    assert (
        "2026-11-03 12:00" in event.note
        and "2026-11-04 10:00" in event.note
        and "客户邮件要求提前" in event.note
    )
    assert event.data["customer_deadline_before"] is None
    assert event.data["customer_deadline_after"].startswith("2026-11-03T12:00")
    assert event.data["step_due_before"].startswith("2026-11-04T10:00")
    told = Notification.objects.filter(kind="capa_deadline", object_id=capa.number)
    assert "production" in set(told.values_list("recipient__username", flat=True))


def test_the_management_rep_moves_it_and_removing_it_brings_the_clock_back(org):
    capa = open_capa(org, customer_deadline=at(2026, 11, 3, 12))
    deadline(capa, org["mrep"], "2026-11-10T17:00", reason="客户同意延期")  # naive: Asia/Shanghai
    assert open_step(capa).due_at == at(2026, 11, 10, 17)
    deadline(capa, org["quality"], None, reason="客户撤销期限")
    capa.refresh_from_db()
    assert capa.customer_deadline is None
    assert open_step(capa).due_at == capa.due_at == MONDAY + dt.timedelta(hours=48)  # 48 h from the opening


def test_at_verification_the_deadline_replaces_the_committed_date_and_removing_it_restores_it(org):
    capa = to_verification(org, open_capa(org))
    committed = dt.datetime(2026, 11, 20, 23, 59, 59, tzinfo=TZ)
    assert open_step(capa).due_at == committed
    deadline(capa, org["quality"], at(2026, 11, 12, 18).isoformat())
    assert open_step(capa).due_at == at(2026, 11, 12, 18)
    deadline(capa, org["quality"], None, now=MONDAY + dt.timedelta(hours=3))
    assert open_step(capa).due_at == committed


def test_a_step_the_customer_deadline_does_not_govern_keeps_its_clock(org):
    capa = to_verification(org, open_capa(org))  # then back to the management rep's approval step
    act(capa, "verify", org["quality"], {"effective": True, "result": "ok"}, now=MONDAY)
    step = open_step(capa)
    assert step.code == "closure"
    before = step.due_at
    deadline(capa, org["quality"], at(2026, 11, 3, 12).isoformat())
    assert open_step(capa).due_at == before


def test_who_may_and_what_is_refused(org):
    capa = open_capa(org)
    for user in ("production", "sales", "warehouse"):
        with pytest.raises(Forbidden):
            deadline(capa, org[user], at(2026, 11, 5).isoformat())
    with pytest.raises(Invalid) as exc:  # in the past
        deadline(capa, org["quality"], at(2026, 11, 1).isoformat())
    assert exc.value.field == "customer_deadline"
    with pytest.raises(Invalid) as exc:  # no reason
        deadline(capa, org["quality"], at(2026, 11, 5).isoformat(), reason="")
    with pytest.raises(Invalid) as exc:  # unchanged
        deadline(capa, org["quality"], None)
    assert exc.value.field == "customer_deadline"
    capa.refresh_from_db()
    assert capa.customer_deadline is None  # nothing written


def test_a_closed_8d_takes_no_deadline_409(org):
    capa = to_verification(org, open_capa(org))
    act(capa, "verify", org["quality"], {"effective": True, "result": "ok"}, now=MONDAY)
    act(capa, "close", org["quality"], {"closure": "关闭", "recognition": "表彰"}, now=MONDAY)
    capa.refresh_from_db()
    assert capa.status == Status.CLOSED
    with pytest.raises(Conflict):
        deadline(capa, org["quality"], at(2026, 11, 5).isoformat())


def test_through_the_api_and_the_page(org, api, page):
    now = dt.datetime.now(TZ).replace(microsecond=0)
    capa = open_capa(org, now=now)
    url = f"/api/v1/capa/{capa.number}/actions/set_customer_deadline"
    new = (now + dt.timedelta(days=3)).replace(tzinfo=None, second=0)
    res = api("quality").post(
        url, {"customer_deadline": new.isoformat(), "reason": "客户来电"}, content_type="application/json"
    )
    assert res.status_code == 200, res.content
    assert open_step(capa).due_at == new.replace(tzinfo=TZ)
    res = api("production").post(
        url, {"customer_deadline": None, "reason": "x"}, content_type="application/json"
    )
    assert res.status_code == 403
    res = api("quality").post(
        url, {"customer_deadline": "2020-01-01T00:00", "reason": "x"}, content_type="application/json"
    )
    assert res.status_code == 422 and res.json()["field"] == "customer_deadline"
    assert "set_customer_deadline" in api("quality").get(url.rsplit("/", 1)[0]).json()["allowed"]
    # the page: the action's form in the panel, posted as a datetime-local value
    later = (now + dt.timedelta(days=5)).replace(tzinfo=None, second=0)
    client = page("quality")
    html = client.get(f"/capa/{capa.number}/").content.decode()
    assert 'name="customer_deadline"' in html
    res = client.post(
        f"/work/capa/{capa.number}/act/set_customer_deadline/",
        {"customer_deadline": later.strftime("%Y-%m-%dT%H:%M"), "reason": "客户邮件"},
    )
    assert res.status_code in (200, 302)
    capa.refresh_from_db()
    assert capa.customer_deadline == later.replace(tzinfo=TZ)
    assert open_step(capa).due_at == later.replace(tzinfo=TZ)


def test_removing_the_deadline_keeps_an_approved_extension(org):
    from kefu.capa.tests.factory import prodmgr

    capa = open_capa(org)
    act(capa, "request_extension", org["production"], {"days": 24, "reason": "等待来料"}, now=MONDAY)
    act(capa, "approve_extension", prodmgr(org), {"approved": True}, now=MONDAY)
    assert open_step(capa).due_at == MONDAY + dt.timedelta(hours=72)
    deadline(capa, org["quality"], at(2026, 11, 3, 12).isoformat())
    assert open_step(capa).due_at == at(2026, 11, 3, 12)
    deadline(capa, org["quality"], None, now=MONDAY + dt.timedelta(hours=3))
    assert open_step(capa).due_at == MONDAY + dt.timedelta(hours=72)

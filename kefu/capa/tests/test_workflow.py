"""The CAPA / 8D flow on the case engine (SPEC M6; 000 4.5-4.7): clocks on both sides of their
limits, the customer deadline, the approval chain, evidence, ineffective verification."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.capa.models import Capa, Status
from kefu.capa.tests.factory import (
    FRIDAY,
    MONDAY,
    TZ,
    act,
    evidence,
    open_capa,
    open_step,
    prodmgr,
    reply,
    steps,
    to_review,
    to_verification,
)
from kefu.core.errors import Conflict, Forbidden, Invalid
from kefu.core.models import Notification, Setting
from kefu.flow.models import Inquiry, Reminder
from kefu.flow.sweep import sweep

pytestmark = pytest.mark.django_db


def at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def capa_reminders(capa):
    return Reminder.objects.filter(step__record_type="capa", step__record_id=capa.pk)


def test_opening_numbers_the_record_and_starts_the_reply_on_48_clock_hours(org):
    capa = open_capa(org)
    assert capa.number == "8D-202611-0001"
    assert open_capa(org).number == "8D-202611-0002"
    step = open_step(capa)
    assert (step.code, step.department.code, step.unit) == ("reply", "production", "hours")
    assert step.due_at == MONDAY + dt.timedelta(hours=48)
    assert capa.due_at == step.due_at


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (FRIDAY, at(2026, 11, 8)),  # Friday 10:00 -> Sunday 10:00: clock hours run through the weekend
        (at(2026, 9, 30), at(2026, 10, 2)),  # into National Day: the holiday does not stop the clock
    ],
)
def test_reply_clock_is_48_clock_hours_across_weekends_and_holidays(org, start, due):
    capa = open_capa(org, now=start)
    step = open_step(capa)
    assert step.due_at == due
    # one minute before the limit no reminder; one minute after, the department is reminded
    assert not sweep(now=due - dt.timedelta(minutes=1)).issued
    sweep(now=due + dt.timedelta(minutes=1))
    assert capa_reminders(capa).filter(level=0).count() == 1


def test_reply_without_evidence_is_refused_422_and_nothing_is_written(org):
    capa = open_capa(org)
    with pytest.raises(Invalid) as exc:
        act(capa, "submit_reply", org["production"], reply(), now=MONDAY)
    assert exc.value.field == "attachments"
    capa.refresh_from_db()
    assert capa.reply_submitted_at is None and capa.containment == ""


@pytest.mark.parametrize(
    ("verify_by", "ok"), [("2026-12-02", True), ("2026-12-03", False), ("2026-11-01", False)]
)
def test_verification_date_at_most_a_month_after_the_reply(org, verify_by, ok):
    capa = open_capa(org)
    evidence(capa, org)
    if ok:
        act(capa, "submit_reply", org["production"], reply(verify_by), now=MONDAY)
        capa.refresh_from_db()
        assert capa.verify_by == dt.date(2026, 12, 2)
        return
    with pytest.raises(Invalid) as exc:
        act(capa, "submit_reply", org["production"], reply(verify_by), now=MONDAY)
    assert exc.value.field == "verify_by"


def test_a_reply_without_the_managers_approval_counts_as_not_sent(org):
    capa = open_capa(org)
    evidence(capa, org)
    act(capa, "submit_reply", org["production"], reply(), now=MONDAY + dt.timedelta(hours=47))
    capa.refresh_from_db()
    assert capa.status == Status.REPLY  # quality does not see it yet
    step = open_step(capa)
    assert step.code == "reply"  # the step and its 48-hour clock keep running
    sweep(now=MONDAY + dt.timedelta(hours=48, minutes=1))
    assert capa_reminders(capa).count() == 1
    # the manager approves after the limit: the reply was late
    act(capa, "approve_reply", prodmgr(org), now=MONDAY + dt.timedelta(hours=49))
    capa.refresh_from_db()
    assert capa.status == Status.REVIEW and capa.reply_approved_by == org["prodmgr"]
    done = steps(capa).get(code="reply")
    assert done.done_at > done.due_at


def test_approval_chain(org):
    capa = open_capa(org)
    evidence(capa, org)
    with pytest.raises(Conflict):  # nothing to approve yet
        act(capa, "approve_reply", prodmgr(org), now=MONDAY)
    act(capa, "submit_reply", org["production"], reply(), now=MONDAY)
    with pytest.raises(Forbidden):  # a clerk does not approve the reply
        act(capa, "approve_reply", org["production"], now=MONDAY)
    with pytest.raises(Forbidden):  # nor does quality's manager approve another department's reply
        act(capa, "approve_reply", org["qualitymgr"], now=MONDAY)
    act(capa, "approve_reply", prodmgr(org), now=MONDAY)
    act(capa, "accept_report", org["quality"], now=MONDAY)
    capa.refresh_from_db()
    assert capa.status == Status.APPROVAL
    assert open_step(capa).department.code == "management_rep"
    for user in ("quality", "qualitymgr", "gm"):
        with pytest.raises(Forbidden):  # only the management representative approves the report
            act(capa, "approve_report", org[user], now=MONDAY)
    act(capa, "approve_report", org["mrep"], now=MONDAY)
    capa.refresh_from_db()
    assert capa.status == Status.VERIFICATION and capa.report_approved_by == org["mrep"]


def test_review_takes_7_calendar_days_by_default_and_the_setting_changes_it(org):
    capa = to_review(org, open_capa(org))
    assert open_step(capa).due_at == dt.datetime(2026, 11, 9, 23, 59, 59, tzinfo=TZ)
    Setting.objects.create(key="due.capa.review", value="5 days")
    other = to_review(org, open_capa(org))
    assert open_step(other).due_at == dt.datetime(2026, 11, 7, 23, 59, 59, tzinfo=TZ)
    # 7 days: not late at the end of day 7, late a second after
    sweep(now=dt.datetime(2026, 11, 9, 23, 59, 0, tzinfo=TZ))
    assert not capa_reminders(capa).exists()
    sweep(now=dt.datetime(2026, 11, 10, 0, 1, tzinfo=TZ))
    assert capa_reminders(capa).exists()


def test_a_report_sent_back_is_revised_within_24_hours_and_approved_again(org):
    capa = to_review(org, open_capa(org))
    sent = MONDAY + dt.timedelta(days=1)
    with pytest.raises(Invalid):  # quality says what to revise
        act(capa, "send_back", org["quality"], {"note": ""}, now=sent)
    act(capa, "send_back", org["quality"], {"note": "5-Why 不充分"}, now=sent)
    capa.refresh_from_db()
    step = open_step(capa)
    assert (capa.status, step.code, step.department.code) == (Status.REVISION, "revision", "production")
    assert step.due_at == sent + dt.timedelta(hours=24)
    assert not sweep(now=sent + dt.timedelta(hours=23, minutes=59)).issued
    sweep(now=sent + dt.timedelta(hours=24, minutes=1))
    assert capa_reminders(capa).filter(step__code="revision").count() == 1
    act(capa, "submit_reply", org["production"], reply(), now=sent + dt.timedelta(hours=2))
    capa.refresh_from_db()
    assert capa.status == Status.REVISION  # still waiting for the manager
    act(capa, "approve_reply", prodmgr(org), now=sent + dt.timedelta(hours=3))
    capa.refresh_from_db()
    assert capa.status == Status.REVIEW


def test_verification_is_due_at_the_committed_date(org):
    capa = to_verification(org, open_capa(org))
    step = open_step(capa)
    assert step.code == "verification"
    assert step.due_at == dt.datetime(2026, 11, 20, 23, 59, 59, tzinfo=TZ)
    assert not sweep(now=dt.datetime(2026, 11, 20, 23, 0, tzinfo=TZ)).issued
    sweep(now=dt.datetime(2026, 11, 21, 0, 5, tzinfo=TZ))
    assert capa_reminders(capa).count() == 1


def test_a_customer_deadline_overrides_the_clocks(org):
    deadline = at(2026, 11, 3, 12)
    capa = open_capa(org, customer_deadline=deadline)
    assert open_step(capa).due_at == deadline  # not 48 hours
    capa = to_review(org, capa)
    assert open_step(capa).due_at == deadline  # not 7 days
    act(capa, "accept_report", org["quality"], now=MONDAY)
    act(capa, "approve_report", org["mrep"], now=MONDAY)
    capa.refresh_from_db()
    assert open_step(capa).due_at == deadline  # not the committed date


def test_ineffective_verification_notifies_and_reopens_at_d4(org):
    capa = to_verification(org, open_capa(org))
    later = at(2026, 11, 20)
    act(capa, "verify", org["quality"], {"effective": False, "result": "抽查仍有 2 件超差"}, now=later)
    capa.refresh_from_db()
    assert capa.status == Status.REPLY and capa.reopened == 1 and capa.effective is False
    assert capa.reply_submitted_at is None and capa.reply_approved_at is None
    step = open_step(capa)
    assert (step.code, step.department.code, step.due_at) == (
        "reply",
        "production",
        later + dt.timedelta(hours=48),
    )
    notices = Notification.objects.filter(kind="capa_ineffective", object_id=capa.number)
    recipients = set(notices.values_list("recipient__username", flat=True))
    assert {"production", "mrep"} <= recipients
    assert "quality" not in recipients
    from kefu.core.audit import events_for

    last = [e for e in events_for("capa", capa.number) if e.action == "verify"][-1]
    assert (last.action, last.from_state, last.to_state) == ("verify", "verification", "reply")
    assert "D4" in last.note


def test_the_whole_8d_to_closure(org):
    capa = to_verification(org, open_capa(org))
    act(
        capa, "verify", org["quality"], {"effective": True, "result": "连续 3 批无不良"}, now=at(2026, 11, 19)
    )
    act(
        capa,
        "close",
        org["quality"],
        {"closure": "关闭", "recognition": "表彰生产二课"},
        now=at(2026, 11, 19),
    )
    capa.refresh_from_db()
    assert capa.status == Status.CLOSED and capa.closed_at is not None
    assert capa.recognition == "表彰生产二课"
    assert not Inquiry.objects.filter(record_type="capa", record_id=capa.pk).exists()
    assert Capa.objects.get(pk=capa.pk).documents[0] == {"kind": "pfmea", "number": "PF-001", "revision": "C"}


def test_the_open_steps_are_on_the_work_lists(org, api):
    capa = open_capa(org)
    rows = api("production").get("/api/v1/work").json()["results"]
    mine = [r for r in rows if r["record_type"] == "capa"]
    assert [(r["record"], r["step"], r["department"]) for r in mine] == [(capa.number, "reply", "production")]
    assert not [
        r for r in api("warehouse").get("/api/v1/work").json()["results"] if r["record_type"] == "capa"
    ]

"""Issue 14 acceptance: every 8D clock on both sides of its limit (000 4.5-4.7), through the case
engine's sweep (a reminder, 催办单, one minute after the due time, none one minute before) and
the step's own lateness (done before or after its due time).

The clocks: the reply in 48 clock hours (across a weekend and across National Day), the review
in 7 calendar days (the setting changes it), the revision in 24 hours, the verification at the
date committed (at most one month after the reply), a customer-set deadline replacing them; a
reply without the manager's approval not stopping the clock; the approval chain (403 for the
wrong person, 409 in the wrong state); an ineffective verification reopening at D4.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.capa.models import Status
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
from kefu.core.workcalendar import WorkCalendar
from kefu.flow.models import Reminder
from kefu.flow.sweep import sweep

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def at(y, m, d, h=10, mi=0, s=0):
    return dt.datetime(y, m, d, h, mi, s, tzinfo=TZ)


def end_of(y, m, d):
    return at(y, m, d, 23, 59, 59)


def reminded(step) -> bool:
    return Reminder.objects.filter(step=step, level=0).exists()


def assert_clock(step, due):
    """The step is due at ``due``: not reminded a minute before, reminded a minute after."""
    assert step.due_at == due, (step.code, step.due_at, due)
    sweep(now=due - MINUTE)
    assert not reminded(step), f"{step.code} reminded before its due time"
    sweep(now=due + MINUTE)
    assert reminded(step), f"{step.code} not reminded after its due time"


# --- D0-D7: the reply in 48 clock hours ----------------------------------------------------------


def test_national_day_2026_is_a_holiday_on_the_calendar():
    cal = WorkCalendar.cached()
    assert not any(cal.is_workday(dt.date(2026, 10, d)) for d in range(1, 8))
    assert cal.is_workday(dt.date(2026, 9, 30))


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (FRIDAY, at(2026, 11, 8)),  # Fri 10:00 -> Sun 10:00: through the weekend, not 2 workdays
        (at(2026, 11, 7, 15, 30), at(2026, 11, 9, 15, 30)),  # opened on a Saturday
        (at(2026, 9, 30, 16), at(2026, 10, 2, 16)),  # into National Day (10-01..07): the holiday counts
        (at(2026, 10, 3, 9), at(2026, 10, 5, 9)),  # inside National Day
    ],
)
def test_reply_is_due_48_clock_hours_later_whatever_the_calendar(org, start, due):
    capa = open_capa(org, now=start)
    assert_clock(open_step(capa), due)
    capa.refresh_from_db()
    assert capa.due_at == due


@pytest.mark.parametrize(("offset", "late"), [(-MINUTE, False), (MINUTE, True)])
def test_reply_approved_a_minute_either_side_of_48_hours(org, offset, late):
    capa = open_capa(org, now=at(2026, 9, 30, 16))
    evidence(capa, org)
    due = at(2026, 10, 2, 16)
    act(capa, "submit_reply", org["production"], reply("2026-10-20"), now=due - dt.timedelta(hours=2))
    act(capa, "approve_reply", prodmgr(org), now=due + offset)
    done = steps(capa).get(code="reply")
    assert done.done_at == due + offset and done.late is late


# --- the manager's approval: a reply without it counts as not sent (000 4.6.1) -----------------


def test_an_unapproved_reply_leaves_the_48_hour_clock_running_and_the_department_is_reminded(org):
    capa = open_capa(org, now=FRIDAY)
    evidence(capa, org)
    act(capa, "submit_reply", org["production"], reply(), now=FRIDAY + dt.timedelta(hours=1))
    capa.refresh_from_db()
    assert capa.status == Status.REPLY and capa.reply_submitted_at is not None
    step = open_step(capa)
    assert step.code == "reply" and step.done_at is None  # not sent
    assert_clock(step, FRIDAY + dt.timedelta(hours=48))
    step.refresh_from_db()
    assert step.late and step.done_at is None
    # quality cannot take it up while the manager has not approved it
    with pytest.raises(Conflict):
        act(capa, "accept_report", org["quality"], now=FRIDAY + dt.timedelta(hours=50))


def test_an_unapproved_revision_leaves_the_24_hour_clock_running(org):
    capa = to_review(org, open_capa(org))
    sent = at(2026, 11, 3, 9)
    act(capa, "send_back", org["quality"], {"note": "D4 要用鱼骨图"}, now=sent)
    act(capa, "submit_reply", org["production"], reply(), now=sent + dt.timedelta(hours=3))
    capa.refresh_from_db()
    assert capa.status == Status.REVISION
    assert_clock(open_step(capa), sent + dt.timedelta(hours=24))


# --- quality's review: 7 calendar days, a setting ------------------------------------------------


def test_review_is_due_at_the_end_of_the_seventh_calendar_day_across_national_day(org):
    approved = at(2026, 9, 30, 17)
    capa = to_review(org, open_capa(org, now=at(2026, 9, 30, 9)), now=approved)
    step = open_step(capa)
    assert (step.code, step.department.code, step.unit, step.allowed) == ("review", "quality", "days", 7)
    assert_clock(step, end_of(2026, 10, 7))


@pytest.mark.parametrize(("value", "due"), [("5 days", end_of(2026, 11, 7)), ("6 days", end_of(2026, 11, 8))])
def test_the_review_setting_tightens_the_clock(org, value, due):
    Setting.objects.create(key="due.capa.review", value=value)
    capa = to_review(org, open_capa(org))
    assert_clock(open_step(capa), due)


@pytest.mark.parametrize(("offset", "late"), [(-MINUTE, False), (MINUTE, True)])
def test_review_accepted_a_minute_either_side_of_7_days(org, offset, late):
    capa = to_review(org, open_capa(org))
    due = end_of(2026, 11, 9)
    act(capa, "accept_report", org["quality"], now=due + offset)
    done = steps(capa).get(code="review")
    assert done.due_at == due and done.late is late


# --- the revision: 24 hours ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        (FRIDAY + dt.timedelta(hours=6), at(2026, 11, 7, 16)),  # Friday 16:00 -> Saturday 16:00
        (at(2026, 9, 30, 20), at(2026, 10, 1, 20)),  # into National Day
    ],
)
def test_a_report_sent_back_is_due_24_clock_hours_later(org, sent, due):
    capa = to_review(org, open_capa(org, now=sent - dt.timedelta(hours=5)), now=sent - dt.timedelta(hours=4))
    act(capa, "send_back", org["quality"], {"note": "遏制数量不全"}, now=sent)
    step = open_step(capa)
    assert (step.code, step.department.code) == ("revision", "production")
    assert_clock(step, due)


def test_the_management_rep_returning_the_report_also_starts_24_hours(org):
    capa = to_review(org, open_capa(org))
    act(capa, "accept_report", org["quality"], now=MONDAY + dt.timedelta(hours=1))
    returned = MONDAY + dt.timedelta(hours=2)
    act(capa, "return_report", org["mrep"], {"note": "D7 文件版本缺"}, now=returned)
    capa.refresh_from_db()
    assert capa.status == Status.REVISION and capa.reply_approved_at is None
    assert_clock(open_step(capa), returned + dt.timedelta(hours=24))


# --- verification: at the committed date, at most one month after the reply ---------------------


@pytest.mark.parametrize(
    ("replied", "verify_by", "ok"),
    [
        (MONDAY, "2026-12-02", True),  # exactly one month
        (MONDAY, "2026-12-03", False),  # one day more
        (MONDAY, "2026-11-02", True),  # the same day
        (MONDAY, "2026-11-01", False),  # in the past
        (at(2027, 1, 31), "2027-02-28", True),  # a month after Jan 31 is the end of February
        (at(2027, 1, 31), "2027-03-01", False),
    ],
)
def test_the_committed_verification_date_is_at_most_one_month_after_the_reply(org, replied, verify_by, ok):
    capa = open_capa(org, now=replied)
    evidence(capa, org)
    if not ok:
        with pytest.raises(Invalid) as exc:
            act(capa, "submit_reply", org["production"], reply(verify_by), now=replied)
        assert exc.value.field == "verify_by"
        capa.refresh_from_db()
        assert capa.verify_by is None and capa.reply_submitted_at is None  # nothing half-written
        return
    act(capa, "submit_reply", org["production"], reply(verify_by), now=replied)
    capa.refresh_from_db()
    assert capa.verify_by == dt.date.fromisoformat(verify_by)


def test_verification_committed_at_exactly_one_month_is_due_at_the_end_of_that_day(org):
    capa = open_capa(org)
    evidence(capa, org)
    act(capa, "submit_reply", org["production"], reply("2026-12-02"), now=MONDAY)
    act(capa, "approve_reply", prodmgr(org), now=MONDAY)
    act(capa, "accept_report", org["quality"], now=MONDAY)
    act(capa, "approve_report", org["mrep"], now=MONDAY)
    step = open_step(capa)
    assert step.code == "verification"
    assert_clock(step, end_of(2026, 12, 2))


def test_the_verification_month_is_a_setting(org):
    Setting.objects.create(key="capa.verification_max_months", value="2")
    capa = open_capa(org)
    evidence(capa, org)
    act(capa, "submit_reply", org["production"], reply("2027-01-02"), now=MONDAY)
    with pytest.raises(Invalid):
        act(capa, "submit_reply", org["production"], reply("2027-01-03"), now=MONDAY)


# --- a customer-set deadline replaces the clocks (000 4.5.1, 4.7.2) ------------------------------


def test_a_customer_deadline_earlier_than_48_hours_replaces_the_reply_clock(org):
    deadline = MONDAY + dt.timedelta(hours=20)
    capa = open_capa(org, customer_deadline=deadline)
    assert_clock(open_step(capa), deadline)


def test_a_customer_deadline_later_than_the_clocks_replaces_them_too(org):
    deadline = at(2026, 11, 12, 17)  # 10 days: the customer gave more time than 48 hours
    capa = open_capa(org, customer_deadline=deadline)
    step = open_step(capa)
    sweep(now=MONDAY + dt.timedelta(hours=48, minutes=1))
    assert not reminded(step)  # 48 hours are not the limit any more
    capa = to_review(org, capa, now=MONDAY + dt.timedelta(hours=50))
    review = open_step(capa)
    assert review.due_at == deadline  # not 7 days from the approval
    act(capa, "send_back", org["quality"], {"note": "补充"}, now=at(2026, 11, 5))
    capa.refresh_from_db()
    assert open_step(capa).due_at == deadline  # not 24 hours
    act(capa, "submit_reply", org["production"], reply("2026-11-30"), now=at(2026, 11, 5, 12))
    act(capa, "approve_reply", prodmgr(org), now=at(2026, 11, 5, 13))
    act(capa, "accept_report", org["quality"], now=at(2026, 11, 5, 14))
    act(capa, "approve_report", org["mrep"], now=at(2026, 11, 5, 15))
    assert_clock(open_step(capa), deadline)  # not the committed 2026-11-30


# --- the approval chain: department manager -> quality -> management rep (000 4.6, R6.3) ---------


def test_the_approval_chain_refuses_the_wrong_person_403_and_the_wrong_state_409(org):
    capa = open_capa(org)
    evidence(capa, org)
    with pytest.raises(Conflict):  # nothing submitted to approve
        act(capa, "approve_reply", prodmgr(org), now=MONDAY)
    with pytest.raises(Conflict):  # quality reviews only an approved reply
        act(capa, "accept_report", org["quality"], now=MONDAY)
    with pytest.raises(Conflict):  # the management rep approves only a reviewed report
        act(capa, "approve_report", org["mrep"], now=MONDAY)
    act(capa, "submit_reply", org["production"], reply(), now=MONDAY)
    for user in ("production", "qualitymgr", "quality", "warehouse"):
        with pytest.raises(Forbidden):  # only the responsible department's manager (or an executive)
            act(capa, "approve_reply", org[user], now=MONDAY)
    act(capa, "approve_reply", prodmgr(org), now=MONDAY)
    with pytest.raises(Conflict):  # approved once: the reply is with quality now
        act(capa, "approve_reply", prodmgr(org), now=MONDAY)
    with pytest.raises(Conflict):
        act(capa, "approve_report", org["mrep"], now=MONDAY)
    for user in ("production", "prodmgr", "mrep"):
        with pytest.raises(Forbidden):  # quality reviews
            act(capa, "accept_report", org[user], now=MONDAY)
    act(capa, "accept_report", org["quality"], now=MONDAY)
    for user in ("quality", "qualitymgr", "gm", "prodmgr"):
        with pytest.raises(Forbidden):  # only the management representative
            act(capa, "approve_report", org[user], now=MONDAY)
    with pytest.raises(Conflict):  # no verification before the report is approved
        act(capa, "verify", org["quality"], {"effective": True, "result": "ok"}, now=MONDAY)
    act(capa, "approve_report", org["mrep"], now=MONDAY)
    with pytest.raises(Conflict):  # no closure before the verification
        act(capa, "close", org["quality"], {"closure": "x", "recognition": "y"}, now=MONDAY)
    capa.refresh_from_db()
    assert (capa.reply_approved_by, capa.report_approved_by, capa.status) == (
        org["prodmgr"],
        org["mrep"],
        Status.VERIFICATION,
    )


def test_the_approval_chain_through_the_api_403_and_409(org, api):
    capa = open_capa(org, now=dt.datetime.now(dt.UTC))
    evidence(capa, org)
    url = f"/api/v1/capa/{capa.number}/actions"
    post = lambda user, action, body=None: api(user).post(  # noqa: E731
        f"{url}/{action}", body or {}, content_type="application/json"
    )
    prodmgr(org)
    assert post("prodmgr", "approve_reply").status_code == 409
    verify_by = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    assert post("production", "submit_reply", reply(verify_by)).status_code == 200
    res = post("qualitymgr", "approve_reply")
    assert res.status_code == 403 and res.json()["detail"]
    assert post("mrep", "approve_report").status_code == 409
    assert post("prodmgr", "approve_reply").status_code == 200
    assert post("quality", "accept_report").status_code == 200
    assert post("qualitymgr", "approve_report").status_code == 403
    res = post("mrep", "approve_report")
    assert res.status_code == 200 and res.json()["status"] == "verification"


# --- an ineffective verification reopens at D4 (000 4.7.2, R6.4) ---------------------------------


def test_ineffective_verification_written_notice_management_rep_informed_reopened_at_d4(org):
    capa = to_verification(org, open_capa(org))
    found = at(2026, 11, 20, 15)
    act(capa, "verify", org["quality"], {"effective": False, "result": "复查 3 批仍有 2 件超差"}, now=found)
    capa.refresh_from_db()
    assert (capa.status, capa.reopened, capa.effective) == (Status.REPLY, 1, False)
    assert capa.reply_approved_by is None and capa.report_approved_by is None
    # the written notice names the result; the department and the management rep get it
    notices = Notification.objects.filter(kind="capa_ineffective", object_id=capa.number)
    by_user = {n.recipient.username: n for n in notices.select_related("recipient")}
    assert {"production", "mrep"} <= set(by_user)
    assert "复查 3 批仍有 2 件超差" in by_user["production"].body
    assert "D4" in by_user["production"].body
    # the new reply runs on 48 clock hours from the finding
    step = open_step(capa)
    assert (step.code, step.department.code) == ("reply", "production")
    assert_clock(step, found + dt.timedelta(hours=48))
    # and goes the whole way again, with a new approval by the manager
    again = found + dt.timedelta(hours=3)
    act(capa, "submit_reply", org["production"], reply("2026-12-10"), now=again)
    capa.refresh_from_db()
    assert capa.status == Status.REPLY
    act(capa, "approve_reply", prodmgr(org), now=again)
    capa.refresh_from_db()
    assert capa.status == Status.REVIEW

"""The customer audit on the case engine (SPEC M7; 000 客户审核 4.1-4.4): the advance notices on both
sides of their limits (working days across a weekend, National Day and an adjusted Saturday), the
routing of the nonconformities' 8Ds, and the audit closing only once all its 8Ds are closed."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.audits import services
from kefu.audits.models import Routing, Status
from kefu.audits.tests.factory import (
    MONDAY,
    act,
    add_nc,
    at,
    customer,
    meeting,
    plan,
    reload,
    rows,
    specialist,
    to_findings,
)
from kefu.capa.models import Capa
from kefu.capa.models import Status as CapaStatus
from kefu.core.errors import Conflict, Forbidden
from kefu.core.models import Notification, Setting
from kefu.flow.models import Inquiry, Notice, Reminder
from kefu.flow.notices import send_due
from kefu.flow.sweep import sweep

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def reminded(a, code) -> int:
    return Reminder.objects.filter(step__record_type="audit", step__record_id=a.pk, step__code=code).count()


def assert_limit(a, code, due):
    """The task is due at ``due``: a minute before no reminder, a minute after its owner is reminded."""
    step = rows(a, code).get()
    assert step.due_at == due
    sweep(now=due - MIN)
    assert reminded(a, code) == 0
    sweep(now=due + MIN)
    assert reminded(a, code) == 1


def mailed(a, code) -> list[str]:
    return sorted(
        Notification.objects.filter(kind=f"notice_{code}", object_id=a.number).values_list("to", flat=True)
    )


def assert_notice(a, code, at_):
    """The advance notice goes out at ``at_``: a minute before nothing, a minute after the managers
    of the departments taking part and of sales are mailed, once however often the pass runs."""
    assert Notice.objects.get(record_id=a.pk, code=code).at == at_
    send_due(now=at_ - MIN)
    assert mailed(a, code) == []
    send_due(now=at_ + MIN)
    assert mailed(a, code) == ["qualitymgr@example.com", "salesmgr@example.com"]
    send_due(now=at_ + 2 * MIN)
    assert len(mailed(a, code)) == 2


def test_planning_numbers_names_and_opens_preparation_due_at_the_start(org):
    a = plan(org)
    assert a.number == "AU-202611-0001"
    assert plan(org).number == "AU-202611-0002"
    assert a.name == "20261109 客户C001 定期审核" or a.name.startswith("20261109 客户C001 ")
    prep = rows(a, "preparation").get()
    assert (prep.department.code, prep.due_at, prep.kind) == ("sales", at(2026, 11, 9), "step")
    assert not rows(a, "prep_meeting").exists()  # not a key customer: no preparation meeting
    assert set(Notice.objects.filter(record_id=a.pk).values_list("code", flat=True)) == {
        "departments",
        "opening",
    }


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (at(2026, 11, 9), at(2026, 11, 5)),  # Monday 09:00 -> Thursday 09:00 (the weekend skipped)
        (at(2026, 10, 9), at(2026, 9, 30)),  # Friday after National Day -> the last working day before it
    ],
)
def test_departments_are_told_two_working_days_before(org, start, due):
    a = plan(org, start=start, now=at(2026, 9, 1, 10))
    assert_notice(a, "departments", due)


def test_departments_notice_is_a_setting(org):
    Setting.objects.create(key="notice.audit.departments", value="1 workdays")
    a = plan(org, start=at(2026, 11, 9))
    assert Notice.objects.get(record_id=a.pk, code="departments").at == at(2026, 11, 6)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (at(2026, 11, 9), at(2026, 11, 6)),  # Monday -> Friday
        (at(2026, 10, 12), at(2026, 10, 10)),  # Monday -> the adjusted working Saturday after National Day
        (at(2026, 10, 8), at(2026, 9, 30)),  # first day after National Day -> before the holiday
    ],
)
def test_opening_meeting_email_one_working_day_before(org, start, due):
    a = plan(org, start=start, now=at(2026, 9, 1, 10))
    assert_notice(a, "opening", due)


def test_notice_mail_names_the_audit_and_skips_a_passed_date(org):
    a = plan(org, start=at(2026, 11, 9))
    send_due(now=at(2026, 11, 9, 10))  # the sweep did not run until after the start: no late notice
    assert mailed(a, "departments") == [] and mailed(a, "opening") == []
    assert set(Notice.objects.filter(record_id=a.pk).values_list("skipped", flat=True)) == {"passed"}
    b = plan(org, start=at(2026, 11, 16))
    send_due(now=at(2026, 11, 12, 10))
    mail = Notification.objects.get(
        kind="notice_departments", object_id=b.number, to="qualitymgr@example.com"
    )
    assert b.number in mail.subject and "Smith" in mail.body and "IATF 16949" in mail.body


def test_key_customer_gets_a_preparation_meeting_a_week_before(org):
    a = plan(org, cust=customer("K001", key=True), start=at(2026, 11, 16))
    assert a.key_customer
    assert_limit(a, "prep_meeting", at(2026, 11, 9))
    act(
        a,
        "hold_prep_meeting",
        org["sales"],
        meeting(ours=["王五", "赵六", "品质经理"]),
        now=at(2026, 11, 9, 10),
    )
    assert rows(a, "prep_meeting").get().done_at == at(2026, 11, 9, 10)
    assert reload(a).meetings.get().kind == "preparation"


def test_closing_meeting_reminder_one_hour_before_and_moves_with_the_meeting(org):
    a = plan(org)
    act(a, "open_meeting", org["sales"], meeting(), now=at(2026, 11, 9))
    act(
        a,
        "schedule_closing",
        org["sales"],
        {"closing_at": "2026-11-09T16:00:00+08:00"},
        now=at(2026, 11, 9, 10),
    )
    assert Notice.objects.get(record_id=a.pk, code="closing").at == at(2026, 11, 9, 15)
    act(
        a,
        "schedule_closing",
        org["sales"],
        {"closing_at": "2026-11-09T17:00:00+08:00"},
        now=at(2026, 11, 9, 11),
    )
    assert_notice(a, "closing", at(2026, 11, 9, 16))
    assert Notice.objects.filter(record_id=a.pk, code="closing").count() == 1  # the 15:00 one was dropped


def test_cancelled_audit_sends_no_notice(org):
    a = plan(org)
    act(a, "cancel", org["salesmgr"], {"note": "客户取消"}, now=MONDAY)
    send_due(now=at(2026, 11, 8))
    assert not Notification.objects.filter(kind__startswith="notice_").exists()


def test_opening_meeting_closes_a_missed_preparation_meeting_as_late(org):
    a = plan(org, cust=customer("K002", key=True), start=at(2026, 11, 16))
    act(a, "open_meeting", org["sales"], meeting(), now=at(2026, 11, 16))
    t = rows(a, "prep_meeting").get()
    assert t.done_at == at(2026, 11, 16) and t.data.get("missed") and t.done_at > t.due_at
    assert not Notice.objects.filter(record_id=a.pk, sent_at__isnull=True).exists()  # moot once begun
    assert reload(a).status == Status.IN_PROGRESS


def _through_findings(org, cust, audit_type="periodic"):
    a = plan(org, cust=cust, audit_type=audit_type)
    act(a, "open_meeting", org["sales"], meeting(), now=at(2026, 11, 9))
    add_nc(org, a)
    add_nc(org, a, "量具未校准", "quality")
    act(a, "close_meeting", org["sales"], meeting(), now=at(2026, 11, 9, 16))
    act(a, "hand_over", org["sales"], now=at(2026, 11, 10, 10))
    return reload(a)


def test_new_customer_nonconformities_go_to_quality_and_become_8ds(org):
    specialist(org)
    a = _through_findings(org, customer("N001"), audit_type="new_customer")
    assert a.routing == Routing.QUALITY
    step = rows(a, "open_8d").get()
    assert step.department.code == "quality"
    with pytest.raises(Forbidden):
        act(a, "open_8ds", org["production"], now=at(2026, 11, 10, 11))
    act(a, "open_8ds", org["quality"], now=at(2026, 11, 10, 11))
    capas = list(Capa.objects.filter(source_type="audit").order_by("source_key"))
    assert [c.source_key for c in capas] == [f"{a.number}-NC01", f"{a.number}-NC02"]
    assert [c.department.code for c in capas] == ["production", "quality"]
    assert capas[0].customer_id == a.customer_id and capas[0].opened_by == org["quality"]
    assert reload(a).status == Status.FOLLOW_UP


def test_customer_without_a_closed_audit_counts_as_new(org):
    a = _through_findings(org, customer("P001"), audit_type="periodic")
    assert a.routing == Routing.QUALITY


def test_existing_customer_nonconformities_go_to_the_system_specialist(org):
    spec = specialist(org)
    cust = customer("E001")
    earlier = plan(org, cust=cust, start=at(2026, 11, 3), now=at(2026, 11, 2, 8))
    to_findings(org, earlier)
    act(earlier, "hand_over", org["sales"], now=at(2026, 11, 4))  # no nonconformity: closes
    assert reload(earlier).status == Status.CLOSED
    a = _through_findings(org, cust)
    assert a.routing == Routing.SYSTEM_SPECIALIST
    step = rows(a, "open_8d").get()
    assert (step.role, step.assignee) == ("system_specialist", spec)
    with pytest.raises(Forbidden):
        act(a, "open_8ds", org["quality"], now=at(2026, 11, 10, 11))
    act(a, "open_8ds", spec, now=at(2026, 11, 10, 11))
    assert Capa.objects.filter(source_type="audit", opened_by=spec).count() == 2


def _close_capa(org, capa):
    Capa.objects.filter(pk=capa.pk).update(status=CapaStatus.CLOSURE)
    capa.refresh_from_db()
    act(
        capa,
        "close",
        org["quality"],
        {"closure": "已关闭", "recognition": "感谢团队"},
        now=at(2026, 12, 1, 10),
    )


def test_audit_closes_only_when_all_its_8ds_are_closed(org):
    a = _through_findings(org, customer("N002"), audit_type="new_customer")
    act(a, "open_8ds", org["quality"], now=at(2026, 11, 10, 11))
    first, second = Capa.objects.filter(source_type="audit").order_by("source_key")
    _close_capa(org, first)
    with pytest.raises(Conflict) as exc:
        act(reload(a), "confirm_closed", org["quality"], now=at(2026, 12, 1, 11))
    assert "尚有不符合项的 8D 未关闭" in exc.value.detail  # zh-hans, the default language
    assert reload(a).status == Status.FOLLOW_UP
    assert not Notification.objects.filter(kind="audit_8ds_closed").exists()
    _close_capa(org, second)  # the last one: quality is told the audit can move on
    assert Notification.objects.filter(kind="audit_8ds_closed", object_id=a.number).exists()
    act(reload(a), "confirm_closed", org["quality"], now=at(2026, 12, 1, 11))
    a = reload(a)
    assert a.status == Status.REPORT
    act(a, "send_report", org["sales"], now=at(2026, 12, 2, 10))
    a = reload(a)
    assert a.status == Status.CLOSED and a.report_sent_to == "smith@customer.example"
    mail = Notification.objects.get(kind="audit_report")
    assert mail.to == "smith@customer.example" and first.number in mail.body


def test_nonconformity_opened_later_keeps_the_audit_open(org):
    a = _through_findings(org, customer("N003"), audit_type="new_customer")
    add_nc(org, a, "追加: 包装标识错误", "warehouse")
    act(a, "open_8ds", org["quality"], now=at(2026, 11, 10, 11))
    assert services.open_8d_count(reload(a)) == (0, 3)


def test_nonconformity_after_the_findings_is_refused_409(org):
    a = _through_findings(org, customer("N004"), audit_type="new_customer")
    act(a, "open_8ds", org["quality"], now=at(2026, 11, 10, 11))
    with pytest.raises(Conflict):
        add_nc(org, reload(a))


def test_cancel_closes_the_open_tasks(org):
    a = plan(org, cust=customer("K003", key=True), start=at(2026, 11, 16))
    act(a, "cancel", org["salesmgr"], {"note": "客户取消"}, now=MONDAY)
    assert not rows(a, "prep_meeting").filter(done_at__isnull=True).exists()
    assert reload(a).status == Status.CANCELLED
    assert not Inquiry.objects.filter(record_type="audit", record_id=a.pk).exists()


def test_a_preparation_meeting_never_held_draws_a_lateness_inquiry_at_the_end(org):
    a = plan(org, cust=customer("K004", key=True), start=at(2026, 11, 16))
    a = to_findings(org, a, now=at(2026, 11, 16))
    act(a, "hand_over", org["sales"], now=at(2026, 11, 17))  # no nonconformity: closed
    assert reload(a).status == Status.CLOSED
    late = set(
        Inquiry.objects.filter(record_type="audit", record_id=a.pk).values_list("step__code", flat=True)
    )
    assert late == {"prep_meeting"}


def test_without_a_system_specialist_quality_opens_an_existing_customers_8ds(org):
    cust = customer("E002")
    earlier = plan(org, cust=cust, start=at(2026, 11, 3), now=at(2026, 11, 2, 8))
    to_findings(org, earlier)
    act(earlier, "hand_over", org["sales"], now=at(2026, 11, 4))
    a = _through_findings(org, cust)
    assert a.routing == Routing.SYSTEM_SPECIALIST
    assert rows(a, "open_8d").get().department.code == "quality"
    act(a, "open_8ds", org["quality"], now=at(2026, 11, 10, 11))
    assert reload(a).status == Status.FOLLOW_UP

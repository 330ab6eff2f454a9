"""HSF cycles (000 HSF 5.1-5.2, R12.2): the December and half-yearly openings on China's time, the
approval chain sales -> quality -> HSPM representative, reminders through the engine's sweep."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from kefu.core.errors import Conflict, Forbidden, Invalid
from kefu.core.models import Setting
from kefu.flow import sweep
from kefu.flow.models import Reminder, Step
from kefu.requirements import services
from kefu.requirements.models import CycleKind, CycleStatus, HsfCycle, Law, SubstanceLimit

from .factory import LIMITS, TZ, act, customer, hspm, open_rows, with_limits

pytestmark = pytest.mark.django_db


def annual():
    return HsfCycle.objects.filter(kind=CycleKind.ANNUAL)


def test_december_collection_opens_on_dec_1_shanghai_not_on_nov_30(org):
    c, _ = with_limits(org)
    customer("C002")  # no limits on record: not an HSF customer, no cycle
    # 2026-11-30 23:59 in Shanghai is 15:59 UTC: still November there.
    assert services.open_due_cycles(dt.datetime(2026, 11, 30, 15, 59, tzinfo=dt.UTC))["annual"] == 0
    assert not annual().exists()
    # 2026-12-01 00:00 in Shanghai is 16:00 UTC on Nov 30: December there.
    opened = services.open_due_cycles(dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC))
    assert opened["annual"] == 1
    cycle = annual().get()
    assert (cycle.customer, cycle.period, cycle.due_by) == (c, "2026", dt.date(2026, 12, 31))
    step = open_rows("hsf", cycle).get()
    assert (step.code, step.department.code) == ("collect", "sales")
    assert step.due_at == dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=TZ)  # end of December


def test_two_runs_open_one_cycle_per_customer_and_period(org):
    with_limits(org, "C001")
    with_limits(org, "C002")
    first = services.open_due_cycles(dt.datetime(2026, 12, 1, 0, 5, tzinfo=TZ))
    again = services.open_due_cycles(dt.datetime(2026, 12, 1, 0, 10, tzinfo=TZ))
    later = services.open_due_cycles(dt.datetime(2026, 12, 15, 9, 0, tzinfo=TZ))
    assert (first["annual"], again["annual"], later["annual"]) == (2, 0, 0)
    assert annual().count() == 2
    assert Step.objects.filter(record_type="hsf", code="collect", done_at__isnull=True).count() == 2
    # the next December opens the next year's
    assert services.open_due_cycles(dt.datetime(2027, 12, 1, 8, 0, tzinfo=TZ))["annual"] == 2


def test_the_unique_constraint_refuses_a_second_cycle_of_the_same_period(org):
    c, _ = with_limits(org)
    now = dt.datetime(2026, 12, 1, 8, 0, tzinfo=TZ)
    assert services._new_cycle(CycleKind.ANNUAL, customer=c, period="2026", now=now) is not None
    # a concurrent run that did not see the first one: the constraint says no, nothing half-written
    assert services._new_cycle(CycleKind.ANNUAL, customer=c, period="2026", now=now) is None
    assert annual().count() == 1
    assert Step.objects.filter(record_type="hsf", code="collect", done_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("local", "laws"),
    [
        (dt.datetime(2027, 1, 1, 0, 0), 1),  # Jan 1: first half
        (dt.datetime(2026, 12, 31, 23, 59), 0),
        (dt.datetime(2027, 3, 15, 9, 0), 0),  # between
        (dt.datetime(2027, 6, 30, 23, 59), 0),
        (dt.datetime(2027, 7, 1, 0, 0), 1),  # Jul 1: second half
        (dt.datetime(2027, 10, 1, 9, 0), 0),
    ],
)
def test_law_collection_opens_on_jan_1_and_jul_1_not_between(org, local, laws):
    opened = services.open_due_cycles(local.replace(tzinfo=TZ))
    assert opened["laws"] == laws
    if laws:
        cycle = HsfCycle.objects.get(kind=CycleKind.LAWS)
        assert cycle.period == f"{local.year}H{1 if local.month == 1 else 2}"
        assert cycle.due_by == local.date() + dt.timedelta(days=30)
        assert open_rows("hsf", cycle).get().department.code == "quality"


def test_law_collection_once_per_half_year(org):
    services.open_due_cycles(dt.datetime(2027, 1, 1, 0, 5, tzinfo=TZ))
    services.open_due_cycles(dt.datetime(2027, 1, 20, 0, 5, tzinfo=TZ))
    services.open_due_cycles(dt.datetime(2027, 7, 1, 0, 5, tzinfo=TZ))
    assert sorted(HsfCycle.objects.filter(kind=CycleKind.LAWS).values_list("period", flat=True)) == [
        "2027H1", "2027H2",
    ]  # fmt: skip


def test_the_months_are_settings(org):
    Setting.objects.create(key="hsf.laws_months", value="4,10")
    Setting.objects.create(key="hsf.evaluation_months", value="6")
    assert services.open_due_cycles(dt.datetime(2027, 1, 1, 9, 0, tzinfo=TZ))["laws"] == 0
    assert services.open_due_cycles(dt.datetime(2027, 4, 1, 9, 0, tzinfo=TZ))["laws"] == 1
    assert services.open_due_cycles(dt.datetime(2027, 6, 1, 9, 0, tzinfo=TZ))["evaluation"] == 1


def test_yearly_compliance_evaluation_opens_in_january(org):
    opened = services.open_due_cycles(dt.datetime(2027, 1, 1, 0, 5, tzinfo=TZ))
    assert opened["evaluation"] == 1
    assert services.open_due_cycles(dt.datetime(2027, 2, 1, 0, 5, tzinfo=TZ))["evaluation"] == 0


def test_overdue_december_collection_gets_reminders_through_the_sweep(org):
    with_limits(org)
    services.open_due_cycles(dt.datetime(2026, 12, 1, 0, 5, tzinfo=TZ))
    cycle = annual().get()
    step = open_rows("hsf", cycle).get()
    # the last day of December: not yet overdue, no reminder
    sweep.sweep(dt.datetime(2026, 12, 31, 18, 0, tzinfo=TZ))
    assert not Reminder.objects.filter(record_type="hsf").exists()
    # the first working day of January: a reminder notice (催办单) to sales
    sweep.sweep(dt.datetime(2027, 1, 4, 10, 0, tzinfo=TZ))
    notice = Reminder.objects.get(record_type="hsf", step=step)
    assert (notice.level, notice.department.code) == (0, "sales")
    sweep.sweep(dt.datetime(2027, 1, 4, 10, 5, tzinfo=TZ))  # run again: no second notice
    assert Reminder.objects.filter(record_type="hsf", step=step, level=0).count() == 1


def test_overdue_law_collection_reminds_quality(org):
    services.open_due_cycles(dt.datetime(2027, 7, 1, 0, 5, tzinfo=TZ))
    cycle = HsfCycle.objects.get(kind=CycleKind.LAWS)
    sweep.sweep(dt.datetime(2027, 7, 31, 23, 0, tzinfo=TZ))  # due 07-31 23:59:59
    assert not Reminder.objects.filter(record_type="hsf").exists()
    sweep.sweep(dt.datetime(2027, 8, 2, 10, 0, tzinfo=TZ))
    assert Reminder.objects.get(record_type="hsf", record_id=cycle.pk).department.code == "quality"


def test_approval_chain_sales_quality_hspm(org):
    c = customer("C001", owner=org["sales"])
    now = dt.datetime(2026, 12, 3, 10, 0, tzinfo=TZ)
    cycle = services.open_change_cycle(c, by=org["sales"], reason="客户更新卤素限值", now=now)
    assert cycle.kind == CycleKind.CHANGE and cycle.due_by is None
    step = open_rows("hsf", cycle).get()
    assert step.due_at == dt.datetime(2026, 12, 17, 23, 59, 59, tzinfo=TZ)  # 10 working days, end of day
    # quality may not collect the customer's limits (sales does): 403
    with pytest.raises(Forbidden):
        act(cycle, "collect", org["quality"], {"limits": LIMITS}, now=now)
    # identify before the collection: 409
    with pytest.raises(Conflict):
        act(cycle, "identify", org["quality"], now=now)
    act(cycle, "collect", org["sales"], {"limits": LIMITS}, now=now)
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.IDENTIFY
    with pytest.raises(Forbidden):  # sales may not identify
        act(cycle, "identify", org["sales"], now=now)
    act(cycle, "identify", org["quality"], now=now)
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.APPROVAL
    assert open_rows("hsf", cycle).get().role == "hspm_rep"
    for wrong in ("quality", "qualitymgr", "mrep"):  # not the HSPM representative: 403
        with pytest.raises(Forbidden):
            act(cycle, "approve", org[wrong], now=now)
    assert not SubstanceLimit.objects.filter(current=True).exists()
    act(cycle, "approve", hspm(org), now=now)
    cycle.refresh_from_db()
    assert (cycle.status, cycle.approved_by) == (CycleStatus.APPROVED, org["hspm"])
    assert SubstanceLimit.objects.filter(customer=c, current=True).count() == 3
    with pytest.raises(Conflict):  # approved: nothing more to approve
        act(cycle, "approve", org["hspm"], now=now)


def test_a_new_approval_supersedes_the_customers_limits(org):
    c, first = with_limits(org)
    cycle = services.open_change_cycle(c, by=org["sales"], reason="铅限值收紧")
    act(cycle, "collect", org["sales"], {"limits": "rohs | 铅 Pb | 500 | ppm | 客户通知 2026-12"})
    act(cycle, "identify", org["quality"])
    act(cycle, "approve", hspm(org))
    current = SubstanceLimit.objects.get(customer=c, current=True)
    assert (current.substance, str(current.limit), current.cycle_id) == ("铅 Pb", "500.0000", cycle.pk)


def test_quality_sends_back_and_hspm_returns(org):
    c = customer("C001")
    cycle = services.open_change_cycle(c, by=org["sales"], reason="变更")
    act(cycle, "collect", org["sales"], {"limits": LIMITS})
    act(cycle, "send_back", org["quality"], {"note": "缺少来源文件"})
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.COLLECT
    act(cycle, "collect", org["sales"], {"limits": LIMITS[:1]})
    act(cycle, "identify", org["quality"])
    act(cycle, "return", hspm(org), {"note": "单位核对"})
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.IDENTIFY
    assert SubstanceLimit.objects.filter(cycle=cycle).count() == 1


def test_collect_refuses_empty_limits_naming_the_field(org):
    cycle = services.open_change_cycle(customer("C001"), by=org["sales"], reason="变更")
    with pytest.raises(Invalid) as e:
        act(cycle, "collect", org["sales"], {"limits": []})
    assert e.value.field == "limits"
    with pytest.raises(Invalid) as e:
        act(cycle, "collect", org["sales"], {"limits": [{**LIMITS[0], "limit": "-1"}]})
    assert "limits" in (e.value.field or "")


def test_law_collection_goes_to_hspm_and_becomes_current(org):
    services.open_due_cycles(dt.datetime(2027, 1, 1, 0, 5, tzinfo=TZ))
    cycle = HsfCycle.objects.get(kind=CycleKind.LAWS)
    laws = [
        {"regime": "rohs", "title": "RoHS 指令", "version": "(EU) 2015/863", "issued_on": "2015-06-04"},
        {"regime": "reach", "title": "REACH SVHC 清单", "version": "第 32 批", "issued_on": "2024-12-01"},
    ]
    with pytest.raises(Forbidden):
        act(cycle, "collect", org["sales"], {"laws": laws})
    act(cycle, "collect", org["quality"], {"laws": laws})
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.APPROVAL  # quality collected and identified them itself
    act(cycle, "approve", hspm(org))
    assert Law.objects.filter(current=True).count() == 2


def test_evaluation_needs_result_and_verdict(org):
    services.open_due_cycles(dt.datetime(2027, 1, 1, 0, 5, tzinfo=TZ))
    cycle = HsfCycle.objects.get(kind=CycleKind.EVALUATION)
    with pytest.raises(Invalid) as e:
        act(cycle, "collect", org["quality"], {"result": "全部符合"})
    assert e.value.field == "compliant"
    act(cycle, "collect", org["quality"], {"result": "全部符合", "compliant": True})
    act(cycle, "approve", hspm(org))
    cycle.refresh_from_db()
    assert (cycle.compliant, cycle.status) == (True, CycleStatus.APPROVED)


def test_change_cycle_needs_a_reason_and_sales(org):
    with pytest.raises(Invalid) as e:
        services.open_change_cycle(customer("C001"), by=org["sales"], reason=" ")
    assert e.value.field == "reason"
    with pytest.raises(Forbidden):
        services.open_change_cycle(customer("C001"), by=org["warehouse"], reason="x")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_open_one_cycle(org):
    with_limits(org)
    now = dt.datetime(2026, 12, 1, 0, 5, tzinfo=TZ)
    results, barrier = [], threading.Barrier(2)

    def run():
        barrier.wait()
        try:
            results.append(services.open_due_cycles(now)["annual"])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1]
    assert annual().count() == 1

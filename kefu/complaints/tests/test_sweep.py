"""The sweep: reminder notices (催办单), escalation, idempotence, concurrency; lateness inquiries (治办单)."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from kefu.complaints.services import take_action
from kefu.complaints.tests.workflow_factory import MONDAY, TZ, complaint, steps
from kefu.core.models import Notification
from kefu.core.org import department
from kefu.flow.models import Inquiry, Reminder, Step
from kefu.flow.sweep import sweep


def at(m, d, h=9):
    return dt.datetime(2026, m, d, h, 0, tzinfo=TZ)


# A complaint registered Monday 11-02: the GM office's "assign" is due Tuesday 11-03 23:59:59.


def levels(c):
    return sorted(Reminder.objects.filter(record_id=c.pk, step__kind="step").values_list("level", flat=True))


def test_nothing_before_the_deadline(org):
    c = complaint(org)
    assert sweep(at(11, 3, 23)).issued == []
    assert levels(c) == []


def test_reminder_then_manager_then_gm_at_plus_one_and_two_working_days(org):
    c = complaint(org)
    r = sweep(at(11, 4))
    assert r.issued == [(steps(c).get().id, 0, department("gm_office").pk)]
    to = set(Notification.objects.filter(kind="reminder_l0").values_list("to", flat=True))
    assert to == {"gm@example.com", "dgm@example.com", "gmoffice@example.com"}

    assert sweep(at(11, 4, 23)).issued == []  # still within the first extra working day
    r = sweep(at(11, 5))
    assert [n.level for n in r.issued] == [1]
    to = set(Notification.objects.filter(kind="reminder_l1").values_list("to", flat=True))
    assert to == {"gm@example.com", "dgm@example.com"}  # the GM office's managers

    r = sweep(at(11, 6))
    assert [n.level for n in r.issued] == [2]
    assert set(Notification.objects.filter(kind="reminder_l2").values_list("to", flat=True)) == {
        "gm@example.com"
    }
    assert levels(c) == [0, 1, 2]


def test_escalation_skips_the_weekend(org):
    c = complaint(org, now=at(11, 5))  # Thursday: due Friday 11-06
    sweep(at(11, 7))  # Saturday
    assert levels(c) == [0]
    sweep(at(11, 8, 20))  # Sunday: no working day has passed since the deadline
    assert levels(c) == [0]
    sweep(at(11, 10))  # Tuesday: Monday has passed
    assert levels(c) == [0, 1]


def test_running_twice_at_the_same_now_issues_nothing_the_second_time(org):
    complaint(org)
    complaint(org)
    out = io.StringIO()
    call_command("sweep", now="2026-11-06T09:00+08:00", stdout=out)
    assert "issued 2 notice(s) (department 2, manager 0, GM 0)" in out.getvalue()
    mails = Notification.objects.count()
    out = io.StringIO()
    call_command("sweep", now="2026-11-06T09:00+08:00", stdout=out)
    assert "issued 0 notice(s)" in out.getvalue()
    assert Reminder.objects.count() == 2 and Notification.objects.count() == mails


def test_a_bad_now_is_refused(org):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("sweep", now="tomorrow")


def test_done_steps_get_no_reminder(org):
    c = complaint(org)
    take_action(c.number, "assign", by=org["gmoffice"], now=at(11, 3))
    r = sweep(at(11, 4))
    assert r.issued == []  # investigation is due 11-06


def test_only_overdue_steps_in_one_indexed_query(org, django_assert_num_queries):
    """The query count does not depend on the number of overdue steps (STYLE 8)."""
    for _ in range(3):
        complaint(org)
    with django_assert_num_queries(QUERIES):
        assert len(sweep(at(11, 4)).issued) == 3
    for _ in range(12):
        complaint(org)
    with django_assert_num_queries(QUERIES):
        assert len(sweep(at(11, 5)).issued) == 12 + 3  # the 12 new ones at level 0, the 3 older at level 1
    with django_assert_num_queries(QUERIES_NOTHING_NEW):
        assert sweep(at(11, 5)).issued == []


def test_batches_cover_every_overdue_step_once_across_equal_due_times(org):
    """Batches continue after the (due_at, id) the previous one ended at: steps due at the same
    moment straddle batch boundaries and each still gets its notice once."""
    made = [complaint(org) for _ in range(5)]  # registered together: the same due time
    first = sweep(at(11, 4), batch=2)
    assert len(first.issued) == 5 and len({n.step_id for n in first.issued}) == 5
    assert {n.step_id for n in first.issued} == {
        s.pk for c in made for s in steps(c) if s.done_at is None and s.kind == "step"
    }
    assert sweep(at(11, 4), batch=2).issued == []


# (settings and calendar: cached per process since the complaints were registered)
# count overdue, savepoint, read the overdue steps, insert the notices they lack, members,
# the steps mailed about, their records' titles (one query per record type), insert mails, release
QUERIES = 9
# count overdue, savepoint, read the overdue steps, insert the notices they lack (none), release
QUERIES_NOTHING_NEW = 5
# count overdue, savepoint, read the steps, insert their notices, members (none with an address), release
QUERIES_NOBODY_MAILED = 6


# --- what one run issues: levels decided in SQL, mail only for the notices written ------------


def test_a_backlog_gets_its_department_reminders_first_then_one_level_a_working_day(org):
    """A step already past all three thresholds when the sweep first sees it (after an outage, or
    cases imported late) is reminded at level 0; the manager and the GM follow on the next working
    days if it is still open, not all at once."""
    c = complaint(org)
    step = steps(c).get()
    gm_office = department("gm_office").pk
    friday = at(11, 6)  # two working days after the deadline (11-03): manager and GM thresholds passed
    r = sweep(friday)
    assert r.issued == [(step.id, 0, gm_office)]
    assert sweep(at(11, 6, 17)).issued == []  # not twice the same working day
    assert sweep(at(11, 7)).issued == sweep(at(11, 8, 20)).issued == []  # the weekend
    monday = at(11, 9)
    assert sweep(monday).issued == [(step.id, 1, gm_office)]
    tuesday = at(11, 10)
    assert sweep(tuesday).issued == [(step.id, 2, gm_office)]
    assert sweep(at(11, 11)).issued == []
    written = Reminder.objects.filter(step=step).order_by("level")
    assert [(n.level, n.record_id, n.department_id, n.step_due_at, n.issued_at) for n in written] == [
        (0, c.pk, gm_office, step.due_at, friday),
        (1, c.pk, gm_office, step.due_at, monday),
        (2, c.pk, gm_office, step.due_at, tuesday),
    ]
    kinds = set(Notification.objects.filter(object_id=c.number).values_list("kind", flat=True))
    assert kinds == {"reminder_l0", "reminder_l1", "reminder_l2"}


def test_a_step_with_level_0_issued_gets_1_then_2_the_next_working_day(org):
    c = complaint(org)
    step = steps(c).get()
    earlier = Reminder.objects.create(
        step=step,
        record_type="complaint",
        record_id=c.pk,
        department=step.department,
        level=0,
        step_due_at=step.due_at,
        issued_at=at(11, 4),
    )
    r = sweep(at(11, 6))
    assert [(n.step_id, n.level) for n in r.issued] == [(step.id, 1)]
    assert r.by_level() == {0: 0, 1: 1, 2: 0}
    assert sweep(at(11, 7)).issued == []  # Saturday
    assert [(n.step_id, n.level) for n in sweep(at(11, 9)).issued] == [(step.id, 2)]
    assert Reminder.objects.get(level=0).issued_at == earlier.issued_at
    assert levels(c) == [0, 1, 2]
    assert not Notification.objects.filter(kind="reminder_l0").exists()


def test_each_level_once_across_runs_and_the_counts_by_level(org):
    a = complaint(org)  # assign due Tuesday 11-03
    b = complaint(org, now=at(11, 5))  # Thursday: assign due Friday 11-06
    c = complaint(org)
    # assigned on time: its investigation (quality) is due 11-06
    take_action(c.number, "assign", by=org["gmoffice"], now=at(11, 3))
    out = io.StringIO()
    call_command("sweep", now="2026-11-05T09:00+08:00", stdout=out)
    # a only, and only its department: its manager's threshold has passed, but it first sees it now
    assert "issued 1 notice(s) (department 1, manager 0, GM 0)" in out.getvalue()
    r = sweep(at(11, 10))  # Tuesday: a its manager; b and the investigation their department
    assert r.by_level() == {0: 2, 1: 1, 2: 0} and len(r.issued) == 3
    assert sweep(at(11, 10)).issued == []
    r = sweep(at(11, 11))  # a its GM; b and the investigation their managers (Monday has passed)
    assert r.by_level() == {0: 0, 1: 2, 2: 1}
    r = sweep(at(11, 12))
    assert r.by_level() == {0: 0, 1: 0, 2: 2}
    pairs = list(Reminder.objects.values_list("step_id", "level"))
    assert len(pairs) == len(set(pairs)) == 9
    assert levels(a) == levels(b) == levels(c) == [0, 1, 2]
    assert set(Reminder.objects.filter(record_id=c.pk).values_list("department__code", flat=True)) == {
        "quality"
    }


def test_mail_only_for_the_notices_written_and_members_with_an_address(org):
    a = complaint(org)
    sweep(at(11, 4))  # a: level 0 to the GM office
    org["gmoffice"].email = ""
    org["gmoffice"].save(update_fields=["email"])
    b = complaint(org)  # also due 11-03
    c = complaint(org)
    # assigned on time: its investigation (quality) is due 11-06
    take_action(c.number, "assign", by=org["gmoffice"], now=at(11, 3))
    r = sweep(at(11, 5))
    step_a, step_b = steps(a).get().id, steps(b).get().id
    assert [(n.step_id, n.level) for n in r.issued] == [(step_a, 1), (step_b, 0)]

    def to(number, kind):
        return set(Notification.objects.filter(object_id=number, kind=kind).values_list("to", flat=True))

    assert to(a.number, "reminder_l0") == {"gm@example.com", "dgm@example.com", "gmoffice@example.com"}
    assert to(b.number, "reminder_l0") == {"gm@example.com", "dgm@example.com"}  # the clerk has no address
    assert to(a.number, "reminder_l1") == {"gm@example.com", "dgm@example.com"}
    assert not Notification.objects.filter(object_id=c.number, kind__startswith="reminder_").exists()
    assert r.notifications == 4 == Notification.objects.filter(kind__startswith="reminder_").count() - 3
    mail = Notification.objects.get(object_id=b.number, kind="reminder_l0", to="gm@example.com")
    assert b.number in mail.subject
    assert mail.body.startswith(b.title) and "2026-11-03 23:59" in mail.body

    r = sweep(at(11, 10))  # the investigation: 0 to quality; a: GM; b: its manager
    quality = {(n.step_id, n.level) for n in r.issued if n.department_id == department("quality").pk}
    investigation = steps(c).get(code="investigation").id
    assert quality == {(investigation, 0)}
    assert to(c.number, "reminder_l0") == {"quality@example.com", "qualitymgr@example.com"}
    assert to(b.number, "reminder_l1") == {"gm@example.com", "dgm@example.com"}
    assert to(a.number, "reminder_l2") == {"gm@example.com"}
    sweep(at(11, 11))  # the investigation: its manager; b: GM
    assert to(c.number, "reminder_l1") == {"qualitymgr@example.com"}
    assert to(b.number, "reminder_l2") == {"gm@example.com"}


def test_no_mail_is_built_when_nobody_has_an_address(org, monkeypatch, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    from kefu.core import outbox

    complaint(org)
    get_user_model().objects.update(email="")
    monkeypatch.setattr(outbox, "build", lambda **kw: pytest.fail("mail built for nobody"))
    with django_assert_num_queries(QUERIES_NOBODY_MAILED):
        r = sweep(at(11, 6))
    assert r.by_level() == {0: 1, 1: 0, 2: 0} and r.notifications == 0
    assert not Notification.objects.exists()


def test_a_database_without_insert_returning_gets_the_same_notices(org, monkeypatch):
    from django.contrib.auth import get_user_model

    c = complaint(org)
    # No mail: the ORM's own bulk insert of the outbox rows is not what is tested here.
    get_user_model().objects.update(email="")
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    step = steps(c).get()
    issued = [(n.step_id, n.level) for now in (at(11, 4), at(11, 5), at(11, 6)) for n in sweep(now).issued]
    assert issued == [(step.id, 0), (step.id, 1), (step.id, 2)]
    assert levels(c) == [0, 1, 2]
    assert sweep(at(11, 6)).issued == []
    assert Reminder.objects.count() == 3


def test_the_overdue_query_uses_the_partial_index(org):
    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    complaint(org)
    qs = Step.objects.filter(done_at__isnull=True, due_at__lt=at(11, 4)).order_by("due_at", "id")
    assert "flow_step_open_due_idx" in qs.explain()


def test_lateness_inquiries_on_closing_only_for_late_steps(org):
    """002 篇4 第十四条: after closing, each step finished late gets an inquiry to its department."""
    c = complaint(org)  # assign due 11-03
    n = c.number
    take_action(n, "assign", by=org["gmoffice"], now=at(11, 3))  # on time; investigation due 11-06
    take_action(n, "submit_investigation", by=org["quality"], now=at(11, 10), payload={
        "cause": "burr", "valid": True, "responsible_department": "production"})  # fmt: skip  # late by 2
    take_action(n, "submit_countermeasure", by=org["production"], now=at(11, 10, 15),
                    payload={"analysis": "die", "action": "replace"})  # fmt: skip
    take_action(n, "submit_proposal", by=org["sales"], now=at(11, 11),
                    payload={"handling": "exchange", "loss_amount": "100"})  # fmt: skip
    assert not Inquiry.objects.exists()  # not before closing
    take_action(n, "submit_synthesis", by=org["gmoffice"], now=at(11, 16), payload={"opinion": "ok"})  # late
    take_action(n, "approve", by=org["salesmgr"], now=at(11, 16, 11))
    take_action(n, "record_reply", by=org["sales"], now=at(11, 16, 15),
                    payload={"letter": "ok", "customer_accepts": True})  # fmt: skip
    inquiries = {i.step.code: i for i in Inquiry.objects.select_related("step", "department")}
    assert set(inquiries) == {"investigation", "synthesis"}
    assert inquiries["investigation"].department.code == "quality"
    assert inquiries["investigation"].late_workdays == 2  # 11-09, 11-10
    assert inquiries["synthesis"].department.code == "gm_office"
    assert inquiries["synthesis"].late_workdays == 2  # due 11-12: 11-13, 11-16
    assert Notification.objects.filter(kind="lateness_inquiry", to="qualitymgr@example.com").exists()


def test_not_established_cases_get_inquiries_too(org):
    c = complaint(org)
    take_action(c.number, "assign", by=org["gmoffice"], now=at(11, 5))  # late (due 11-03)
    take_action(c.number, "submit_investigation", by=org["quality"], now=at(11, 5, 12),
                    payload={"cause": "misuse", "valid": False})  # fmt: skip
    assert [i.step.code for i in Inquiry.objects.all()] == ["assign"]


# --- two sweeps at once on PostgreSQL --------------------------------------------------------


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_issue_each_notice_once(org):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's; SQLite serialises them")
    from django.db import close_old_connections

    for _ in range(40):
        complaint(org, now=MONDAY)

    def race(now) -> list:
        barrier = threading.Barrier(4)
        results, errors = [], []

        def run():
            try:
                barrier.wait()
                results.append(sweep(now, batch=7))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        return [n for r in results for n in r.issued]

    for now, level, recipients in ((at(11, 6), 0, 3), (at(11, 9), 1, 2), (at(11, 10), 2, 1)):
        issued = race(now)  # 40 steps, each at this level once, whichever sweep wrote it
        assert sorted(n.level for n in issued) == [level] * 40
        assert len({n.step_id for n in issued}) == 40
        assert Reminder.objects.filter(level=level).count() == 40
        # one mail per notice and recipient: the GM office's 3 members, its 2 managers, the GM
        assert Notification.objects.filter(kind=f"reminder_l{level}").count() == 40 * recipients
    assert Reminder.objects.count() == 120


def test_notices_follow_their_step_without_a_database_constraint(org):
    """The notice's step and department have no foreign-key constraint in the database (the sweep
    copies both from the step it reads); Django still deletes a step's notices with it and refuses
    to delete a department that has notices."""
    from django.db.models import ProtectedError

    c = complaint(org)
    sweep(at(11, 4))
    step = steps(c).get()
    assert Reminder.objects.filter(step=step).count() == 1
    with pytest.raises(ProtectedError) as refused:
        department("gm_office").delete()
    assert any(isinstance(o, Reminder) for o in refused.value.protected_objects)
    step.delete()
    assert not Reminder.objects.filter(step_id=step.pk).exists()

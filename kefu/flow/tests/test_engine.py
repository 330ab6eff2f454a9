"""A second record type gets the whole engine with no code of its own (issue 12).

The sample record type (``kefu/flow/tests/sample``: a ticket answered within 24 clock hours by
quality, then confirmed by a quality manager within 2 working days, the whole case within 5
calendar days) exists only in the test settings. These tests show that it gets steps with due
times on its clocks, reminder notices with escalation from the one sweep, lateness inquiries, the
work list, the badge and the customer scope.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.core.errors import Conflict, Forbidden, Invalid
from kefu.core.models import AuditEvent, Notification
from kefu.customers.models import Customer, CustomerAccessLog
from kefu.flow import engine, registry, selectors
from kefu.flow.models import Inquiry, Reminder, Step
from kefu.flow.sweep import sweep
from kefu.flow.tests.sample.models import Ticket

from .test_clocks import TZ, at


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def customers(org):
    return {
        "mine": Customer.objects.create(code="T-S1", name="客户 T-S1", owner=org["sales"]),
        "theirs": Customer.objects.create(code="T-S2", name="客户 T-S2", owner=org["sales2"]),
    }


def ticket(org, customer, *, now=None, number="T-0001", deadline=None) -> Ticket:
    record = Ticket(number=number, title="漏装垫片", customer=customer, customer_deadline=deadline)
    engine.open_record(registry.get("ticket"), record, by=org["sales"], now=now or at(2026, 11, 6, 16))
    return record


def rows(t: Ticket) -> list[Step]:
    return list(Step.objects.filter(record_type="ticket", record_id=t.pk).order_by("id"))


def test_a_new_record_gets_its_case_deadline_and_first_step_on_their_clocks(org, customers):
    t = ticket(org, customers["mine"])  # Friday 16:00
    case, answer = rows(t)
    assert (case.kind, case.code, case.department.code) == ("case", "case", "quality")
    assert case.due_at == dt.datetime(2026, 11, 11, 23, 59, 59, tzinfo=TZ)  # 5 calendar days
    assert (answer.code, answer.unit, answer.allowed) == ("answer", "hours", 24)
    assert answer.due_at == at(2026, 11, 7, 16)  # 24 clock hours: into the weekend
    assert answer.customer_id == customers["mine"].pk and answer.record_key == "T-0001"
    t.refresh_from_db()
    assert t.due_at == answer.due_at and t.case_due_at == case.due_at
    assert AuditEvent.objects.filter(object_type="ticket", object_id="T-0001", action="open").exists()


def test_a_customer_set_deadline_overrides_the_computed_ones(org, customers):
    deadline = at(2026, 11, 9, 12)
    t = ticket(org, customers["mine"], deadline=deadline)
    case, answer = rows(t)
    assert case.due_at == deadline and answer.due_at == deadline  # the answer step takes the customer's
    engine.perform(t, "answer", by=org["quality"], data={"answer": "补发垫片"}, now=at(2026, 11, 7, 9))
    confirm = rows(t)[-1]
    assert confirm.due_at == dt.datetime(2026, 11, 10, 23, 59, 59, tzinfo=TZ)  # not customer-bound


def test_actions_move_the_record_close_and_open_steps_and_return_what_the_page_shows(org, customers):
    t = ticket(org, customers["mine"])
    result = engine.perform(
        t, "answer", by=org["quality"], data={"answer": "补发垫片"}, now=at(2026, 11, 7, 9)
    )
    assert (result.from_state, result.to_state) == ("new", "answered")
    assert result.record.answer == "补发垫片"
    answer, confirm = result.steps[1], result.steps[2]
    assert answer.done_by == org["quality"] and answer.data == {"answer": "补发垫片"}
    assert (confirm.code, confirm.role, confirm.unit) == ("confirm", "manager", "workdays")
    assert confirm.due_at == dt.datetime(2026, 11, 10, 23, 59, 59, tzinfo=TZ)  # Sat + 2 working days
    assert result.new_step is confirm and result.open_step is confirm
    assert result.allowed == ["object"]  # a clerk may not confirm
    # Only a quality manager confirms (the step's role); the refusal says why and is logged.
    with pytest.raises(Forbidden) as refused:
        engine.perform(t, "confirm", by=org["quality"], now=at(2026, 11, 9, 9))
    assert refused.value.detail.endswith("your role in Quality is Clerk; this needs Manager or above")
    assert CustomerAccessLog.objects.filter(user=org["quality"], action="denied").count() == 1
    with pytest.raises(Conflict) as conflict:
        engine.perform(t, "answer", by=org["quality"], data={"answer": "x"})
    assert conflict.value.extra["allowed"] == ["confirm", "object", "rule_memo"]
    with pytest.raises(Invalid) as invalid:
        engine.perform(t, "object", by=org["quality"], data={"memo": ""})
    assert invalid.value.field == "memo"
    done = engine.perform(t, "confirm", by=org["qualitymgr"], now=at(2026, 11, 9, 9))
    assert done.to_state == "done" and done.record.closed_at == at(2026, 11, 9, 9)
    assert done.record.due_at is None and done.allowed == []
    assert all(s.done_at is not None for s in rows(t))  # the case deadline closed with it
    assert [e.action for e in AuditEvent.objects.filter(object_id="T-0001")] == ["open", "answer", "confirm"]


def test_one_action_runs_a_fixed_number_of_queries(org, customers, django_assert_num_queries):
    t = ticket(org, customers["mine"])
    engine.perform(t, "object", by=org["quality"], data={"memo": "warm up the caches"})
    # savepoint, lock the record, its steps, close the step, open the next, save the record,
    # the audit row, the members to mail, their notifications, release
    with django_assert_num_queries(10):
        engine.perform(t, "answer", by=org["quality"], data={"answer": "ok"}, now=at(2026, 11, 7, 9))


def test_the_one_sweep_reminds_escalates_and_asks_about_lateness_on_the_records_clocks(org, customers):
    t = ticket(org, customers["mine"])  # answer due Saturday 11-07 16:00
    assert sweep(at(2026, 11, 7, 15)).issued == []
    first = sweep(at(2026, 11, 7, 17))
    assert [(n.level, n.step_id) for n in first.issued] == [(0, rows(t)[1].pk)]
    # Level 0 goes to whoever must act: the quality members who hold the step's role (clerks and up).
    assert set(Notification.objects.filter(kind="reminder_l0").values_list("to", flat=True)) == {
        "quality@example.com",
        "qualitymgr@example.com",
    }
    assert sweep(at(2026, 11, 9, 9)).issued == []  # Monday is not over yet
    assert [n.level for n in sweep(at(2026, 11, 10, 9)).issued] == [1]  # one more working day passed
    assert set(Notification.objects.filter(kind="reminder_l1").values_list("to", flat=True)) == {
        "qualitymgr@example.com"
    }
    # The case deadline (11-11 end of day) is reminded like a step.
    late = sweep(at(2026, 11, 12, 9))
    assert sorted((s.level, Step.objects.get(pk=s.step_id).code) for s in late.issued) == [
        (0, "case"),
        (2, "answer"),
    ]
    engine.perform(t, "answer", by=org["quality"], data={"answer": "补发"}, now=at(2026, 11, 12, 10))
    engine.perform(t, "confirm", by=org["qualitymgr"], now=at(2026, 11, 12, 11))
    inquiries = {i.step.code: i.late_workdays for i in Inquiry.objects.filter(record_type="ticket")}
    assert inquiries == {"answer": 4, "case": 1}  # Mon 9, Tue 10, Wed 11, Thu 12 after Sat 7; 11 -> 12
    assert Reminder.objects.filter(record_type="ticket").count() == 4


def test_an_assigned_step_reminds_its_assignee_only(org, customers):
    t = ticket(org, customers["mine"])
    Step.objects.filter(record_id=t.pk, code="answer").update(assignee=org["qualitymgr"])
    sweep(at(2026, 11, 7, 17))
    assert list(Notification.objects.filter(kind="reminder_l0").values_list("to", flat=True)) == [
        "qualitymgr@example.com"
    ]


def test_the_work_list_shows_the_record_type_to_its_department_within_the_customer_scope(org, customers):
    ticket(org, customers["mine"], number="T-0001")
    ticket(org, customers["theirs"], number="T-0002")
    keys = [s.record_key for s in selectors.work(org["quality"])]
    assert keys == ["T-0001", "T-0002"]
    summaries = selectors.with_summaries(selectors.work(org["quality"]))
    assert [(s.summary.title, s.summary.customer, s.url) for s in summaries][0] == (
        "漏装垫片",
        "客户 T-S1",
        "/tickets/T-0001/",
    )
    # Nobody in sales owns these steps; a clerk never sees another clerk's customer anyway.
    assert list(selectors.work(org["sales"])) == []
    scoped = Step.objects.filter(pk__in=selectors._scoped(Step.objects.all(), org["sales"]).values("pk"))
    assert {s.record_key for s in scoped} == {"T-0001"}
    counts = selectors.badge_counts(org["quality"], now=at(2026, 11, 7, 17))
    assert counts == {"waiting": 2, "late": 2, "inquiries": 0, "total": 2}
    # "Awaiting my decision": the confirmation waits for the manager, not for the clerk.
    t = Ticket.objects.get(number="T-0001")
    engine.perform(t, "answer", by=org["quality"], data={"answer": "ok"}, now=at(2026, 11, 7, 9))
    mine = selectors.WorkFilters(scope="mine")
    assert [s.code for s in selectors.work(org["quality"], mine)] == ["answer"]
    assert [s.code for s in selectors.work(org["qualitymgr"], mine)] == ["answer", "confirm"]  # by deadline


def test_every_flow_is_in_the_registry_with_its_settings(org):
    from kefu.core import config

    assert registry.get("ticket").label == "ticket"
    settings = config.snapshot()
    assert settings["due.ticket.answer"] == "24 hours" and settings["due.ticket.case"] == "5 days"
    assert timezone.is_aware(at(2026, 1, 1))


def test_memos_are_the_engines_for_every_record_type_and_an_upheld_one_reopens(org, customers):
    """002 篇4 第九条(十一): the memo, the GM's task to rule on it and the reopening are the engine's; the
    record type names only the steps a ruling may send it back to (issue 13)."""
    t = ticket(org, customers["mine"])
    engine.perform(t, "object", by=org["quality"], data={"memo": "the customer misused it"})
    [task] = [s for s in rows(t) if s.kind == "task"]
    assert (task.code, task.department.code, task.role, task.done_at) == (
        "memo_ruling",
        "gm_office",
        "gm",
        None,
    )
    # The task stands beside the step: the answer is still the open step.
    assert engine.open_step(rows(t)).code == "answer"
    assert [s.code for s in selectors.work(org["gm"], selectors.WorkFilters(scope="mine"))] == ["memo_ruling"]
    engine.perform(t, "answer", by=org["quality"], data={"answer": "ok"}, now=at(2026, 11, 7, 9))
    done = engine.perform(t, "confirm", by=org["qualitymgr"], now=at(2026, 11, 9, 9))
    assert done.to_state == "done" and done.allowed == []
    with pytest.raises(Invalid) as refused:
        engine.perform(
            t, "rule_memo", by=org["gm"], data={"upheld": True, "note": "yes", "reopen_at": "confirm"}
        )
    assert refused.value.field == "reopen_at"
    result = engine.perform(
        t, "rule_memo", by=org["gm"], data={"upheld": True, "note": "answer again", "reopen_at": "answer"},
        now=at(2026, 11, 10, 9),
    )  # fmt: skip
    assert (result.from_state, result.to_state) == ("done", "new")
    assert result.record.closed_at is None and result.open_step.code == "answer"
    assert result.open_step.due_at == at(2026, 11, 11, 9)  # 24 clock hours from the ruling
    assert result.created.ruling == "upheld" and result.created.task.done_by == org["gm"]
    assert result.allowed == ["object"]  # no memo left to rule on; the GM does not answer

"""Reminder and inquiry lists (API), answering inquiries, and the outbox that e-mails notifications."""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock

import pytest
from django.core import mail

from kefu.complaints.services import take_action
from kefu.complaints.tests.workflow_factory import TZ, complaint
from kefu.core import outbox
from kefu.core.models import Notification
from kefu.flow import selectors as reminders
from kefu.flow.models import Inquiry
from kefu.flow.sweep import sweep


def at(m, d, h=9):
    return dt.datetime(2026, m, d, h, 0, tzinfo=TZ)


def test_reminders_api_filters_by_complaint_department_and_open(api, org):
    a = complaint(org)
    b = complaint(org)
    sweep(at(11, 4))  # both: level 0
    sweep(at(11, 5))  # both: level 1
    rows = api("gm").get("/api/v1/reminders").json()["results"]
    assert len(rows) == 4
    rows = (
        api("gm")
        .get(f"/api/v1/reminders?complaint={a.number}&department=gm_office&open=true")
        .json()["results"]
    )
    assert {(r["complaint"], r["level"], r["open"]) for r in rows} == {
        (a.number, 0, True),
        (a.number, 1, True),
    }
    take_action(b.number, "assign", by=org["gmoffice"], now=at(11, 5, 10))
    closed = api("gm").get("/api/v1/reminders?open=false").json()["results"]
    assert {r["complaint"] for r in closed} == {b.number}
    assert api("gm").get("/api/v1/reminders?open=perhaps").status_code == 400


def test_reminders_respect_customer_confidentiality(api, org):
    complaint(org)
    sweep(at(11, 4))
    assert len(api("sales").get("/api/v1/reminders").json()["results"]) == 1  # sales owns the customer
    assert api("sales2").get("/api/v1/reminders").json()["results"] == []


def _late_closed_case(org):
    c = complaint(org)
    take_action(c.number, "assign", by=org["gmoffice"], now=at(11, 5))  # late
    take_action(c.number, "submit_investigation", by=org["quality"], now=at(11, 6),
                    payload={"cause": "misuse", "valid": False})  # fmt: skip
    return c


def test_inquiry_is_answered_by_its_department_with_a_reason(api, org):
    c = _late_closed_case(org)
    inquiry = Inquiry.objects.get(record_id=c.pk)
    rows = api("gm").get("/api/v1/lateness-inquiries?open=true").json()["results"]
    assert [r["id"] for r in rows] == [inquiry.pk] and rows[0]["late_workdays"] == 2
    url = f"/api/v1/lateness-inquiries/{inquiry.pk}/answer"
    body = json.dumps({"reason": "the assigner was on leave"})
    assert api("quality").post(url, data=body, content_type="application/json").status_code == 403
    assert api("gmoffice").post(url, data=json.dumps({"reason": " "}),
                                content_type="application/json").status_code == 422  # fmt: skip
    r = api("gmoffice").post(url, data=body, content_type="application/json")
    assert r.status_code == 200 and r.json()["answered_by"] == "gmoffice"
    assert api("gmoffice").post(url, data=body, content_type="application/json").status_code == 409
    assert api("gm").get("/api/v1/lateness-inquiries?open=true").json()["results"] == []
    assert api("gm").get("/api/v1/lateness-inquiries/999/answer").status_code == 405


def test_unanswered_inquiries_are_listed_for_the_gm_office(org):
    _late_closed_case(org)
    assert reminders.unanswered_for_gm_office(org["gmoffice"]).count() == 1
    assert reminders.unanswered_for_gm_office(org["quality"]).count() == 0
    assert reminders.inquiries_to_answer(org["gmoffice"]).count() == 1
    assert reminders.inquiries_to_answer(org["quality"]).count() == 0


# --- outbox ------------------------------------------------------------------------------


def test_notifications_are_written_with_the_change_and_sent_after_commit(
    org, django_capture_on_commit_callbacks
):
    from django_q.models import OrmQ

    c = complaint(org)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        take_action(c.number, "assign", by=org["gmoffice"])
    assert len(callbacks) == 1
    assert OrmQ.objects.count() == 1  # handed to the django-q2 worker
    pending = list(Notification.objects.filter(object_id=c.number))
    assert {n.to for n in pending} == {"quality@example.com", "qualitymgr@example.com"}
    assert all(n.state == "pending" for n in pending)
    # what the worker runs:
    assert outbox.send_many([n.pk for n in pending]) == 2
    assert len(mail.outbox) == 2 and mail.outbox[0].subject.startswith(f"[{c.number}]")
    assert set(Notification.objects.values_list("state", "attempts")) == {("sent", 1)}
    assert outbox.send_many([n.pk for n in pending]) == 0  # never twice


def test_a_refused_action_writes_no_notification(org):
    c = complaint(org)
    with pytest.raises(Exception):  # noqa: B017 - Forbidden
        take_action(c.number, "assign", by=org["sales"])
    assert not Notification.objects.exists()


def test_failed_sends_are_retried_with_attempts_counted(org, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    c = complaint(org)
    take_action(c.number, "assign", by=org["gmoffice"], payload={"assignee": "quality"})
    note = Notification.objects.get()
    t0 = note.next_attempt_at
    with mock.patch("kefu.core.outbox.send_mail", side_effect=OSError("smtp down")):
        assert outbox.send(note.pk, now=t0) is False
    note.refresh_from_db()
    assert (note.state, note.attempts, note.last_error) == ("pending", 1, "OSError: smtp down")
    assert note.next_attempt_at == t0 + dt.timedelta(minutes=10)
    assert outbox.retry_due(now=t0 + dt.timedelta(minutes=5)) == 0  # not yet
    assert outbox.retry_due(now=t0 + dt.timedelta(minutes=11)) == 1
    note.refresh_from_db()
    assert (note.state, note.attempts, note.last_error) == ("sent", 2, "")
    assert len(mail.outbox) == 1


def test_a_message_fails_for_good_after_the_last_attempt(org):
    c = complaint(org)
    take_action(c.number, "assign", by=org["gmoffice"], payload={"assignee": "quality"})
    note = Notification.objects.get()
    moment = note.next_attempt_at
    with mock.patch("kefu.core.outbox.send_mail", side_effect=OSError("no route")):
        for _ in range(5):
            outbox.retry_due(now=moment)
            moment += dt.timedelta(minutes=11)
    note.refresh_from_db()
    assert (note.state, note.attempts) == ("failed", 5)
    assert outbox.retry_due(now=moment) == 0


@pytest.mark.django_db
def test_badge_counts_what_waits_for_me_late_or_not_and_the_gm_office_supplier_cases(org):
    from kefu.complaints.tests import workflow_factory as wf

    c = wf.walk_to(org, wf.complaint(org), "investigating")
    take_action(
        c.number,
        "submit_investigation",
        by=org["quality"],
        payload={
            "cause": "毛刺",
            "valid": True,
            "responsible_department": "production",
            "supplier": "宁波某供应商",
        },
    )
    due = wf.steps(c).get(code="countermeasure").due_at
    later, earlier = due + dt.timedelta(days=1), due - dt.timedelta(days=1)
    assert reminders.badge_counts(org["production"], now=later) == {
        "waiting": 1,
        "late": 1,
        "inquiries": 0,
        "total": 1,
    }
    # not late yet: it waits all the same (new work counts, not only late work)
    assert reminders.badge_counts(org["production"], now=earlier) == {
        "waiting": 1,
        "late": 0,
        "inquiries": 0,
        "total": 1,
    }
    assert reminders.badge_counts(org["gmoffice"], now=later)["waiting"] == 1  # co-owner of the supplier case
    assert reminders.badge_counts(org["quality"], now=later)["total"] == 0


def test_reminder_and_inquiry_lists_page_and_do_not_query_per_row(api, org, django_assert_max_num_queries):
    for _ in range(12):
        _late_closed_case(org)  # one lateness inquiry each
    for _ in range(4):
        complaint(org)  # left open: its step and its case deadline (11-17) at 3 levels = 6 notices each
    for day in (18, 19, 20):  # one level a working day
        sweep(at(11, day))
    client = api("gm")
    client.get("/api/v1/reminders")
    # token, user, memberships, count, page (visibility is a subquery)
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/reminders", {"page_size": 5}).json()
    # 24, and 3 levels each for the 12 explanation tasks that a complaint not established leaves to
    # sales (due 11-10; the collection, 30 days, is not due yet)
    assert (body["count"], len(body["results"]), body["page_size"]) == (24 + 36, 5, 5)
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/lateness-inquiries", {"page": 2, "page_size": 10}).json()
    assert (body["count"], len(body["results"]), body["page"]) == (12, 2, 2)

"""A web complaint re-linked to its customer gets that customer's case deadline (002 篇4 第十条: domestic
15 days, foreign 20), recomputed, with the history saying from which to which customer (issue 13)."""

from __future__ import annotations

import datetime as dt

from kefu.core.models import AuditEvent
from kefu.flow.models import Step

from ..services import reassign_customer, submit_public_complaint
from .workflow_factory import MONDAY, TZ, complaint, customer, walk_to


def web_complaint():
    return submit_public_complaint(
        company_name="Unknown GmbH",
        contact_name="Hans",
        contact_email="hans@example.com",
        description="Housings scratched",
        now=MONDAY,
    )


def case_row(c):
    return Step.objects.get(record_type="complaint", record_id=c.pk, kind="case")


def test_a_web_complaint_relinked_to_a_foreign_customer_gets_20_days(org):
    c = web_complaint()
    assert c.customer.code == "WEB-UNMATCHED" and c.region == "domestic"
    fifteen = dt.datetime(2026, 11, 17, 23, 59, 59, tzinfo=TZ)  # registered Mon 11-02 + 15 days
    assert c.case_due_at == case_row(c).due_at == fifteen
    foreign = customer("F-001", "foreign")
    later = MONDAY + dt.timedelta(days=2)
    relinked = reassign_customer(c, "F-001", by=org["gmoffice"], now=later)
    twenty = dt.datetime(2026, 11, 22, 23, 59, 59, tzinfo=TZ)  # from the same start: + 20 days
    assert (relinked.customer, relinked.region, relinked.case_due_at) == (foreign, "foreign", twenty)
    c.refresh_from_db()
    assert c.case_due_at == twenty
    row = case_row(c)
    assert (row.due_at, row.allowed, row.unit, row.customer_id) == (twenty, 20, "days", foreign.pk)
    event = AuditEvent.objects.get(object_id=c.number, action="reassign_customer")
    assert event.data == {
        "from": "WEB-UNMATCHED",
        "to": "F-001",
        "from_region": "domestic",
        "to_region": "foreign",
        "case_due_before": fifteen.isoformat(),
        "case_due_after": twenty.isoformat(),
    }
    assert event.at == later
    assert "WEB-UNMATCHED" in event.note and "F-001" in event.note
    assert "2026-11-17 23:59" in event.note and "2026-11-22 23:59" in event.note
    # The open step's deadline is the step's own, not the case's: unchanged.
    assert c.due_at == Step.objects.get(record_id=c.pk, code="assign").due_at


def test_back_to_a_domestic_customer_is_15_days_again(org):
    c = web_complaint()
    customer("F-001", "foreign")
    customer("D-001", "domestic")
    reassign_customer(c, "F-001", by=org["gmoffice"])
    moved = reassign_customer(c, "D-001", by=org["gmoffice"])
    assert moved.case_due_at == dt.datetime(2026, 11, 17, 23, 59, 59, tzinfo=TZ)
    events = AuditEvent.objects.filter(object_id=c.number, action="reassign_customer").order_by("id")
    assert [(e.data["from"], e.data["to"]) for e in events] == [
        ("WEB-UNMATCHED", "F-001"),
        ("F-001", "D-001"),
    ]


def test_the_days_are_the_settings(org):
    from kefu.core.models import Setting

    Setting.objects.create(key="due.complaint.case.foreign", value="25 days")
    c = web_complaint()
    customer("F-001", "foreign")
    assert reassign_customer(c, "F-001", by=org["gmoffice"]).case_due_at == dt.datetime(
        2026, 11, 27, 23, 59, 59, tzinfo=TZ
    )


def test_a_closed_case_keeps_its_deadlines(org):
    c = walk_to(org, complaint(org), "closed")
    due = c.case_due_at
    customer("F-001", "foreign")
    moved = reassign_customer(c, "F-001", by=org["gmoffice"])
    assert moved.case_due_at == due and moved.region == "foreign"
    event = AuditEvent.objects.get(object_id=c.number, action="reassign_customer")
    assert event.data["case_due_before"] == event.data["case_due_after"] == due.astimezone(TZ).isoformat()

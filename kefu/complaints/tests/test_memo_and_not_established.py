"""Memos (签呈) while open and after closing, the GM's ruling, and a complaint not established
(002 篇4 第九条(十一)(十三), 003 4.1.3.3, 001 6.2.8; issue 13)."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.complaints.models import Complaint
from kefu.complaints.services import take_action
from kefu.core.errors import Conflict, Forbidden, Invalid
from kefu.core.models import AuditEvent, Notification
from kefu.flow import selectors
from kefu.flow.models import Memo, Step

from .workflow_factory import MONDAY, TZ, complaint, path, walk_to

URL = "/api/v1/complaints"
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def post(api, user, number, action, body):
    return api(user).post(f"{URL}/{number}/actions/{action}", body, content_type="application/json")


def rows(c, **kw):
    return list(
        Step.objects.filter(record_type="complaint", record_id=c.pk, **kw).order_by("started_at", "id")
    )


def not_established(org):
    c = walk_to(org, complaint(org), "investigating", now=MONDAY)
    take_action(c.number, "submit_investigation", by=org["quality"], payload={"cause": "misuse", "valid": False},
                now=TUESDAY)  # fmt: skip
    c.refresh_from_db()
    assert c.status == "not_established" and c.closed_at == TUESDAY
    return c


# --- not established: sales' two tasks, the explanation recorded ---------------------------------------


def test_not_established_gives_sales_an_explanation_and_a_collection_task_in_its_work_list(api, page, org):
    c = not_established(org)
    tasks = rows(c, kind="task")
    assert [(t.code, t.department.code, t.done_at) for t in tasks] == [
        ("explanation", "sales", None),
        ("collection", "sales", None),
    ]
    # Explanation within 2 working days, collection on the normal terms (30 calendar days): settings.
    assert tasks[0].due_at == dt.datetime(2026, 11, 5, 23, 59, 59, tzinfo=TZ)
    assert tasks[1].due_at == dt.datetime(2026, 12, 3, 23, 59, 59, tzinfo=TZ)
    # Sales' work list (the page and the API) and its badge hold them; the other clerk's do not.
    mine = selectors.WorkFilters(scope="mine")
    assert [(s.record_key, s.code) for s in selectors.work(org["sales"], mine)] == [
        (c.number, "explanation"),
        (c.number, "collection"),
    ]
    assert list(selectors.work(org["sales2"], mine)) == []
    assert selectors.badge_counts(org["sales"], now=TUESDAY)["waiting"] == 2
    assert selectors.badge_counts(org["sales2"], now=TUESDAY)["waiting"] == 0
    work = api("sales").get("/api/v1/work").json()["results"]
    assert [(w["record"], w["step"], w["action"]) for w in work] == [
        (c.number, "explanation", "record_explanation"),
        (c.number, "collection", "record_collection"),
    ]
    assert api("sales2").get("/api/v1/work").json()["results"] == []
    html = page("sales").get("/work/").content.decode()
    assert 'data-action="record_explanation"' in html and 'data-action="record_collection"' in html
    assert c.number not in page("sales2").get("/work/").content.decode()
    # Sales members who may see the customer were told.
    told = Notification.objects.filter(object_id=c.number, kind="step_opened", created_at=TUESDAY)
    assert set(told.values_list("to", flat=True)) == {"sales@example.com", "salesmgr@example.com"}


def test_the_explanation_by_phone_records_who_spoke_with_whom(api, org):
    c = not_established(org)
    body = {"channel": "phone", "content": "Explained the scratches come from their own handling."}
    r = post(api, "sales", c.number, "record_explanation", body)
    assert r.status_code == 422 and r.json()["field"] == "spoke_with"
    r = post(api, "sales", c.number, "record_explanation", body | {"spoke_with": "王经理 (purchasing)"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "not_established"
    task = Step.objects.get(record_id=c.pk, code="explanation")
    assert task.done_by == org["sales"] and task.done_at is not None
    assert task.data == {
        "channel": "phone",
        "content": "Explained the scratches come from their own handling.",
        "spoke_with": "王经理 (purchasing)",
        "spoke_by": "sales",
        "note": "",
    }
    event = AuditEvent.objects.get(object_id=c.number, action="record_explanation")
    assert event.data["spoke_with"] == "王经理 (purchasing)" and event.data["channel"] == "phone"
    assert event.data["content"].startswith("Explained the scratches")
    assert event.note == (
        "By phone, sales with 王经理 (purchasing): Explained the scratches come from their own handling."
    )
    # Done once: a second explanation has no task left.
    r = post(api, "sales", c.number, "record_explanation", body | {"spoke_with": "x"})
    assert r.status_code == 409
    assert r.json()["allowed"] == ["object", "record_collection"]  # what fits now


def test_the_explanation_by_letter_and_the_collection_close_the_tasks_only(org):
    c = not_established(org)
    take_action(c.number, "record_explanation", by=org["sales"],
                payload={"channel": "letter", "content": "Dear customer, our analysis shows ..."})  # fmt: skip
    with pytest.raises(Forbidden):
        take_action(c.number, "record_collection", by=org["quality"], payload={"result": "x"})
    take_action(c.number, "record_collection", by=org["sales"],
                payload={"result": "invoice 4711 paid in full", "collected_on": "2026-11-20"})  # fmt: skip
    c.refresh_from_db()
    assert c.status == "not_established" and c.closed_at == TUESDAY
    assert all(t.done_at is not None for t in rows(c, kind="task"))
    assert Step.objects.get(record_id=c.pk, code="collection").data["collected_on"] == "2026-11-20"
    assert list(selectors.work(org["sales"])) == []


def test_the_customers_objection_goes_up_by_memo_and_an_upheld_memo_reinvestigates(org):
    c = not_established(org)
    take_action(
        c.number, "object", by=org["sales"], payload={"memo": "The customer disputes: bring back the lab"}
    )
    memo = Memo.objects.get(record_id=c.pk)
    assert memo.department.code == "sales" and memo.status_at == "not_established"
    take_action(c.number, "rule_memo", by=org["gm"],
                payload={"upheld": True, "note": "test again", "reopen_at": "investigation"})  # fmt: skip
    c.refresh_from_db()
    assert (c.status, c.validity, c.closed_at) == ("investigating", "pending", None)
    # The not-established tasks are withdrawn; the investigation opens again for quality.
    explanation, collection = rows(c, kind="task", code__in=["explanation", "collection"])
    assert explanation.data["cancelled"] and collection.data["cancelled"]
    open_now = rows(c, kind="step", done_at__isnull=True)
    assert [(s.code, s.department.code) for s in open_now] == [("investigation", "quality")]


# --- the memo after closing: upheld reopens at the step named, overruled stays closed ----------------


def test_a_memo_after_closing_goes_to_the_gm_as_a_task(api, page, org):
    c = walk_to(org, complaint(org), "closed")
    r = post(api, "production", c.number, "object", {"memo": "Our share of the penalty is wrong"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "closed"
    memo = Memo.objects.get(record_id=c.pk)
    assert (memo.department.code, memo.status_at, memo.ruling) == ("production", "closed", "")
    assert memo.task.code == "memo_ruling" and memo.task.kind == "task" and memo.task.role == "gm"
    # The GM's work list ("awaiting my decision") and badge show it; the GM office clerk's "mine" not.
    mine = selectors.WorkFilters(scope="mine")
    assert [(s.record_key, s.code) for s in selectors.work(org["gm"], mine)] == [(c.number, "memo_ruling")]
    assert list(selectors.work(org["gmoffice"], mine)) == []
    assert selectors.badge_counts(org["gm"])["waiting"] == 1
    assert Notification.objects.filter(kind="memo", to="gm@example.com", object_id=c.number).exists()
    assert api("gm").get(f"{URL}/{c.number}/actions").json()["allowed"] == ["object", "rule_memo"]
    assert api("dgm").get(f"{URL}/{c.number}/actions").json()["allowed"] == ["object"]
    # The GM rules on the page: the form is there, the memo waits.
    html = page("gm").get(f"/complaints/{c.number}/").content.decode()
    assert 'data-action="rule_memo"' in html and "waiting for the GM" in html
    r = page("gm").post(f"/work/complaint/{c.number}/act/rule_memo/",
                        {"upheld": "false", "note": "penalty stands", "reopen_at": ""})  # fmt: skip
    assert r.status_code in (200, 302)
    memo.refresh_from_db()
    assert memo.ruling == "overruled" and memo.ruling_note == "penalty stands"


def test_an_upheld_memo_after_closing_reopens_the_case_at_the_step_the_gm_names(org, page):
    c = walk_to(org, complaint(org), "closed", now=MONDAY)
    take_action(
        c.number, "object", by=org["production"], payload={"memo": "the die was not ours"}, now=MONDAY
    )
    later = dt.datetime(2026, 11, 9, 10, 0, tzinfo=TZ)  # next Monday
    with pytest.raises(Invalid) as err:
        take_action(
            c.number, "rule_memo", by=org["gm"], payload={"upheld": True, "note": "agreed"}, now=later
        )
    assert err.value.field == "reopen_at"
    with pytest.raises(Invalid) as err:
        take_action(c.number, "rule_memo", by=org["gm"],
                    payload={"upheld": True, "note": "agreed", "reopen_at": "rd_opinion"}, now=later)  # fmt: skip
    assert err.value.field == "reopen_at"  # this case had no R&D step
    with pytest.raises(Forbidden):
        take_action(c.number, "rule_memo", by=org["dgm"],
                    payload={"upheld": True, "note": "x", "reopen_at": "countermeasure"}, now=later)  # fmt: skip
    result = take_action(c.number, "rule_memo", by=org["gm"],
                         payload={"upheld": True, "note": "supplier's die: redo the countermeasure",
                                  "reopen_at": "countermeasure"}, now=later)  # fmt: skip
    c.refresh_from_db()
    assert (c.status, c.closed_at) == ("countermeasure", None)
    step = result.new_step
    assert (step.code, step.department.code, step.started_at) == ("countermeasure", "production", later)
    assert c.due_at == step.due_at == dt.datetime(2026, 11, 10, 23, 59, 59, tzinfo=TZ)  # 1 working day
    memo = Memo.objects.get(record_id=c.pk)
    assert (memo.ruling, memo.ruling_note, memo.ruled_by, memo.reopen_at) == (
        "upheld", "supplier's die: redo the countermeasure", org["gm"], "countermeasure")  # fmt: skip
    assert memo.task.done_at == later and memo.task.done_by == org["gm"]
    # The history says why the case moved back.
    event = AuditEvent.objects.get(object_id=c.number, action="rule_memo")
    assert (event.from_state, event.to_state) == ("closed", "countermeasure")
    assert event.note == "supplier's die: redo the countermeasure"
    assert event.data["memo_text"] == "the die was not ours" and event.data["reopen_at"] == "countermeasure"
    assert event.data["next_step"]["step"] == "countermeasure"
    assert Notification.objects.filter(kind="memo_ruling", to="production@example.com").exists()
    # The case's page shows the memo with its ruling.
    html = page("production").get(f"/complaints/{c.number}/").content.decode()
    assert "the die was not ours" in html and "redo the countermeasure" in html
    assert "Upheld" in html and "back to Countermeasure" in html
    # The reopened case runs the table again to its end.
    for before, action, user, payload in path():
        c.refresh_from_db()
        if c.status == before:
            take_action(c.number, action, by=org[user], payload=payload, now=later)
    c.refresh_from_db()
    assert c.status == "closed" and c.closed_at == later


def test_an_overruled_memo_after_closing_leaves_the_case_closed(org):
    c = walk_to(org, complaint(org), "closed", now=MONDAY)
    closed_at = c.closed_at
    take_action(c.number, "object", by=org["quality"], payload={"memo": "we disagree"}, now=MONDAY)
    with pytest.raises(Invalid) as err:
        take_action(c.number, "rule_memo", by=org["gm"],
                    payload={"upheld": False, "note": "no", "reopen_at": "proposal"})  # fmt: skip
    assert err.value.field == "reopen_at"
    take_action(c.number, "rule_memo", by=org["gm"], payload={"upheld": False, "note": "the decision stands"})
    c.refresh_from_db()
    assert (c.status, c.closed_at) == ("closed", closed_at)
    memo = Memo.objects.get(record_id=c.pk)
    assert memo.ruling == "overruled" and memo.ruling_note == "the decision stands"
    assert not Step.objects.filter(record_type="complaint", record_id=c.pk, done_at__isnull=True).exists()
    event = AuditEvent.objects.get(object_id=c.number, action="rule_memo")
    assert (event.from_state, event.to_state, event.data["ruling"]) == ("closed", "closed", "overruled")
    with pytest.raises(Conflict):  # nothing left to rule on
        take_action(c.number, "rule_memo", by=org["gm"], payload={"upheld": False, "note": "again"})


def test_a_memo_while_open_is_ruled_beside_the_step_and_may_send_the_case_back(org):
    c = walk_to(org, complaint(org), "synthesis")
    take_action(c.number, "object", by=org["production"], payload={"memo": "the allowance is too high"})
    take_action(c.number, "object", by=org["quality"], payload={"memo": "the cause is misread"})
    first, second = Memo.objects.filter(record_id=c.pk).order_by("id")
    # The memo's task does not take the workflow step's place: the GM office still synthesises.
    c.refresh_from_db()
    synthesis = Step.objects.get(record_id=c.pk, code="synthesis")
    assert c.due_at == synthesis.due_at
    # Ruled one by one, by number; upheld without a step named, the case goes on where it is.
    take_action(c.number, "rule_memo", by=org["gm"],
                payload={"memo": second.pk, "upheld": True, "note": "quality re-checks in the synthesis"})  # fmt: skip
    c.refresh_from_db()
    assert c.status == "synthesis" and synthesis.pk == Step.objects.get(record_type="complaint", record_id=c.pk, done_at__isnull=True,
                                                                        kind="step").pk  # fmt: skip
    # Upheld with a step named: back to the sales proposal; the synthesis step is withdrawn.
    take_action(c.number, "rule_memo", by=org["gm"],
                payload={"memo": first.pk, "upheld": True, "note": "renegotiate", "reopen_at": "proposal"})  # fmt: skip
    c.refresh_from_db()
    assert c.status == "negotiation"
    synthesis.refresh_from_db()
    assert synthesis.done_at is not None and synthesis.data["cancelled"]
    [proposal] = Step.objects.filter(record_id=c.pk, done_at__isnull=True, kind="step")
    assert proposal.code == "proposal" and c.due_at == proposal.due_at
    assert list(Memo.objects.filter(record_id=c.pk).values_list("ruling", flat=True)) == ["upheld", "upheld"]
    assert Complaint.objects.get(pk=c.pk).closed_at is None

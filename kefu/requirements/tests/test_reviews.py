"""CSR department reviews (004 顾客特殊要求管理程序 5.2, R12.1): one row per department, "reviewed"
when every named department answered, "needs action" keeps it open; files (CMRT with its date)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.core.errors import Conflict, Forbidden, Invalid
from kefu.flow.models import Inquiry, Step
from kefu.requirements import services
from kefu.requirements.models import CsrStatus, RequirementFile, Review

from .factory import MONDAY, PDF, TZ, act, customer, open_rows, requirement

pytestmark = pytest.mark.django_db


def test_registering_opens_one_review_task_per_department(org):
    req = requirement(org, departments=("quality", "production", "rd"))
    tasks = open_rows("csr", req).order_by("department__code")
    assert [(t.kind, t.code, t.department.code) for t in tasks] == [
        ("task", "department_review", "production"),
        ("task", "department_review", "quality"),
        ("task", "department_review", "rd"),
    ]
    assert {t.due_at for t in tasks} == {dt.datetime(2026, 11, 9, 23, 59, 59, tzinfo=TZ)}  # 5 working days
    assert Review.objects.filter(requirement=req).count() == 3
    assert req.status == CsrStatus.REVIEW and req.number.startswith("CSR-202611-")


def test_reviewed_when_every_department_answered(org):
    req = requirement(org, departments=("quality", "production"))
    act(req, "review", org["quality"], {"answer": "accepted", "comment": "已纳入控制计划"}, now=MONDAY)
    req.refresh_from_db()
    assert req.status == CsrStatus.REVIEW and req.reviewed_at is None
    act(req, "review", org["production"], {"answer": "not_applicable"}, now=MONDAY)
    req.refresh_from_db()
    assert (req.status, req.reviewed_at, req.closed_at is not None) == (CsrStatus.IN_FORCE, MONDAY, True)
    rows = {r.department.code: (r.answer, r.answered_by.username) for r in req.reviews.all()}
    assert rows == {"quality": ("accepted", "quality"), "production": ("not_applicable", "production")}
    assert not open_rows("csr", req).exists()


def test_needs_action_keeps_it_open_with_action_and_owner(org):
    req = requirement(org, departments=("quality", "production"))
    act(req, "review", org["quality"], {"answer": "accepted"})
    act(req, "review", org["production"], {
        "answer": "needs_action", "action": "增加 100% 外观检验", "action_owner": "production",
        "action_due": "2026-12-20",
    })  # fmt: skip
    req.refresh_from_db()
    assert req.status == CsrStatus.ACTION and req.reviewed_at is not None  # reviewed, but not in force
    review = req.reviews.get(department__code="production")
    assert (review.action, review.action_owner.username) == ("增加 100% 外观检验", "production")
    task = open_rows("csr", req).get()
    assert (task.code, task.department.code) == ("csr_action", "production")
    assert task.due_at == dt.datetime(2026, 12, 20, 23, 59, 59, tzinfo=TZ)
    with pytest.raises(Forbidden):  # quality has no open action
        act(req, "complete_action", org["quality"], {"result": "x"})
    act(req, "complete_action", org["production"], {"result": "已实施, 见 WI-88 版本 D"})
    req.refresh_from_db()
    assert req.status == CsrStatus.IN_FORCE
    assert req.reviews.get(department__code="production").action_done_by == org["production"]


def test_wrong_department_403_and_answered_409(org):
    req = requirement(org, departments=("quality",))
    with pytest.raises(Forbidden):
        act(req, "review", org["production"], {"answer": "accepted"})
    act(req, "review", org["quality"], {"answer": "accepted"})
    with pytest.raises(Conflict):
        act(req, "review", org["quality"], {"answer": "accepted"})


def test_a_department_answers_once(org):
    req = requirement(org, departments=("quality", "production"))
    act(req, "review", org["quality"], {"answer": "accepted"})
    with pytest.raises(Forbidden):  # quality's task is done; production's is not quality's
        act(req, "review", org["quality"], {"answer": "not_applicable"})


def test_needs_action_without_action_is_refused_naming_the_field(org):
    req = requirement(org, departments=("quality",))
    with pytest.raises(Invalid) as e:
        act(req, "review", org["quality"], {"answer": "needs_action"})
    assert e.value.field == "action"
    with pytest.raises(Invalid) as e:
        act(
            req, "review", org["quality"], {"answer": "needs_action", "action": "x", "action_owner": "nobody"}
        )
    assert e.value.field == "action_owner"
    assert Review.objects.get(requirement=req).answer == ""  # nothing half-written
    assert open_rows("csr", req).count() == 1


def test_unknown_department_refused(org):
    with pytest.raises(Invalid) as e:
        requirement(org, departments=("quality", "marketing"))
    assert e.value.field == "departments"


def test_late_review_gets_a_lateness_inquiry_when_in_force(org):
    req = requirement(org, departments=("quality",))
    late = dt.datetime(2026, 11, 12, 10, 0, tzinfo=TZ)
    act(req, "review", org["quality"], {"answer": "accepted"}, now=late)
    step = Step.objects.get(record_type="csr", record_id=req.pk)
    assert Inquiry.objects.get(step=step).department.code == "quality"


def test_withdraw_cancels_open_reviews(org):
    req = requirement(org, departments=("quality", "production"))
    with pytest.raises(Forbidden):
        act(req, "withdraw", org["warehouse"], {"note": "客户取消"})
    act(req, "withdraw", org["sales"], {"note": "客户取消"})
    req.refresh_from_db()
    assert req.status == CsrStatus.WITHDRAWN and not open_rows("csr", req).exists()


def test_cmrt_report_attached_with_its_date(org):
    c = customer("C001")
    upload = SimpleUploadedFile("CMRT_6.4.xlsx", PDF, "application/pdf")
    with pytest.raises(Invalid) as e:
        services.add_files(c, [upload], by=org["quality"], kind="cmrt")
    assert e.value.field == "dated"
    upload.seek(0)
    with pytest.raises(Invalid) as e:
        services.add_files(c, [upload], by=org["quality"], kind="cmrt", dated=dt.date(2099, 1, 1))
    assert e.value.field == "dated"
    upload = SimpleUploadedFile("CMRT_6.4.pdf", PDF, "application/pdf")
    (f,) = services.add_files(c, [upload], by=org["quality"], kind="cmrt", dated=dt.date(2026, 11, 20))
    f = RequirementFile.objects.get(pk=f.pk)
    assert (f.kind, f.dated, f.original_name, f.customer) == (
        "cmrt",
        dt.date(2026, 11, 20),
        "CMRT_6.4.pdf",
        c,
    )
    assert f.file.read() == PDF


def test_a_file_of_the_wrong_type_is_refused(org):
    c = customer("C001")
    bad = SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    with pytest.raises(Invalid):
        services.add_files(c, [bad], by=org["quality"], kind="cmrt", dated=dt.date(2026, 11, 20))
    assert not RequirementFile.objects.exists()


def test_review_tasks_are_on_the_departments_work_lists_and_reminded(org, api):
    from kefu.flow import sweep
    from kefu.flow.models import Reminder

    req = requirement(org, departments=("quality", "production"))
    work = api("production").get("/api/v1/work").json()["results"]
    assert [(w["record_type"], w["record"], w["step"]) for w in work] == [
        ("csr", req.number, "department_review")
    ]
    assert work[0]["url"] == f"/requirements/{req.number}/"
    assert api("warehouse").get("/api/v1/work").json()["count"] == 0
    act(req, "review", org["quality"], {"answer": "accepted"})
    # production is late (due 2026-11-09): a reminder notice to production only, through the sweep
    sweep.sweep(dt.datetime(2026, 11, 10, 10, 0, tzinfo=TZ))
    assert [(r.department.code, r.level) for r in Reminder.objects.filter(record_type="csr")] == [
        ("production", 0)
    ]

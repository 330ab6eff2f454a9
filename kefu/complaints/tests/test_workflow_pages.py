"""The workflow panel on the complaint page, the action forms and the work lists."""

from __future__ import annotations

import datetime as dt

from django.test import RequestFactory
from django.utils import timezone

from kefu.complaints.services import take_action
from kefu.complaints.tests.workflow_factory import TZ, complaint, walk_to
from kefu.flow.models import Inquiry
from kefu.flow.sweep import sweep
from kefu.flow.views import work_badge


def test_detail_page_shows_the_timeline_and_only_my_actions(page, org):
    c = complaint(org)
    html = page("gmoffice").get(f"/complaints/{c.number}/").content.decode()
    assert 'id="step-timeline"' in html and 'data-step="assign"' in html
    assert 'data-action="assign"' in html and 'data-action="submit_investigation"' not in html
    html = page("quality").get(f"/complaints/{c.number}/").content.decode()
    assert 'data-action="assign"' not in html and 'data-action="object"' in html


def test_plain_post_moves_the_case_and_redirects(page, org):
    c = complaint(org)
    r = page("gmoffice").post(f"/work/complaint/{c.number}/act/assign/", {"note": "to quality"})
    assert r.status_code == 302 and r["Location"].endswith("#workflow")
    c.refresh_from_db()
    assert c.status == "investigating"


def test_htmx_post_returns_the_refreshed_panel(page, org):
    c = walk_to(org, complaint(org), "investigating")
    client = page("quality")
    data = {"cause": "burr", "valid": "true", "responsible_department": "production", "needs_rd": "on"}
    r = client.post(f"/work/complaint/{c.number}/act/submit_investigation/", data, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="workflow-panel"' in r.content.decode()
    c.refresh_from_db()
    assert c.status == "instruction" and c.needs_rd and c.responsible_department.code == "production"


def test_a_refused_action_shows_the_reason_and_changes_nothing(page, org):
    c = walk_to(org, complaint(org), "approval", loss="20000.00")
    r = page("sales").post(f"/work/complaint/{c.number}/act/approve/", {}, HTTP_HX_REQUEST="true")
    assert (
        r.status_code == 200
        and "“核准”只能由以下人员执行：副总经理或以上（损失金额 20000.00）" in r.content.decode()
    )
    r = page("salesmgr").post(f"/work/complaint/{c.number}/act/approve/", {})
    assert r.status_code == 422 and "只能由以下人员执行" in r.content.decode()  # the case's page, refused
    c.refresh_from_db()
    assert c.status == "approval"


def test_refused_action_names_the_allowed_actions_by_their_chinese_labels(page, org):
    """A page shows the 409 in Chinese: the action, the state and the allowed actions by label, not code."""
    c = complaint(org)  # registered
    r = page("gmoffice").post(f"/work/complaint/{c.number}/act/submit_investigation/", {"cause": "x"},
                              HTTP_HX_REQUEST="true")  # fmt: skip
    html = r.content.decode()
    assert r.status_code == 200
    assert (
        "客诉处于“已登记”状态，不能执行“提交调查结果”；目前可执行："
        "分派给品质部、提出异议（签呈）、申请延期、审核延期申请、记录经理办公会决议"
    ) in html
    assert "submit_investigation is not allowed" not in html and "allowed now" not in html
    c.refresh_from_db()
    assert c.status == "registered"


def test_missing_field_is_named(page, org):
    c = walk_to(org, complaint(org), "investigating")
    r = page("quality").post(f"/work/complaint/{c.number}/act/submit_investigation/", {"valid": "true"},
                             HTTP_HX_REQUEST="true")  # fmt: skip
    html = r.content.decode()
    assert '<li data-field="cause"><a href="#submit_investigation-cause">原因</a>：必填</li>' in html
    assert "cause:" not in html  # the input's label, never its code


def test_quality_submits_the_investigation_from_the_work_list(page, org):
    c = walk_to(org, complaint(org), "investigating")
    client = page("quality")
    html = client.get("/work/").content.decode()
    assert f'data-number="{c.number}"' in html and 'data-action="submit_investigation"' in html
    r = client.post(f"/work/complaint/{c.number}/act/submit_investigation/", {
        "cause": "burr", "valid": "true", "responsible_department": "production", "next": "/work/"})  # fmt: skip
    assert r.status_code == 302 and r["Location"] == "/work/"
    c.refresh_from_db()
    assert c.status == "instruction"  # quality's report goes to the GM for instruction (第九条(二))
    assert f'data-number="{c.number}"' not in client.get("/work/").content.decode()
    assert f'data-number="{c.number}"' in page("gm").get("/work/").content.decode()


def test_work_list_puts_late_steps_first_and_lists_reminders_and_inquiries(page, org):
    late = complaint(org, now=dt.datetime(2026, 11, 2, 9, tzinfo=TZ))
    fresh = complaint(org, now=timezone.now())
    sweep()
    take_action(late.number, "assign", by=org["gmoffice"])  # late -> an inquiry once closed
    take_action(
        late.number, "submit_investigation", by=org["quality"], payload={"cause": "x", "valid": False}
    )
    old = complaint(org, now=dt.datetime(2026, 11, 3, 9, tzinfo=TZ))
    sweep()
    html = page("gmoffice").get("/work/").content.decode()
    assert html.index(f'data-number="{old.number}"') < html.index(f'data-number="{fresh.number}"')
    assert 'id="work-reminders"' in html and old.number in html.split('id="work-reminders"')[1]
    inquiries = html.split('id="work-inquiries"')[1]
    assert late.number in inquiries
    assert late.number in html.split('id="work-unanswered"')[1]


def test_work_list_query_count_does_not_grow_with_rows(page, org, django_assert_max_num_queries):
    client = page("gmoffice")
    for _ in range(3):
        complaint(org)
    client.get("/work/")
    with django_assert_max_num_queries(14):
        client.get("/work/")
    for _ in range(10):
        complaint(org)
    with django_assert_max_num_queries(14):
        client.get("/work/")


def test_badge_counts_what_waits_for_me_and_the_late_part(org):
    complaint(org, now=dt.datetime(2026, 11, 2, 9, tzinfo=TZ))  # late
    complaint(org, now=timezone.now())  # new, not late
    request = RequestFactory().get("/")
    request.user = org["gmoffice"]
    assert work_badge(request)["kefu_work"]() == {"waiting": 2, "late": 1, "inquiries": 0, "total": 2}
    request.user = org["quality"]
    assert work_badge(request)["kefu_work"]()["total"] == 0


def test_inquiry_answered_from_the_page(page, org):
    c = complaint(org, now=dt.datetime(2026, 11, 2, 9, tzinfo=TZ))
    take_action(c.number, "assign", by=org["gmoffice"])
    take_action(c.number, "submit_investigation", by=org["quality"], payload={"cause": "x", "valid": False})
    inquiry = Inquiry.objects.get(record_id=c.pk, step__kind="step")
    r = page("gmoffice").post(f"/work/inquiries/{inquiry.pk}/answer/", {"reason": "on leave"})
    assert r.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.reason == "on leave"

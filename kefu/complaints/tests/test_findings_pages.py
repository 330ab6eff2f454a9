"""Issue 13: a major complaint taken from registration to closing through the pages, each step by
its own user with the page's forms; the closed case shows what every department wrote."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kefu.complaints.models import Complaint, Responsibility
from kefu.complaints.tests.workflow_factory import complaint

PHONE_AT = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
STEPS = [
    ("gmoffice", "assign", {"assignee": "quality"}),
    ("quality", "submit_investigation", {"cause": "模具磨损导致毛刺", "valid": "true",
                                         "responsible_department": "production", "responsible_persons": "王强"}),
    ("gm", "instruct", {"instruction": "限三日内提出对策"}),
    ("production", "submit_countermeasure", {"analysis": "冲模刃口磨损", "action": "更换冲模, 全检在库品",
                                             "unit": "二车间", "shift": "B", "operators": "王强、李娜",
                                             "production_date": "2026-10-20"}),
    ("dgm", "review_countermeasure", {"approved": "true", "opinion": "同意对策, 追踪效果"}),
    ("sales", "submit_proposal", {"handling": "allowance", "loss_amount": "12800",
                                  "customer_position": "客户要求折让百分之五"}),
    ("salesmgr", "review_proposal", {"approved": "true", "opinion": "交涉结果合理"}),
    ("gmoffice", "submit_synthesis", {"opinion": "同意折让, 责任归制造部与品质部",
                                      "responsibility-0-department": "production",
                                      "responsibility-0-person": "production", "responsibility-0-share": "70",
                                      "responsibility-1-department": "quality", "responsibility-1-share": "30",
                                      "tracking": "on", "penalty": "bonus_deduction"}),
    ("gmoffice", "record_meeting_decision", {"decision": "同意折让并全检", "attendees": "总经理、品质部、制造部"}),
    ("dgm", "approve", {"note": "同意"}),
    ("sales", "record_reply", {"method": "phone", "letter": "电话告知折让方案", "spoke_with": "采购部张经理",
                               "spoke_at": PHONE_AT}),
    ("sales", "confirm_closing", {"via": "follow_up_call", "customer_accepts": "true", "contact": "采购部张经理"}),
]  # fmt: skip


def test_a_major_complaint_from_registration_to_closing_through_the_pages(page, org):
    for username, name in (("production", "王强"), ("dgm", "陈副总"), ("gm", "李总")):
        org[username].first_name = name
        org[username].save()
    c = complaint(org, severity="major")
    for username, action, form in STEPS:
        client = page(username)
        html = client.get(f"/complaints/{c.number}/").content.decode()
        assert f'data-action="{action}"' in html, (username, action)
        if action == "approve":  # the approver sees what they decide on, on the page they decide on
            panel = html[html.index('id="decision-basis"') :]
            assert "¥12,800.00" in panel and "同意折让" in panel and "客户要求折让百分之五" in panel
        r = client.post(f"/work/complaint/{c.number}/act/{action}/", form)
        assert r.status_code == 302, (action, r.content.decode()[-2000:])
        c.refresh_from_db()
    assert c.status == "closed" and c.outcome == "accepted"
    assert list(Responsibility.objects.filter(complaint=c).values_list("department__code", "share")) == [
        ("production", 70), ("quality", 30)]  # fmt: skip

    html = page("quality").get(f"/complaints/{c.number}/").content.decode()
    findings = html[html.index('id="findings"') :]
    for text in ("模具磨损导致毛刺", "王强", "限三日内提出对策", "冲模刃口磨损", "更换冲模, 全检在库品", "二车间",
                 "王强、李娜", "2026-10-20", "同意对策, 追踪效果", "客户要求折让百分之五", "交涉结果合理",
                 "同意折让, 责任归制造部与品质部", "¥12,800.00", "陈副总", "电话告知折让方案", "采购部张经理",
                 "70%", "30%", "罚扣奖金", "客户接受"):  # fmt: skip
        assert text in findings, text
    assert ">production<" not in findings and ">dgm<" not in findings  # names, not usernames
    assert Complaint.objects.filter(parent=c).count() == 0

"""The demo's customer satisfaction (kefu/surveys/demo.py): last year's fourth-quarter round
answered by every demo customer, scored and closed with its triggers; this year's plan; the
current round still collecting, partly answered, links out, one oral answer, competitors."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from kefu.capa.models import Capa
from kefu.complaints.models import Complaint
from kefu.core.models import Notification
from kefu.demo import data
from kefu.flow.models import Step
from kefu.surveys import demo, selectors
from kefu.surveys.models import Form, Plan, Round, Trigger

pytestmark = pytest.mark.django_db
TZ = demo.TZ
NOW = dt.datetime(2026, 12, 3, 15, 0, tzinfo=TZ)


@pytest.fixture
def demo_org():
    users = data.create_users()
    customers = data.create_customers(12, random.Random(3), users)
    return users, customers


def test_the_demo_scores_last_years_round_and_leaves_this_years_collecting(demo_org):
    line = demo.load(now=NOW)
    assert line.startswith("Customer satisfaction: plan 2026, CS-2025-01 scored")
    last, current = Round.objects.order_by("created_at")
    # last year's Q4: every demo customer answered through their link, scored, closed
    assert (last.number, last.year, last.status) == ("CS-2025-01", 2025, "closed")
    assert Form.objects.filter(round=last, subject="ours").count() == 12
    assert not Form.objects.filter(round=last).exclude(state="returned").exists()
    assert last.total is not None and last.level in ("satisfied", "very_satisfied")
    assert Decimal(80) <= last.total <= Decimal(100)
    sheet = selectors.score_sheet(last)
    assert sheet.scored and {i.code for i in sheet.items} >= {"price", "on_time_delivery"}
    assert [r["number"] for r in selectors.trend("default").rounds] == ["CS-2025-01"]
    # the triggers: price rated 不满意 by one customer, one written comment; each opened an 8D
    kinds = sorted(Trigger.objects.filter(round=last).values_list("kind", "item"))
    assert kinds == [("explicit_comment", ""), ("item_low", "price")]
    capas = Capa.objects.filter(source_type="survey", source_key=last.number)
    assert capas.count() == 2
    # walked to closure in November-December: no year-old 8D on the work lists
    assert {(c.status, c.reply_approved_at is not None, c.effective) for c in capas} == {
        ("closed", True, True)
    }
    item = Trigger.objects.get(round=last, kind="item_low")
    assert item.capa.customer_id == item.customer_id and item.capa.department.code == "sales"
    comment = Trigger.objects.get(round=last, kind="explicit_comment")
    assert Complaint.objects.get(pk=comment.complaint_id).description == demo.COMMENT
    follow_ups = Step.objects.filter(record_type="survey", record_id=last.pk, code="follow_up")
    assert follow_ups.count() == 1 and follow_ups.get().done_at is not None
    # this year's plan, made last December, and its latest round still collecting
    plan = Plan.objects.get()
    assert (plan.year, plan.made_late) == (2026, False)
    assert (current.plan_id, current.status, current.plan_month) == (plan.pk, "collection", 10)
    forms = Form.objects.filter(round=current, subject="ours")
    states = {f.pk: (f.state, f.channel, bool(f.link_expires_at)) for f in forms}
    returned = [s for s in states.values() if s[0] == "returned"]
    assert 0 < len(returned) < len(states)
    assert [s[1] for s in returned].count("oral") == 1
    assert any(s == ("pending", "", True) for s in states.values())  # a link out, no answer yet
    progress = selectors.round_progress(current)
    assert progress.competitor_answers == len(demo.COMPETITORS)
    assert current.collect_until > NOW.date()
    # nothing in the future, and no customer e-mailed
    assert not Form.objects.filter(returned_at__gt=NOW).exists()
    assert not Notification.objects.filter(state=Notification.State.PENDING).exists()


def test_a_second_load_adds_nothing(demo_org):
    demo.load(now=NOW)
    counted = _counts()
    again = demo.load(now=NOW + dt.timedelta(days=1))
    assert again == "Customer satisfaction: rounds present already, none added."
    assert _counts() == counted


def _counts() -> tuple:
    return tuple(m.objects.count() for m in (Round, Form, Trigger, Capa, Complaint, Notification))


def test_without_the_demo_users_nothing_is_added():
    assert demo.load(now=NOW).endswith("none added.")
    assert not Round.objects.exists() and not Plan.objects.exists()

"""The demo's requirement registers (kefu/requirements/demo.py): four requirements of two customers
at different review stages, one customer's limits approved through a change cycle, a law
collection open; loaded once; the red line on the customer's page."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from kefu.demo import data as demo_data
from kefu.flow.models import Step
from kefu.requirements import demo
from kefu.requirements.models import (
    Answer,
    CsrStatus,
    CycleKind,
    CycleStatus,
    HsfCycle,
    Requirement,
    Review,
    SubstanceLimit,
)

from .factory import TZ

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 3, 15, 0, tzinfo=TZ)


@pytest.fixture
def demo_org():
    users = demo_data.create_users()
    demo_data.create_customers(3, random.Random(5), users)
    return users


def test_the_demo_loads_the_registers_once(demo_org, client):
    line = demo.load(now=NOW)
    assert line.startswith("Requirement registers: 4 requirements")
    reqs = {r.title: r for r in Requirement.objects.all()}
    assert len(reqs) == 4 and len({r.customer_id for r in reqs.values()}) == 2

    red = reqs["禁止使用再生塑料"]
    assert red.red_line and red.status == CsrStatus.IN_FORCE and red.reviewed_at < NOW
    assert [r.red_line for r in reqs.values()].count(True) == 1
    assert set(red.reviews.values_list("answer", flat=True)) == {Answer.ACCEPTED}

    kept = reqs["首件检验记录保存5年"]
    assert kept.status == CsrStatus.ACTION
    action = Review.objects.get(requirement=kept, department__code="production")
    assert action.answer == Answer.NEEDS_ACTION and action.action_owner.username == "production"
    assert action.action_done_at is None and "5 年" in action.action
    open_action = Step.objects.get(
        record_type="csr", record_id=kept.pk, code="csr_action", done_at__isnull=True
    )
    assert open_action.due_at > NOW

    labels = reqs["包装标识要求"]
    assert labels.status == CsrStatus.REVIEW and labels.reviewed_at is None
    assert not labels.reviews.exclude(answer="").exists()
    assert Step.objects.filter(record_type="csr", record_id=labels.pk, done_at__isnull=True).count() == 3

    assert reqs["年度 RoHS 第三方检测报告"].status == CsrStatus.IN_FORCE

    change = HsfCycle.objects.get(kind=CycleKind.CHANGE)
    assert change.customer == red.customer and change.status == CycleStatus.APPROVED
    assert (change.collected_by.username, change.identified_by.username, change.approved_by.username) == (
        "sales",
        "quality",
        "hspm",
    )
    lead = SubstanceLimit.objects.get(customer=red.customer, current=True, substance="铅 Pb")
    assert (lead.limit, lead.unit, lead.regime) == (1000, "ppm", "rohs")
    laws = HsfCycle.objects.get(kind=CycleKind.LAWS)
    assert laws.status == CycleStatus.COLLECT and laws.period == "2026H2" and laws.due_by > NOW.date()
    step = Step.objects.get(record_type="hsf", record_id=laws.pk, done_at__isnull=True)
    assert step.department.code == "quality"

    # once only: a second call adds nothing
    counts = (Requirement.objects.count(), HsfCycle.objects.count(), SubstanceLimit.objects.count())
    assert demo.load(now=NOW) == "Requirement registers: present already, none added."
    assert (Requirement.objects.count(), HsfCycle.objects.count(), SubstanceLimit.objects.count()) == counts

    # the red line is on the customer's page, in its red-line list
    client.force_login(demo_org["admin"])
    html = client.get(f"/customers/{red.customer.code}/").content.decode()
    red_part = html[html.index('id="red-lines"') :]
    red_part = red_part[: red_part.index("</div>")]
    assert red.number in red_part and "禁止使用再生塑料" in red_part
    assert "铅 Pb ≤ 1000 ppm" in html


def test_nothing_without_the_demo_users():
    assert demo.load(now=NOW) == "Requirement registers: no demo users or too few customers, none added."
    assert not Requirement.objects.exists() and not HsfCycle.objects.exists()

"""The demo's 8Ds (kefu/capa/demo.py): five records walked through the engine, one per situation
a reader of the demo should find: closed with everything, at review, in revision, from a complaint,
reopened after an ineffective verification."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.capa import demo
from kefu.capa.models import Capa, Status
from kefu.capa.tests.factory import TZ, prodmgr
from kefu.complaints.tests.workflow_factory import complaint, walk_to
from kefu.core.models import Notification
from kefu.flow.models import Step

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 3, 15, 0, tzinfo=TZ)


def test_the_demo_walks_five_8ds_through_the_engine(org):
    source = walk_to(
        org, complaint(org, now=NOW - dt.timedelta(days=9)), "negotiation", now=NOW - dt.timedelta(days=8)
    )
    prodmgr(org)  # a demo user (kefu.demo.data.USERS)
    made = demo.load(org, now=NOW)
    assert len(made) == 5
    by_title = {c.title: Capa.objects.get(pk=c.pk) for c in made}
    closed = by_title["支架孔径超差"]
    assert closed.status == Status.CLOSED and closed.closed_at < NOW
    assert closed.reply_approved_by.username == "prodmgr" and closed.report_approved_by.username == "mrep"
    assert closed.fishbone_occurrence["machine"] and closed.why_occurrence and closed.recognition
    assert closed.documents and closed.attachments.count() == 2 and closed.effective is True
    assert by_title["外壳表面划伤"].status == Status.REVIEW
    revision = by_title["连接器端子毛刺"]
    assert revision.status == Status.REVISION and revision.due_at == NOW + dt.timedelta(hours=19)
    tracked = Capa.objects.get(source_type="complaint", source_key=source.number)
    assert tracked.status == Status.REPLY and tracked.due_at == NOW + dt.timedelta(hours=38)
    reopened = by_title["端盖错装漏装"]
    assert (reopened.status, reopened.reopened, reopened.effective) == (Status.REPLY, 1, False)
    assert Notification.objects.filter(kind="capa_ineffective", object_id=reopened.number).exists()
    # every open 8D has exactly one open step, none is due before now except by design
    for c in Capa.objects.exclude(status=Status.CLOSED):
        assert (
            Step.objects.filter(record_type="capa", record_id=c.pk, kind="step", done_at__isnull=True).count()
            == 1
        )
    assert demo.load(org, now=NOW) == []  # once only


def test_without_a_complaint_to_track_the_demo_makes_four(org):
    made = demo.load(org, now=NOW)  # no complaint has a responsible department yet
    assert len(made) == 4 and Capa.objects.count() == 4

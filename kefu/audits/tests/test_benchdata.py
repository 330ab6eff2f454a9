"""The benchmark hook: ``generate`` makes audits with their open steps, and every list it names
answers with a session or a token."""

from __future__ import annotations

import pytest

from kefu.audits import benchdata
from kefu.audits.models import Audit
from kefu.flow.models import Step

pytestmark = pytest.mark.django_db


def test_generate_and_the_lists_answer(org, page, api):
    facts = benchdata.generate(200)
    assert facts["audits"] == 200 == Audit.objects.count()
    open_audits = Audit.objects.exclude(status="closed").count()
    assert 0 < open_audits < 200
    assert Step.objects.filter(record_type="audit", done_at__isnull=True).count() == open_audits
    assert len(set(Audit.objects.values_list("number", flat=True))) == 200
    for _name, path, is_api in benchdata.LISTS:
        res = api("quality").get(path) if is_api else page("quality").get(path)
        assert res.status_code == 200, (path, res.content[:300])
    body = api("quality").get("/api/v1/audits").json()
    assert body["count"] == 200 and len(body["results"]) == 50
    benchdata.generate(10)  # again: the numbers go on
    assert Audit.objects.count() == 210


def test_demo_audits_load_once(org):
    from kefu.audits import demo
    from kefu.audits.tests.factory import customer

    for code in ("D1", "D2", "D3", "D4"):
        customer(code)
    assert "4 added" in demo.load()
    assert set(Audit.objects.values_list("status", flat=True)) == {
        "closed",
        "follow_up",
        "in_progress",
        "planned",
    }
    follow = Audit.objects.get(status="follow_up")
    assert follow.routing == "quality" and len(services_capas(follow)) == 2
    assert "present already" in demo.load() and Audit.objects.count() == 4


def services_capas(a):
    from kefu.audits.services import capas_of

    return list(capas_of(a))

"""A CAPA opened from a complaint (the GM office's tracking, or every valid complaint with the
setting on; 004 COP14 5.3.1), linked both ways; the generic source link."""

from __future__ import annotations

import pytest

from kefu.capa import services
from kefu.capa.models import Capa, SourceType
from kefu.capa.tests.factory import MONDAY, open_capa
from kefu.complaints.services import take_action
from kefu.complaints.tests.workflow_factory import complaint, steps, walk_to
from kefu.core.errors import Invalid
from kefu.core.models import Setting

pytestmark = pytest.mark.django_db


def test_open_from_complaint_copies_the_problem_and_links_the_source(org, api, page):
    c = walk_to(org, complaint(org), "negotiation", now=MONDAY)
    capa = services.open_from_complaint(c, org["gmoffice"], now=MONDAY)
    assert (capa.source_type, capa.source_key) == (SourceType.COMPLAINT, c.number)
    assert (capa.department.code, capa.customer_id, capa.problem) == (
        "production",
        c.customer_id,
        c.description,
    )
    assert capa.where == c.customer.name
    # idempotent while it is open
    assert services.open_from_complaint(c, org["gmoffice"], now=MONDAY).pk == capa.pk
    body = api("quality").get(f"/api/v1/capa?source_type=complaint&source={c.number}").json()
    assert [r["number"] for r in body["results"]] == [capa.number]
    detail = api("quality").get(f"/api/v1/capa/{capa.number}").json()
    assert detail["source"] == {"type": "complaint", "key": c.number}
    html = page("quality").get(f"/capa/{capa.number}/").content.decode()
    assert f'href="/complaints/{c.number}/"' in html
    html = page("quality").get(f"/complaints/{c.number}/").content.decode()
    assert 'id="capa-links"' in html and f'href="/capa/{capa.number}/"' in html


def test_a_complaint_without_responsible_department_needs_one(org):
    c = complaint(org, now=MONDAY)
    with pytest.raises(Invalid) as exc:
        services.open_from_complaint(c, org["gmoffice"], now=MONDAY)
    assert exc.value.field == "department"
    assert (
        services.open_from_complaint(c, org["gmoffice"], department="quality", now=MONDAY).department.code
        == "quality"
    )


@pytest.mark.parametrize("on", [False, True])
def test_every_valid_complaint_opens_a_capa_only_with_the_setting(org, on):
    if on:
        Setting.objects.create(key="capa.open_for_every_valid_complaint", value=True)
    c = walk_to(org, complaint(org), "investigating", now=MONDAY)
    take_action(
        c.number,
        "submit_investigation",
        by=org["quality"],
        payload={"cause": "burr", "valid": True, "responsible_department": "production"},
        now=MONDAY,
    )
    capas = Capa.objects.filter(source_type="complaint", source_key=c.number)
    assert capas.count() == (1 if on else 0)


def test_setting_is_off_by_default_and_an_invalid_complaint_opens_none(org):
    from kefu.core import config

    assert config.get("capa.open_for_every_valid_complaint") is False
    Setting.objects.create(key="capa.open_for_every_valid_complaint", value=True)
    c = walk_to(org, complaint(org), "investigating", now=MONDAY)
    take_action(
        c.number,
        "submit_investigation",
        by=org["quality"],
        payload={"cause": "ok", "valid": False},
        now=MONDAY,
    )
    assert not Capa.objects.filter(source_key=c.number).exists()


def test_a_source_other_than_by_hand_needs_its_key(org):
    with pytest.raises(Invalid) as exc:
        open_capa(org, source_type="audit")
    assert exc.value.field == "source"
    capa = open_capa(org, source_type="audit", source="AUD-2026-01/NC3")
    assert capa.source_key == "AUD-2026-01/NC3"


def _to_approval(org, *, tracking: bool, shares):
    c = walk_to(org, complaint(org), "synthesis", now=MONDAY)
    take_action(
        c.number,
        "submit_synthesis",
        by=org["gmoffice"],
        payload={"opinion": "ok", "responsibility": shares, "tracking": tracking, "penalty": "none"},
        now=MONDAY,
    )
    return c


def test_an_approved_decision_under_tracking_opens_the_8d_of_the_largest_share(org):
    """002 篇4 第九条(六): the GM office puts the improvement under tracking; once the decision is
    approved, the department with the largest share gets the corrective action."""
    shares = [{"department": "production", "share": 30}, {"department": "warehouse", "share": 70}]
    c = _to_approval(org, tracking=True, shares=shares)
    assert not Capa.objects.exists()  # the synthesis alone opens nothing: approval may send it back
    take_action(c.number, "approve", by=org["salesmgr"], payload={"note": "ok"}, now=MONDAY)
    capa = Capa.objects.get(source_type=SourceType.COMPLAINT, source_key=c.number)
    assert capa.department.code == "warehouse"
    assert steps(c).get(code="approval").data["capa"] == capa.number


def test_an_approved_decision_without_tracking_opens_none(org):
    c = _to_approval(org, tracking=False, shares=[{"department": "production", "share": 100}])
    take_action(c.number, "approve", by=org["salesmgr"], payload={"note": "ok"}, now=MONDAY)
    assert not Capa.objects.exists()

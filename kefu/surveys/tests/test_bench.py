"""The benchmark hook (bench/records.py): ``generate`` writes forms in rounds with their steps, and
every list of ``LISTS`` answers over them."""

from __future__ import annotations

import pytest

from kefu.flow.models import Step
from kefu.surveys import benchdata
from kefu.surveys.models import Form, Round

pytestmark = pytest.mark.django_db


def test_generate_200_forms_and_the_lists_answer(api, page, org):
    facts = benchdata.generate(200)
    assert facts["counts"]["forms"] == 200 and Form.objects.count() == 200
    assert Round.objects.count() == 1 and Round.objects.get().status == "collection"
    assert Step.objects.filter(record_type="survey", done_at__isnull=True).count() == 1
    for _name, path, is_api in benchdata.LISTS:
        r = api("sales").get(path) if is_api else page("sales").get(path)
        assert r.status_code == 200, (path, r.content[:200])
    assert api("gm").get("/api/v1/surveys/forms").json()["count"] == 200  # sales sees only its own customers


def test_generate_spreads_forms_over_closed_rounds(org):
    benchdata.PER_ROUND, old = 50, benchdata.PER_ROUND
    try:
        facts = benchdata.generate(120)
    finally:
        benchdata.PER_ROUND = old
    assert facts["counts"] == {"rounds": 3, "forms": 120, "returned": facts["counts"]["returned"], "steps": 7}
    assert list(Round.objects.order_by("created_at").values_list("status", flat=True)) == [
        "closed",
        "closed",
        "collection",
    ]
    assert len(set(Round.objects.values_list("number", flat=True))) == 3

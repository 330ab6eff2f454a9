"""The benchmark hook: generate(200) loads requirements the lists show, and every list answers 200."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.requirements import benchdata
from kefu.requirements.models import Requirement

pytestmark = pytest.mark.django_db


def test_generate_200_and_the_lists_answer(org, page, api):
    facts = benchdata.generate(200)
    assert facts["requirements"] == Requirement.objects.count() == 200
    assert facts["steps"] > 0
    for _name, path, is_api in benchdata.LISTS:
        client = api("gm") if is_api else page("gm")
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
    assert api("gm").get("/api/v1/requirements").json()["count"] == 200
    again = benchdata.generate(10)  # a second load adds, numbers stay unique
    assert again["requirements"] == 10 and Requirement.objects.count() == 210


def test_list_query_count_is_pinned(org, api):
    benchdata.generate(120)
    client = api("gm")
    client.get("/api/v1/requirements")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/requirements?page_size=100").status_code == 200
    assert len(ctx.captured_queries) <= 6, [q["sql"][:120] for q in ctx.captured_queries]

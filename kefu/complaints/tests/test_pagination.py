"""Lists count at most COUNT_CAP matches: beyond it the page says "more than" and still pages on."""

import pytest

from kefu.complaints import selectors
from kefu.complaints.models import Complaint
from kefu.complaints.tests.workflow_factory import complaint
from kefu.core import pagination


@pytest.fixture
def five(org):
    return [complaint(org) for _ in range(5)]


@pytest.mark.django_db
def test_count_is_exact_below_the_cap(five, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 10)
    page = selectors.paginate(Complaint.objects.order_by("id"), 1, 2)
    assert (page.count, page.count_exact, page.num_pages, page.has_next) == (5, True, 3, True)
    last = selectors.paginate(Complaint.objects.order_by("id"), 3, 2)
    assert (len(last.items), last.has_next) == (1, False)


@pytest.mark.django_db
def test_count_is_capped_and_pages_go_on_past_the_cap(five, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    page = selectors.paginate(Complaint.objects.order_by("id"), 1, 2)
    assert (page.count, page.count_exact, page.has_next) == (3, False, True)
    beyond = selectors.paginate(Complaint.objects.order_by("id"), 3, 2)
    assert [c.pk for c in beyond.items] == [five[4].pk] and beyond.has_next is False


@pytest.mark.django_db
def test_api_and_page_say_more_than_when_capped(five, api, page, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    body = api("quality").get("/api/v1/complaints", {"page_size": 2}).json()
    assert (body["count"], body["count_exact"], len(body["results"])) == (3, False, 2)
    html = page("quality").get("/complaints/").content.decode()
    assert "超过 3 件客诉" in html


@pytest.mark.django_db
def test_the_deferred_join_pages_as_the_plain_slice_does(org, five):
    """``selectors.paginate`` reads a page's ids, then its rows: same rows, same order, every page."""
    for c, day in zip(five, (3, 1, 3, 2, 3), strict=True):
        Complaint.objects.filter(pk=c.pk).update(registered_at=c.registered_at.replace(day=day))
    qs = selectors.complaint_list(org["quality"], {})
    for number in (1, 2, 3):
        deferred = selectors.paginate(qs, number, 2)
        plain = pagination.paginate(qs, number, 2)
        assert [c.number for c in deferred.items] == [c.number for c in plain.items]
        assert all(c.customer.name for c in deferred.items)  # the list's columns came with them
    order = [c.number for p in (1, 2, 3) for c in selectors.paginate(qs, p, 2).items]
    assert order == list(qs.values_list("number", flat=True)) and len(set(order)) == 5


@pytest.mark.django_db
def test_a_status_and_date_page_reads_its_ids_from_one_covering_index(org, five, django_assert_num_queries):
    """No statistics (a fresh database): the ids come from complaint_status_received_idx alone
    (SQLite); PostgreSQL sorts the range's matches instead of walking the list order."""
    from django.db import connection

    qs = selectors.complaint_list(
        org["quality"], {"status": "registered", "received_from": "2000-01-01", "received_to": "2099-12-31"}
    )
    ids = qs.values_list("pk", flat=True)[:50]
    sql, params = ids.query.sql_with_params()
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(r[-1]) for r in cur.fetchall())
            assert "COVERING INDEX complaint_status_received_idx" in plan, plan
        else:
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("EXPLAIN " + sql, params)
            plan = " ".join(r[0] for r in cur.fetchall())
            # The matches are sorted, never found by walking the list order newest first (on a
            # handful of rows the planner's choice of index means nothing; at 1M see performance.md).
            assert "Sort Key: (COALESCE(registered_at, received_at)) DESC, id DESC" in plan, plan
    with django_assert_num_queries(3):  # count, ids, rows
        page = selectors.paginate(qs, 1, 50)
    assert len(page.items) == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({"status": "closed"}, "complaint_status_recent_idx"),  # one status: ids in index order, no sort
        ({"status": "open"}, "complaint_open_recent_idx"),  # every open state: the partial index
    ],
)
def test_a_broad_status_page_reads_its_ids_in_index_order(org, five, filters, index):
    """No statistics, no sort: the page's ids come from an index already in the list's order."""
    from django.db import connection

    ids = selectors.complaint_list(org["quality"], filters).values_list("pk", flat=True)[:50]
    sql, params = ids.query.sql_with_params()
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(r[-1]) for r in cur.fetchall())
            assert index in plan and "TEMP B-TREE" not in plan, plan
        else:
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("SET LOCAL enable_sort = off")
            cur.execute("EXPLAIN " + sql, params)
            plan = " ".join(r[0] for r in cur.fetchall())
            assert f"using {index}" in plan and "Sort" not in plan, plan

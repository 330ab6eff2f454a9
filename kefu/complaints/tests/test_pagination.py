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

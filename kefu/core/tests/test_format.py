"""Pages show people by name and money as ¥12,800.00 (kefu.core.templatetags.kefu_format)."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from kefu.core.templatetags.kefu_format import money, person


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("12800"), "¥12,800.00"),
        (Decimal("3000.5"), "¥3,000.50"),
        (Decimal("0.005"), "¥0.01"),  # half-up to the cent
        (Decimal("1234567.894"), "¥1,234,567.89"),
        (Decimal("-5"), "-¥5.00"),
        (0, "¥0.00"),
        (None, ""),
    ],
)
def test_money(value, shown):
    assert money(value) == shown


def test_a_person_is_shown_by_name_and_by_username_only_without_one():
    user = get_user_model()
    assert person(user(username="quality", first_name="伟", last_name="张")) in {"伟 张", "张伟", "张 伟"}
    assert person(user(username="quality", first_name="张伟")) == "张伟"
    assert person(user(username="sales2")) == "sales2"
    assert person(None) == ""


@pytest.mark.django_db
def test_the_customer_list_shows_the_owner_by_name(org, page):
    from kefu.customers.models import Customer

    owner = org["sales"]
    owner.first_name = "林晓燕"
    owner.save()
    Customer.objects.create(code="C9001", name="测试客户", owner=owner)
    html = page("salesmgr").get("/customers/").content.decode()
    assert "林晓燕" in html and "<td>sales</td>" not in html
    assert '<option value="sales">林晓燕</option>' in html  # the owner filter lists names too
    form = page("salesmgr").get("/customers/new/").content.decode()
    assert '<option value="sales">林晓燕</option>' in form  # and so does the owner of a new record


@pytest.mark.django_db
def test_a_complaint_page_shows_the_loss_in_yuan_and_who_acted_by_name(org, page):
    from kefu.complaints.tests.workflow_factory import MONDAY, complaint, walk_to

    gmoffice = org["gmoffice"]
    gmoffice.first_name = "刘婷"
    gmoffice.save()
    c = walk_to(org, complaint(org, now=MONDAY), "reply", needs_rd=False)
    assert c.loss_amount == Decimal("3000")
    html = page("quality").get(f"/complaints/{c.number}/").content.decode()
    assert "¥3,000.00" in html
    assert "刘婷" in html  # the history names the GM office clerk who assigned it

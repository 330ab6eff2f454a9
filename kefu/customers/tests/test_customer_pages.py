"""Issue 13, the customer pages: the export link once, links to the imported customers, the owner
column of an import by username or full name."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kefu.customers.models import Customer

from .test_excel import filled_template, row


def _named(user, first: str, last: str = "") -> None:
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])


def test_export_link_appears_once_and_follows_the_filters_out_of_band(org, page, customers):
    client = page("salesmgr")
    html = client.get(reverse("customers:list")).content.decode()
    assert html.count('id="export-link"') == 1 and "hx-swap-oob" not in html
    part = client.get(reverse("customers:list") + "?grade=A", HTTP_HX_REQUEST="true").content.decode()
    assert part.count('id="export-link"') == 1 and 'hx-swap-oob="true"' in part and "grade=A" in part


def test_import_links_the_imported_customers(org, page):
    client = page("salesmgr")
    good = SimpleUploadedFile("c.xlsx", filled_template([row("G1", "好"), row("G2", "也好")]))
    html = client.post(reverse("customers:import"), {"file": good}).content.decode()
    imported = html.split('id="imported-customers"')[1].split("</ul>")[0]
    assert '<a class="num" href="/customers/G1/">G1</a>' in imported
    assert '<a class="num" href="/customers/G2/">G2</a>' in imported


def test_import_owner_by_username_or_full_name(org, page):
    _named(org["sales"], "林晓燕")
    _named(org["sales2"], "Junjie", "Huang")
    rows = [row("N1", "甲", owner="sales"), row("N2", "乙", owner="林晓燕"), row("N3", "丙", owner="Junjie Huang"),
            row("N4", "丁", owner="huang junjie")]  # fmt: skip
    html = page("salesmgr").post(reverse("customers:import"), {"file": SimpleUploadedFile("c.xlsx", filled_template(rows))}).content.decode()  # fmt: skip
    assert 'class="import-ok"' in html, html
    owners = dict(Customer.objects.filter(code__startswith="N").values_list("code", "owner__username"))
    assert owners == {"N1": "sales", "N2": "sales", "N3": "sales2", "N4": "sales2"}


def test_import_refuses_an_ambiguous_or_unknown_owner_name_with_a_row_error(org, page):
    _named(org["sales"], "林晓燕")
    _named(org["sales2"], "林晓燕")
    rows = [row("A1", "甲", owner="林晓燕"), row("A2", "乙", owner="王不存在")]
    r = page("salesmgr").post(reverse("customers:import"), {"file": SimpleUploadedFile("c.xlsx", filled_template(rows))})  # fmt: skip
    html = r.content.decode()
    errors = html.split('class="list import-errors"')[1]
    assert (
        '<td class="num">3</td><td>业务员</td><td>林晓燕 是 2 个用户的姓名（sales, sales2）：请填写所指用户的用户名</td>'
        in errors
    )
    assert '<td class="num">4</td><td>业务员</td><td>没有用户名或姓名为 王不存在 的在职用户</td>' in errors
    assert not Customer.objects.filter(code__in=["A1", "A2"]).exists()

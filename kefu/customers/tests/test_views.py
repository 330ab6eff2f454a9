"""Customer pages: list with htmx filters, detail tabs, create / edit forms, grade form."""

import pytest
from django.urls import reverse

from kefu.customers import tabs
from kefu.customers.models import Customer, CustomerAccessLog


def test_list_shows_only_visible_customers_to_sales(org, customers, page):
    response = page("sales").get(reverse("customers:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "C-S1" in html and "C-S2" not in html
    assert "export-link" not in html  # a sales clerk has no export permission


def test_list_filter_with_htmx_returns_the_table_partial(org, customers, page):
    response = page("salesmgr").get(reverse("customers:list"), {"grade": "A"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "<table" in html
    assert "C-S2" in html and "C-S1" not in html
    assert "export-link" in html and "grade=A" in html  # the export button follows the filter


def test_list_page_has_htmx_filter_form(org, customers, page):
    html = page("salesmgr").get(reverse("customers:list")).content.decode()
    assert (
        'hx-get="/customers/"' in html
        and 'hx-target="#customer-table"' in html
        and 'hx-push-url="true"' in html
    )


def test_list_bad_filter_shows_a_message_not_500(org, customers, page):
    response = page("salesmgr").get(reverse("customers:list"), {"grade": "Z"})
    assert response.status_code == 200
    assert "等级: 必须是 A、B、C 或 D" in response.content.decode()  # the label, not the code


def test_list_paginates_50_per_page(org, make_customer, page):
    for i in range(55):
        make_customer(f"P{i:03d}")
    html = page("salesmgr").get(reverse("customers:list"), {"page": 2}).content.decode()
    assert "P054" in html and "P049" not in html and "P050" in html


def test_list_page_query_count_does_not_grow_with_rows(
    org, make_customer, make_complaint, page, django_assert_max_num_queries
):
    for i in range(35):
        make_complaint(make_customer(f"Q{i:03d}", contacts=[{"name": f"联系人{i}"}]))
    client = page("salesmgr")
    with django_assert_max_num_queries(11):  # 11: + the settings snapshot (export roles), once per process
        response = client.get(reverse("customers:list"))
    assert response.content.decode().count('class="badge badge-open"') == 35


@pytest.mark.parametrize("tab", ["overview", "grades", "complaints", "access"])
def test_every_tab_renders_and_logs_the_read(org, customers, page, tab):
    response = page("salesmgr").get(reverse("customers:detail", args=["C-S1"]), {"tab": tab})
    assert response.status_code == 200
    assert f'class="tab-{tab}"' in response.content.decode()
    assert CustomerAccessLog.objects.filter(user=org["salesmgr"], action="view").count() == 1


def test_overview_shows_the_record_fields_and_contacts(org, customers, page):
    html = page("sales").get(reverse("customers:detail", args=["C-S1"])).content.decode()
    assert "华东精密机械" in html and "李娜" in html and "13800000001" in html
    # A contact's name and title are a person's (姓名, 职务), not a record's (名称, 标题).
    assert "<th>姓名</th><th>职务</th>" in html and "<th>名称</th>" in html


def test_grade_history_shows_the_stored_initial_reason_in_the_readers_language(org, customers, page):
    assert customers["mine"].grade_changes.get().reason == "initial grade"  # stored as is
    url = reverse("customers:detail", args=["C-S1"])
    client = page("sales")
    assert "<td>初始等级</td>" in client.get(url, {"tab": "grades"}).content.decode()
    client.cookies["django_language"] = "en"
    assert "<td>initial grade</td>" in client.get(url, {"tab": "grades"}).content.decode()


def test_complaints_tab_lists_newest_first_capped_with_link(org, customers, page, make_complaint):
    import datetime as dt

    from django.utils import timezone

    base = timezone.now() - dt.timedelta(days=30)
    for i in range(tabs.COMPLAINTS_SHOWN + 2):
        make_complaint(customers["mine"], title=f"投诉{i:02d}", received_at=base + dt.timedelta(days=i))
    html = (
        page("sales").get(reverse("customers:detail", args=["C-S1"]), {"tab": "complaints"}).content.decode()
    )
    assert html.index("投诉21") < html.index("投诉20")
    assert "投诉01" not in html and "投诉02" in html
    assert "/complaints/?customer=C-S1" in html


def test_a_module_can_register_its_own_tab(org, customers, page):
    tab = tabs.register(
        tabs.Tab(
            "extra", "Extra", "customers/tabs/overview.html", lambda request, c: {"contacts": []}, order=50
        )
    )
    try:
        html = (
            page("sales").get(reverse("customers:detail", args=["C-S1"]), {"tab": "extra"}).content.decode()
        )
        assert "?tab=extra" in html and 'class="tab-extra"' in html
    finally:
        tabs._REGISTRY.pop(tab.key)


def test_create_form_with_contacts_formset(org, page):
    data = {
        "code": "N001",
        "name": "新客户",
        "region": "domestic",
        "grade": "B",
        "owner": "sales",
        "contacts-TOTAL_FORMS": "2",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "50",
        "contacts-0-name": "钱七",
        "contacts-0-email": "qq@example.com",
        "contacts-1-name": "",
    }
    response = page("salesmgr").post(reverse("customers:create"), data)
    assert response.status_code == 302 and response.url == reverse("customers:detail", args=["N001"])
    c = Customer.objects.get(code="N001")
    assert (c.grade, c.owner.username, [x.name for x in c.contacts.all()]) == ("B", "sales", ["钱七"])


def test_create_form_duplicate_code_shows_error_on_code(org, customers, page):
    data = {
        "code": "C-S1",
        "name": "x",
        "region": "domestic",
        "grade": "C",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }
    response = page("salesmgr").post(reverse("customers:create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["此客户编号已存在"]


def test_create_page_refused_to_quality(org, page):
    assert page("quality").get(reverse("customers:create")).status_code == 403


def test_edit_form_updates_fields_and_contacts(org, customers, page):
    c = customers["mine"]
    lina = c.contacts.get()
    data = {
        "name": "华东精密机械集团",
        "region": "domestic",
        "is_key": "on",
        "owner": "sales",
        "contacts-TOTAL_FORMS": "2",
        "contacts-INITIAL_FORMS": "1",
        "contacts-0-id": str(lina.pk),
        "contacts-0-name": "李娜",
        "contacts-0-DELETE": "on",
        "contacts-1-name": "孙八",
    }
    response = page("sales").post(reverse("customers:edit", args=["C-S1"]), data)
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.name, c.is_key, [x.name for x in c.contacts.all()]) == ("华东精密机械集团", True, ["孙八"])


def test_edit_page_of_another_salesmans_customer_is_refused(org, customers, page):
    assert page("sales").get(reverse("customers:edit", args=["C-S2"])).status_code == 403


def test_grade_form_changes_grade_and_requires_reason(org, customers, page):
    url = reverse("customers:grade", args=["C-S1"])
    client = page("sales")
    client.post(url, {"grade": "A", "reason": ""})
    customers["mine"].refresh_from_db()
    assert customers["mine"].grade == "C"
    response = client.post(url, {"grade": "A", "reason": "年度复评"})
    assert response.status_code == 302
    customers["mine"].refresh_from_db()
    assert customers["mine"].grade == "A"
    html = client.get(response.url).content.decode()
    assert "年度复评" in html


def test_anonymous_is_sent_to_login(client, customers):
    response = client.get(reverse("customers:list"))
    assert response.status_code == 302 and "/login/" in response.url

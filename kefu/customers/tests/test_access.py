"""R1.2: customer records are confidential, every read and refusal is logged."""

import pytest
from django.urls import reverse

from kefu.core.errors import Forbidden, NotFound
from kefu.core.org import create_user
from kefu.customers import access, services
from kefu.customers.models import CustomerAccessLog, CustomerGrant


def _log(customer, user):
    return list(
        CustomerAccessLog.objects.filter(customer=customer, user=user).values_list("action", flat=True)
    )


def test_sales_clerk_sees_only_own_customers(org, customers):
    assert list(access.visible_customers(org["sales"]).values_list("code", flat=True)) == ["C-S1"]
    assert list(access.visible_customers(org["sales2"]).values_list("code", flat=True)) == ["C-S2"]


@pytest.mark.parametrize("username", ["salesmgr", "quality", "gm", "gmoffice", "admin", "accounting"])
def test_non_sales_clerks_see_all_customers(org, customers, username):
    assert access.visible_customers(org[username]).count() == 2


def test_user_without_membership_sees_no_customer(org, customers):
    from django.contrib.auth import get_user_model

    loner = get_user_model().objects.create_user("loner", password="x")
    assert access.visible_customers(loner).count() == 0
    with pytest.raises(Forbidden):
        access.access_customer(loner, "C-S1")


def test_sales_refused_another_salesmans_customer_page_403_and_denied_logged(org, customers, page):
    response = page("sales").get(reverse("customers:detail", args=["C-S2"]))
    assert response.status_code == 403
    assert _log(customers["theirs"], org["sales"]) == ["denied"]


def test_sales_refused_another_salesmans_customer_api_403_and_denied_logged(org, customers, api):
    response = api("sales").get("/api/v1/customers/C-S2")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("customer: you may not read this customer record")
    row = CustomerAccessLog.objects.get(customer=customers["theirs"], user=org["sales"])
    assert row.action == "denied"
    assert row.detail.startswith("api_read")


def test_page_read_of_own_customer_is_logged_as_view(org, customers, page):
    response = page("sales").get(reverse("customers:detail", args=["C-S1"]))
    assert response.status_code == 200
    assert _log(customers["mine"], org["sales"]) == ["view"]


def test_api_read_is_logged_as_api_read(org, customers, api):
    assert api("quality").get("/api/v1/customers/C-S2").status_code == 200
    assert _log(customers["theirs"], org["quality"]) == ["api_read"]


def test_unknown_code_is_404_not_403(org, customers, api, page):
    assert api("sales").get("/api/v1/customers/NOPE").status_code == 404
    assert page("sales").get(reverse("customers:detail", args=["NOPE"])).status_code == 404
    with pytest.raises(NotFound):
        access.access_customer(org["sales"], "NOPE")


def test_manager_grant_lets_sales_read_another_salesmans_customer(org, customers, api):
    services.grant_access(customers["theirs"], org["sales"], by=org["salesmgr"], reason="代休假同事跟进")
    assert api("sales").get("/api/v1/customers/C-S2").status_code == 200
    assert set(access.visible_customers(org["sales"]).values_list("code", flat=True)) == {"C-S1", "C-S2"}
    services.revoke_access(customers["theirs"], org["sales"], by=org["salesmgr"])
    assert api("sales").get("/api/v1/customers/C-S2").status_code == 403


@pytest.mark.parametrize("granter", ["sales", "sales2", "quality", "qualitymgr", "gmoffice"])
def test_grant_by_someone_not_sales_manager_or_executive_is_refused(org, customers, granter):
    with pytest.raises(Forbidden):
        services.grant_access(customers["theirs"], org["sales"], by=org[granter], reason="请协助")
    assert not CustomerGrant.objects.exists()


@pytest.mark.parametrize("granter", ["salesmgr", "gm", "dgm", "mrep", "admin"])
def test_sales_manager_and_executives_may_grant(org, customers, granter):
    services.grant_access(customers["theirs"], org["sales"], by=org[granter], reason="代班")
    assert CustomerGrant.objects.get().granted_by == org[granter]


def test_grant_needs_a_reason(org, customers):
    from kefu.core.errors import Invalid

    with pytest.raises(Invalid, match="reason"):
        services.grant_access(customers["theirs"], org["sales"], by=org["salesmgr"], reason="  ")


def test_grant_page_by_clerk_is_refused_and_by_manager_works(org, customers, page):
    url = reverse("customers:grant", args=["C-S2"])
    page("sales2").post(url, {"user": "sales", "reason": "x"})
    assert not CustomerGrant.objects.exists()
    page("salesmgr").post(url, {"user": "sales", "reason": "代班"})
    assert CustomerGrant.objects.get().user == org["sales"]


def test_sales_user_in_another_department_too_sees_all(org, customers):
    from kefu.core.choices import DepartmentCode as D
    from kefu.core.choices import Role as R

    both = create_user("both", password=None, memberships=[(D.SALES, R.CLERK), (D.QUALITY, R.CLERK)])
    assert access.visible_customers(both).count() == 2


def test_export_permission_is_given_to_named_roles_not_to_every_manager(org):
    """002 篇10: exporting customer files is a permission of the roles the setting names (the GM, the
    deputy GM, the sales manager), or of a user or group given the Django permission."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    from kefu.core.models import Setting

    assert (
        access.can_export(org["salesmgr"]) and access.can_export(org["gm"]) and access.can_export(org["dgm"])
    )
    assert access.can_export(org["admin"])  # the superuser holds every permission
    for name in ("qualitymgr", "mrep", "sales", "gmoffice"):
        assert not access.can_export(org[name]), name
    # The Django permission, to a user or through a group.
    org["sales"].user_permissions.add(Permission.objects.get(codename="export_customer"))
    assert access.can_export(get_user_model().objects.get(pk=org["sales"].pk))
    group = Group.objects.create(name="quality reporting")
    group.permissions.add(Permission.objects.get(codename="export_customer"))
    org["qualitymgr"].groups.add(group)
    assert access.can_export(get_user_model().objects.get(pk=org["qualitymgr"].pk))
    # The setting names the roles: the quality manager by name, the sales manager no more.
    Setting.objects.create(key="customers.export_roles", value="gm, quality:manager")
    assert not access.can_export(org["salesmgr"]) and access.can_export(org["gm"])
    assert not access.can_export(org["dgm"])


def test_a_manager_without_the_export_permission_is_refused_and_logged(org, customers, page, api):
    response = page("qualitymgr").get(reverse("customers:export"))
    assert response.status_code == 403
    [log] = CustomerAccessLog.objects.filter(user=org["qualitymgr"], action="denied")
    assert log.detail.startswith("export: no permission")
    assert page("qualitymgr").get("/customers/").context["can_export"] is False
    assert page("salesmgr").get(reverse("customers:export")).status_code == 200


def test_a_grant_tells_the_sales_manager_and_the_operations_manager(org, customers):
    """002 篇10 三: 查阅客户档案, 应征得营销经理同意并同时知会经营部经理 -- outbox mail and history."""
    from kefu.core.choices import DepartmentCode as D
    from kefu.core.choices import Role as R
    from kefu.core.models import AuditEvent, Notification

    create_user("opsmgr", password=None, memberships=[(D.GM_OFFICE, R.MANAGER)], email="ops@example.com")
    from django.utils import translation

    with translation.override("en"):
        services.grant_access(customers["theirs"], org["sales"], by=org["gm"], reason="covering for 小王")
    notes = Notification.objects.filter(kind="customer_grant", object_type="customer", object_id="C-S2")
    assert sorted(notes.values_list("to", flat=True)) == ["ops@example.com", "salesmgr@example.com"]
    note = notes.get(to="salesmgr@example.com")
    assert note.subject == "[C-S2] Access granted to sales"
    assert note.body == "gm granted sales access to the customer C-S2 西南汽配.\nReason: covering for 小王"
    event = AuditEvent.objects.get(object_id="C-S2", action="grant_access")
    assert event.data == {"user": "sales", "notified": ["salesmgr@example.com", "ops@example.com"]}


def test_who_is_told_of_a_grant_is_a_setting(org, customers):
    from kefu.core.models import Notification, Setting

    Setting.objects.create(key="customers.grant_notify_roles", value="gm")
    services.grant_access(customers["theirs"], org["sales"], by=org["salesmgr"], reason="x")
    assert list(Notification.objects.filter(kind="customer_grant").values_list("to", flat=True)) == [
        "gm@example.com"
    ]

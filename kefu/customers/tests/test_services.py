"""R2.1 customer records and R2.2 grade history, through the service functions."""

import pytest

from kefu.core.errors import Conflict, Forbidden, Invalid
from kefu.core.models import AuditEvent
from kefu.customers import services
from kefu.customers.models import Contact, Customer, GradeChange


def _events(code):
    return list(AuditEvent.objects.filter(object_type="customer", object_id=code).order_by("id"))


def test_create_writes_record_contacts_initial_grade_and_audit(org, make_customer):
    c = make_customer(
        "C100",
        owner="sales",
        grade="B",
        region="foreign",
        is_key=True,
        area="德国",
        contacts=[{"name": "Anna", "email": "anna@example.com"}, {"name": "Li", "mobile": "13900000000"}],
    )
    c.refresh_from_db()
    assert (c.grade, c.region, c.is_key, c.owner.username) == ("B", "foreign", True, "sales")
    assert [(x.name, x.is_primary) for x in c.contacts.all()] == [("Anna", True), ("Li", False)]
    assert [(g.from_grade, g.to_grade, g.reason) for g in c.grade_changes.all()] == [
        ("", "B", "initial grade")
    ]
    (event,) = _events("C100")
    assert event.action == "create" and event.actor == org["salesmgr"]
    assert event.data["owner"] == "sales" and event.data["contacts"] == ["Anna", "Li"]


def test_sales_clerk_creating_a_customer_owns_it(org):
    c = services.create_customer(by=org["sales"], code="C200", name="自建客户")
    assert c.owner == org["sales"]
    with pytest.raises(Forbidden, match="owner"):
        services.create_customer(by=org["sales"], code="C201", name="替人建", owner=org["sales2"])


@pytest.mark.parametrize("username", ["quality", "production", "warehouse", "accounting", "gmoffice"])
def test_only_sales_and_executives_create_customers(org, username):
    with pytest.raises(Forbidden):
        services.create_customer(by=org[username], code="C300", name="x")


def test_duplicate_code_is_a_conflict(org, make_customer):
    make_customer("C400")
    with pytest.raises(Conflict) as exc:
        make_customer("C400")
    assert (
        exc.value.detail == "code: 此客户编号已存在"
    )  # the field stays the code name; the rule is translated


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "", "name": "x"}, "code"),
        ({"code": "A B", "name": "x"}, "code"),
        ({"code": "new", "name": "x"}, "code"),
        ({"code": "C1", "name": "  "}, "name"),
        ({"code": "C1", "name": "x", "region": "mars"}, "region"),
        ({"code": "C1", "name": "x", "grade": "E"}, "grade"),
        ({"code": "C1", "name": "x", "owner": "nobody"}, "owner"),
        ({"code": "C1", "name": "x", "contacts": [{"name": ""}]}, "contacts.0.name"),
        ({"code": "C1", "name": "x", "contacts": [{"name": "A", "email": "not-mail"}]}, "contacts.0.email"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(org, fields, field):
    with pytest.raises(Invalid) as exc:
        services.create_customer(by=org["salesmgr"], **fields)
    assert exc.value.field == field
    assert not Customer.objects.exists()


def test_update_records_each_changed_field_old_and_new(org, customers):
    c = customers["mine"]
    services.update_customer(c, by=org["sales"], name="华东精密机械股份", is_key=True, area="江苏")
    event = _events("C-S1")[-1]
    assert event.action == "update"
    assert event.data["changed"] == {
        "name": ["华东精密机械", "华东精密机械股份"],
        "is_key": [False, True],
        "area": ["", "江苏"],
    }


def test_update_without_change_writes_no_audit_row(org, customers):
    before = len(_events("C-S1"))
    services.update_customer(customers["mine"], by=org["sales"], name="华东精密机械")
    assert len(_events("C-S1")) == before


def test_update_refuses_grade_and_code_changes(org, customers):
    with pytest.raises(Invalid, match="grade"):
        services.update_customer(customers["mine"], by=org["sales"], grade="A")
    with pytest.raises(Invalid, match="code"):
        services.update_customer(customers["mine"], by=org["sales"], code="OTHER")


def test_owner_is_reassigned_only_by_sales_manager(org, customers):
    with pytest.raises(Forbidden, match="owner"):
        services.update_customer(customers["mine"], by=org["sales"], owner=org["sales2"])
    c = services.update_customer(customers["mine"], by=org["salesmgr"], owner="sales2")
    assert c.owner == org["sales2"]
    assert _events("C-S1")[-1].data["changed"]["owner"] == ["sales", "sales2"]


def test_sales_clerk_cannot_update_another_salesmans_customer(org, customers):
    with pytest.raises(Forbidden):
        services.update_customer(customers["theirs"], by=org["sales"], name="x")


def test_contact_list_is_synced_added_changed_removed(org, customers):
    c = customers["mine"]
    lina = c.contacts.get()
    services.update_customer(
        c,
        by=org["sales"],
        contacts=[
            {"id": lina.pk, "name": "李娜", "mobile": "13800000009"},
            {"name": "王强", "title": "品质经理"},
        ],
    )
    assert [(x.name, x.mobile) for x in c.contacts.order_by("id")] == [("李娜", "13800000009"), ("王强", "")]
    assert _events("C-S1")[-1].data["changed"]["contacts"] == {"added": ["王强"], "changed": ["李娜"]}
    services.update_customer(c, by=org["sales"], contacts=[{"name": "赵六"}])
    assert list(Contact.objects.filter(customer=c).values_list("name", flat=True)) == ["赵六"]
    assert _events("C-S1")[-1].data["changed"]["contacts"] == {"added": ["赵六"], "removed": ["李娜", "王强"]}


def test_contact_id_of_another_customer_is_refused(org, customers):
    other = customers["theirs"]
    foreign_contact = Contact.objects.create(customer=other, name="外人")
    with pytest.raises(Invalid, match="contacts"):
        services.update_customer(
            customers["mine"], by=org["sales"], contacts=[{"id": foreign_contact.pk, "name": "x"}]
        )
    assert Contact.objects.get(pk=foreign_contact.pk).name == "外人"


def test_grade_change_keeps_history_with_reason(org, customers):
    c = customers["mine"]
    services.change_grade(c, "B", "年销售额增长 40%", org["sales"])
    services.change_grade(c, "A", "成为战略客户", org["salesmgr"])
    c.refresh_from_db()
    assert c.grade == "A"
    history = [(g.from_grade, g.to_grade, g.reason, g.changed_by.username) for g in c.grade_changes.all()]
    assert history == [
        ("B", "A", "成为战略客户", "salesmgr"),
        ("C", "B", "年销售额增长 40%", "sales"),
        ("", "C", "initial grade", "salesmgr"),
    ]
    event = _events("C-S1")[-1]
    assert (event.action, event.from_state, event.to_state, event.note) == (
        "change_grade",
        "B",
        "A",
        "成为战略客户",
    )


def test_grade_change_requires_a_reason(org, customers):
    with pytest.raises(Invalid) as exc:
        services.change_grade(customers["mine"], "A", "   ", org["sales"])
    assert exc.value.detail == "reason: 变更等级必须填写原因"
    assert GradeChange.objects.filter(customer=customers["mine"]).count() == 1
    customers["mine"].refresh_from_db()
    assert customers["mine"].grade == "C"


def test_grade_change_to_same_grade_or_unknown_grade_is_refused(org, customers):
    with pytest.raises(Conflict):
        services.change_grade(customers["mine"], "C", "复评", org["sales"])
    with pytest.raises(Invalid, match="grade"):
        services.change_grade(customers["mine"], "F", "复评", org["sales"])


def test_clerk_of_another_department_may_not_regrade(org, customers):
    with pytest.raises(Forbidden):
        services.change_grade(customers["mine"], "A", "复评", org["quality"])

"""kefu.core.db.rows: the precompiled SQL of the intake writes and reads what the ORM would."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.db.models import Count
from django.db.models.signals import post_save

from kefu.complaints.models import Complaint
from kefu.core.db import rows
from kefu.core.models import AuditEvent, Department
from kefu.customers.models import Customer
from kefu.flow.models import Step

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _precompiled(settings):
    """These tests are about the precompiled path: they run in it whatever the suite's mode."""
    settings.KEFU_PRECOMPILED_SQL = True


def _values(model, pk) -> dict:
    row = model.objects.filter(pk=pk).values().get()
    row.pop("id")
    return row


def _complaint(customer, number: str, **extra) -> Complaint:
    fields = dict(
        number=number,
        period=202611,
        serial=int(number[-4:]),
        customer=customer,
        region="export",
        channel="email",
        title="壳体毛刺",
        description="来料检验发现壳体毛刺，\n请分析原因。",
        category="quality",
        received_at=dt.datetime(2026, 11, 30, 23, 59, 59, 123456, tzinfo=SHANGHAI),
        registered_at=dt.datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI),
        quantity=1200,
        defect_quantity=None,
        ship_date=dt.date(2026, 2, 28),
        sample_received=True,
        submitter_ip="2001:db8::1",
        due_at=dt.datetime(2026, 12, 1, 23, 59, 59, tzinfo=SHANGHAI),
        case_due_at=dt.datetime(2026, 12, 15, 23, 59, 59, tzinfo=SHANGHAI),
        answer_by=dt.date(2026, 12, 15),
        loss_amount=Decimal("5000.01"),
    )
    return Complaint(**(fields | extra))


@pytest.fixture
def customer(db):
    return Customer.objects.create(code="C1001", name="恒达汽车部件", region="export")


@pytest.mark.django_db
def test_an_inserted_row_reads_back_as_the_orm_would_have_written_it(customer):
    by_orm = _complaint(customer, "202611-0001")
    by_orm.save()
    fast = _complaint(customer, "202611-0002")
    with transaction.atomic():
        rows.insert([fast])
    assert fast.pk is not None and fast.pk != by_orm.pk
    assert not fast._state.adding
    expected = _values(Complaint, by_orm.pk) | {"number": "202611-0002", "serial": 2}
    assert _values(Complaint, fast.pk) == expected
    # Field defaults of the model were applied.
    assert (expected["status"], expected["severity"], expected["validity"]) == (
        "registered",
        "general",
        "pending",
    )

    department = Department.objects.first() or Department.objects.create(code="gm", name="总经理办公室")
    step_orm = Step.objects.create(
        record_type="complaint", record_id=by_orm.pk, record_key=by_orm.number, code="assign",
        department=department, due_at=by_orm.due_at, data={"a": [1, "二"]},
    )  # fmt: skip
    step = Step(
        record_type="complaint", record_id=fast.pk, record_key=fast.number, code="assign",
        department=department, due_at=fast.due_at, data={"a": [1, "二"]},
    )  # fmt: skip
    rows.insert([step])
    assert _values(Step, step.pk) == _values(Step, step_orm.pk) | {
        "record_id": fast.pk,
        "record_key": fast.number,
        "started_at": step.started_at,
    }
    assert Step.objects.get(pk=step.pk).data == {"a": [1, "二"]}


@pytest.mark.django_db
def test_several_rows_go_in_one_statement_and_each_gets_its_own_key_in_order(customer):
    events = [
        AuditEvent(object_type="customer", object_id="C1001", action=action, data={"n": n})
        for n, action in enumerate(["register", "acknowledge", "assign"])
    ]
    with transaction.atomic():
        rows.insert(events)
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    assert {e.pk: (e.action, e.data) for e in events} == {
        pk: (action, data) for pk, action, data in AuditEvent.objects.values_list("pk", "action", "data")
    }


@pytest.mark.django_db
def test_insert_refuses_saved_rows_and_mixed_models(customer):
    with pytest.raises(ValueError, match="unsaved instances of one model"):
        rows.insert([customer])
    with pytest.raises(ValueError, match="unsaved instances of one model"):
        rows.insert([AuditEvent(action="a"), Customer(code="C2")])
    rows.insert([])  # nothing to do


@pytest.mark.django_db
def test_insert_refuses_a_row_pointing_at_an_unsaved_row_and_writes_nothing(customer):
    unsaved = Customer(code="C9", name="未保存")
    with pytest.raises(ValueError, match="Complaint.customer points at an unsaved row"):
        rows.insert([_complaint(customer, "202611-0001"), _complaint(unsaved, "202611-0002")])
    assert not Complaint.objects.exists()


CUSTOMER_BY_CODE = rows.Prepared(lambda code: Customer.objects.filter(code=code)[:1])


@pytest.mark.django_db
def test_a_prepared_select_returns_the_instance_the_orm_returns(customer):
    other = Customer.objects.create(code="C1002", name="东方精密", owner=None, is_key=True)
    found = CUSTOMER_BY_CODE.first("C1001")
    assert isinstance(found, Customer) and not found._state.adding
    orm = Customer.objects.get(code="C1001")
    # Converters ran: dates are datetimes on SQLite too, not the stored text.
    assert isinstance(found.created_at, dt.datetime) and found.created_at == orm.created_at
    assert {k: v for k, v in vars(found).items() if k != "_state"} == {
        k: v for k, v in vars(orm).items() if k != "_state"
    }
    # The compiled SQL is reused with new values, not with the first ones.
    assert CUSTOMER_BY_CODE.first("C1002").pk == other.pk
    assert CUSTOMER_BY_CODE.first("nobody") is None


@pytest.mark.django_db
def test_a_prepared_select_is_compiled_once_per_connection(customer, django_assert_num_queries):
    CUSTOMER_BY_CODE.first("C1001")
    cached = connections["default"].__dict__[rows._CACHE_ATTR][CUSTOMER_BY_CODE]
    with django_assert_num_queries(1):
        assert CUSTOMER_BY_CODE.first("C1001").code == "C1001"
    assert connections["default"].__dict__[rows._CACHE_ATTR][CUSTOMER_BY_CODE] is cached


@pytest.mark.django_db
def test_a_prepared_select_refuses_what_it_cannot_rebuild(customer):
    prefetching = rows.Prepared(
        lambda code: Customer.objects.prefetch_related("complaints").filter(code=code)
    )
    with pytest.raises(rows.Unsupported, match="plain model queries"):
        prefetching.first("C1001")
    counted = rows.Prepared(lambda code: Customer.objects.annotate(n=Count("complaints")).filter(code=code))
    with pytest.raises(rows.Unsupported, match="plain model queries"):
        counted.first("C1001")
    values = rows.Prepared(lambda code: Customer.objects.filter(code=code).values_list("name"))
    with pytest.raises(rows.Unsupported, match="plain model queries"):
        values.first("C1001")
    changed = rows.Prepared(lambda code: Customer.objects.filter(name__contains=code))
    with pytest.raises(rows.Unsupported, match="parameters changed"):
        changed.first("恒达")


STEPS_OF = rows.Prepared(
    lambda pk: Step.objects.filter(record_id=pk).select_related("department", "assignee")
)


def django_user_model_create(username):
    return get_user_model().objects.create_user(username, password=None)


def _fields(obj) -> dict:
    return {k: v for k, v in vars(obj).items() if k != "_state"}


@pytest.mark.django_db
def test_a_prepared_select_joins_select_related_rows_as_the_orm_does(customer, django_assert_num_queries):
    complaint = _complaint(customer, "202611-0001")
    complaint.save()
    quality, sales = (
        Department.objects.get_or_create(code=c, defaults={"name": c})[0] for c in ("quality", "sales")
    )
    user = django_user_model_create("qe")
    due = dt.datetime(2026, 11, 5, 15, 59, 59, tzinfo=dt.UTC)
    for step, dept, assignee in (("assign", quality, None), ("investigate", sales, user)):
        Step.objects.create(
            record_type="complaint", record_id=complaint.pk, record_key=complaint.number, code=step,
            department=dept, assignee=assignee, started_at=due, due_at=due,
        )  # fmt: skip
    orm = list(Step.objects.filter(record_id=complaint.pk).select_related("department", "assignee"))
    STEPS_OF.all(complaint.pk)  # compiled on this connection
    with django_assert_num_queries(1):  # the joined rows come with it: no query per step
        found = STEPS_OF.all(complaint.pk)
        assert [(s.code, s.department.code, s.assignee and s.assignee.username) for s in found] == [
            ("assign", "quality", None),
            ("investigate", "sales", "qe"),
        ]
    assert [_fields(s) for s in found] == [_fields(s) for s in orm]  # order (Meta.ordering) and values
    assert _fields(found[1].department) == _fields(orm[1].department)
    assert _fields(found[1].assignee) == _fields(orm[1].assignee)
    assert STEPS_OF.all(complaint.pk + 1) == []


@pytest.mark.django_db
def test_a_prepared_select_with_only_defers_the_other_fields(customer, django_assert_num_queries):
    titles = rows.Prepared(lambda code: Customer.objects.only("code", "name").filter(code=code))
    found = titles.first("C1001")
    assert found.get_deferred_fields() >= {"is_key", "created_at"}
    expected = Customer.objects.get(code="C1001").created_at
    with django_assert_num_queries(1):  # a deferred field loads on access, as with the ORM
        assert found.created_at == expected


@pytest.mark.django_db
def test_a_database_that_cannot_return_keys_gets_the_orms_save(
    customer, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(type(connections["default"].features), "can_return_rows_from_bulk_insert", False)
    events = [AuditEvent(object_type="customer", object_id="C1001", action=a) for a in ("x", "y")]
    # One INSERT a row through Model.save, where the precompiled path writes both in one.
    with transaction.atomic(), django_assert_num_queries(2):
        rows.insert(events)
    assert all(e.pk is not None and not e._state.adding for e in events)
    assert {e.pk: e.action for e in events} == dict(AuditEvent.objects.values_list("pk", "action"))


LISTS_OF = rows.Probe(
    {
        "steps": lambda pk: Step.objects.filter(record_id=pk),
        "followups": lambda pk: Complaint.objects.filter(parent_id=pk),
    }
)


@pytest.mark.django_db
def test_a_probe_says_in_one_query_which_queries_have_rows(customer, django_assert_num_queries):
    parent = _complaint(customer, "202611-0001")
    parent.save()
    child = _complaint(customer, "202611-0002", parent=parent)
    child.save()
    due = dt.datetime(2026, 11, 5, 15, 59, 59, tzinfo=dt.UTC)
    department = Department.objects.get_or_create(code="quality", defaults={"name": "品质部"})[0]
    Step.objects.create(
        record_type="complaint", record_id=child.pk, record_key=child.number, code="assign",
        department=department, started_at=due, due_at=due,
    )  # fmt: skip
    with django_assert_num_queries(1):
        assert LISTS_OF(parent.pk) == {"followups"}
    with django_assert_num_queries(1):
        assert LISTS_OF(child.pk) == {"steps"}
    assert LISTS_OF(child.pk + 1) == set()


@pytest.mark.django_db
def test_a_probe_refuses_a_query_whose_parameters_change(customer):
    probe = rows.Probe({"named": lambda code: Customer.objects.filter(name__contains=code)})
    with pytest.raises(rows.Unsupported, match="named: parameters changed"):
        probe("恒达")


# --- the fences (issue 12) -------------------------------------------------------------------


@pytest.mark.django_db
def test_with_the_setting_off_every_call_goes_through_the_orm(customer, settings, django_assert_num_queries):
    settings.KEFU_PRECOMPILED_SQL = False
    connections["default"].__dict__.pop(rows._CACHE_ATTR, None)
    assert CUSTOMER_BY_CODE.first("C1001").pk == customer.pk
    assert CUSTOMER_BY_CODE.first("nobody") is None
    assert LISTS_OF(customer.pk) == set()
    events = [AuditEvent(object_type="customer", object_id="C1001", action=a) for a in ("x", "y")]
    with transaction.atomic(), django_assert_num_queries(1):  # bulk_create: one INSERT for both
        rows.insert(events)
    assert [e.pk for e in events] == list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    # Nothing was compiled and kept on the connection.
    assert not connections["default"].__dict__.get(rows._CACHE_ATTR)


@pytest.mark.django_db
def test_insert_writes_only_declared_models_and_refuses_skipped_saves_and_receivers(customer):
    with pytest.raises(rows.Unsupported, match="Customer is not declared with rows.insertable"):
        rows.insert([Customer(code="C2", name="新客户")])

    def receiver(sender, **kwargs):
        pass

    post_save.connect(receiver, sender=Step, dispatch_uid="test_rows.receiver")
    try:
        with pytest.raises(rows.Unsupported, match="Step has save signal receivers"):
            rows.insert([Step(record_type="complaint", record_id=1, code="assign")])
        assert rows.check_precompiled(statements=[], models=[Step])[0].id == "kefu.E903"
    finally:
        post_save.disconnect(receiver, sender=Step, dispatch_uid="test_rows.receiver")
    assert not Step.objects.exists()


def test_a_model_with_its_own_save_is_refused_unless_declared_with_a_reason(monkeypatch):
    def save(self, *args, **kwargs):  # pragma: no cover - never called: insert() refuses the model
        pass

    monkeypatch.setattr(Customer, "save", save)
    assert [e.msg for e in rows.check_precompiled(statements=[], models=[Customer])] == [
        "rows.insert: Customer has its own save(), which insert() would skip"
    ]
    assert rows.check_precompiled(statements=[], models=[AuditEvent]) == []  # declared in kefu.core.audit


@pytest.mark.django_db
def test_the_start_up_check_compiles_every_statement_of_the_application():
    from django.core.management import call_command

    call_command("check")  # raises SystemCheckError on any kefu.E90x
    modules = {s.module for s in rows._STATEMENTS}
    assert {
        "kefu.complaints.selectors",
        "kefu.complaints.services",
        "kefu.core.audit",
        "kefu.core.outbox",
    } <= modules
    assert all(s.sample is not None for s in rows._STATEMENTS)
    assert rows.check_precompiled() == []


def test_the_check_names_a_statement_it_cannot_compile_or_that_has_no_sample():
    broken = rows.Prepared(lambda code: Customer.objects.filter(name__contains=code), sample=("恒达",))
    unsampled = rows.Prepared(lambda code: Customer.objects.filter(code=code))
    errors = rows.check_precompiled(statements=[broken, unsampled], models=[])
    assert [e.id for e in errors] == ["kefu.E902", "kefu.E901"]
    assert "parameters changed" in errors[0].msg and "test_rows" in errors[0].msg
    assert "without sample parameters" in errors[1].msg

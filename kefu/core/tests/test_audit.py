"""R4.5 / R15.2: the audit trail is written in the change's transaction and is append-only."""

import pytest
from django.db import DatabaseError, connection, transaction

from kefu.core import audit
from kefu.core.models import AuditEvent, Department


@pytest.mark.django_db
def test_record_writes_who_what_from_to(org):
    dept = Department.objects.get(code="quality")
    with transaction.atomic():
        ev = audit.record(
            dept, "rename", by=org["admin"], from_state="a", to_state="b", note="n", data={"x": 1}
        )
    ev.refresh_from_db()
    assert (ev.actor_label, ev.object_type, ev.object_id, ev.action) == (
        "admin",
        "department",
        str(dept.pk),
        "rename",
    )
    assert (ev.from_state, ev.to_state, ev.data) == ("a", "b", {"x": 1})


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused(org):
    with pytest.raises(RuntimeError, match="transaction"):
        audit.record(org["admin"], "x", by=org["admin"])


@pytest.mark.django_db
def test_an_event_rolls_back_with_its_change(org):
    with pytest.raises(ValueError), transaction.atomic():
        audit.record(org["admin"], "x", by=org["admin"])
        raise ValueError
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_the_orm_refuses_updates_and_deletes(org):
    with transaction.atomic():
        ev = audit.record(org["admin"], "x", by=org["admin"])
    ev.note = "changed"
    with pytest.raises(PermissionError):
        ev.save()
    with pytest.raises(PermissionError):
        ev.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=ev.pk).update(note="changed")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


@pytest.mark.django_db
def test_the_database_refuses_raw_updates_and_deletes(org):
    with transaction.atomic():
        ev = audit.record(org["admin"], "x", by=org["admin"])
    for sql in ("UPDATE core_auditevent SET note = 'x'", "DELETE FROM core_auditevent"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql)
    assert AuditEvent.objects.get(pk=ev.pk).note == ""

"""Complaint intake (M3): numbering, deadlines, acknowledgement, validation, nothing half-written."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.core.access import is_sales_only
from kefu.core.errors import Invalid
from kefu.core.models import AuditEvent, NumberSequence
from kefu.customers.models import Customer
from kefu.flow.models import Memo, Step

from ..models import Attachment, Complaint
from ..selectors import complaint_detail
from ..services import reassign_customer, register_complaint

TZ = ZoneInfo("Asia/Shanghai")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.7\n" + b"x" * 200
EXE = b"MZ\x90\x00\x03" + b"\x00" * 200


# --- helpers shared with the other intake test modules -------------------------


def at(*args) -> dt.datetime:
    """A moment in Asia/Shanghai."""
    return dt.datetime(*args, tzinfo=TZ)


def make_customer(
    code: str = "C001", *, owner=None, region: str = "domestic", name: str | None = None
) -> Customer:
    return Customer.objects.create(code=code, name=name or f"客户 {code}", region=region, owner=owner)


def upload(
    name: str, content: bytes = JPEG, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def intake(by, customer, now: dt.datetime | None = None, **fields) -> Complaint:
    values = dict(
        customer=customer,
        channel="phone",
        title="划痕 scratches on housing",
        description="客户来电：外壳划痕 on 20 of 500 pieces",
        category="quality",
    )
    values.update(fields)
    return register_complaint(by=by, now=now, **values)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    # Files go to a temporary folder; messages are asserted in English (the msgids).
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- numbering (R3.3, SPEC section 4) -------------------------------------------


@pytest.mark.django_db
def test_november_complaints_are_numbered_202611_0001_0002_and_december_starts_at_0001(org):
    customer = make_customer(owner=org["sales"])
    first = intake(org["gmoffice"], customer, now=at(2026, 11, 3, 9, 0))
    second = intake(org["gmoffice"], customer, now=at(2026, 11, 20, 15, 30))
    december = intake(org["gmoffice"], customer, now=at(2026, 12, 1, 8, 0))
    assert [first.number, second.number, december.number] == ["202611-0001", "202611-0002", "202612-0001"]
    assert (first.period, first.serial) == (202611, 1)
    assert (december.period, december.serial) == (202612, 1)


@pytest.mark.django_db
def test_month_rolls_over_at_midnight_shanghai_time_not_utc(org):
    customer = make_customer(owner=org["sales"])
    last_of_november = intake(org["gmoffice"], customer, now=at(2026, 11, 30, 23, 59, 59))
    first_of_december = intake(org["gmoffice"], customer, now=at(2026, 12, 1, 0, 0, 0))
    assert last_of_november.number == "202611-0001"
    assert first_of_december.number == "202612-0001"


@pytest.mark.django_db
def test_serial_above_9999_grows_to_five_digits(org):
    NumberSequence.objects.create(key="complaint:202611", last=9999)
    c = intake(org["gmoffice"], make_customer(owner=org["sales"]), now=at(2026, 11, 3, 9, 0))
    assert c.number == "202611-10000"


@pytest.mark.django_db
def test_time_machine_clock_is_used_when_now_is_not_given(org, time_machine):
    time_machine.move_to(at(2026, 11, 30, 23, 59, 59), tick=False)
    c = intake(org["gmoffice"], make_customer(owner=org["sales"]))
    assert c.number == "202611-0001"
    assert c.registered_at == at(2026, 11, 30, 23, 59, 59)


# --- deadlines and acknowledgement (R3.5, R5.1, R5.2) ---------------------------


@pytest.mark.django_db
def test_registered_2026_09_30_assign_step_due_2026_10_08_end_of_day_after_national_day(org):
    c = intake(org["gmoffice"], make_customer(owner=org["sales"]), now=at(2026, 9, 30, 10, 0))
    step = Step.objects.get(record_id=c.pk, kind="step")
    assert step.code == "assign"
    assert step.department.code == "gm_office"
    assert step.due_at == at(2026, 10, 8, 23, 59, 59)
    assert c.due_at == at(2026, 10, 8, 23, 59, 59)
    assert step.started_at == at(2026, 9, 30, 10, 0)


@pytest.mark.django_db
def test_case_due_15_calendar_days_domestic(org):
    c = intake(org["gmoffice"], make_customer(owner=org["sales"]), now=at(2026, 9, 30, 10, 0))
    assert c.region == "domestic"
    assert c.case_due_at == at(2026, 10, 15, 23, 59, 59)


@pytest.mark.django_db
def test_case_due_20_calendar_days_foreign_and_region_comes_from_the_customer(org):
    foreign = make_customer("F001", owner=org["sales"], region="foreign")
    c = intake(org["gmoffice"], foreign, now=at(2026, 9, 30, 10, 0))
    assert c.region == "foreign"
    assert c.case_due_at == at(2026, 10, 20, 23, 59, 59)
    assert c.answer_by == dt.date(2026, 10, 20)


@pytest.mark.django_db
def test_acknowledgement_records_the_answer_date_promised_to_the_customer(org):
    now = at(2026, 11, 3, 9, 0)
    c = intake(org["gmoffice"], make_customer(owner=org["sales"]), now=now)
    assert c.acknowledged_at == now
    assert c.answer_by == dt.date(2026, 11, 18)


@pytest.mark.django_db
def test_register_writes_register_and_acknowledge_audit_events(org):
    c = intake(org["gmoffice"], make_customer(owner=org["sales"]), now=at(2026, 11, 3, 9, 0))
    events = list(AuditEvent.objects.filter(object_type="complaint", object_id=c.number))
    assert [(e.action, e.to_state, e.actor_label) for e in events] == [
        ("register", "registered", "gmoffice"),
        ("acknowledge", "", "gmoffice"),
    ]
    assert events[1].data == {"answer_by": "2026-11-18"}


@pytest.mark.django_db
def test_all_r3_2_fields_are_kept(org):
    customer = make_customer(owner=org["sales"])
    c = intake(
        org["sales"],
        customer.code,
        now=at(2026, 11, 3, 9, 0),
        received_at=at(2026, 11, 2, 16, 0),
        channel="fax",
        order_no="SO-1",
        part_no="P-77",
        quantity=500,
        defect_quantity=20,
        ship_date=dt.date(2026, 10, 28),
        customer_request="exchange",
        sample_received=True,
        severity="major",
        category="non_quality",
    )
    c.refresh_from_db()
    assert (c.customer, c.channel, c.received_at, c.order_no, c.part_no) == (
        customer,
        "fax",
        at(2026, 11, 2, 16, 0),
        "SO-1",
        "P-77",
    )
    assert (c.quantity, c.defect_quantity, c.ship_date) == (500, 20, dt.date(2026, 10, 28))
    assert (c.customer_request, c.sample_received, c.severity, c.category) == (
        "exchange",
        True,
        "major",
        "non_quality",
    )
    assert c.registered_by == org["sales"]
    assert c.status == "registered"


@pytest.mark.django_db
def test_quantity_may_be_not_yet_determined(org):
    c = intake(org["gmoffice"], make_customer(owner=org["sales"]), quantity_pending=True, defect_quantity=3)
    assert c.quantity is None
    assert c.quantity_pending is True


@pytest.mark.django_db
def test_naive_received_at_is_read_as_shanghai_time(org):
    c = intake(
        org["gmoffice"],
        make_customer(owner=org["sales"]),
        now=at(2026, 11, 3, 9, 0),
        received_at=dt.datetime(2026, 11, 3, 8, 0),
    )
    assert c.received_at == at(2026, 11, 3, 8, 0)


# --- validation: nothing written ------------------------------------------------

BAD_INPUT = [
    ({"quantity": -1}, "quantity"),
    ({"quantity": 2.5}, "quantity"),
    ({"quantity": "12"}, "quantity"),
    ({"defect_quantity": -3}, "defect_quantity"),
    ({"quantity": 10, "defect_quantity": 11}, "defect_quantity"),
    ({"quantity": 10, "quantity_pending": True}, "quantity"),
    ({"received_at": at(2026, 11, 3, 9, 1)}, "received_at"),
    ({"ship_date": dt.date(2026, 11, 4)}, "ship_date"),
    ({"channel": "pigeon"}, "channel"),
    ({"category": "cosmetic"}, "category"),
    ({"severity": "apocalyptic"}, "severity"),
    ({"customer_request": "money"}, "customer_request"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"description": ""}, "description"),
    ({"customer": "NOPE"}, "customer"),
    ({"contact_email": "not-an-address"}, "contact_email"),
    ({"order_no": "x" * 65}, "order_no"),
    ({"quantity": 3_000_000_000}, "quantity"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("bad", "field"), BAD_INPUT, ids=[f for _b, f in BAD_INPUT])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(org, bad, field):
    customer = make_customer(owner=org["sales"])
    values = {"customer": customer, **bad}
    with pytest.raises(Invalid) as err:
        register_complaint(
            by=org["gmoffice"],
            now=at(2026, 11, 3, 9, 0),
            **{"channel": "phone", "title": "t", "description": "d", "category": "quality", **values},
        )
    assert err.value.field == field
    assert err.value.detail.startswith(f"{field}: ")
    assert Complaint.objects.count() == 0
    assert AuditEvent.objects.filter(object_type="complaint").count() == 0


# --- a failed intake leaves no gap and no file ------------------------------------


@pytest.mark.django_db
def test_an_attachment_refused_after_validation_leaves_no_gap(org, media):
    customer = make_customer(owner=org["sales"])
    intake(org["gmoffice"], customer, now=at(2026, 11, 3, 9, 0))
    with pytest.raises(Invalid) as err:
        intake(
            org["gmoffice"],
            customer,
            now=at(2026, 11, 3, 10, 0),
            attachments=[upload("ok.jpg", JPEG), upload("virus.jpg", EXE)],
        )
    assert err.value.field == "attachments"
    assert "virus.jpg" in err.value.detail
    after = intake(org["gmoffice"], customer, now=at(2026, 11, 3, 11, 0))
    assert after.number == "202611-0002"
    assert stored_files(media) == []


@pytest.mark.django_db
def test_a_storage_failure_rolls_back_the_number_the_rows_and_the_files_already_written(
    org, media, monkeypatch
):
    customer = make_customer(owner=org["sales"])
    intake(org["gmoffice"], customer, now=at(2026, 11, 3, 9, 0))
    original = FileSystemStorage._save
    calls = {"n": 0}

    def flaky_save(self, name, content):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return original(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", flaky_save)
    with pytest.raises(OSError, match="disk full"):
        intake(
            org["gmoffice"],
            customer,
            now=at(2026, 11, 3, 10, 0),
            attachments=[upload("one.jpg", JPEG), upload("two.png", PNG)],
        )
    monkeypatch.setattr(FileSystemStorage, "_save", original)
    assert calls["n"] == 2
    assert stored_files(media) == []  # the first file, written before the failure, is gone
    assert Complaint.objects.count() == 1
    assert Attachment.objects.count() == 0
    assert intake(org["gmoffice"], customer, now=at(2026, 11, 3, 11, 0)).number == "202611-0002"


@pytest.mark.django_db
def test_attachments_are_saved_with_their_trusted_type(org, media):
    c = intake(
        org["gmoffice"],
        make_customer(owner=org["sales"]),
        now=at(2026, 11, 3, 9, 0),
        attachments=[upload("照片.JPG", JPEG, "text/html"), upload("report.pdf", PDF)],
    )
    atts = list(c.attachments.order_by("id"))
    assert [(a.original_name, a.content_type, a.size) for a in atts] == [
        ("照片.JPG", "image/jpeg", len(JPEG)),
        ("report.pdf", "application/pdf", len(PDF)),
    ]
    assert all((media / a.file.name).read_bytes() for a in atts)
    assert f"/{c.number}/" in atts[0].file.name


# --- reading ---------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_selector_reads_only_the_lists_that_have_rows(org, django_assert_num_queries):
    customer = make_customer(owner=org["sales"])
    parent = intake(org["gmoffice"], customer, now=at(2026, 11, 2, 9, 0))
    c = intake(
        org["gmoffice"], customer, now=at(2026, 11, 3, 9, 0), attachments=[upload("a.jpg"), upload("b.jpg")]
    )
    for i in range(3):
        child = intake(org["gmoffice"], customer, now=at(2026, 11, 4, 9, i))
        Complaint.objects.filter(pk=child.pk).update(parent=c)
    Complaint.objects.filter(pk=c.pk).update(parent=parent)
    sales = org["sales"]
    is_sales_only(sales)  # memberships are cached on the user, as during a request
    # complaint with customer and parent, which lists have rows, steps, attachments, follow-ups, history
    with django_assert_num_queries(6):
        detail = complaint_detail(sales, c.number)
        assert [a.original_name for a in detail.attachments] == ["a.jpg", "b.jpg"]
        assert len(detail.followups) == 3 and detail.complaint.parent.number == parent.number
        assert [s.department.code for s in detail.steps] == ["gm_office"]
        assert [e.action for e in detail.history] == ["register", "acknowledge"]
        assert detail.records is None  # the panel's records only when asked for
    # A list without rows is not read at all: the parent has follow-ups but no attachments ...
    with django_assert_num_queries(5):
        bare = complaint_detail(sales, parent.number)
        assert bare.attachments == [] and [f.number for f in bare.followups] == [c.number]
    # ... and a follow-up neither.
    with django_assert_num_queries(4):
        bare = complaint_detail(sales, child.number)
        assert bare.attachments == [] and bare.followups == []
    # The page's panel records: one probe for the complaint's lists, one for the case engine's,
    # then only the tables with rows.
    Memo.objects.create(
        record_type="complaint", record_id=c.pk, department=org["gmoffice"].memberships.first().department,
        status_at=c.status, text="签呈",
        by=org["gmoffice"], at=at(2026, 11, 5, 9, 0),
    )  # fmt: skip
    with django_assert_num_queries(8):
        full = complaint_detail(sales, c.number, records=True)
        assert [m.text for m in full.records.memos] == ["签呈"] and full.records.memos[0].department.code
        assert full.records.reminders == full.records.inquiries == full.records.replies == []
        assert len(full.attachments) == 2 and len(full.followups) == 3


# --- re-linking a web complaint ---------------------------------------------------


@pytest.mark.django_db
def test_reassign_customer_moves_the_complaint_and_its_region_and_is_audited(org):
    holding = make_customer("WEB-UNMATCHED", region="domestic")
    real = make_customer("F009", owner=org["sales"], region="foreign")
    c = intake(None, holding, now=at(2026, 11, 3, 9, 0), channel="web")
    reassign_customer(c, real.code, by=org["gmoffice"])
    c.refresh_from_db()
    assert (c.customer, c.region) == (real, "foreign")
    event = AuditEvent.objects.get(object_id=c.number, action="reassign_customer")
    assert (event.data["from"], event.data["to"]) == ("WEB-UNMATCHED", "F009")
    assert event.actor_label == "gmoffice"


@pytest.mark.django_db
def test_reassign_to_an_unknown_customer_is_refused(org):
    c = intake(org["gmoffice"], make_customer(owner=org["sales"]), now=at(2026, 11, 3, 9, 0))
    with pytest.raises(Invalid, match="customer"):
        reassign_customer(c, "NOPE", by=org["gmoffice"])

"""Issue 13, the public pages: a phone keypad, the photo kept after a refusal, customers matched by
order number or by name without the legal form, and the status page (number plus phone)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.core.models import AuditEvent

from ..models import Complaint
from ..services import HOLDING_CUSTOMER_CODE, match_customer, name_core
from .test_intake import JPEG, at, make_customer, upload
from .test_public_form import URL, form

STATUS = "/public/complaint/status/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_phone_fields_bring_up_the_number_pad():
    html = Client().get(URL).content.decode()
    assert 'type="tel" name="contact_phone"' in html and 'inputmode="tel"' in html
    assert 'type="tel" name="phone"' in Client().get(STATUS).content.decode()


@pytest.mark.django_db
def test_public_form_keeps_the_photo_after_a_refusal(org):
    client = Client()
    r = client.post(URL, form(description="", attachments=[upload("裂纹.jpg", JPEG)]))
    html = r.content.decode()
    assert r.status_code == 422 and "裂纹.jpg" in html and 'id="pending-files"' in html
    assert 'value="王经理"' in html and 'value="SO-88"' in html  # what was typed, too
    token = html.split('name="pending" value="')[1].split('"')[0]
    key = html.split('name="pending_keep" value="')[1].split('"')[0]
    r = client.post(URL, form(description="螺丝松动", pending=token, pending_keep=key))
    assert r.status_code == 302
    c = Complaint.objects.get(order_no="SO-88")
    assert [a.original_name for a in c.attachments.all()] == ["裂纹.jpg"]


@pytest.mark.parametrize(
    ("typed", "core"),
    [
        ("苏州恒达精密机械有限公司", "苏州恒达精密机械"),
        ("苏州恒达精密机械股份有限公司", "苏州恒达精密机械"),
        ("苏州恒达精密机械有限责任公司", "苏州恒达精密机械"),
        ("苏州恒达精密机械", "苏州恒达精密机械"),
        ("Saigon Precision Co., Ltd.", "saigonprecision"),
        ("SAIGON PRECISION CO.,LTD", "saigonprecision"),
        ("Saigon Precision Limited", "saigonprecision"),
    ],
)
def test_name_core_drops_the_legal_form(typed, core):
    assert name_core(typed) == core


@pytest.mark.django_db
def test_customer_matched_by_name_without_legal_form_or_by_order_number(org):
    hengda = make_customer("C1001", owner=org["sales"], name="苏州恒达精密机械有限公司")
    saigon = make_customer("C2001", owner=org["sales"], name="Saigon Precision Co., Ltd.")
    make_customer("C3001", owner=org["sales"], name="宁波华瑞汽车零部件有限公司")
    make_customer("C3002", owner=org["sales"], name="宁波华瑞汽车零部件股份有限公司")
    assert match_customer("", "苏州恒达精密机械") == hengda
    assert match_customer("", "苏州恒达精密机械股份有限公司") == hengda
    assert match_customer("", "saigon precision") == saigon
    assert match_customer("", "宁波华瑞汽车零部件") is None  # two customers share the core: staff decide
    # an order number that an earlier complaint of one customer carries
    client = Client()
    client.post(URL, form(customer_code="C1001", company_name="", order_no="PO-778899"))
    assert match_customer("", "某公司", "PO-778899") == hengda
    client.post(URL, form(customer_code="", company_name="不认识的公司", order_no="PO-778899",
                          contact_email="b@example.com"))  # fmt: skip
    c = Complaint.objects.filter(order_no="PO-778899").order_by("-pk").first()
    assert c.customer == hengda and c.customer.code != HOLDING_CUSTOMER_CODE


@pytest.fixture
def filed(org, time_machine):
    time_machine.move_to(at(2026, 11, 3, 9, 0), tick=False)
    make_customer("C001", owner=org["sales"], name="华东机电有限公司")
    Client().post(URL, form(contact_phone="021-5555 0000"))
    return Complaint.objects.get(order_no="SO-88")


@pytest.mark.django_db
def test_status_page_by_number_and_phone_shows_status_and_dates_only(filed):
    r = Client().post(STATUS, {"number": filed.number, "phone": "02155550000"})
    html = r.content.decode()
    assert r.status_code == 200
    assert 'id="public-phase">已受理</span>' in html
    assert f'id="public-answer-by">{filed.answer_by:%Y-%m-%d}</td>' in html
    # nothing internal: no description, no department, no step, no staff name
    assert "螺丝松动" not in html and "品质" not in html and "Web form" not in html


@pytest.mark.django_db
def test_status_page_refuses_a_wrong_phone_without_saying_which_part_was_wrong(filed):
    wrong_phone = Client().post(STATUS, {"number": filed.number, "phone": "13800000000"})
    no_number = Client().post(STATUS, {"number": "209901-9999", "phone": "02155550000"})
    for r in (wrong_phone, no_number):
        assert r.status_code == 422
        assert 'id="status-refused"' in r.content.decode() and 'id="public-status"' not in r.content.decode()
    assert AuditEvent.objects.filter(object_type="public_status").count() == 2


@pytest.mark.django_db
def test_status_lookups_are_rate_limited_per_address(filed, settings):
    settings.KEFU_PUBLIC_STATUS_RATE = "3/h"
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        assert client.post(STATUS, {"number": "x", "phone": "12345678"}).status_code == 422
    r = client.post(STATUS, {"number": filed.number, "phone": "02155550000"})
    assert r.status_code == 429
    other = Client(REMOTE_ADDR="203.0.113.10")
    assert other.post(STATUS, {"number": filed.number, "phone": "02155550000"}).status_code == 200


def test_status_page_url():
    assert reverse("public:complaint-status") == STATUS

"""The public web form (R3.1, R3.5): no account, CSRF, honeypot, rate limit, customer matching."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.core.models import AuditEvent
from kefu.customers.models import Customer

from ..models import Complaint
from ..services import HOLDING_CUSTOMER_CODE, HOLDING_CUSTOMER_NAME
from .test_intake import EXE, JPEG, at, make_customer, upload

URL = "/public/complaint/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    # Files go to a temporary folder; messages are asserted in English (the msgids).
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def acme(org):
    return make_customer("C001", owner=org["sales"], name="华东机电有限公司")


def form(**overrides) -> dict:
    data = {
        "customer_code": "",
        "company_name": "华东机电有限公司",
        "contact_name": "王经理",
        "contact_phone": "021-5555 0000",
        "contact_email": "wang@example.com",
        "order_no": "SO-88",
        "part_no": "P-1",
        "quantity": "1000",
        "defect_quantity": "12",
        "description": "螺丝松动 screws loose\nsecond line",
        "customer_request": "exchange",
        "website": "",
    }
    data.update(overrides)
    return data


def test_url_names():
    assert reverse("public:complaint-form") == URL
    assert reverse("public:complaint-thanks") == URL + "thanks/"


@pytest.mark.django_db
def test_a_customer_files_a_complaint_without_login_and_sees_number_and_answer_date(acme, time_machine):
    time_machine.move_to(at(2026, 11, 3, 9, 0), tick=False)
    client = Client()
    assert client.get(URL).status_code == 200
    response = client.post(URL, form(attachments=[upload("photo.jpg", JPEG)]), follow=True)
    assert response.status_code == 200
    c = Complaint.objects.get()
    assert c.number == "202611-0001"
    assert (c.customer, c.channel, c.category, c.severity) == (acme, "web", "quality", "general")
    assert (c.contact_name, c.contact_email, c.submitter_ip) == ("王经理", "wang@example.com", "127.0.0.1")
    assert (c.quantity, c.defect_quantity, c.order_no, c.customer_request) == (1000, 12, "SO-88", "exchange")
    assert c.registered_by is None
    assert c.attachments.count() == 1
    html = response.content.decode()
    assert "202611-0001" in html
    assert "2026-11-18" in html  # answer promised: 15 days, domestic (R3.5)
    assert AuditEvent.objects.filter(object_id=c.number, action="register").get().actor_label == "public"


@pytest.mark.django_db
def test_the_customer_is_matched_by_code_before_name(org, acme):
    other = make_customer("C777", owner=org["sales2"], name="北方汽配")
    Client().post(URL, form(customer_code="c777", company_name="华东机电有限公司"))
    assert Complaint.objects.get().customer == other


@pytest.mark.django_db
def test_an_unmatched_customer_goes_to_the_holding_record_with_the_company_in_the_description(acme):
    Client().post(URL, form(company_name="未知公司 Unknown Ltd", customer_code="X-404"))
    c = Complaint.objects.get()
    assert c.customer.code == HOLDING_CUSTOMER_CODE
    assert c.customer.name == HOLDING_CUSTOMER_NAME
    assert "未知公司 Unknown Ltd" in c.description.splitlines()[0]
    assert "X-404" in c.description.splitlines()[0]
    Client().post(URL, form(company_name="另一家"))
    assert Customer.objects.filter(code=HOLDING_CUSTOMER_CODE).count() == 1
    assert Complaint.objects.filter(customer__code=HOLDING_CUSTOMER_CODE).count() == 2


@pytest.mark.django_db
def test_honeypot_shows_the_thanks_page_and_saves_nothing(acme):
    response = Client().post(URL, form(website="http://spam.example"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("public:complaint-thanks")
    assert Complaint.objects.count() == 0
    assert Customer.objects.filter(code=HOLDING_CUSTOMER_CODE).count() == 0


@pytest.mark.django_db
def test_honeypot_field_is_hidden_by_css(acme):
    html = Client().get(URL).content.decode()
    assert 'class="hp"' in html and 'name="website"' in html


@pytest.mark.django_db
def test_rate_limit_per_address_returns_429_after_the_limit(acme, settings, time_machine):
    settings.KEFU_PUBLIC_FORM_RATE = "3/h"
    time_machine.move_to(at(2026, 11, 3, 9, 0), tick=False)
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert client.post(URL, form()).status_code == 302
    refused = client.post(URL, form())
    assert refused.status_code == 429
    assert Complaint.objects.count() == 3
    assert Client(REMOTE_ADDR="203.0.113.8").post(URL, form()).status_code == 302  # another address
    time_machine.move_to(at(2026, 11, 3, 10, 0, 1), tick=False)
    assert client.post(URL, form()).status_code == 302  # an hour later
    assert Complaint.objects.filter(submitter_ip="203.0.113.7").count() == 4


@pytest.mark.django_db
def test_csrf_is_enforced(acme):
    client = Client(enforce_csrf_checks=True)
    assert client.post(URL, form()).status_code == 403
    assert Complaint.objects.count() == 0
    client.get(URL)
    token = client.cookies["csrftoken"].value
    assert client.post(URL, form(csrfmiddlewaretoken=token)).status_code == 302
    assert Complaint.objects.count() == 1


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"contact_name": ""}, "contact_name"),
        ({"contact_phone": "", "contact_email": ""}, "contact_phone"),
        ({"company_name": "", "customer_code": ""}, "company_name"),
        ({"description": ""}, "description"),
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "10", "defect_quantity": "11"}, "defect_quantity"),
        ({"contact_email": "nope"}, "contact_email"),
        ({"attachments": [upload("invoice.pdf", EXE)]}, "attachments"),
    ],
)
@pytest.mark.django_db
def test_bad_input_redisplays_the_form_with_the_error_and_saves_nothing(acme, bad, field):
    response = Client().post(URL, form(**bad))
    assert response.status_code == 422
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_attachment_limits_apply(acme, settings):
    settings.KEFU_ATTACHMENT_MAX_FILES = 1
    response = Client().post(URL, form(attachments=[upload("a.jpg"), upload("b.jpg")]))
    assert response.status_code == 422
    assert "at most 1" in str(response.context["form"].errors["attachments"])
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_thanks_page_without_a_submission_shows_no_number(acme):
    html = Client().get(reverse("public:complaint-thanks")).content.decode()
    assert "complaint-number" not in html


@pytest.mark.django_db
def test_staff_relink_a_web_complaint_from_the_holding_record(page, acme):
    Client().post(URL, form(company_name="Unknown Ltd"))
    c = Complaint.objects.get()
    page("gmoffice").post(reverse("complaints:reassign-customer", args=[c.number]), {"customer": "C001"})
    c.refresh_from_db()
    assert c.customer == acme

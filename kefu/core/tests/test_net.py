"""The client's address behind trusted reverse proxies (kefu.core.net, KEFU_TRUSTED_PROXIES)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from kefu.complaints.models import Complaint
from kefu.complaints.tests.test_intake import at, make_customer
from kefu.complaints.tests.test_public_form import URL, form
from kefu.core.net import TrustedProxies, client_ip, parse_trusted_proxies
from kefu.customers.models import CustomerAccessLog

PROXY = "127.0.0.1"


def request(remote="198.51.100.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_parse_trusted_proxies():
    assert parse_trusted_proxies("") == TrustedProxies()
    assert parse_trusted_proxies("2") == TrustedProxies(count=2)
    parsed = parse_trusted_proxies(" 127.0.0.1, 10.0.0.0/8 ,::1")
    assert [str(n) for n in parsed.networks] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    with pytest.raises(ImproperlyConfigured, match="'nginx' is neither a count nor an IP"):
        parse_trusted_proxies("127.0.0.1,nginx")


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.KEFU_TRUSTED_PROXIES = parse_trusted_proxies("")
    assert client_ip(request("198.51.100.9", "203.0.113.66")) == "198.51.100.9"
    assert client_ip(None) is None


def test_one_proxy_by_count_takes_the_entry_it_appended_not_the_spoofed_left_one(settings):
    settings.KEFU_TRUSTED_PROXIES = parse_trusted_proxies("1")
    assert client_ip(request(PROXY, "203.0.113.7")) == "203.0.113.7"
    # The client sent "X-Forwarded-For: 1.2.3.4"; nginx appended its real address.
    assert client_ip(request(PROXY, "1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    # No header (a direct connection to gunicorn): the peer itself.
    assert client_ip(request(PROXY)) == PROXY


def test_two_proxies_by_count(settings):
    settings.KEFU_TRUSTED_PROXIES = parse_trusted_proxies("2")
    assert client_ip(request("10.0.0.2", "1.2.3.4, 203.0.113.7, 10.0.0.1")) == "203.0.113.7"


def test_proxies_by_address_walk_from_the_right_past_trusted_hops(settings):
    settings.KEFU_TRUSTED_PROXIES = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8")
    assert client_ip(request(PROXY, "1.2.3.4, 203.0.113.7, 10.0.0.5")) == "203.0.113.7"
    assert client_ip(request(PROXY, "2001:db8::7")) == "2001:db8::7"
    # A peer outside the list is the client, whatever its header says.
    assert client_ip(request("198.51.100.9", "203.0.113.7")) == "198.51.100.9"
    # Garbage where a proxy should have written an address: the last proxy seen.
    assert client_ip(request(PROXY, "203.0.113.7, not-an-ip")) == PROXY
    # Only proxies: the furthest one.
    assert client_ip(request(PROXY, "10.0.0.5")) == "10.0.0.5"


@pytest.mark.django_db
def test_public_form_spoofed_header_without_trusted_proxy_shares_the_peer_limit(org, settings, time_machine):
    settings.KEFU_TRUSTED_PROXIES = parse_trusted_proxies("")
    settings.KEFU_PUBLIC_FORM_RATE = "2/h"
    settings.LANGUAGE_CODE = "en"
    make_customer("C001", owner=org["sales"])
    time_machine.move_to(at(2026, 11, 3, 9, 0), tick=False)
    statuses = [
        Client(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
        .post(URL, form())
        .status_code
        for i in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert set(Complaint.objects.values_list("submitter_ip", flat=True)) == {"198.51.100.9"}


@pytest.mark.django_db
def test_public_form_behind_one_proxy_limits_each_customer_separately(org, settings, time_machine):
    settings.KEFU_TRUSTED_PROXIES = parse_trusted_proxies("1")
    settings.KEFU_PUBLIC_FORM_RATE = "2/h"
    settings.LANGUAGE_CODE = "en"
    make_customer("C001", owner=org["sales"])
    time_machine.move_to(at(2026, 11, 3, 9, 0), tick=False)

    def post(client_address, spoofed=""):
        header = f"{spoofed}, {client_address}" if spoofed else client_address
        return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header).post(URL, form()).status_code

    assert [post("203.0.113.7") for _ in range(2)] == [302, 302]
    assert post("203.0.113.7") == 429  # the limit still holds for one customer
    assert post("203.0.113.7", spoofed="192.0.2.1") == 429  # a made-up left entry does not help
    assert [post("203.0.113.8") for _ in range(2)] == [302, 302]  # another customer, own limit
    counts = {
        ip: Complaint.objects.filter(submitter_ip=ip).count() for ip in ("203.0.113.7", "203.0.113.8", PROXY)
    }
    assert counts == {"203.0.113.7": 2, "203.0.113.8": 2, PROXY: 0}


@pytest.mark.django_db
def test_customer_access_log_records_the_forwarded_client(org, settings):
    settings.KEFU_TRUSTED_PROXIES = parse_trusted_proxies("127.0.0.1")
    customer = make_customer("C001", owner=org["sales"])
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.7")
    client.force_login(org["sales"])
    assert client.get(f"/customers/{customer.code}/").status_code == 200
    assert CustomerAccessLog.objects.filter(customer=customer).latest("pk").ip == "203.0.113.7"

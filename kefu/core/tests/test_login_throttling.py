"""Login throttling (django-axes): a username is locked at an address after too many wrong passwords."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from conftest import PASSWORD
from kefu.core.net import parse_trusted_proxies

LOGIN = "/login/"
HOME = "/"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def attempt(username, password, *, address="203.0.113.7", client=None):
    client = client or Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": username, "password": password})
    return client, response


def logged_in(client) -> bool:
    return client.get(HOME).status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
def test_fifteen_wrong_passwords_then_the_right_one_is_refused(org):
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [attempt("sales", f"wrong-{i}", client=client)[1].status_code for i in range(15)]
    # The login form answers 200 with an error for the first four; the fifth locks the pair.
    assert statuses == [200] * 4 + [429] * 11
    _, response = attempt("sales", PASSWORD, client=client)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    html = response.content.decode()
    assert "Too many wrong passwords for user “sales” from this address." in html
    assert "Try again in 15 minutes, or ask an administrator to unlock the login." in html
    attempt_row = AccessAttempt.objects.get(username="sales")
    assert (attempt_row.ip_address, attempt_row.failures_since_start) == ("203.0.113.7", 16)


@pytest.mark.django_db
def test_below_the_limit_the_right_password_logs_in_and_clears_the_count(org):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(4):
        assert attempt("sales", f"wrong-{i}", client=client)[1].status_code == 200
    _, response = attempt("sales", PASSWORD, client=client)
    assert response.status_code == 302 and "_auth_user_id" in client.session
    assert not AccessAttempt.objects.filter(username="sales").exists()  # AXES_RESET_ON_SUCCESS


@pytest.mark.django_db
def test_the_lock_is_per_user_and_address(org):
    for i in range(6):
        attempt("sales", f"wrong-{i}", address="203.0.113.7")
    assert attempt("sales", PASSWORD, address="203.0.113.7")[1].status_code == 429
    # Another user at the same address, and the same user elsewhere, still log in.
    assert attempt("quality", PASSWORD, address="203.0.113.7")[1].status_code == 302
    assert attempt("sales", PASSWORD, address="203.0.113.8")[1].status_code == 302


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_lock_follows_the_forwarded_client(org, settings):
    settings.KEFU_TRUSTED_PROXIES = parse_trusted_proxies("1")

    def via_proxy(client_address):
        return Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client_address)

    for i in range(6):
        attempt("sales", f"wrong-{i}", client=via_proxy("203.0.113.7"))
    assert attempt("sales", PASSWORD, client=via_proxy("203.0.113.7"))[1].status_code == 429
    assert attempt("sales", PASSWORD, client=via_proxy("203.0.113.8"))[1].status_code == 302
    assert AccessAttempt.objects.get(username="sales").ip_address == "203.0.113.7"


@pytest.mark.django_db
def test_the_lock_ends_after_the_cool_off(org, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC), tick=False)
    for i in range(6):
        attempt("sales", f"wrong-{i}")
    assert attempt("sales", PASSWORD)[1].status_code == 429
    time_machine.move_to(dt.datetime(2026, 11, 3, 9, 14, tzinfo=dt.UTC), tick=False)
    # Each attempt while locked starts the cool-off again (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT).
    assert attempt("sales", PASSWORD)[1].status_code == 429
    time_machine.move_to(dt.datetime(2026, 11, 3, 9, 29, 1, tzinfo=dt.UTC), tick=False)
    assert attempt("sales", PASSWORD)[1].status_code == 302


@pytest.mark.django_db
def test_the_reset_command_unlocks(org, capsys):
    for i in range(6):
        attempt("sales", f"wrong-{i}")
    assert attempt("sales", PASSWORD)[1].status_code == 429
    call_command("axes_reset_username", "sales")
    assert "1 attempts removed." in capsys.readouterr().out
    client, response = attempt("sales", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_the_admin_unlocks_by_deleting_the_attempt(org):
    for i in range(6):
        attempt("sales", f"wrong-{i}")
    admin = Client()
    admin.force_login(org["admin"])
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "sales" in listing.content.decode()
    row = AccessAttempt.objects.get(username="sales")
    deleted = admin.post(f"/admin/axes/accessattempt/{row.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert attempt("sales", PASSWORD)[1].status_code == 302


@pytest.mark.django_db
def test_the_admin_login_page_is_throttled_too(org):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(5):
        client.post("/admin/login/", {"username": "admin", "password": f"wrong-{i}"})
    response = client.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_locked_out_page_speaks_the_users_language(org, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(6):
        attempt("sales", f"wrong-{i}", client=client)
    response = attempt("sales", PASSWORD, client=client)[1]
    assert response.status_code == 429
    assert response["Content-Language"] == "zh-hans"
    client.cookies["django_language"] = "en"
    response = attempt("sales", PASSWORD, client=client)[1]
    assert response["Content-Language"] == "en"
    assert "Login locked" in response.content.decode()

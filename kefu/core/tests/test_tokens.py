"""API tokens: stored hashed, revocable, listed on the profile page."""

import pytest
from django.utils import timezone

from kefu.core import services
from kefu.core.models import ApiToken


@pytest.mark.django_db
def test_token_is_stored_hashed_and_authenticates(org, client):
    key = services.create_token(org["quality"], name="erp")
    token = ApiToken.objects.get(user=org["quality"])
    assert key not in (token.key_hash, token.prefix) and token.key_hash == ApiToken.hash(key)
    r = client.get(
        "/api/v1/calendar/is-workday", {"date": "2026-10-10"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert r.status_code == 200


@pytest.mark.django_db
def test_revoked_and_wrong_tokens_are_401(org, client):
    key = services.create_token(org["quality"])
    services.revoke_token(org["quality"], ApiToken.objects.get().pk)
    for header in (f"Bearer {key}", "Bearer kf_nonsense", "Basic abc"):
        r = client.get(
            "/api/v1/calendar/is-workday", {"date": "2026-10-10"}, headers={"Authorization": header}
        )
        assert r.status_code == 401, header


@pytest.mark.django_db
def test_inactive_user_token_is_401(org, client):
    key = services.create_token(org["quality"])
    org["quality"].is_active = False
    org["quality"].save()
    r = client.get(
        "/api/v1/calendar/is-workday", {"date": "2026-10-10"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert r.status_code == 401


@pytest.mark.django_db
def test_profile_page_lists_creates_and_revokes_tokens(page, org):
    client = page("sales")
    r = client.post("/profile/tokens/", {"name": "手机"})
    assert r.status_code == 302
    r = client.get("/profile/")
    new_key = r.context["new_token"]
    assert new_key.startswith("kf_") and "手机" in r.content.decode()
    token = ApiToken.objects.get(user=org["sales"])
    client.post(f"/profile/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    # someone else's token cannot be revoked
    other = services.create_token(org["sales2"])
    other_token = ApiToken.objects.get(user=org["sales2"])
    r = client.post(f"/profile/tokens/{other_token.pk}/revoke/")
    assert r.status_code == 404
    other_token.refresh_from_db()
    assert other_token.revoked_at is None and other


@pytest.mark.django_db
def test_openapi_is_published(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert "/api/v1/calendar/add-workdays" in r.json()["paths"]


@pytest.mark.django_db
def test_pages_speak_chinese_by_default_whatever_the_browser_asks(client):
    r = client.get("/login/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert r.headers["Content-Language"] == "zh-hans"
    assert "登录" in r.content.decode()
    client.cookies["django_language"] = "en"
    assert "Log in" in client.get("/login/").content.decode()


@pytest.mark.django_db
def test_api_messages_are_english_unless_chinese_is_asked_for(client):
    assert client.get("/api/v1/calendar/is-workday").headers["Content-Language"] == "en"
    r = client.get("/api/v1/calendar/is-workday", headers={"Accept-Language": "zh-CN"})
    assert r.headers["Content-Language"] == "zh-hans"


def _is_workday(client, key):
    return client.get(
        "/api/v1/calendar/is-workday", {"date": "2026-10-10"}, headers={"Authorization": f"Bearer {key}"}
    ).status_code


@pytest.mark.django_db
def test_a_token_in_use_is_refused_at_once_when_revoked_or_its_user_deactivated(org, client):
    key = services.create_token(org["quality"])
    assert _is_workday(client, key) == 200  # now in this process's token cache
    services.revoke_token(org["quality"], ApiToken.objects.get().pk)
    assert _is_workday(client, key) == 401

    key = services.create_token(org["sales"])
    assert _is_workday(client, key) == 200
    org["sales"].is_active = False
    org["sales"].save()
    assert _is_workday(client, key) == 401


@pytest.mark.django_db
def test_a_token_revoked_by_another_process_is_refused_after_the_cache_time(org, client, monkeypatch):
    from kefu.core import auth

    clock = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    key = services.create_token(org["quality"])
    assert _is_workday(client, key) == 200
    # Another server process revokes it: this one gets no signal.
    ApiToken.objects.filter(user=org["quality"]).update(revoked_at=timezone.now())
    clock[0] += auth.CACHE_SECONDS - 1
    assert _is_workday(client, key) == 200
    clock[0] += 1
    assert _is_workday(client, key) == 401

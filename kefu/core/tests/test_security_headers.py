"""Security headers (kefu.core.middleware.SecurityHeadersMiddleware) and the HTTPS settings (KEFU_HTTPS)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from kefu.complaints.tests.test_intake import intake, make_customer, upload
from kefu.core.net import parse_trusted_proxies

ROOT = Path(django_settings.BASE_DIR)


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def csp(response) -> dict[str, str]:
    directives = [d.strip() for d in response["Content-Security-Policy"].split(";") if d.strip()]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in directives}


@pytest.mark.django_db
def test_anonymous_pages_have_the_policy_and_the_other_headers_but_are_not_made_no_store():
    response = Client().get("/public/complaint/")
    assert response.status_code == 200
    policy = csp(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == "'self'" and "style-src-attr" not in policy  # not even attributes
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" not in cache_control(response)  # anonymous page


@pytest.mark.django_db
def test_pages_of_a_logged_in_user_are_private_no_store(page):
    response = page("sales").get("/complaints/")
    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)
    assert "Content-Security-Policy" in response


@pytest.mark.django_db
def test_every_api_response_is_private_no_store(api, client):
    ok = api("sales").get("/api/v1/complaints")
    assert ok.status_code == 200
    assert {"private", "no-store"} <= cache_control(ok)
    refused = client.get("/api/v1/complaints")  # no token
    assert refused.status_code == 401
    assert {"private", "no-store"} <= cache_control(refused)
    assert {"private", "no-store"} <= cache_control(client.get("/api/v1/openapi.json"))


@pytest.mark.django_db
def test_attachment_downloads_are_private_no_store(org, page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    complaint = intake(org["gmoffice"], make_customer(owner=org["sales"]), attachments=[upload("photo.jpg")])
    attachment = complaint.attachments.get()
    response = page("gmoffice").get(f"/complaints/{complaint.number}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)
    b"".join(response.streaming_content)
    response.close()


@pytest.mark.django_db
def test_static_files_keep_their_own_caching(settings):
    settings.WHITENOISE_USE_FINDERS = True  # tests collect no static files
    response = Client().get("/static/kefu/kefu.js")
    assert response.status_code == 200
    assert "no-store" not in cache_control(response)
    assert "Content-Security-Policy" not in response  # answered by WhiteNoise before the middleware
    b"".join(response.streaming_content)
    response.close()


@pytest.mark.django_db
def test_forwarded_proto_is_dropped_from_an_untrusted_peer(settings):
    from django.http import HttpRequest

    from kefu.core.middleware import TrustedProxyMiddleware

    settings.KEFU_TRUSTED_PROXIES = parse_trusted_proxies("127.0.0.1")
    seen = {}

    def view(request: HttpRequest):
        seen[request.META["REMOTE_ADDR"]] = request.META.get("HTTP_X_FORWARDED_PROTO")

    middleware = TrustedProxyMiddleware(view)
    for peer in ("127.0.0.1", "198.51.100.9"):
        request = HttpRequest()
        request.META.update(REMOTE_ADDR=peer, HTTP_X_FORWARDED_PROTO="https")
        middleware(request)
    assert seen == {"127.0.0.1": "https", "198.51.100.9": None}


def _settings_under(env: dict) -> dict:
    """The security settings as a fresh process reads them from ``env``."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "names = ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_PROXY_SSL_HEADER', "
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_SSL_REDIRECT']; "
        "print(json.dumps({n: getattr(settings, n) for n in names}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    clean.update(
        DJANGO_SETTINGS_MODULE="kefu.settings", KEFU_VAR_DIR=os.environ.get("KEFU_VAR_DIR", ""), **env
    )
    if not clean["KEFU_VAR_DIR"]:
        del clean["KEFU_VAR_DIR"]
    out = subprocess.run(
        [sys.executable, "-c", code], env=clean, cwd=ROOT, capture_output=True, text=True, check=True
    )
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def test_https_settings_follow_kefu_https():
    plain = _settings_under({})
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["SECURE_HSTS_SECONDS"] == 0
    behind = _settings_under({"KEFU_HTTPS": "1", "KEFU_TRUSTED_PROXIES": "1"})
    assert behind == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_SSL_REDIRECT": False,
    }
    # Without a trusted proxy nobody's X-Forwarded-Proto is believed.
    assert _settings_under({"KEFU_HTTPS": "1"})["SECURE_PROXY_SSL_HEADER"] is None


def test_check_deploy_with_kefu_https_lists_only_the_documented_warnings():
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update(
        KEFU_HTTPS="1",
        KEFU_TRUSTED_PROXIES="1",
        KEFU_SECRET_KEY="x" * 60 + "-a-long-random-deployment-key",
        KEFU_ALLOWED_HOSTS="kefu.example.com",
    )
    if os.environ.get("KEFU_VAR_DIR"):
        env["KEFU_VAR_DIR"] = os.environ["KEFU_VAR_DIR"]
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    ids = sorted(set(re.findall(r"\((security\.W\d+)\)", out.stdout + out.stderr)))
    # W005: HSTS without includeSubDomains (off by default); W008: SECURE_SSL_REDIRECT off
    # (the proxy redirects http to https, docs/running.md); W021: not preloaded.
    assert ids == ["security.W005", "security.W008", "security.W021"], out.stdout + out.stderr


INLINE = {
    "inline <script> (no src)": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I
    ),
    "on*= event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "hx-on attribute": re.compile(r"\shx-on", re.I),
}


def test_no_template_needs_inline_script_or_style():
    """The policy allows neither: kefu.js / kefu.css hold them (a browser would refuse them silently)."""
    found = []
    for template in sorted((ROOT / "kefu").rglob("templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(ROOT)}:{line}: {what}")
    assert found == []


@pytest.mark.django_db
def test_api_docs_use_the_bundled_swagger_ui_not_the_cdn(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui-init.js" in html
    assert "cdn.jsdelivr.net" not in html

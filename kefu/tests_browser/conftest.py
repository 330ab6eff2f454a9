"""Playwright in Debian's chromium against pytest-django's live server.

Every test in this package is marked ``browser``. They never skip: without
/usr/bin/chromium they fail (``make test`` installs it as root).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
PASSWORD = "kefu-browser-pw"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def browser(monkeypatch):
    """A headless chromium; function-scoped so Playwright's event loop never outlives the test."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make test` does it as root)")
    # Playwright's sync API runs an asyncio loop in this thread; the ORM calls
    # the test makes meanwhile are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            # ORM calls made while Playwright's loop runs get connections of their
            # own context; close them, or PostgreSQL cannot drop the test database.
            connections.close_all()


@pytest.fixture
def tab(browser, live_server):
    """A page in a fresh zh-CN browser context whose relative URLs go to the live server."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def shot():
    """``shot(page, "name")`` saves a full-page screenshot to test-artifacts/name.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def people(transactional_db):
    """A sales clerk and a quality clerk, and two customers owned by the clerk."""
    from kefu.core.choices import DepartmentCode as D
    from kefu.core.choices import Role as R
    from kefu.core.org import create_user
    from kefu.customers.models import Contact, Customer

    users = {
        "sales": create_user(
            "sales", password=PASSWORD, memberships=[(D.SALES, R.CLERK)], first_name="林晓燕"
        ),
        "quality": create_user(
            "quality", password=PASSWORD, memberships=[(D.QUALITY, R.CLERK)], first_name="张伟"
        ),
    }
    customers = [
        Customer.objects.create(
            code="C1001",
            name="苏州恒达精密机械有限公司",
            area="江苏省苏州市",
            owner=users["sales"],
            grade="A",
        ),
        Customer.objects.create(
            code="C1002",
            name="宁波华瑞汽车零部件有限公司",
            area="浙江省宁波市",
            owner=users["sales"],
            grade="B",
        ),
    ]
    Contact.objects.create(
        customer=customers[0], name="周敏", title="采购经理", phone="0512-62881234", is_primary=True
    )
    return {"users": users, "customers": customers}


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)

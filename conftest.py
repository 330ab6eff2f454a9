"""Shared fixtures: the demo organisation (one user per role), API clients, frozen time."""

from __future__ import annotations

import pytest

from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role as R

# The append-only triggers refuse DELETE; between transactional tests the test
# runner must still empty the tables, so on SQLite its flush lifts them for the
# moment (PostgreSQL flushes with TRUNCATE, which row triggers do not see).
_APPEND_ONLY = {"core_auditevent", "customers_customeraccesslog"}


@pytest.fixture(scope="session", autouse=True)
def _flush_lifts_append_only_triggers():
    from django.db.backends.sqlite3.base import DatabaseOperations as SQLiteOps

    original = SQLiteOps.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        guarded = [t for t in tables if t in _APPEND_ONLY]
        drops = [f"DROP TRIGGER IF EXISTS {t}_no_delete" for t in guarded]
        creates = [
            f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} "
            f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END"
            for t in guarded
        ]
        return drops + statements + creates

    SQLiteOps.sql_flush = sql_flush
    yield
    SQLiteOps.sql_flush = original


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (zh-hans).

    A request activates its language (English for the API) and Django leaves it
    active on the thread, so without this a service test would see the language
    of whichever request ran before it.
    """
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the navigation badge is cached per user)."""
    from django.core.cache import cache

    from kefu.core import auth, config, org, workcalendar

    cache.clear()
    config.invalidate()  # a rolled-back test's settings and calendar days send no signal
    workcalendar.invalidate()
    auth.forget()
    org.forget_departments()
    yield
    cache.clear()
    config.invalidate()
    workcalendar.invalidate()
    auth.forget()
    org.forget_departments()


PASSWORD = "kefu-test-pw"

# username -> memberships; mirrors the demo users (kefu/demo/data.py)
ORG = {
    "admin": [(D.GM_OFFICE, R.ADMIN)],
    "gm": [(D.GM_OFFICE, R.GM)],
    "dgm": [(D.GM_OFFICE, R.DEPUTY_GM)],
    "gmoffice": [(D.GM_OFFICE, R.CLERK)],
    "quality": [(D.QUALITY, R.CLERK)],
    "qualitymgr": [(D.QUALITY, R.MANAGER)],
    "production": [(D.PRODUCTION, R.CLERK)],
    "rd": [(D.RD, R.CLERK)],
    "sales": [(D.SALES, R.CLERK)],
    "sales2": [(D.SALES, R.CLERK)],
    "salesmgr": [(D.SALES, R.MANAGER)],
    "mrep": [(D.MANAGEMENT_REP, R.MANAGEMENT_REP)],
    "warehouse": [(D.WAREHOUSE, R.CLERK)],
    "accounting": [(D.ACCOUNTING, R.CLERK)],
}


@pytest.fixture
def org(db):
    """All departments and one user per role, as a dict username -> User."""
    from kefu.core.org import create_user, ensure_departments

    ensure_departments()
    users = {}
    for username, memberships in ORG.items():
        users[username] = create_user(
            username,
            password=PASSWORD,
            memberships=memberships,
            is_superuser=username == "admin",
            is_staff=username == "admin",
            email=f"{username}@example.com",
        )
    return users


@pytest.fixture
def api(org):
    """``api("sales").get(url)``: a Django test client sending that user's bearer token."""
    from django.test import Client

    from kefu.core.auth import issue_token

    clients = {}

    def for_user(username: str) -> Client:
        if username not in clients:
            token = issue_token(org[username], name="test")
            clients[username] = Client(headers={"Authorization": f"Bearer {token}"})
        return clients[username]

    return for_user


@pytest.fixture
def page(client, org):
    """``page("sales")``: a test client logged in to the pages as that user."""

    def login(username: str):
        client.force_login(org[username])
        return client

    return login

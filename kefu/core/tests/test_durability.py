"""Nothing acknowledged is lost (issue 11): the sync settings, and a server killed under writers.

The crash test starts the real web server (gunicorn with kefu/gunicorn.conf.py, as
``kefu serve`` does) on the suite's own test database, SQLite or PostgreSQL, lets 8
writers register complaints over the API, kills the whole server with SIGKILL in the
middle, starts it again while the writers keep going, and then checks every complaint
that was answered 201. A power loss cannot be simulated here; that part rests on the
sync settings tested above it (docs/security-draft-durability.md).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max

from kefu.complaints.models import Complaint
from kefu.core.db import durability
from kefu.core.models import AuditEvent, NumberSequence
from kefu.customers.models import Customer
from kefu.flow.models import Step

ROOT = Path(__file__).resolve().parents[3]
GUNICORN_CONF = ROOT / "kefu" / "gunicorn.conf.py"
HOST = "127.0.0.1"
URL = "/api/v1/complaints"
WRITERS = 8
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own sync setting")
pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own settings")


def _python(code: str, **env) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter with kefu's settings and ``env`` on top of the suite's."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    full.update(DJANGO_SETTINGS_MODULE="kefu.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", code], env=full, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


# --- the sync settings --------------------------------------------------------------------


@sqlite_only
@pytest.mark.django_db
def test_sqlite_connections_sync_every_commit_by_default():
    assert settings.KEFU_SQLITE_SYNCHRONOUS == "FULL"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert durability.check_durability() == []


PRAGMA_OF_A_FRESH_PROCESS = (
    "import django; django.setup(); from django.db import connection; c = connection.cursor(); "
    "c.execute('PRAGMA synchronous'); print(c.fetchone()[0]); "
    "from kefu.core.db.durability import check_durability; print([m.id for m in check_durability()])"
)


@pytest.mark.parametrize(("asked", "level", "warnings"), [("", "2", "[]"), ("normal", "1", "['kefu.W911']")])
def test_kefu_sqlite_synchronous_sets_the_pragma_of_new_connections(tmp_path, asked, level, warnings):
    """FULL when unset; NORMAL only when asked for (any case), and then the start-up check warns."""
    env = {"KEFU_VAR_DIR": str(tmp_path), "KEFU_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    if asked:
        env["KEFU_SQLITE_SYNCHRONOUS"] = asked
    proc = _python(PRAGMA_OF_A_FRESH_PROCESS, **env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == [level, warnings]


@pytest.mark.parametrize("value", ["OFF", "EXTRA", "0", "ful"])
def test_a_value_other_than_full_or_normal_stops_kefu_at_start(tmp_path, value):
    proc = _python(
        "import django; django.setup()",
        KEFU_VAR_DIR=str(tmp_path),
        KEFU_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        KEFU_SQLITE_SYNCHRONOUS=value,
    )
    assert proc.returncode != 0
    assert (
        f"ImproperlyConfigured: KEFU_SQLITE_SYNCHRONOUS={value!r} is not allowed: use FULL" in proc.stderr
    ), proc.stderr
    assert not (tmp_path / "db.sqlite3").exists()  # refused before any connection


@sqlite_only
@pytest.mark.django_db(transaction=True)  # SQLite changes the level only outside a transaction
def test_the_check_warns_when_a_connection_runs_with_normal_anyway():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=NORMAL")
        try:
            messages = durability.check_durability()
        finally:
            cursor.execute("PRAGMA synchronous=FULL")
    assert [m.id for m in messages] == ["kefu.W911"]
    assert "KEFU_SQLITE_SYNCHRONOUS is FULL, yet the connection runs with NORMAL" in messages[0].msg


@pg_only
@pytest.mark.django_db
def test_postgresql_defaults_pass_and_synchronous_commit_off_is_reported():
    vendor, values = durability.live_values()
    assert vendor == "postgresql"
    assert values["synchronous_commit"] != "off" and values["fsync"] == "on"
    assert durability.check_durability() == []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")  # until the test's transaction ends
    messages = durability.check_durability()
    assert [m.id for m in messages] == ["kefu.W912"]
    assert "synchronous_commit=off" in messages[0].msg


def test_postgresql_settings_that_lose_acknowledged_commits_are_each_named():
    safe = {"synchronous_commit": "on", "fsync": "on", "full_page_writes": "on"}
    assert durability.pg_warnings(safe) == []
    for level in ("local", "remote_write", "remote_apply"):  # all flush the local WAL first
        assert durability.pg_warnings({**safe, "synchronous_commit": level}) == []
    unsafe = {"synchronous_commit": "off", "fsync": "off", "full_page_writes": "off"}
    assert [m.id for m in durability.pg_warnings(unsafe)] == ["kefu.W912", "kefu.W913", "kefu.W914"]

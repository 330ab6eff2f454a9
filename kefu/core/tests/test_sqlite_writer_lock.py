"""The SQLite backend queues writers on a file lock (kefu/core/db/sqlite3)."""

import fcntl
import os

import pytest
from django.db import connection, transaction

from kefu.core.models import Setting

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend's own lock")


def _held_by_someone() -> bool:
    """Whether another open file holds the writer lock (probed through a new one)."""
    fd = os.open(f"{connection.settings_dict['NAME']}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@pytest.mark.django_db(transaction=True)
def test_a_transaction_holds_the_writer_lock_until_it_commits_or_rolls_back():
    connection.ensure_connection()
    assert not _held_by_someone()
    with transaction.atomic():
        Setting.objects.create(key="due.complaint.assign", value="2 workdays")
        assert _held_by_someone()
        with transaction.atomic():  # a savepoint takes nothing more
            assert _held_by_someone()
        assert _held_by_someone()
    assert not _held_by_someone()

    with pytest.raises(RuntimeError), transaction.atomic():
        Setting.objects.filter(key="due.complaint.assign").delete()
        assert _held_by_someone()
        raise RuntimeError("roll back")
    assert not _held_by_someone()
    assert Setting.objects.filter(key="due.complaint.assign").exists()


@pytest.mark.django_db(transaction=True)
def test_closing_a_connection_inside_a_transaction_releases_the_lock():
    with pytest.raises(RuntimeError), transaction.atomic():
        Setting.objects.create(key="due.complaint.assign", value="2 workdays")
        connection.close()  # as when a request fails badly; Django drops the connection
        raise RuntimeError
    assert not _held_by_someone()

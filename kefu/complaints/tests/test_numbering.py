"""R3.3 under concurrency: numbers are unique and gap-free per month, on SQLite and PostgreSQL alike.

Runs against whichever database KEFU_DATABASE_URL names: SQLite (a file in WAL
mode with BEGIN IMMEDIATE, so writers queue) or PostgreSQL (the counter row is
locked until commit).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from kefu.core.errors import Invalid

from ..models import Complaint
from .test_intake import EXE, at, intake, make_customer, upload

THREADS = 20


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    # Files go to a temporary folder; messages are asserted in English (the msgids).
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path / "media"


def run_in_threads(count: int, work) -> tuple[list, list]:
    barrier = threading.Barrier(count)
    results, errors = [], []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            value = work(i)
            with lock:
                results.append(value)
        except BaseException as exc:  # collected and asserted on by the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_20_concurrent_intakes_get_20_consecutive_numbers_without_gap_or_duplicate(org):
    customer = make_customer(owner=org["sales"])
    clerk = org["gmoffice"]
    start = at(2026, 11, 3, 9, 0)

    numbers, errors = run_in_threads(
        THREADS, lambda i: intake(clerk, customer, now=start + dt.timedelta(seconds=i)).number
    )

    assert errors == []
    assert sorted(numbers) == [f"202611-{n:04d}" for n in range(1, THREADS + 1)]
    assert sorted(Complaint.objects.values_list("serial", flat=True)) == list(range(1, THREADS + 1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_with_some_failing_still_leave_no_gap(org):
    customer = make_customer(owner=org["sales"])
    clerk = org["gmoffice"]
    start = at(2026, 11, 3, 9, 0)

    def work(i: int) -> str:
        files = [upload("bad.jpg", EXE)] if i % 4 == 0 else []
        return intake(clerk, customer, now=start + dt.timedelta(seconds=i), attachments=files).number

    numbers, errors = run_in_threads(THREADS, work)

    assert len(errors) == THREADS // 4 and all(isinstance(e, Invalid) for e in errors)
    ok = THREADS - THREADS // 4
    assert sorted(numbers) == [f"202611-{n:04d}" for n in range(1, ok + 1)]
    assert intake(clerk, customer, now=start + dt.timedelta(minutes=5)).number == f"202611-{ok + 1:04d}"

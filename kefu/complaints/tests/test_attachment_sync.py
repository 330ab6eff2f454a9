"""Attachments reach the disk before the complaint that lists them commits (issue 11)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

from ..models import Attachment
from .test_intake import JPEG, PDF, intake, make_customer, upload


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.django_db(transaction=True)  # so that "before the commit" can be told apart
def test_each_file_and_the_folders_above_it_are_synced_inside_the_transaction(org, media, monkeypatch):
    synced: list[tuple[Path, bool]] = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append((Path(os.readlink(f"/proc/self/fd/{fd}")), connection.in_atomic_block))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    complaint = intake(
        org["sales"],
        make_customer("C001", owner=org["sales"]),
        attachments=[upload("photo.jpg", JPEG), upload("report.pdf", PDF)],
    )

    root = Path(media).resolve()
    files = [Path(a.file.path).resolve() for a in Attachment.objects.filter(complaint=complaint)]
    assert len(files) == 2 and all(f.read_bytes() in (JPEG, PDF) for f in files)
    folders = {root}
    for f in files:
        folders.update(p for p in f.parents if root in p.parents)
    assert {p for p, _ in synced} == set(files) | folders  # complaints/, the year, month, number
    assert all(before_commit for _, before_commit in synced)


@pytest.mark.django_db
def test_a_complaint_without_files_syncs_nothing_itself(org, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "fsync", calls.append)
    intake(org["sales"], make_customer("C001", owner=org["sales"]))
    assert calls == []  # the database syncs its own commit

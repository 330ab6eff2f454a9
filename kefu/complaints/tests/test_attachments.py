"""Attachment checks (R3.2): extension AND magic bytes, size and count limits, errors name the file."""

from __future__ import annotations

import pytest

from kefu.core.errors import Invalid

from ..attachments import check_file, check_files
from .test_intake import EXE, JPEG, PDF, PNG, upload


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
ZIP = b"PK\x03\x04" + b"\x00" * 100
GOOD = [
    ("photo.jpg", JPEG, "image/jpeg"),
    ("PHOTO.JPEG", JPEG, "image/jpeg"),
    ("shot.png", PNG, "image/png"),
    ("anim.gif", b"GIF89a" + b"\x00" * 50, "image/gif"),
    ("pic.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 50, "image/webp"),
    ("iphone.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 50, "image/heic"),
    ("scan.bmp", b"BM" + b"\x00" * 50, "image/bmp"),
    ("report.pdf", PDF, "application/pdf"),
    ("old.doc", OLE, "application/msword"),
    ("old.xls", OLE, "application/vnd.ms-excel"),
    ("old.ppt", OLE, "application/vnd.ms-powerpoint"),
    ("new.docx", ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("new.xlsx", ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("new.pptx", ZIP, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("notes.txt", "客户说：外壳有划痕\n".encode(), "text/plain"),
    ("notes-gbk.txt", "客户说：外壳有划痕\n".encode("gb18030"), "text/plain"),
    ("list.csv", b"part,qty\nP-1,20\n", "text/csv"),
    ("bundle.zip", ZIP, "application/zip"),
]


@pytest.mark.parametrize(("name", "content", "content_type"), GOOD, ids=[g[0] for g in GOOD])
def test_allowed_types_pass_with_their_trusted_content_type(name, content, content_type):
    checked = check_file(upload(name, content, "application/x-whatever"))
    assert (checked.name, checked.size, checked.content_type) == (name, len(content), content_type)


BAD = [
    ("invoice.jpg", EXE, "does not match"),  # an .exe dressed as a photo
    ("invoice.pdf", JPEG, "does not match"),
    ("report.docx", OLE, "does not match"),
    ("notes.txt", EXE, "does not match"),
    ("notes.txt", b"abc\x00def", "does not match"),
    ("run.sh.txt", b"#!/bin/sh\nrm -rf /\n", "does not match"),
    ("setup.exe", EXE, "file type .exe not allowed"),
    ("page.html", b"<html></html>", "file type .html not allowed"),
    ("noextension", JPEG, "the file name has no extension"),
    ("empty.jpg", b"", "empty"),
]


@pytest.mark.parametrize(("name", "content", "rule"), BAD, ids=[b[0] + "-" + b[2] for b in BAD])
def test_refused_files_name_the_field_and_the_file(name, content, rule):
    with pytest.raises(Invalid) as err:
        check_file(upload(name, content))
    assert err.value.field == "attachments"
    assert err.value.detail.startswith(f"attachments: {name}: ")
    assert rule in err.value.detail


def test_size_limit_comes_from_settings(settings):
    settings.KEFU_ATTACHMENT_MAX_BYTES = len(JPEG) - 1
    with pytest.raises(Invalid, match="attachments: big.jpg: file is larger than"):
        check_file(upload("big.jpg", JPEG))
    settings.KEFU_ATTACHMENT_MAX_BYTES = len(JPEG)
    assert check_file(upload("big.jpg", JPEG)).size == len(JPEG)


def test_count_limit_comes_from_settings_and_counts_files_already_attached(settings):
    settings.KEFU_ATTACHMENT_MAX_FILES = 3
    assert len(check_files([upload("a.jpg"), upload("b.jpg"), upload("c.jpg")])) == 3
    with pytest.raises(Invalid, match="attachments: at most 3 files"):
        check_files([upload("a.jpg"), upload("b.jpg")], existing=2)


def test_check_leaves_the_file_readable_from_the_start():
    f = upload("a.jpg", JPEG)
    check_file(f)
    assert f.read() == JPEG


def test_a_long_name_is_cut_in_its_stem_and_keeps_its_extension():
    name = "客户来信" * 70 + ".txt"  # 284 characters
    checked = check_file(upload(name, "外壳有划痕\n".encode(), "text/plain"))
    assert len(checked.name) == 200
    assert checked.name.endswith(".txt") and checked.name.startswith("客户来信客户来信")
    assert checked.content_type == "text/plain"


def test_a_300_character_txt_name_is_accepted_through_the_api(api, org, settings, tmp_path):
    from .workflow_factory import complaint

    settings.MEDIA_ROOT = tmp_path / "media"
    c = complaint(org)
    name = "n" * 296 + ".txt"
    response = api("sales").post(
        f"/api/v1/complaints/{c.number}/attachments", {"attachments": upload(name, b"short note\n")}
    )
    assert response.status_code == 201, response.content
    [stored] = response.json()
    assert stored["name"].endswith(".txt") and len(stored["name"]) == 200
    assert stored["content_type"] == "text/plain"

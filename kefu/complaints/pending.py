"""Files chosen on a form that was refused, kept on the server until the form is sent again.

A browser cannot put a chosen file back into a file input, so a refused form would lose its
photos. As mature web applications do (an upload kept as a pending attachment that the next
submit refers to), every acceptable file of a refused form is stored under ``pending/<id>/``
and the form carries a signed token of ``<id>``; the page lists the kept files, each with a
box to drop it. The next submit takes them with the new ones; after a successful one the
folder is removed. Tokens older than ``MAX_AGE`` are refused; each refused form first
removes the folders older than that (``sweep``), so abandoned forms leave nothing for long.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from dataclasses import dataclass

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage

from kefu.core.errors import Invalid

from . import attachments as files

ROOT = "pending"
SALT = "kefu.complaints.pending"
MAX_AGE = 24 * 3600  # seconds a refused form's files are kept
MANIFEST = "manifest.json"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kept:
    """One kept file: its place in the folder and the name the user chose it by."""

    key: str
    name: str
    size: int


def _folder(token: str) -> str | None:
    """The folder of a valid token, else None (forged, or older than MAX_AGE)."""
    if not token:
        return None
    try:
        ident = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(ident, str) or not ident.isalnum():
        return None
    return f"{ROOT}/{ident}"


def _manifest(folder: str) -> dict:
    try:
        with default_storage.open(f"{folder}/{MANIFEST}", "rb") as fh:
            return json.loads(fh.read().decode())
    except (OSError, ValueError):
        return {}


def listed(token: str) -> list[Kept]:
    folder = _folder(token)
    if folder is None:
        return []
    return [Kept(key, entry["name"], entry["size"]) for key, entry in sorted(_manifest(folder).items())]


def keep(token: str, uploads, dropped=()) -> tuple[str, list[Invalid]]:
    """Store the acceptable ``uploads`` beside those ``token`` keeps already (a new token when it
    has none), less the ``dropped`` ones; returns the token and the refusal of each file that
    was not acceptable."""
    sweep()
    folder = _folder(token)
    if folder is None:
        ident = secrets.token_hex(16)
        folder, token = f"{ROOT}/{ident}", signing.dumps(ident, salt=SALT)
    manifest = _manifest(folder)
    for key in [k for k in manifest if k in dropped]:
        del manifest[key]
        default_storage.delete(f"{folder}/{key}")  # (a missing file is no error)
    refused = []
    for upload in uploads:
        try:
            checked = files.check_file(upload)
        except Invalid as exc:
            refused.append(exc)
            continue
        key = f"{secrets.token_hex(4)}-{files.storage_name(checked.name)}"
        checked.upload.seek(0)
        default_storage.save(f"{folder}/{key}", checked.upload)
        manifest[key] = {"name": checked.name, "size": checked.size}
    if manifest or dropped:
        name = f"{folder}/{MANIFEST}"
        default_storage.delete(name)
        default_storage.save(name, ContentFile(json.dumps(manifest).encode()))
    return token, refused


def opened(token: str, dropped=()) -> list:
    """The kept files of ``token`` as uploads (named as the user chose them), less ``dropped``."""
    folder = _folder(token)
    if folder is None:
        return []
    out = []
    for key, entry in sorted(_manifest(folder).items()):
        if key in dropped:
            continue
        try:
            handle = default_storage.open(f"{folder}/{key}", "rb")
        except OSError:
            continue
        handle.name = entry["name"]
        out.append(handle)
    return out


def discard(token: str) -> None:
    """Remove the folder of ``token`` (after the form was accepted)."""
    folder = _folder(token)
    if folder is not None:
        _remove(folder)


def _remove(folder: str) -> None:
    """Delete a pending folder; a failure is logged and left for the next sweep (the files are
    copies kept for a refused form, never a record's only file)."""
    try:
        _dirs, names = default_storage.listdir(folder)
        for name in names:
            default_storage.delete(f"{folder}/{name}")
        if isinstance(default_storage, FileSystemStorage):  # on disk: the empty folder goes too
            os.rmdir(default_storage.path(folder))
    except (OSError, NotImplementedError) as exc:
        log.warning("pending files: could not remove %s: %s", folder, exc)


def sweep(now: float | None = None) -> int:
    """Remove the folders of refused forms older than ``MAX_AGE``; returns how many."""
    now = time.time() if now is None else now
    try:
        folders, _names = default_storage.listdir(ROOT)
    except FileNotFoundError:  # no refused form has kept a file yet
        return 0
    removed = 0
    for ident in folders:
        folder = f"{ROOT}/{ident}"
        try:
            age = now - default_storage.get_modified_time(f"{folder}/{MANIFEST}").timestamp()
        except FileNotFoundError:  # a folder being written, or one without a manifest
            continue
        if age > MAX_AGE:
            _remove(folder)
            removed += 1
    return removed

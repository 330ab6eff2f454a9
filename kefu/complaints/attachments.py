"""Validation and storage of complaint attachments: photos and documents (R3.2).

A file is accepted when its extension is on the list AND its first bytes
match that type (a ``.jpg`` that is really an ``.exe`` is refused). Limits
come from ``KEFU_ATTACHMENT_MAX_BYTES`` and ``KEFU_ATTACHMENT_MAX_FILES``.
Errors name the field ``attachments`` and the file.
"""

from __future__ import annotations

import codecs
import contextlib
import mimetypes
import os
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from kefu.core.errors import Invalid

FIELD = "attachments"
HEAD_BYTES = 8192

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (doc, xls, ppt)
ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # zip and the Office Open XML formats
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"heif"}
# Executables and scripts that must never pass as "text".
BINARY_SIGNATURES = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"#!")


def _is_jpeg(head: bytes) -> bool:
    return head.startswith(b"\xff\xd8\xff")


def _is_png(head: bytes) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _is_gif(head: bytes) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


def _is_webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _is_heif(head: bytes) -> bool:
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def _is_bmp(head: bytes) -> bool:
    return head[:2] == b"BM"


def _is_pdf(head: bytes) -> bool:
    return head.startswith(b"%PDF-")


def _is_ole(head: bytes) -> bool:
    return head.startswith(OLE)


def _is_zip(head: bytes) -> bool:
    return head.startswith(ZIP)


def _is_text(head: bytes) -> bool:
    if b"\x00" in head or head.startswith(BINARY_SIGNATURES):
        return False
    # A full head may cut a multi-byte character in two: decode it as unfinished then.
    final = len(head) < HEAD_BYTES
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=final)
            return True
        except UnicodeDecodeError:
            continue
    return False


@dataclass(frozen=True)
class FileType:
    content_type: str
    is_photo: bool
    matches: object  # callable(head: bytes) -> bool


PHOTO = {
    "jpg": FileType("image/jpeg", True, _is_jpeg),
    "jpeg": FileType("image/jpeg", True, _is_jpeg),
    "png": FileType("image/png", True, _is_png),
    "gif": FileType("image/gif", True, _is_gif),
    "webp": FileType("image/webp", True, _is_webp),
    "heic": FileType("image/heic", True, _is_heif),
    "heif": FileType("image/heif", True, _is_heif),
    "bmp": FileType("image/bmp", True, _is_bmp),
}
DOCUMENT = {
    "pdf": FileType("application/pdf", False, _is_pdf),
    "doc": FileType("application/msword", False, _is_ole),
    "xls": FileType("application/vnd.ms-excel", False, _is_ole),
    "ppt": FileType("application/vnd.ms-powerpoint", False, _is_ole),
    "docx": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", False, _is_zip
    ),
    "xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False, _is_zip),
    "pptx": FileType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", False, _is_zip
    ),
    "txt": FileType("text/plain", False, _is_text),
    "csv": FileType("text/csv", False, _is_text),
    "zip": FileType("application/zip", False, _is_zip),
}
ALLOWED = {**PHOTO, **DOCUMENT}
# Browsers render these inline; everything else is downloaded.
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "application/pdf"}


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed validation, with its trusted type."""

    upload: object  # django.core.files.File
    name: str
    size: int
    content_type: str

    @property
    def is_photo(self) -> bool:
        return self.content_type.startswith("image/")


def extension(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")


def allowed_extensions() -> str:
    return ", ".join(ALLOWED)


def _read_head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head or b""


MAX_NAME = 200  # Attachment.original_name


def short_name(name: str, limit: int = MAX_NAME) -> str:
    """The name cut to ``limit`` characters at the end of its stem: the extension, which decides
    the file's type, is kept (a 300-character ``.txt`` name stays a ``.txt``)."""
    if len(name) <= limit:
        return name
    stem, ext = os.path.splitext(name)
    if len(ext) >= limit // 2:  # no real extension is that long: cut the whole name
        return name[:limit]
    return stem[: limit - len(ext)] + ext


def check_file(upload) -> CheckedFile:
    """Validate one upload or raise ``Invalid`` naming ``attachments``, the file and what is wrong."""
    name = short_name(os.path.basename(getattr(upload, "name", "") or ""))
    if not name:
        raise Invalid(_("a file has no name"), field=FIELD)
    size = upload.size
    max_bytes = settings.KEFU_ATTACHMENT_MAX_BYTES
    if size > max_bytes:
        raise Invalid(
            _("%(name)s: file is larger than %(limit)s MB")
            % {"name": name, "limit": f"{max_bytes / 1024 / 1024:g}"},
            field=FIELD,
        )
    if size == 0:
        raise Invalid(_("%(name)s: file is empty") % {"name": name}, field=FIELD)
    ext = extension(name)
    kind = ALLOWED.get(ext)
    if kind is None:
        if not ext:
            raise Invalid(
                _("%(name)s: the file name has no extension (allowed: %(types)s)")
                % {"name": name, "types": allowed_extensions()},
                field=FIELD,
            )
        raise Invalid(
            _("%(name)s: file type .%(ext)s not allowed (allowed: %(types)s)")
            % {"name": name, "ext": ext, "types": allowed_extensions()},
            field=FIELD,
        )
    if not kind.matches(_read_head(upload)):
        raise Invalid(_("%(name)s: file content does not match its type") % {"name": name}, field=FIELD)
    return CheckedFile(upload=upload, name=name, size=size, content_type=kind.content_type)


def check_files(uploads, *, existing: int = 0) -> list[CheckedFile]:
    """Validate a batch; ``existing`` files already on the complaint count towards the limit."""
    uploads = [u for u in uploads or () if u is not None]
    max_files = settings.KEFU_ATTACHMENT_MAX_FILES
    if existing + len(uploads) > max_files:
        raise Invalid(_("at most %(n)d files per complaint") % {"n": max_files}, field=FIELD)
    return [check_file(u) for u in uploads]


def storage_name(name: str) -> str:
    """A safe file name for storage; the original name is kept on the row."""
    base, ext = os.path.splitext(name)
    safe = get_valid_filename(base)[:80] or "file"
    return f"{safe}{ext.lower()}"


class WrittenFiles:
    """Remembers the files written in a transaction so a rollback can delete them.

    Used as a context manager around the writes: on an exception every file
    written so far is removed, so a failed intake leaves no orphan on disk.
    """

    def __init__(self):
        self.names: list[str] = []

    def add(self, name: str) -> None:
        self.names.append(name)
        sync_to_disk(name)

    def store(self, row, checked: CheckedFile) -> None:
        """Write ``checked`` as ``row.file`` (a ``StoredFile``) and save the row, remembering the file."""
        checked.upload.seek(0)
        row.file.save(storage_name(checked.name), checked.upload, save=False)
        self.add(row.file.name)
        row.save()

    def __enter__(self) -> WrittenFiles:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.delete_all()
        return False

    def delete_all(self) -> None:
        for name in self.names:
            with contextlib.suppress(OSError):  # already gone: nothing to undo
                default_storage.delete(name)
        self.names.clear()


def sync_to_disk(name: str) -> None:
    """Flush a stored file, and the folders above it up to the media root, to disk (issue 11).

    Called before the transaction that records the file commits: the database
    syncs its commit (``KEFU_SQLITE_SYNCHRONOUS``, PostgreSQL's defaults), so a
    complaint acknowledged with its photos keeps them after a power loss too,
    and not a row pointing at an empty file or a folder entry that never
    reached the disk. A storage without local paths keeps its own promises.
    """
    try:
        path = default_storage.path(name)
        root = os.path.realpath(default_storage.path(""))
    except NotImplementedError:
        return
    _fsync(path)
    folder = os.path.dirname(os.path.realpath(path))
    while True:
        _fsync(folder)  # the entry of what was created in it
        if folder == root or not folder.startswith(root + os.sep):
            break
        folder = os.path.dirname(folder)


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_response(request, att):
    """The stored file of ``att`` (a ``StoredFile``) as a download: images and PDFs inline unless
    ``?download``, never sniffed; 404 when the file is missing from storage."""
    try:
        handle = att.file.open("rb")
    except OSError:
        raise Http404(_("the file is missing from storage")) from None
    content_type = (
        att.content_type or mimetypes.guess_type(att.original_name)[0] or "application/octet-stream"
    )
    inline = content_type in INLINE_TYPES and request.GET.get("download") is None
    response = FileResponse(handle, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(att.original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response

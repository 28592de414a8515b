"""Upload validation at the edge, before anything is stored.

Order: name (metadata only, refused with path parts or control characters), size (limit →
413, empty → 400), type detected from the content and checked against the declared extension,
and for DOCX/XLSX a bounded look inside the zip (member count, total uncompressed size and
compression ratio), so a zip bomb is refused without ever being decompressed.
"""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

import puremagic
from django.conf import settings
from django.utils.translation import gettext as _

from audit.exceptions import KairanError, ValidationFailed

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
NAME_MAX_LENGTH = 255
# Zip limits for DOCX/XLSX: a real office file is far below all three.
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_TOTAL_BYTES = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT_UTF8 = "text/plain; charset=utf-8"
TEXT_SJIS = "text/plain; charset=shift_jis"

# Declared extension → the content families it may hold.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    ".pdf": (PDF,),
    ".docx": (DOCX,),
    ".xlsx": (XLSX,),
    ".png": (PNG,),
    ".jpg": (JPEG,),
    ".jpeg": (JPEG,),
    ".txt": (TEXT_UTF8, TEXT_SJIS),
    ".csv": (TEXT_UTF8, TEXT_SJIS),
}
_OOXML_MAIN_PART = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}


class UploadTooLarge(KairanError):
    status_code = 413


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    size_bytes: int
    content_type: str


def max_upload_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def too_large() -> UploadTooLarge:
    limit = max_upload_bytes()
    if limit >= 1024 * 1024:
        size = _("%(n)s MB") % {"n": limit // (1024 * 1024)}
    else:
        size = _("%(n)s bytes") % {"n": limit}
    return UploadTooLarge(_("The file is larger than the limit of %(size)s.") % {"size": size})


def clean_file_name(raw: str | None) -> str:
    """The name for display; raises ValidationFailed when it has path parts or control chars.

    Names are never used as paths, but a name that tries to be one is refused outright rather
    than silently rewritten, so the record shows what the person chose.
    """
    name = unicodedata.normalize("NFC", raw or "").strip()
    if not name or name in {".", ".."}:
        raise ValidationFailed(_("The file has no name."))
    if "/" in name or "\\" in name or ".." in name.split("."):
        raise ValidationFailed(_("A file name must not contain a path."))
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in name):
        raise ValidationFailed(_("A file name must not contain control characters."))
    if len(name) > NAME_MAX_LENGTH:
        stem, ext = os.path.splitext(name)
        name = stem[: NAME_MAX_LENGTH - len(ext)] + ext
    return name


def check_upload(*, name: str | None, content: IO[bytes], size_bytes: int) -> CheckedUpload:
    """Validate an upload; returns its clean name, size and detected type.

    Raises UploadTooLarge (413) over the limit and ValidationFailed (400) for an empty file,
    a bad name, an unsupported or mismatching type, or a zip bomb.
    """
    clean = clean_file_name(name)
    if size_bytes > max_upload_bytes():
        raise too_large()
    if size_bytes == 0:
        raise ValidationFailed(_("The file is empty."))
    ext = os.path.splitext(clean)[1].lower()
    allowed = EXTENSIONS.get(ext)
    if allowed is None:
        raise ValidationFailed(
            _("Files of this type are not accepted (PDF, DOCX, XLSX, PNG, JPEG or text).")
        )
    detected = detect_type(content)
    if detected not in allowed:
        raise ValidationFailed(
            _("The content of the file does not match its extension %(ext)s.") % {"ext": ext}
        )
    return CheckedUpload(name=clean, size_bytes=size_bytes, content_type=detected)


def detect_type(content: IO[bytes]) -> str | None:
    """The content type from the bytes themselves (never from the name), or None."""
    content.seek(0)
    head = content.read(8192)
    content.seek(0)
    if not head:
        return None
    try:
        magic = puremagic.from_string(head, mime=True)
    except puremagic.PureError:
        magic = ""
    if head.startswith(b"%PDF-") or magic == PDF:
        return PDF if head.startswith(b"%PDF-") else None
    if magic == PNG and head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if magic == JPEG and head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_type(content)
    return _text_type(content)


def _ooxml_type(content: IO[bytes]) -> str | None:
    """DOCX or XLSX by their parts, after the bomb checks; raises ValidationFailed for a bomb."""
    content.seek(0)
    try:
        with zipfile.ZipFile(content) as archive:
            members = archive.infolist()
            _refuse_zip_bomb(members, archive_size=_size_of(content))
            names = {m.filename for m in members}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise ValidationFailed(_("The file is a damaged archive.")) from exc
    finally:
        content.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    for content_type, part in _OOXML_MAIN_PART.items():
        if part in names:
            return content_type
    return None


def _refuse_zip_bomb(members: list[zipfile.ZipInfo], *, archive_size: int) -> None:
    too_big = ValidationFailed(_("The archive expands to more than is allowed (zip bomb)."))
    if len(members) > ZIP_MAX_MEMBERS:
        raise ValidationFailed(_("The archive has too many parts."))
    total = 0
    for member in members:
        # zipfile never returns more than the declared size, so bounding declared sizes bounds
        # every later read (extraction, previews).
        total += member.file_size
        if total > ZIP_MAX_TOTAL_BYTES:
            raise too_big
        if member.file_size > ZIP_MAX_RATIO * max(member.compress_size, 1024):
            raise too_big
    if total > ZIP_MAX_RATIO * max(archive_size, 1024):
        raise too_big


def _size_of(content: IO[bytes]) -> int:
    position = content.tell()
    content.seek(0, io.SEEK_END)
    size = content.tell()
    content.seek(position)
    return size


def _text_type(content: IO[bytes]) -> str | None:
    """Plain text in UTF-8 or Shift_JIS (cp932): decodes strictly, no control characters."""
    content.seek(0)
    data = content.read()
    content.seek(0)
    for encoding, content_type in (("utf-8", TEXT_UTF8), ("cp932", TEXT_SJIS)):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _is_plain_text(text):
            return content_type
    return None


def _is_plain_text(text: str) -> bool:
    allowed = {"\t", "\n", "\r", "\f", "\ufeff"}
    return not any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)

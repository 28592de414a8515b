"""What every upload endpoint does before reading a file (documents', and other apps' that
store their files as documents, such as proposal attachments)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.request import Request

from audit.exceptions import ValidationFailed
from documents import validation

# Multipart overhead allowed above the file limit before the body is even parsed.
MULTIPART_SLACK_BYTES = 1024 * 1024


def refuse_oversize_body(request: Request) -> None:
    """413 from Content-Length alone, before Django spools the body to disk."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > validation.max_upload_bytes() + MULTIPART_SLACK_BYTES:
        raise validation.too_large()


def uploaded_file(request: Request) -> Any:
    """The multipart ``file`` field; 400 when it is missing."""
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed("file: " + str(_("A file is required.")))
    return upload

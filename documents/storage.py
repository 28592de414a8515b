"""Where file contents live: Django's storage API, keys derived from the SHA-256 only.

The storage is ``STORAGES["documents"]`` when configured (e.g. an S3 bucket through
django-storages), else ``default_storage`` (files under ``MEDIA_ROOT``). Every read re-computes
the hash: a file whose content no longer matches its name is never served.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterable
from typing import IO

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage, storages

CHUNK_BYTES = 1024 * 1024
# Files up to this size are verified in memory; larger ones spill to a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobIntegrityError(Exception):
    """The stored bytes do not hash to the recorded SHA-256 (or are missing)."""


def blob_storage() -> Storage:
    if "documents" in settings.STORAGES:
        return storages["documents"]
    return default_storage


def key_for(sha256: str) -> str:
    """``blobs/ab/cd/abcd…``: two levels of fan-out; the name never enters the key."""
    if not _SHA256.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def sha256_of(chunks: Iterable[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def write_blob(*, sha256: str, content: IO[bytes]) -> tuple[str, bool]:
    """Store ``content`` under the key of ``sha256`` unless it is there; (key, written now).

    A file already under the key is trusted only if it verifies; a damaged one is replaced.
    """
    storage, key = blob_storage(), key_for(sha256)
    if storage.exists(key):
        try:
            verify_blob(key=key, sha256=sha256).close()
            return key, False
        except BlobIntegrityError:
            storage.delete(key)
    content.seek(0)
    saved = storage.save(key, File(content, name=sha256))
    if saved != key:
        # A concurrent upload of the same content won the name: same bytes, keep theirs.
        storage.delete(saved)
        return key, False
    return key, True


def delete_blob(*, key: str) -> None:
    storage = blob_storage()
    if storage.exists(key):
        storage.delete(key)


def verify_blob(*, key: str, sha256: str) -> tempfile.SpooledTemporaryFile:
    """The stored bytes, verified, in a spooled file positioned at 0; raises BlobIntegrityError."""
    storage = blob_storage()
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned open
    digest = hashlib.sha256()
    try:
        with storage.open(key, "rb") as stored:
            while chunk := stored.read(CHUNK_BYTES):
                digest.update(chunk)
                spool.write(chunk)
    except (FileNotFoundError, OSError) as exc:
        spool.close()
        raise BlobIntegrityError(f"stored file missing: {key}") from exc
    if digest.hexdigest() != sha256:
        spool.close()
        raise BlobIntegrityError(f"SHA-256 mismatch for {key}")
    spool.seek(0)
    return spool

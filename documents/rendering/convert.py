"""DOCX → PDF with LibreOffice (``soffice --headless``), so Word files get page previews too.

LibreOffice is optional (``apt-get install libreoffice-writer-nogui``); without it
``docx_to_pdf`` raises ``ConversionUnavailable`` and the UI shows its message instead of a
preview. A conversion takes seconds (a cold LibreOffice start each time), so callers run it
in a background task once per version and keep the PDF, never in a request.

Each conversion gets a private LibreOffice profile in its own temporary directory: with a
shared profile a second ``soffice`` hands its work to the first running instance and two
simultaneous conversions interfere. LibreOffice may fetch images linked from a document
over the network; sandboxing the converter without network (e.g. ``systemd-run -p
PrivateNetwork=yes``) is a follow-up for production.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from documents.rendering.pages import PreviewError

SOFFICE = "soffice"
# Every DOCX is a ZIP archive; checking the magic refuses other files without starting LibreOffice.
_ZIP_MAGIC = b"PK\x03\x04"
# One LibreOffice uses 200-300 MB; more than two at once per process would crowd the server.
_CONVERSION_SLOTS = threading.BoundedSemaphore(2)


class ConversionUnavailable(PreviewError):
    """LibreOffice is not installed, so Word files cannot be previewed."""


class ConversionFailed(PreviewError):
    """LibreOffice ran but produced no PDF (bad input, timeout, crash); ``detail`` says more."""

    def __init__(self, message: str | Promise, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def conversion_available() -> bool:
    """True when ``soffice`` is on PATH (the UI may hide the preview of Word files otherwise)."""
    return shutil.which(SOFFICE) is not None


def docx_to_pdf(docx: bytes, *, timeout_s: float = 60) -> bytes:
    """The PDF that LibreOffice makes of a DOCX file.

    Raises ``ConversionUnavailable`` without LibreOffice, ``ConversionFailed`` otherwise.
    """
    if bytes(docx[:4]) != _ZIP_MAGIC:
        raise ConversionFailed(_("The file is not a Word (DOCX) document."))
    soffice = shutil.which(SOFFICE)
    if soffice is None:
        raise ConversionUnavailable(_("LibreOffice is not installed; DOCX preview is unavailable."))
    if not _CONVERSION_SLOTS.acquire(timeout=timeout_s):
        raise ConversionFailed(_("The document converter is busy; try again later."))
    try:
        with tempfile.TemporaryDirectory(prefix="kairan-soffice-") as tmp:
            return _convert(soffice, bytes(docx), Path(tmp), timeout_s)
    finally:
        _CONVERSION_SLOTS.release()


def _convert(soffice: str, docx: bytes, workdir: Path, timeout_s: float) -> bytes:
    source = workdir / "document.docx"  # our own name: the uploaded file name is metadata only
    source.write_bytes(docx)
    outdir = workdir / "out"
    command = [
        soffice,
        f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        "pdf:writer_pdf_Export",
        "--outdir",
        str(outdir),
        str(source),
    ]
    # HOME too: LibreOffice and fontconfig write caches there, not in the server user's home.
    env = {**os.environ, "HOME": str(workdir)}
    output = _run(command, env=env, cwd=workdir, timeout_s=timeout_s)
    result = outdir / "document.pdf"
    # soffice exits 0 even when it could not load the file, so the output is the real check.
    data = result.read_bytes() if result.is_file() else b""
    if not data.startswith(b"%PDF-"):
        raise ConversionFailed(_("LibreOffice could not convert the document."), output)
    return data


def _run(command: list[str], *, env: dict[str, str], cwd: Path, timeout_s: float) -> str:
    # A session of its own: soffice is a wrapper that starts soffice.bin, and on a timeout the
    # whole group must be killed or soffice.bin stays behind using CPU and the profile.
    process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell, path from shutil.which
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    try:
        raw, _unused = process.communicate(timeout=timeout_s)
    except BaseException as exc:  # the timeout, or an interrupt: never leave LibreOffice running
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.communicate(timeout=10)
        if isinstance(exc, subprocess.TimeoutExpired):
            raise ConversionFailed(
                _("LibreOffice did not finish within %(seconds)s seconds.")
                % {"seconds": f"{timeout_s:g}"}
            ) from None
        raise
    output = raw.decode("utf-8", errors="replace")
    if process.returncode != 0:
        raise ConversionFailed(_("LibreOffice could not convert the document."), output)
    return output

"""Issue 9, probe 6: no Content-Security-Policy. Every page now carries one that allows scripts
from our own static files only; no template holds an inline script, an on*= handler or hx-on
(which htmx would eval), and htmx is told not to inject its indicator <style>."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates")), *ROOT.glob("*/*/templates")]
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=[\"']application/json[\"'])[^>]*>", re.IGNORECASE
)
EVENT_HANDLER = re.compile(r"<[^>]*\s(on[a-z]+|hx-on[:\-][^\s=]*)\s*=", re.IGNORECASE)


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def _templates() -> list[Path]:
    files = [path for directory in TEMPLATE_DIRS for path in directory.rglob("*.html")]
    assert len(files) > 50  # the scan found the project's templates
    return files


def test_no_template_holds_inline_script_or_event_handlers():
    offenders = []
    for path in _templates():
        text = re.sub(r"{#.*?#}|{% comment %}.*?{% endcomment %}", "", path.read_text(), flags=re.S)
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER):
            offenders += [
                f"{path.relative_to(ROOT)}: {m.group(0)[:80]}" for m in pattern.finditer(text)
            ]
    assert offenders == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/approval/proposals/new/",
        "/approval/delegations/",
        "/records/",
        "/records/upload/",
        "/chat/",
        "/council/",
    ],
)
def test_pages_carry_a_policy_allowing_only_our_own_scripts(org, path):
    client = Client()
    client.force_login(org.zaisei_staff.user, backend=LOCAL_BACKEND)

    response = client.get(path, follow=True)

    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    html = response.content.decode()
    assert INLINE_SCRIPT.findall(html) == []
    assert EVENT_HANDLER.findall(html) == []
    assert '"includeIndicatorStyles": false' in html


@pytest.mark.django_db
def test_the_sign_in_page_and_error_pages_have_the_policy_too(org):
    client = Client()

    for response in (client.get("/accounts/login/"), client.get("/no-such-page/")):
        assert "script-src 'self'" in response["Content-Security-Policy"]

"""Attachments go through the documents' upload (same checks) and are reached in chat by the
room's members only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.models import Message
from documents.models import Document

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_members_attach_and_download_others_get_404(chat):
    staff = signed_in(chat.org.zaisei_staff.user)
    url = f"/api/v1/chat/rooms/{chat.kakari_room.pk}/attachments/"
    r = staff.post(url, {"file": SimpleUploadedFile("予算.txt", "歳出予算の表".encode())})
    assert r.status_code == 201, r.content
    message = Message.objects.get(pk=r.json()["id"])
    assert message.attachment is not None
    assert Document.objects.filter(pk=message.attachment_id).exists()
    got = signed_in(chat.org.zaisei_kakaricho.user).get(
        f"/api/v1/chat/messages/{message.pk}/attachment/"
    )
    assert got.status_code == 200
    assert b"".join(got.streaming_content).decode() == "歳出予算の表"
    outsider = signed_in(chat.org.keiyaku_staff.user)
    assert outsider.get(f"/api/v1/chat/messages/{message.pk}/attachment/").status_code == 404


def test_upload_checks_are_the_documents_ones(chat, settings):
    staff = signed_in(chat.org.zaisei_staff.user)
    url = f"/api/v1/chat/rooms/{chat.kakari_room.pk}/attachments/"
    fake = SimpleUploadedFile("x.pdf", b"not a pdf at all", content_type="application/pdf")
    assert staff.post(url, {"file": fake}).status_code == 400
    settings.UPLOAD_MAX_BYTES = 10
    big = SimpleUploadedFile("big.txt", b"x" * 100)
    assert staff.post(url, {"file": big}).status_code == 413
    assert staff.post(url, {}).status_code == 400
    assert Message.objects.count() == 0
    outsider = signed_in(chat.org.keiyaku_staff.user)
    ok = SimpleUploadedFile("a.txt", b"abc")
    assert outsider.post(url, {"file": ok}).status_code == 404

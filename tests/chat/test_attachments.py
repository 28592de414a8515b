"""Attachments go through the documents' upload (same checks) and are stored as documents that
the room's members see — in chat and in the records (document, download, page previews,
search) — and nobody else but auditors: not the uploader's 課, not a member who was removed."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from reportlab.pdfgen import canvas

from chat import access, services
from chat.models import Message
from documents import hooks
from documents.models import Document
from tests.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def chat_owns_its_attachments():
    """Other test modules reset the records' hooks; chat's registration is what is tested."""
    access.register()


def signed_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def make_pdf(text: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


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


# --- the attachment as a record -----------------------------------------------------------------

TITLE = "補助金交付要綱.pdf"


@pytest.fixture
def attached(chat):
    """A group room of 財政係's 主事 and 契約係's 主任 (another 課); the 主事 attaches a PDF."""
    org = chat.org
    room = services.room_create(
        actor=org.zaisei_staff.user, name="補助金の相談", members=[org.keiyaku_staff.user.username]
    )
    upload = SimpleUploadedFile(TITLE, make_pdf("Subsidy rules"), content_type="application/pdf")
    r = signed_in(org.zaisei_staff.user).post(
        f"/api/v1/chat/rooms/{room.pk}/attachments/", {"file": upload}
    )
    assert r.status_code == 201, r.content
    message = Message.objects.get(pk=r.json()["id"])
    return room, message, message.attachment_id


def record_urls(document_id: int) -> list[str]:
    return [
        f"/api/v1/documents/{document_id}/",
        f"/api/v1/documents/{document_id}/download/",
        f"/records/documents/{document_id}/",
        f"/records/documents/{document_id}/download/",
        f"/records/documents/{document_id}/preview/",
        f"/records/documents/{document_id}/pages/1/",
    ]


def statuses(user, document_id: int) -> list[int]:
    c = signed_in(user)
    return [c.get(url).status_code for url in record_urls(document_id)]


def document_hits(user, q: str) -> list[int]:
    r = signed_in(user).get("/api/v1/search/", {"q": q})
    assert r.status_code == 200
    return [h["id"] for h in r.json()["results"] if h["kind"] == "document"]


def test_room_members_reach_the_record_its_previews_and_search(chat, attached):
    _room, _message, document_id = attached
    for member in (chat.org.zaisei_staff.user, chat.org.keiyaku_staff.user):
        assert statuses(member, document_id) == [200] * 6
        assert document_hits(member, "補助金交付") == [document_id]
    page = signed_in(chat.org.keiyaku_staff.user).get(f"/records/documents/{document_id}/pages/1/")
    assert page["Content-Type"] == "image/webp"


def test_non_members_get_404_even_in_the_uploaders_division(chat, attached):
    """財政課長 and 財政係長 are in the uploader's 課 (which a confidential document of that 課
    would reach) but not in the room."""
    _room, message, document_id = attached
    for outsider in (chat.org.zaisei_kacho.user, chat.org.zaisei_kakaricho.user):
        assert statuses(outsider, document_id) == [404] * 6
        assert document_hits(outsider, "補助金交付") == []
        assert TITLE not in signed_in(outsider).get("/records/").content.decode()
        c = signed_in(outsider)
        assert c.get(f"/api/v1/chat/messages/{message.pk}/attachment/").status_code == 404


def test_a_removed_member_loses_the_attachment_at_once(chat, attached):
    room, message, document_id = attached
    kstaff = chat.org.keiyaku_staff.user
    assert statuses(kstaff, document_id) == [200] * 6
    services.room_member_remove(actor=chat.org.zaisei_staff.user, room=room, username="kstaff")
    assert statuses(kstaff, document_id) == [404] * 6
    assert document_hits(kstaff, "補助金交付") == []
    c = signed_in(kstaff)
    assert c.get(f"/api/v1/chat/messages/{message.pk}/attachment/").status_code == 404
    # The one still in the room keeps it.
    assert statuses(chat.org.zaisei_staff.user, document_id) == [200] * 6


def test_a_deleted_message_takes_its_attachment_with_it_except_for_auditors(chat, attached):
    _room, message, document_id = attached
    auditor = make_person("auditor", "監査 委員", chat.org.special, "主事").user
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    services.message_delete(actor=chat.org.zaisei_staff.user, message_id=message.pk)
    assert statuses(chat.org.keiyaku_staff.user, document_id) == [404] * 6
    assert statuses(chat.org.zaisei_staff.user, document_id) == [404] * 6
    c = signed_in(auditor)
    assert c.get(f"/api/v1/documents/{document_id}/").status_code == 200


def test_without_chat_registered_the_records_rule_applies(chat, attached):
    """The hook is what narrows it: without it the uploader's 課 would see the document."""
    _room, _message, document_id = attached
    hooks.unregister_owner(access.OWNER)
    try:
        c = signed_in(chat.org.zaisei_kacho.user)
        assert c.get(f"/api/v1/documents/{document_id}/").status_code == 200
    finally:
        access.register()

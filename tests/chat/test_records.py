"""Chat as records: the compliance export (edits and deletions included, auditors only,
audited), retention purge that keeps filed messages and legal holds, and filing messages into a
binder as a PDF transcript naming participants, unit, dates and message ids."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEvent
from chat import services
from chat.models import Message, RetentionPolicy
from documents.models import Document

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def auditor(org):
    from tests.factories import make_person

    person = make_person("auditor", "監査 委員", org.special, "主事")
    person.user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return person.user


@pytest.fixture
def history(chat):
    kakari = chat.org.zaisei_kakaricho.user
    room = chat.kakari_room
    a = services.message_send(actor=kakari, room_id=room.pk, text="原案です")
    services.message_edit(actor=kakari, message_id=a.pk, text="修正案です")
    b = services.message_send(actor=kakari, room_id=room.pk, text="誤送信")
    services.message_delete(actor=kakari, message_id=b.pk)
    c = services.message_send(
        actor=chat.org.zaisei_staff.user, room_id=room.pk, text="承知しました", parent_id=a.pk
    )
    return a, b, c


def test_export_includes_edits_and_deletions_for_auditors_and_is_audited(chat, history, auditor):
    a, b, _c = history
    room = chat.kakari_room
    r = signed_in(auditor).get(f"/api/v1/chat/export/?room={room.pk}")
    assert r.status_code == 200
    rows = {m["message"]: m for m in r.json()["messages"]}
    assert rows[a.pk]["text"] == "修正案です"
    assert rows[a.pk]["revisions"][0]["text"] == "原案です"
    assert rows[b.pk]["deleted_at"] is not None
    assert rows[b.pk]["revisions"][0] == {
        "action": "delete",
        "text": "誤送信",
        "by": "zkakari",
        "at": rows[b.pk]["revisions"][0]["at"],
    }
    csv_text = signed_in(auditor).get("/api/v1/chat/export/?person=zstaff&output=csv")
    assert csv_text["Content-Type"].startswith("text/csv")
    body = csv_text.content.decode()
    assert "誤送信" in body
    assert "原案です" in body
    assert AuditEvent.objects.filter(action="chat.exported").count() == 2


def test_export_refused_to_staff_and_bad_input(chat, history, auditor):
    staff = signed_in(chat.org.zaisei_staff.user)
    assert staff.get(f"/api/v1/chat/export/?room={chat.kakari_room.pk}").status_code == 403
    audit = signed_in(auditor)
    assert audit.get("/api/v1/chat/export/").status_code == 400
    assert audit.get("/api/v1/chat/export/?room=x").status_code == 400
    assert audit.get("/api/v1/chat/export/?room=1&from=yesterday").status_code == 400


def test_purge_keeps_filed_messages_and_legal_holds(chat, history):
    _a, b, _c = history
    kakari = chat.org.zaisei_kakaricho.user
    old = timezone.now() - timedelta(days=400)
    Message.objects.update(sent_at=old)
    fresh = services.message_send(actor=kakari, room_id=chat.kakari_room.pk, text="新しい")
    held = services.message_send(actor=kakari, room_id=chat.kakari_room.pk, text="保全")
    Message.objects.filter(pk=held.pk).update(sent_at=old, is_on_hold=True)
    RetentionPolicy.objects.create(room_kind="unit", days=365)
    from chat.records import messages_file_as_record

    messages_file_as_record(actor=kakari, room_id=chat.kakari_room.pk, message_ids=[b.pk])

    out = StringIO()
    call_command("chat_purge", stdout=out)

    assert out.getvalue().strip() == "deleted 2 messages"
    assert set(Message.objects.values_list("pk", flat=True)) == {b.pk, fresh.pk, held.pk}
    assert AuditEvent.objects.filter(action="chat.messages_purged").count() == 1
    out = StringIO()
    call_command("chat_purge", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "would delete 0 messages"


def test_file_a_thread_as_a_record_pdf_naming_participants_dates_and_ids(chat, history):
    a, _b, c = history
    staff = signed_in(chat.org.zaisei_staff.user)
    r = staff.post(
        f"/api/v1/chat/rooms/{chat.kakari_room.pk}/file/",
        {"thread": a.pk, "title": "予算協議の記録"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    document = Document.objects.get(pk=r.json()["document"])
    assert document.title == "予算協議の記録"
    pdf = staff.get(f"/api/v1/documents/{document.pk}/download/")
    assert pdf.status_code == 200
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages
    )
    for needle in ("財政 係長", "財政 主事", "財政係", f"#{a.pk}", f"#{c.pk}", "修正案です"):
        assert needle in text, needle
    assert timezone.localtime(a.sent_at).strftime("%Y-%m-%d") in text
    assert set(Message.objects.filter(filed_document=document).values_list("pk", flat=True)) == {
        a.pk,
        c.pk,
    }
    outsider = signed_in(chat.org.keiyaku_staff.user)
    r = outsider.post(
        f"/api/v1/chat/rooms/{chat.kakari_room.pk}/file/",
        {"thread": a.pk},
        content_type="application/json",
    )
    assert r.status_code == 404
    r = staff.post(
        f"/api/v1/chat/rooms/{chat.kakari_room.pk}/file/", {}, content_type="application/json"
    )
    assert r.status_code == 400
    assert json.loads(r.content)["detail"]

"""The auditors' chat records page (/chat/records/) and legal holds: placing a hold on a room or
a person keeps their messages from the retention purge (also those sent later inside an open
period) until it is released; the export downloads from the page; everyone else gets 403."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from chat import services
from chat.holds import legal_hold_place
from chat.models import LegalHold, Message, RetentionPolicy
from chat.records import messages_purge
from tests.factories import make_person

pytestmark = pytest.mark.django_db

PAGE = "/chat/records/"
EXPORT = "/chat/records/export/"


def signed_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def auditor(org):
    person = make_person("auditor", "監査 委員", org.special, "主事")
    person.user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return person.user


@pytest.fixture
def old_messages(chat):
    """A year-old message in 財政係's room and one in 財政課's; unit rooms are kept 365 days."""
    kakari, kacho = chat.org.zaisei_kakaricho.user, chat.org.zaisei_kacho.user
    a = services.message_send(actor=kakari, room_id=chat.kakari_room.pk, text="補助金の件")
    b = services.message_send(actor=kacho, room_id=chat.kacho_room.pk, text="課内の連絡")
    Message.objects.update(sent_at=timezone.now() - timedelta(days=400))
    RetentionPolicy.objects.create(room_kind="unit", days=365)
    return a, b


def hold_form(**fields) -> dict[str, str]:
    return {f"hold-{k}": v for k, v in fields.items()}


def test_the_page_and_its_actions_are_403_to_everyone_but_auditors(chat, old_messages):
    hold = LegalHold.objects.create(
        room=chat.kakari_room, reason="開示請求", placed_by=chat.org.mayor.user
    )
    org = chat.org
    for user in (org.zaisei_kakaricho.user, org.zaisei_kacho.user, org.mayor.user):
        c = signed_in(user)
        assert c.get(PAGE).status_code == 403
        assert c.post(PAGE, hold_form(room=chat.kakari_room.pk, reason="x")).status_code == 403
        assert c.get(EXPORT, {"export-room": chat.kakari_room.pk}).status_code == 403
        assert c.post(f"/chat/records/holds/{hold.pk}/release/").status_code == 403
        assert c.get("/api/v1/chat/legal-holds/").status_code == 403
        r = c.post(
            "/api/v1/chat/legal-holds/",
            {"room": chat.kakari_room.pk, "reason": "x"},
            content_type="application/json",
        )
        assert r.status_code == 403
        assert c.post(f"/api/v1/chat/legal-holds/{hold.pk}/release/").status_code == 403
        assert "/chat/records/" not in c.get("/chat/").content.decode()
    assert LegalHold.objects.count() == 1
    assert LegalHold.objects.get().released_at is None
    assert Client().get(PAGE).status_code == 302  # to the sign-in page


def test_an_auditor_holds_a_room_and_the_purge_keeps_it_until_released(chat, old_messages, auditor):
    a, _b = old_messages
    c = signed_in(auditor)
    page = c.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "訴訟ホールド（保全）" in html
    assert "/chat/records/" in c.get("/chat/").content.decode()
    assert 'data-testid="purge-due"' in html
    # The person field suggests people by name (a <datalist> of user names).
    assert '<option value="zkakari">財政 係長</option>' in html
    assert 'list="chat-people"' in html

    r = c.post(PAGE, hold_form(room=chat.kakari_room.pk, reason="令和8年 開示請求第12号"))
    assert r.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.room_id, hold.placed_by_id, hold.reason) == (
        chat.kakari_room.pk,
        auditor.pk,
        "令和8年 開示請求第12号",
    )
    event = AuditEvent.objects.get(action="chat.legal_hold_placed")
    assert event.details["messages"] == 1
    html = c.get(PAGE).content.decode()
    assert "令和8年 開示請求第12号" in html
    assert "現在の保全件数: 1 件" in html

    assert messages_purge()["messages"] == 1  # 財政課's message only
    assert set(Message.objects.values_list("pk", flat=True)) == {a.pk}

    r = c.post(f"/chat/records/holds/{hold.pk}/release/")
    assert r.status_code == 302
    hold.refresh_from_db()
    assert hold.released_by_id == auditor.pk
    assert AuditEvent.objects.filter(action="chat.legal_hold_released").count() == 1
    assert messages_purge()["messages"] == 1
    assert not Message.objects.exists()


def test_a_hold_on_a_person_keeps_what_they_send_later_in_an_open_period(chat, auditor):
    kakari = chat.org.zaisei_kakaricho.user
    RetentionPolicy.objects.create(room_kind="unit", days=365)
    today = timezone.localdate()
    c = signed_in(auditor)
    r = c.post(PAGE, hold_form(person="zkakari", start=today.isoformat(), reason="訴訟対応"))
    assert r.status_code == 302
    later = services.message_send(actor=kakari, room_id=chat.kakari_room.pk, text="後日の発言")
    other = services.message_send(
        actor=chat.org.zaisei_kacho.user, room_id=chat.kacho_room.pk, text="無関係"
    )
    # Years pass; the hold is still in force.
    Message.objects.filter(pk__in=[later.pk, other.pk]).update(
        sent_at=timezone.now() + timedelta(seconds=1)
    )
    assert messages_purge(now=timezone.now() + timedelta(days=800))["messages"] == 1
    assert list(Message.objects.values_list("pk", flat=True)) == [later.pk]


def test_the_hold_form_refuses_bad_criteria_with_the_reasons(chat, auditor):
    c = signed_in(auditor)
    for data in (
        hold_form(reason="理由"),  # neither room nor person
        hold_form(room=chat.kakari_room.pk, reason=""),
        hold_form(room=chat.kakari_room.pk, reason="理由", start="2026-05-02", end="2026-05-01"),
        hold_form(room=chat.kakari_room.pk, reason="理由", start="1900-01-01"),
        hold_form(person="nobody.here", reason="理由"),
        hold_form(room="999999", reason="理由"),
        hold_form(room=chat.kakari_room.pk, reason="a\u202eb"),
    ):
        r = c.post(PAGE, data)
        assert r.status_code == 400, data
        assert 'data-testid="hold-errors"' in r.content.decode(), data
    assert not LegalHold.objects.exists()


def test_the_export_downloads_from_the_page_with_edits_and_the_hold(chat, old_messages, auditor):
    a, _b = old_messages
    services.message_edit(actor=chat.org.zaisei_kakaricho.user, message_id=a.pk, text="訂正後")
    legal_hold_place(actor=auditor, reason="開示請求", room_id=chat.kakari_room.pk)
    c = signed_in(auditor)
    r = c.get(EXPORT, {"export-room": chat.kakari_room.pk, "export-output": "csv"})
    assert r.status_code == 200
    assert r["Content-Disposition"] == 'attachment; filename="chat-export.csv"'
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff")
    [row] = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert (row["text"], row["legal_hold"]) == ("訂正後", "True")
    assert "補助金の件" in row["revisions"]
    r = c.get(
        EXPORT,
        {"export-person": "zkacho", "export-output": "json", "export-end": "2100-12-31"},
    )
    assert r.status_code == 200
    assert [m["text"] for m in r.json()["messages"]] == ["課内の連絡"]
    assert r.json()["messages"][0]["legal_hold"] is False
    assert AuditEvent.objects.filter(action="chat.exported").count() == 2
    r = c.get(EXPORT, {"export-output": "csv"})
    assert r.status_code == 400
    assert 'data-testid="export-errors"' in r.content.decode()


def test_the_legal_hold_api_for_auditors(chat, old_messages, auditor):
    c = signed_in(auditor)
    r = c.post(
        "/api/v1/chat/legal-holds/",
        {"person": "zkacho", "from": "2020-04-01", "reason": "監査"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    hold = r.json()
    assert (hold["person"], hold["room"], hold["reason"]) == ("zkacho", None, "監査")
    [listed] = c.get("/api/v1/chat/legal-holds/").json()
    assert (listed["id"], listed["messages"]) == (hold["id"], 1)
    bad = c.post(
        "/api/v1/chat/legal-holds/",
        {"reason": "監査", "from": "someday"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    url = f"/api/v1/chat/legal-holds/{hold['id']}/release/"
    assert c.post(url).status_code == 200
    assert c.post(url).status_code == 409
    assert c.post("/api/v1/chat/legal-holds/999999/release/").status_code == 404


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_an_auditor_places_and_releases_a_hold_on_an_ipad(live_server, browser_page, chat):
    from playwright.sync_api import expect

    from tests.chat.conftest import sign_in

    person = make_person("auditor", "監査 委員", chat.org.special, "主事")
    person.user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    services.message_send(
        actor=chat.org.zaisei_kakaricho.user, room_id=chat.kakari_room.pk, text="補助金の件"
    )
    page, base = browser_page, live_server.url
    sign_in(page, base, "auditor", "/chat/records/")
    expect(page.get_by_role("heading", name="チャットの記録管理")).to_be_visible()
    page.get_by_role("button", name="保全する").click()
    expect(page.get_by_test_id("hold-errors")).to_be_focused()
    page.get_by_label("ルーム").first.select_option(label="財政係（所属ルーム）")
    page.get_by_label("理由（開示請求や事件の番号など）").fill("令和8年 開示請求第12号")
    page.get_by_role("button", name="保全する").click()
    row = page.get_by_test_id("legal-hold-row").first
    expect(row).to_contain_text("令和8年 開示請求第12号")
    expect(row.get_by_test_id("held-count")).to_have_text("現在の保全件数: 1 件")
    assert page.evaluate("document.documentElement.scrollWidth") <= 834
    page.screenshot(path="/tmp/kairan-chat-records-ipad.png", full_page=True)
    row.get_by_role("button", name="解除").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="保全を解除する").click()
    expect(page.get_by_text("保全を解除しました。")).to_be_visible()
    assert LegalHold.objects.get().released_at is not None

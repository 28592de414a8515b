"""REST API of the chat (CONTRACT.md "Chat"): state, refusals (404 for rooms one is not in,
403 for what one may not do) and bad input (400)."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from chat.models import Message, MessageRevision, Receipt, Room, RoomMember
from realtime.models import Event

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_every_unit_has_a_room_of_its_members(chat):
    org = chat.org
    members = set(chat.kakari_room.memberships.values_list("user__username", flat=True))
    assert members == {"zkakari", "zstaff"}
    assert Room.objects.filter(kind=Room.Kind.UNIT).count() == 6
    rooms = signed_in(org.zaisei_staff.user).get("/api/v1/chat/rooms/").json()
    assert [r["name"] for r in rooms] == ["財政係"]
    assert rooms[0]["kind"] == "unit"


def test_create_a_group_room_list_and_read_its_messages(chat):
    org = chat.org
    c = signed_in(org.zaisei_kacho.user)
    r = c.post(
        "/api/v1/chat/rooms/",
        {"name": "予算編成", "members": ["zstaff", "kkacho"]},
        content_type="application/json",
    )
    assert r.status_code == 201
    room = Room.objects.get(pk=r.json()["id"])
    assert room.kind == "group"
    assert set(room.memberships.values_list("user__username", flat=True)) == {
        "zkacho",
        "zstaff",
        "kkacho",
    }
    assert AuditEvent.objects.filter(action="chat.room_created").count() == 1
    for i in range(5):
        c.post(
            f"/api/v1/chat/rooms/{room.pk}/messages/",
            {"text": f"第{i}報", "client_id": f"c{i}"},
            content_type="application/json",
        )
    assert len(c.get(f"/api/v1/chat/rooms/{room.pk}/messages/?limit=1000").json()) == 5
    page = c.get(f"/api/v1/chat/rooms/{room.pk}/messages/?limit=3").json()
    assert [m["text"] for m in page] == ["第2報", "第3報", "第4報"]
    older = c.get(f"/api/v1/chat/rooms/{room.pk}/messages/?before={page[0]['id']}").json()
    assert [m["text"] for m in older] == ["第0報", "第1報"]
    assert {"room", "id", "sender", "text", "sent_at", "client_id"} <= set(page[0])
    # Each member got each message in their own stream.
    assert Event.objects.filter(kind="message").count() == 5 * 3


def test_rooms_of_others_are_not_found(chat):
    org = chat.org
    outsider = signed_in(org.keiyaku_staff.user)
    room = chat.kakari_room
    assert outsider.get(f"/api/v1/chat/rooms/{room.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/chat/rooms/{room.pk}/messages/").status_code == 404
    r = outsider.post(
        f"/api/v1/chat/rooms/{room.pk}/messages/", {"text": "x"}, content_type="application/json"
    )
    assert r.status_code == 404
    assert outsider.get("/api/v1/chat/rooms/999999/").status_code == 404
    assert Message.objects.count() == 0


def test_bad_input_is_400(chat):
    c = signed_in(chat.org.zaisei_staff.user)
    room = chat.kakari_room
    url = f"/api/v1/chat/rooms/{room.pk}/messages/"
    for body in ({}, {"text": ""}, {"text": "あ" * 4001}, {"text": "x", "parent": "abc"}):
        assert c.post(url, body, content_type="application/json").status_code == 400, body
    for query in ("?limit=0", "?limit=abc", "?before=-1", "?before=99999999999999999999"):
        assert c.get(url + query).status_code == 400, query
    r = c.post("/api/v1/chat/rooms/", {"name": "", "members": []}, content_type="application/json")
    assert r.status_code == 400
    r = c.post(
        "/api/v1/chat/rooms/", {"name": "x", "members": ["nobody"]}, content_type="application/json"
    )
    assert r.status_code == 400
    assert Room.objects.filter(kind="group").count() == 0


def test_unauthenticated_is_refused(client, chat):
    assert client.get("/api/v1/chat/rooms/").status_code in (401, 403)


def test_edit_and_delete_keep_the_original_for_auditors(chat):
    org = chat.org
    sender = signed_in(org.zaisei_staff.user)
    room = chat.kakari_room
    m = sender.post(
        f"/api/v1/chat/rooms/{room.pk}/messages/", {"text": "原文"}, content_type="application/json"
    ).json()
    other = signed_in(org.zaisei_kakaricho.user)
    assert (
        other.patch(
            f"/api/v1/chat/messages/{m['id']}/", {"text": "改ざん"}, content_type="application/json"
        ).status_code
        == 403
    )
    r = sender.patch(
        f"/api/v1/chat/messages/{m['id']}/", {"text": "修正版"}, content_type="application/json"
    )
    assert r.status_code == 200
    assert r.json()["edited"] is True
    assert sender.delete(f"/api/v1/chat/messages/{m['id']}/").status_code == 204
    seen = other.get(f"/api/v1/chat/rooms/{room.pk}/messages/").json()[0]
    assert seen["deleted"] is True
    assert seen["text"] == ""
    assert list(MessageRevision.objects.values_list("action", "text")) == [
        ("edit", "原文"),
        ("delete", "修正版"),
    ]
    assert sender.delete(f"/api/v1/chat/messages/{m['id']}/").status_code == 403


def test_receipts_and_must_read(chat):
    org = chat.org
    kakari, staff = signed_in(org.zaisei_kakaricho.user), signed_in(org.zaisei_staff.user)
    room = chat.kakari_room
    url = f"/api/v1/chat/rooms/{room.pk}/messages/"
    first = kakari.post(url, {"text": "1"}, content_type="application/json").json()
    second = kakari.post(url, {"text": "2"}, content_type="application/json").json()
    assert staff.get("/api/v1/chat/rooms/").json()[0]["unread"] == 2
    assert staff.post(f"/api/v1/chat/messages/{second['id']}/read/").json() == {"new_receipts": 2}
    assert staff.post(f"/api/v1/chat/messages/{second['id']}/read/").json() == {"new_receipts": 0}
    assert staff.get("/api/v1/chat/rooms/").json()[0]["unread"] == 0
    receipts = kakari.get(f"/api/v1/chat/messages/{first['id']}/receipts/").json()
    assert receipts["count"] == 1
    assert receipts["readers"][0]["reader"] == "zstaff"
    assert kakari.get(url).json()[0]["read_count"] == 1
    assert Receipt.objects.count() == 2
    # 必読: a 係長 may, a 主事 may not.
    assert staff.post(f"/api/v1/chat/messages/{first['id']}/mandatory/").status_code == 403
    r = kakari.post(f"/api/v1/chat/messages/{first['id']}/mandatory/")
    assert r.status_code == 200
    assert r.json()["mandatory"] is True
    assert kakari.post(f"/api/v1/chat/messages/{first['id']}/mandatory/").status_code == 409


def test_group_members_rename_add_remove_audited_unit_rooms_refuse(chat):
    org = chat.org
    c = signed_in(org.zaisei_kacho.user)
    room = c.post(
        "/api/v1/chat/rooms/", {"name": "a", "members": []}, content_type="application/json"
    ).json()
    base = f"/api/v1/chat/rooms/{room['id']}/"
    assert c.patch(base, {"name": "b"}, content_type="application/json").json()["name"] == "b"
    r = c.post(base + "members/", {"username": "zstaff"}, content_type="application/json")
    assert r.status_code == 201
    r = c.post(base + "members/", {"username": "zstaff"}, content_type="application/json")
    assert r.status_code == 409
    assert c.delete(base + "members/zstaff/").status_code == 204
    assert not RoomMember.objects.filter(room_id=room["id"], user__username="zstaff").exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"chat.room_renamed", "chat.member_added", "chat.member_removed"} <= actions
    unit = signed_in(org.zaisei_staff.user)
    kakari_url = f"/api/v1/chat/rooms/{chat.kakari_room.pk}/"
    r = unit.post(kakari_url + "members/", {"username": "kkacho"}, content_type="application/json")
    assert r.status_code == 403
    assert unit.delete(kakari_url + "members/zkakari/").status_code == 403


def test_direct_messages_one_room_per_pair(chat):
    org = chat.org
    a, b = signed_in(org.zaisei_staff.user), signed_in(org.keiyaku_staff.user)
    first = a.post("/api/v1/chat/direct/", {"username": "kstaff"}, content_type="application/json")
    again = b.post("/api/v1/chat/direct/", {"username": "zstaff"}, content_type="application/json")
    assert first.json()["id"] == again.json()["id"]
    assert Room.objects.filter(kind="direct").count() == 1
    r = a.post("/api/v1/chat/direct/", {"username": "zstaff"}, content_type="application/json")
    assert r.status_code == 400


def test_message_list_query_count_is_bounded(chat, django_assert_max_num_queries):
    org = chat.org
    c = signed_in(org.zaisei_staff.user)
    url = f"/api/v1/chat/rooms/{chat.kakari_room.pk}/messages/"
    for i in range(30):
        c.post(url, {"text": str(i)}, content_type="application/json")
    with django_assert_max_num_queries(8):
        assert len(c.get(url).json()) == 30

"""必読: a 係長 marks a message must-read; the dashboard shows, per 課, who has not read it;
a reminder notifies exactly those; a 主事 can neither see the dashboard nor remind."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from chat import services
from chat.mandatory import mandatory_status_for
from chat.models import Room
from directory.models import Notification
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def notice(chat):
    """A group room spanning two 課; the 財政係長 posts a must-read notice in it."""
    org = chat.org
    extra = make_person("zstaff2", "財政 二郎", org.zaisei_kakari, "主事")
    kakari = org.zaisei_kakaricho.user
    room = services.room_create(
        actor=kakari, name="周知", members=["zstaff", "zstaff2", "kstaff", "kkacho"]
    )
    message = services.message_send(actor=kakari, room_id=room.pk, text="年末の予算締切について")
    services.message_mark_mandatory(actor=kakari, message_id=message.pk)
    services.message_read(actor=extra.user, room_id=room.pk, message_id=message.pk)
    return room, message


def test_dashboard_lists_who_has_not_read_per_division(chat, notice):
    _room, message = notice
    (row,) = mandatory_status_for(user=chat.org.zaisei_kakaricho.user)
    assert row["message"] == message
    assert (row["read"], row["total"]) == (1, 4)
    assert row["unread"] == [("契約検査課", ["契約 主任", "契約 課長"]), ("財政課", ["財政 主事"])]
    html = signed_in(chat.org.zaisei_kakaricho.user).get("/chat/must-read/").content.decode()
    assert "契約検査課" in html
    assert "財政 主事" in html
    api = signed_in(chat.org.zaisei_kakaricho.user).get("/api/v1/chat/must-read/").json()
    assert api[0]["unread"][0] == {"division": "契約検査課", "names": ["契約 主任", "契約 課長"]}


def test_reminder_notifies_exactly_the_unread_and_is_audited(chat, notice):
    _room, message = notice
    c = signed_in(chat.org.zaisei_kakaricho.user)
    r = c.post("/chat/must-read/", {"message": message.pk})
    assert r.status_code == 302
    notified = set(
        Notification.objects.filter(kind="chat_must_read").values_list(
            "recipient__user__username", flat=True
        )
    )
    assert notified == {"zstaff", "kstaff", "kkacho"}
    assert AuditEvent.objects.filter(action="chat.mandatory_reminded").count() == 1


def test_staff_below_kakaricho_may_not_see_or_remind(chat, notice):
    room, message = notice
    staff = signed_in(chat.org.zaisei_staff.user)
    assert staff.get("/chat/must-read/").status_code == 403
    assert staff.get("/api/v1/chat/must-read/").status_code == 403
    assert staff.post(f"/api/v1/chat/messages/{message.pk}/remind/").status_code == 403
    outsider_head = signed_in(chat.org.keiyaku_kacho.user)
    # A 課長 who is a member may remind; one who is not gets 404.
    assert outsider_head.post(f"/api/v1/chat/messages/{message.pk}/remind/").status_code == 200
    Room.objects.get(pk=room.pk).memberships.filter(user__username="kkacho").delete()
    assert outsider_head.post(f"/api/v1/chat/messages/{message.pk}/remind/").status_code == 404

"""A direct room is listed under the other person's name, for each of the two (a list of
「ダイレクトメッセージ」 rows told nobody which was which)."""

from __future__ import annotations

import pytest

from tests.chat.test_api import signed_in

pytestmark = pytest.mark.django_db


def test_each_side_sees_the_other_persons_name(chat):
    org = chat.org
    a, b = signed_in(org.zaisei_staff.user), signed_in(org.keiyaku_staff.user)
    room = a.post("/api/v1/chat/direct/", {"username": "kstaff"}, content_type="application/json")
    assert room.status_code in (200, 201), room.content

    mine = a.get("/chat/").content.decode()
    theirs = b.get("/chat/").content.decode()

    assert '<span class="chat__room-name">契約 主任</span>' in mine
    assert '<span class="chat__room-name">財政 主事</span>' in theirs
    assert '<span class="chat__room-name">財政 主事</span>' not in mine
    assert "ダイレクトメッセージ" not in mine.split('data-testid="room-list"')[1].split("</ul>")[0]

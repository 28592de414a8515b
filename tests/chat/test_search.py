"""Chat in the records' search: Japanese, exact for 2-character terms, only rooms one belongs
to; edits re-index, deletions drop out."""

from __future__ import annotations

import pytest
from django.test import Client

from chat import services

pytestmark = pytest.mark.django_db(transaction=True)


def hits(user, q: str) -> list[tuple[str, int]]:
    c = Client()
    c.force_login(user)
    r = c.get("/api/v1/search/", {"q": q})
    assert r.status_code == 200
    return [(h["kind"], h["id"]) for h in r.json()["results"] if h["kind"] == "chat"]


def test_search_finds_two_character_terms_in_my_rooms_only(chat):
    org = chat.org
    kakari = org.zaisei_kakaricho.user
    m = services.message_send(actor=kakari, room_id=chat.kakari_room.pk, text="来年度の予算案です")
    services.message_send(actor=kakari, room_id=chat.kakari_room.pk, text="別件の連絡")
    assert hits(org.zaisei_staff.user, "予算") == [("chat", m.pk)]
    assert hits(org.zaisei_staff.user, "算案") == [("chat", m.pk)]
    assert hits(org.keiyaku_staff.user, "予算") == []
    services.message_edit(actor=kakari, message_id=m.pk, text="来年度の決算です")
    assert hits(org.zaisei_staff.user, "予算") == []
    assert hits(org.zaisei_staff.user, "決算") == [("chat", m.pk)]
    services.message_delete(actor=kakari, message_id=m.pk)
    assert hits(org.zaisei_staff.user, "決算") == []

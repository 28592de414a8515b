"""Approval events in chat: a new task, a send-back and a decision appear in the person's
system room with a card; acting from the card uses workflow's own API (same permission checks).
A proposal linked in a message is a card only for people who may see it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from chat.models import Message, Room

pytestmark = pytest.mark.django_db(transaction=True)
API = "/api/v1/"


def as_user(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def notices(user) -> list[dict]:
    room = Room.objects.filter(kind="system", memberships__user=user).first()
    if room is None:
        return []
    return [
        {"text": m.text, **(m.card or {})} for m in Message.objects.filter(room=room).order_by("pk")
    ]


def test_task_send_back_and_decision_cards(chat):
    org = chat.org
    drafter, kakari, kacho = org.zaisei_staff.user, org.zaisei_kakaricho.user, org.zaisei_kacho.user
    p = (
        as_user(drafter)
        .post(
            f"{API}proposals/",
            {"title": "消耗品の購入", "body": "…", "category": "general"},
            format="json",
        )
        .json()
    )
    assert as_user(drafter).post(f"{API}proposals/{p['id']}/submit/").status_code == 200

    (task_card,) = notices(kakari)
    assert task_card["type"] == "task"
    assert task_card["proposal"] == p["id"]
    assert "消耗品の購入" in task_card["text"]
    # Acting from the card: workflow's API with the card's task id; someone else may not.
    assert as_user(drafter).post(f"{API}tasks/{task_card['task']}/approve/").status_code in (
        403,
        404,
    )
    assert as_user(kakari).post(f"{API}tasks/{task_card['task']}/approve/").status_code == 200

    (kacho_card,) = notices(kacho)
    assert [t["id"] for t in as_user(kacho).get(f"{API}tasks/").json()] == [kacho_card["task"]]
    r = as_user(kacho).post(
        f"{API}tasks/{kacho_card['task']}/send-back/", {"comment": "見積を添付"}, format="json"
    )
    assert r.status_code == 200, (r.content, kacho_card)
    sent_back = notices(drafter)[-1]
    assert sent_back["type"] == "sent_back"
    assert "見積を添付" in sent_back["text"]

    assert as_user(drafter).post(f"{API}proposals/{p['id']}/submit/").status_code == 200
    for approver in (kakari, kacho):
        card = [n for n in notices(approver) if n["type"] == "task"][-1]
        assert as_user(approver).post(f"{API}tasks/{card['task']}/approve/").status_code == 200
    decided = notices(drafter)[-1]
    assert decided["type"] == "decided"
    assert decided["outcome"] == "approved"
    assert decided["number"]


def test_a_proposal_card_reveals_nothing_to_someone_who_may_not_see_it(chat):
    org = chat.org
    drafter = org.zaisei_staff.user
    p = (
        as_user(drafter)
        .post(
            f"{API}proposals/",
            {"title": "人事の秘密案件", "body": "…", "category": "general"},
            format="json",
        )
        .json()
    )
    card = as_user(drafter).get(f"{API}chat/proposal-card/{p['id']}/")
    assert card.status_code == 200
    assert card.json()["title"] == "人事の秘密案件"
    stranger = as_user(org.keiyaku_staff.user).get(f"{API}chat/proposal-card/{p['id']}/")
    assert stranger.status_code == 404
    assert "人事" not in stranger.content.decode()
    missing = as_user(org.keiyaku_staff.user).get(f"{API}chat/proposal-card/999999/")
    assert missing.json() == stranger.json()

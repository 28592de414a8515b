"""Chat fixtures: a unit room (財政係) built by the unit-room sync from the ``org`` fixture."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chat.models import Room
from chat.unit_rooms import unit_rooms_sync


@dataclass
class ChatWorld:
    org: object
    kakari_room: Room  # 財政係: zkakari (係長) and zstaff (主事)
    kacho_room: Room  # 財政課: zkacho


@pytest.fixture
def chat(org) -> ChatWorld:
    unit_rooms_sync()
    return ChatWorld(
        org=org,
        kakari_room=Room.objects.get(unit=org.zaisei_kakari),
        kacho_room=Room.objects.get(unit=org.zaisei),
    )


@pytest.fixture
def api(client):
    """A test client signed in as a given user: api(user) → Client."""

    def sign_in(user):
        from django.test import Client

        c = Client()
        c.force_login(user)
        return c

    return sign_in

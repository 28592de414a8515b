"""Unit rooms follow the org chart: a directory sync that moves a person (LDIF change +
``sync_directory`` against a real slapd) moves them between rooms in the same transaction and
tells their open connections; a person gone from the directory leaves every room."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from chat import services
from chat.models import Room, RoomMember
from realtime.models import Event
from realtime.services import user_stream_key

TANAKA = "uid=tanaka,ou=people,dc=katano,dc=example"


def sync() -> None:
    call_command("sync_directory", stdout=StringIO(), stderr=StringIO())


def rooms_of(username: str) -> set[str]:
    return set(
        RoomMember.objects.filter(user__username=username, room__kind="unit").values_list(
            "room__name", flat=True
        )
    )


def members_of(unit_name: str) -> set[str]:
    return set(
        RoomMember.objects.filter(room__unit__name=unit_name).values_list(
            "user__username", flat=True
        )
    )


@pytest.fixture
def city(ldap_settings, ldap_directory):
    ldap_directory.load("city")
    return ldap_directory


@pytest.mark.ldap
@pytest.mark.django_db
def test_a_move_in_the_directory_moves_the_person_between_unit_rooms(city):
    sync()
    # Primary post and 兼務 both give a seat.
    assert rooms_of("tanaka") == {"文書係", "人事係"}
    assert "tanaka" in members_of("文書係")
    assert Room.objects.filter(kind="unit").count() >= 10
    before = Event.objects.filter(stream__key=user_stream_key_of("tanaka")).count()

    city.modify(TANAKA, departmentNumber=["窓口係"], title=["主任"])
    sync()

    assert rooms_of("tanaka") == {"窓口係"}
    assert "tanaka" not in members_of("文書係")
    kinds = list(
        Event.objects.filter(stream__key=user_stream_key_of("tanaka"))
        .order_by("seq")
        .values_list("kind", flat=True)[before:]
    )
    assert sorted(kinds) == ["room_joined", "room_left", "room_left"]
    # A second sync changes nothing.
    count = RoomMember.objects.count()
    sync()
    assert RoomMember.objects.count() == count


@pytest.mark.ldap
@pytest.mark.django_db
def test_a_person_gone_from_the_directory_leaves_every_room(city):
    sync()
    tanaka = RoomMember.objects.filter(user__username="tanaka").first().user
    sato = RoomMember.objects.filter(user__username="sato").first().user
    group = services.room_create(actor=sato, name="勉強会", members=["tanaka"])
    city.delete(TANAKA)
    sync()
    assert not RoomMember.objects.filter(user=tanaka).exists()
    assert RoomMember.objects.filter(room=group, user=sato).exists()


@pytest.mark.django_db
def test_sync_follows_posts_in_the_same_transaction(org):
    """Without LDAP: the service the sync's signal calls, on a moved post."""
    from chat.unit_rooms import unit_rooms_sync

    unit_rooms_sync()
    assert members_of("財政係") == {"zkakari", "zstaff"}
    post = org.zaisei_staff.assignments.get()
    post.unit = org.keiyaku_kakari
    post.save()
    counts = unit_rooms_sync()
    assert counts == {"rooms_created": 0, "joined": 1, "left": 1}
    assert members_of("財政係") == {"zkakari"}
    assert members_of("契約係") == {"kstaff", "zstaff"}
    assert unit_rooms_sync() == {"rooms_created": 0, "joined": 0, "left": 0}


def user_stream_key_of(username: str) -> str:
    from django.contrib.auth import get_user_model

    return user_stream_key(get_user_model().objects.get(username=username).pk)

"""Follow the presenter over /ws/council/meetings/{id}/ through the real ASGI application."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from council.models import Meeting
from tests.council.conftest import COMMITTEE_A, create_meeting, upload_material, user_of
from tests.realtime.helpers import (
    drain,
    receive,
    receive_until,
    send,
    session_cookie,
    token_for,
    ws,
)

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario):
    async_to_sync(scenario)()


def path(meeting_id: int) -> str:
    return f"/ws/council/meetings/{meeting_id}/"


async def connect(meeting_id: int, *, token: str | None = None, cookie: str | None = None):
    client = ws(path=path(meeting_id), token=token, cookie=cookie)
    connected, _ = await client.connect()
    assert connected
    hello = await receive(client)
    assert hello["type"] == "hello"
    current = await receive_until(client, "current")
    return client, current


def gotos(events):
    return [(e["material"], e["page"]) for e in events if e["type"] == "goto"]


@pytest.fixture
def setup(council):
    meeting_id = create_meeting(council)
    material_id = upload_material(
        council, meeting_id, pages=["一", "二ページ", "三ページ", "四ページ"]
    ).json()["id"]
    embargoed = upload_material(
        council, meeting_id, title="未公開", publish_at=timezone.now() + timedelta(days=1)
    ).json()["id"]
    tokens = {
        name: token_for(user_of(who))
        for name, who in {
            "clerk": council.clerk,
            "chair": council.chair,
            "a": council.a,
            "b": council.b,
            "outsider": council.outsider,
        }.items()
    }
    return meeting_id, material_id, embargoed, tokens


def test_followers_turn_with_the_presenter_step_away_and_return(setup):
    meeting_id, material_id, _embargoed, tokens = setup

    async def scenario():
        clerk, _ = await connect(meeting_id, token=tokens["clerk"])
        a, current = await connect(meeting_id, token=tokens["a"])
        assert current["material"] is None  # nothing presented yet
        b, _ = await connect(meeting_id, token=tokens["b"])
        counts = [e["count"] for e in await drain(clerk) if e["type"] == "followers"]
        assert counts[-1] == 2  # the presenter sees how many follow

        await send(clerk, type="goto", material=material_id, page=2)
        assert (await receive_until(a, "goto"))["page"] == 2
        assert (await receive_until(b, "goto"))["page"] == 2

        await send(b, type="unfollow")  # b steps away
        await drain(b)
        await send(clerk, type="goto", material=material_id, page=3)
        assert (await receive_until(a, "goto"))["page"] == 3
        assert gotos(await drain(b, quiet=0.5)) == []  # b did not move

        await send(b, type="follow")  # one tap: back to the presenter's page
        back = await receive_until(b, "current")
        assert (back["material"], back["page"]) == (material_id, 3)
        await send(clerk, type="goto", material=material_id, page=4)
        assert (await receive_until(b, "goto"))["page"] == 4

        late, current = await connect(meeting_id, token=tokens["chair"])  # a late joiner
        assert (current["material"], current["page"]) == (material_id, 4)
        for client in (clerk, a, b, late):
            await client.disconnect()

    run(scenario)
    meeting = Meeting.objects.get(pk=meeting_id)
    assert (meeting.presenter_material_id, meeting.presenter_page) == (material_id, 4)


def test_a_goto_to_an_unpublished_material_reveals_nothing(setup):
    meeting_id, material_id, embargoed, tokens = setup

    async def scenario():
        clerk, _ = await connect(meeting_id, token=tokens["clerk"])
        a, _ = await connect(meeting_id, token=tokens["a"])
        await send(clerk, type="goto", material=embargoed, page=1)
        events = await drain(a, quiet=0.5)
        assert gotos(events) == []
        assert "未公開" not in str(events)
        late, current = await connect(meeting_id, token=tokens["b"])
        assert current["material"] is None
        assert "未公開" not in str(current)
        await send(clerk, type="goto", material=material_id, page=1)
        assert (await receive_until(a, "goto"))["material"] == material_id
        for client in (clerk, a, late):
            await client.disconnect()

    run(scenario)


def test_only_the_presenter_turns_pages(setup):
    meeting_id, material_id, _embargoed, tokens = setup

    async def scenario():
        a, _ = await connect(meeting_id, token=tokens["a"])
        await send(a, type="goto", material=material_id, page=2)
        error = await receive_until(a, "error")
        assert error["detail"]
        chair, _ = await connect(meeting_id, token=tokens["chair"])  # 議長 may present
        await send(chair, type="goto", material=material_id, page=2)
        assert (await receive_until(a, "goto"))["page"] == 2
        await send(chair, type="goto", material=material_id, page=99)
        assert (await receive_until(chair, "error"))["detail"]
        for client in (a, chair):
            await client.disconnect()

    run(scenario)
    assert Meeting.objects.get(pk=meeting_id).presenter_page == 2


def test_only_people_who_may_see_the_meeting_connect(setup, council):
    meeting_id, _material_id, _embargoed, tokens = setup
    committee_meeting = create_meeting(council, committee=COMMITTEE_A, title="総務常任委員会")

    async def scenario():
        for meeting, token in (
            (meeting_id, tokens["outsider"]),
            (committee_meeting, tokens["b"]),
            (999999, tokens["a"]),
            (meeting_id, None),
        ):
            client = ws(path=path(meeting), token=token)
            connected, code = await client.connect()
            assert not connected
            assert code in (4401, 4403)
        client, _ = await connect(committee_meeting, token=tokens["a"])
        await client.disconnect()

    run(scenario)


def test_a_client_of_the_bare_contract_gets_the_page_turns(setup):
    meeting_id, material_id, _embargoed, tokens = setup

    async def scenario():
        clerk, _ = await connect(meeting_id, token=tokens["clerk"])
        bare = ws(path=path(meeting_id), token=tokens["a"], events=None)
        connected, _ = await bare.connect()
        assert connected
        assert (await receive(bare))["type"] == "current"
        await send(clerk, type="goto", material=material_id, page=3)
        turn = await receive_until(bare, "goto")
        assert (turn["material"], turn["page"]) == (material_id, 3)
        for client in (clerk, bare):
            await client.disconnect()

    run(scenario)


def test_session_cookie_works_too(setup, council):
    meeting_id, _material_id, _embargoed, _tokens = setup
    cookie = session_cookie(user_of(council.a))

    async def scenario():
        client, current = await connect(meeting_id, cookie=cookie)
        assert current["type"] == "current"
        await client.disconnect()

    run(scenario)

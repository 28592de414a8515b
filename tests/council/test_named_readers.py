"""Audience "named executives" (``person:<username>[,person:<username>…]``): directory staff such
as the mayor and department heads read a material addressed to them from its publish_at on
(404 before, like every other embargoed object); councilors and other staff never see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from council.consumers import goto_visible
from council.models import Material
from directory.models import Notification, OrgUnit
from tests.council.conftest import api, create_meeting, upload_material
from tests.factories import OrgUnitFactory, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def executives(council):
    office = OrgUnitFactory(name="市長室", level=OrgUnit.Level.DEPARTMENT)
    planning = OrgUnitFactory(name="企画部", level=OrgUnit.Level.DEPARTMENT)
    return {
        "mayor": make_person("mayor", "市長 太郎", office, "市長"),
        "bucho": make_person("kikaku.bucho", "企画 部長", planning, "部長"),
        "other": make_person("somu.bucho", "総務 部長", planning, "部長"),
    }


def _paths(material_id: int) -> list[str]:
    base = f"/api/v1/council/materials/{material_id}/"
    return [
        base,
        base + "pages/1/",
        base + "pages/1/?size=thumb",
        base + "search/?q=予算",
        base + "annotations/",
    ]


def test_named_executives_see_it_from_publish_at_and_nobody_else_ever(council, executives):
    meeting_id = create_meeting(council)
    publish_at = timezone.now() + timedelta(hours=2)
    response = upload_material(
        council,
        meeting_id,
        publish_at=publish_at,
        audience="person:mayor, person:kikaku.bucho",
        title="市長説明資料",
    )
    assert response.status_code == 201, response.content
    material_id = response.json()["id"]
    material = Material.objects.get(pk=material_id)
    assert material.audience == Material.Audience.PEOPLE
    assert material.audience_label == "person:kikaku.bucho,person:mayor"
    assert api(council.clerk).get(f"/api/v1/council/materials/{material_id}/").json()[
        "audience"
    ] == ("person:kikaku.bucho,person:mayor")

    everyone = [executives["mayor"], executives["bucho"], executives["other"]]
    everyone += [council.a, council.b, council.chair, council.outsider, council.admin]
    for who in everyone:  # before publish_at: nothing, not even the meeting
        client = api(who)
        for path in _paths(material_id):
            assert client.get(path).status_code == 404, (who, path)
        detail = client.get(f"/api/v1/council/meetings/{meeting_id}/")
        if who in (council.a, council.b, council.chair):  # the plenary meeting, without it
            assert detail.json()["materials"] == []
        else:  # the executives do not even see the meeting yet
            assert client.get("/api/v1/council/meetings/").json() == []
            assert detail.status_code == 404

    with time_machine.travel(publish_at + timedelta(seconds=1)):
        for who in (executives["mayor"], executives["bucho"]):
            client = api(who)
            for path in _paths(material_id):
                assert client.get(path).status_code == 200, (who, path)
            listed = client.get("/api/v1/council/meetings/").json()
            assert [m["id"] for m in listed] == [meeting_id]
            detail = client.get(f"/api/v1/council/meetings/{meeting_id}/").json()
            assert [m["id"] for m in detail["materials"]] == [material_id]
            put = client.put(
                f"/api/v1/council/materials/{material_id}/pages/1/annotation/",
                {"notes": [{"x": 0.2, "y": 0.2, "text": "答弁の要点"}]},
                format="json",
            )
            assert put.status_code == 201
        for who in (executives["other"], council.a, council.b, council.chair, council.outsider):
            client = api(who)
            for path in _paths(material_id):
                assert client.get(path).status_code == 404, (who, path)
            detail = client.get(f"/api/v1/council/meetings/{meeting_id}/")
            assert detail.status_code == 404 or material_id not in [
                m["id"] for m in detail.json()["materials"]
            ]
        # The mayor's note is the mayor's only.
        assert (
            api(executives["bucho"])
            .get(f"/api/v1/council/materials/{material_id}/pages/1/annotation/")
            .json()["notes"][0]["text"]
            == "答弁の要点"
        )


def test_named_executives_see_no_all_councilor_material_of_the_same_meeting(council, executives):
    meeting_id = create_meeting(council)
    for_all = upload_material(council, meeting_id, title="全員向け").json()["id"]
    named = upload_material(council, meeting_id, audience="person:mayor").json()["id"]
    mayor = api(executives["mayor"])
    detail = mayor.get(f"/api/v1/council/meetings/{meeting_id}/").json()
    assert [m["id"] for m in detail["materials"]] == [named]
    assert mayor.get(f"/api/v1/council/materials/{for_all}/").status_code == 404
    assert api(council.a).get(f"/api/v1/council/materials/{named}/").status_code == 404


def test_search_engine_hits_for_named_executives_respect_the_embargo(council, executives):
    from documents.search import search_for_user

    meeting_id = create_meeting(council)
    publish_at = timezone.now() + timedelta(hours=1)
    material_id = upload_material(
        council,
        meeting_id,
        publish_at=publish_at,
        audience="person:mayor",
        pages=["市長答弁の補正予算について"],
    ).json()["id"]

    def council_hits(person):
        hits = search_for_user(user=person.user, q="補正").hits
        return [h.id for h in hits if h.kind.startswith("council")]

    assert council_hits(executives["mayor"]) == []
    with time_machine.travel(publish_at + timedelta(seconds=1)):
        assert council_hits(executives["mayor"]) == [material_id]
        assert council_hits(executives["bucho"]) == []


def test_read_status_and_notification_count_the_named_executives(council, executives):
    from council.services import materials_announce_due

    meeting_id = create_meeting(council)
    material_id = upload_material(
        council, meeting_id, audience="person:mayor,person:kikaku.bucho"
    ).json()["id"]
    assert materials_announce_due() == 1
    notified = set(
        Notification.objects.filter(kind="council.material_published").values_list(
            "recipient__user__username", flat=True
        )
    )
    assert notified == {"mayor", "kikaku.bucho"}
    api(executives["mayor"]).get(f"/api/v1/council/materials/{material_id}/pages/1/")
    body = api(council.clerk).get(f"/api/v1/council/materials/{material_id}/read-status/").json()
    assert (body["read"], body["total"], body["unread"]) == (1, 2, ["kikaku.bucho"])


@pytest.mark.parametrize(
    "audience",
    [
        "person:",
        "person:nobody",
        "person:mayor,nobody",
        "person:giin.a",  # a councilor is not an executive
        "person:mayor,person:ghost",
        "people",
    ],
)
def test_bad_named_audiences_are_400_and_store_nothing(council, executives, audience):
    meeting_id = create_meeting(council)
    response = upload_material(council, meeting_id, audience=audience)
    assert response.status_code == 400, response.content
    assert Material.objects.count() == 0


def test_a_goto_reaches_a_named_executive_only_when_they_are_a_reader():
    published = (timezone.now() - timedelta(minutes=1)).isoformat()
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    event = {"publish_at": published, "audience": "people", "readers": [7, 9], "committee": None}
    assert goto_visible(event, everything=False, committees=set(), councilor=False, person_id=7)
    assert not goto_visible(event, everything=False, committees=set(), councilor=False, person_id=8)
    assert not goto_visible(event, everything=False, committees={1}, councilor=True)
    assert not goto_visible(
        {**event, "publish_at": later},
        everything=False,
        committees=set(),
        councilor=False,
        person_id=7,
    )
    # An executive never follows into a material for all councilors.
    for_all = {"publish_at": published, "audience": "all", "committee": None}
    assert not goto_visible(
        for_all, everything=False, committees=set(), councilor=False, person_id=7
    )
    assert goto_visible(for_all, everything=False, committees=set(), councilor=True)


def test_the_upload_form_takes_named_executives(council, executives, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.council.conftest import make_pdf

    meeting_id = create_meeting(council)
    client.force_login(council.clerk.user)
    response = client.post(
        f"/council/materials/upload/{meeting_id}/",
        {
            "title": "部長会議資料",
            "publish_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "audience": "people",
            "people": "mayor、 kikaku.bucho",
            "file": SimpleUploadedFile("a.pdf", make_pdf(["一"]), content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    material = Material.objects.get()
    assert sorted(material.readers.values_list("user__username", flat=True)) == [
        "kikaku.bucho",
        "mayor",
    ]
    page = client.get(f"/council/meetings/{meeting_id}/").content.decode()
    assert "市長 太郎" in page
    client.force_login(executives["mayor"].user)
    home = client.get("/council/").content.decode()
    assert "部長会議資料" in home
    assert client.get(f"/council/materials/{material.pk}/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_named_executive_follows_the_presenter_into_their_material_only(council, executives):
    from asgiref.sync import async_to_sync

    from tests.council.test_presenter import connect, drain, gotos, receive_until, send
    from tests.realtime.helpers import token_for, ws

    meeting_id = create_meeting(council)
    theirs = upload_material(council, meeting_id, audience="person:mayor").json()["id"]
    for_all = upload_material(council, meeting_id, title="全員向け").json()["id"]
    tokens = {
        "clerk": token_for(council.clerk.user),
        "mayor": token_for(executives["mayor"].user),
        "other": token_for(executives["other"].user),
    }

    async def scenario():
        refused = ws(path=f"/ws/council/meetings/{meeting_id}/", token=tokens["other"])
        connected, code = await refused.connect()
        assert not connected
        assert code in (4401, 4403)
        clerk, _ = await connect(meeting_id, token=tokens["clerk"])
        mayor, _ = await connect(meeting_id, token=tokens["mayor"])
        await send(clerk, type="goto", material=for_all, page=1)
        assert gotos(await drain(mayor, quiet=0.5)) == []
        await send(clerk, type="goto", material=theirs, page=2)
        assert (await receive_until(mayor, "goto"))["material"] == theirs
        for client in (clerk, mayor):
            await client.disconnect()

    async_to_sync(scenario)()

"""Sessions (定例会/臨時会), meetings within them and the agenda (議案第N号, 報告, 請願 …): the API
and the secretariat console. Only the secretariat writes (403 for councilors, staff and
administrators), bad input is 400 and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from council.models import AgendaItem, CouncilSession, Material, Meeting
from tests.council.conftest import COMMITTEE_A, api, create_meeting, upload_material

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/council/sessions/"


def _session(council, **body) -> dict:
    body = {"name": "令和8年第4回定例会", "kind": "regular", "starts_on": "2026-12-01", **body}
    response = api(council.clerk).post(SESSIONS, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _others(council):
    return (council.a, council.chair, council.outsider, council.admin)


def test_the_secretariat_creates_sessions_and_nobody_else_may(council):
    created = _session(council)
    assert (created["name"], created["kind"], created["starts_on"]) == (
        "令和8年第4回定例会",
        "regular",
        "2026-12-01",
    )
    assert created["meetings"] == []
    session = CouncilSession.objects.get()
    assert session.kind == CouncilSession.Kind.REGULAR
    assert AuditEvent.objects.filter(action="council.session_created").count() == 1
    for who in _others(council):
        response = api(who).post(SESSIONS, {"name": "臨時会"}, format="json")
        assert response.status_code == 403, who
    assert CouncilSession.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "臨時会", "kind": "special"},
        {"name": "臨時会", "starts_on": "来週"},
        {"name": "臨時会", "starts_on": "2026-02-30"},
        {"name": "臨時会", "starts_on": "1800-01-01"},
        {},
    ],
)
def test_bad_sessions_are_400(council, body):
    assert api(council.clerk).post(SESSIONS, body, format="json").status_code == 400
    assert not CouncilSession.objects.exists()


def test_meetings_within_a_session_and_who_sees_them(council):
    session = _session(council)
    extraordinary = _session(council, name="令和8年第1回臨時会", kind="extraordinary")
    starts_at = (timezone.now() + timedelta(days=3)).isoformat()
    clerk = api(council.clerk)
    plenary = clerk.post(
        "/api/v1/council/meetings/",
        {"title": "本会議（第1日）", "starts_at": starts_at, "session": session["id"]},
        format="json",
    ).json()
    assert plenary["session"] == session["id"]
    committee = clerk.post(
        "/api/v1/council/meetings/",
        {
            "title": "総務常任委員会",
            "starts_at": starts_at,
            "committee": COMMITTEE_A,
            "session": session["id"],
        },
        format="json",
    ).json()
    bad = clerk.post(
        "/api/v1/council/meetings/",
        {"title": "本会議", "starts_at": starts_at, "session": 999999},
        format="json",
    )
    assert bad.status_code == 400
    assert Meeting.objects.count() == 2

    listed = {s["id"]: s for s in api(council.b).get(SESSIONS).json()}
    assert set(listed) == {session["id"]}  # the extraordinary session has no meeting yet
    assert [m["id"] for m in listed[session["id"]]["meetings"]] == [plenary["id"]]
    detail = api(council.a).get(f"{SESSIONS}{session['id']}/").json()
    assert {m["id"] for m in detail["meetings"]} == {plenary["id"], committee["id"]}
    assert api(council.a).get(f"{SESSIONS}{extraordinary['id']}/").status_code == 404
    assert api(council.outsider).get(SESSIONS).status_code == 404
    assert len(clerk.get(SESSIONS).json()) == 2

    # Moving a meeting to another session (secretariat only).
    url = f"/api/v1/council/meetings/{plenary['id']}/session/"
    for who in _others(council):
        assert api(who).put(url, {"session": extraordinary["id"]}, format="json").status_code == 403
    assert clerk.put(url, {"session": 999999}, format="json").status_code == 400
    assert clerk.put(url, {"session": "第4回"}, format="json").status_code == 400
    moved = clerk.put(url, {"session": extraordinary["id"]}, format="json")
    assert moved.status_code == 200
    assert Meeting.objects.get(pk=plenary["id"]).session_id == extraordinary["id"]
    assert clerk.put(url, {"session": None}, format="json").json()["session"] is None
    assert Meeting.objects.get(pk=plenary["id"]).session_id is None


def test_agenda_items_are_edited_moved_and_removed_by_the_secretariat_only(council):
    meeting_id = create_meeting(council)
    clerk = api(council.clerk)
    url = f"/api/v1/council/meetings/{meeting_id}/agenda/"
    items = [
        clerk.post(url, body, format="json").json()
        for body in (
            {"kind": "bill", "number": "議案第12号", "title": "一般会計補正予算"},
            {"kind": "report", "number": "報告第3号", "title": "専決処分の報告"},
            {"kind": "petition", "number": "請願第1号", "title": "通学路の安全対策"},
        )
    ]
    assert [i["order"] for i in items] == [1, 2, 3]
    first, second, third = (i["id"] for i in items)

    for who in _others(council):
        client = api(who)
        assert client.post(url, {"title": "x"}, format="json").status_code == 403
        assert (
            client.put(
                f"/api/v1/council/agenda/{first}/", {"title": "x"}, format="json"
            ).status_code
            == 403
        )
        assert client.delete(f"/api/v1/council/agenda/{first}/").status_code == 403
        move = client.post(f"/api/v1/council/agenda/{first}/move/", {"direction": "down"})
        assert move.status_code == 403

    for body in (
        {"title": ""},
        {"title": "x", "kind": "vote"},
        {"title": "x", "number": "第" * 51},
        {"title": "x" * 201},
    ):
        assert clerk.post(url, body, format="json").status_code == 400, body
        put = clerk.put(f"/api/v1/council/agenda/{first}/", body, format="json")
        assert put.status_code == 400, body
    assert clerk.post(
        f"/api/v1/council/agenda/{first}/move/", {"direction": "left"}
    ).status_code == (400)
    assert clerk.put(
        "/api/v1/council/agenda/999999/", {"title": "x"}, format="json"
    ).status_code == (404)
    assert AgendaItem.objects.count() == 3

    changed = clerk.put(
        f"/api/v1/council/agenda/{second}/",
        {"kind": "bill", "number": "議案第13号", "title": "条例の一部改正"},
        format="json",
    )
    assert changed.status_code == 200
    assert AgendaItem.objects.get(pk=second).number == "議案第13号"
    moved = clerk.post(f"/api/v1/council/agenda/{third}/move/", {"direction": "up"}, format="json")
    assert moved.json()["order"] == 2
    clerk.post(f"/api/v1/council/agenda/{first}/move/", {"direction": "up"}, format="json")  # top
    order = list(AgendaItem.objects.order_by("order").values_list("pk", flat=True))
    assert order == [first, third, second]

    # A material of a removed item stays, without an item; the agenda closes up.
    material_id = upload_material(council, meeting_id).json()["id"]
    Material.objects.filter(pk=material_id).update(agenda_item_id=third)
    assert clerk.delete(f"/api/v1/council/agenda/{third}/").status_code == 204
    assert Material.objects.get(pk=material_id).agenda_item_id is None
    agenda = api(council.a).get(f"/api/v1/council/meetings/{meeting_id}/").json()["agenda"]
    assert [(a["id"], a["order"]) for a in agenda] == [(first, 1), (second, 2)]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "council.agenda_item_added",
        "council.agenda_item_updated",
        "council.agenda_item_moved",
        "council.agenda_item_deleted",
    } <= actions


def test_an_agenda_item_of_a_meeting_i_cannot_see_is_404(council):
    committee_meeting = create_meeting(council, committee=COMMITTEE_A, title="総務常任委員会")
    item = (
        api(council.clerk)
        .post(
            f"/api/v1/council/meetings/{committee_meeting}/agenda/",
            {"title": "所管事務調査"},
            format="json",
        )
        .json()
    )
    assert api(council.b).get(f"/api/v1/council/meetings/{committee_meeting}/").status_code == 404
    assert item["meeting"] == committee_meeting


# --- the console (HTML) --------------------------------------------------------------------------


@pytest.fixture
def as_clerk(client, council):
    client.force_login(council.clerk.user)
    return client


def test_console_creates_a_session_and_a_meeting_in_it(as_clerk, council):
    response = as_clerk.post(
        "/council/sessions/new/",
        {"name": "令和8年第4回定例会", "kind": "regular", "starts_on": "2026-12-01"},
    )
    assert response.status_code == 302
    session = CouncilSession.objects.get()
    home = as_clerk.get("/council/").content.decode()
    assert "令和8年第4回定例会" in home
    assert "令和8年12月1日" in home  # 和暦
    response = as_clerk.post(
        "/council/meetings/new/",
        {
            "title": "本会議（第1日）",
            "starts_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "session": str(session.pk),
        },
    )
    meeting = Meeting.objects.get()
    assert meeting.session == session
    assert response["Location"] == f"/council/meetings/{meeting.pk}/"
    # Bad input: a message, nothing created.
    as_clerk.post("/council/sessions/new/", {"name": "", "kind": "regular"})
    as_clerk.post("/council/sessions/new/", {"name": "臨時会", "kind": "special"})
    assert CouncilSession.objects.count() == 1
    page = as_clerk.get("/council/").content.decode()
    assert "会期の名称を入力してください。" in page


def test_console_edits_the_agenda(as_clerk, council):
    meeting_id = create_meeting(council)
    meeting_url = f"/council/meetings/{meeting_id}/"
    as_clerk.post(
        f"{meeting_url}agenda/",
        {"kind": "bill", "number": "議案第12号", "title": "一般会計補正予算"},
    )
    as_clerk.post(f"{meeting_url}agenda/", {"kind": "petition", "number": "", "title": "請願"})
    first, second = AgendaItem.objects.order_by("order")
    page = as_clerk.get(meeting_url).content.decode()
    assert 'data-testid="agenda-editor"' in page
    assert 'value="議案第12号"' in page
    assert "data-confirm" in page

    as_clerk.post(
        f"/council/agenda/{second.pk}/",
        {"kind": "petition", "number": "請願第1号", "title": "通学路の安全対策"},
    )
    second.refresh_from_db()
    assert (second.number, second.title) == ("請願第1号", "通学路の安全対策")
    as_clerk.post(f"/council/agenda/{second.pk}/move/", {"direction": "up"})
    assert list(AgendaItem.objects.order_by("order").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    as_clerk.post(f"/council/agenda/{second.pk}/", {"kind": "bill", "title": ""})  # 400: message
    second.refresh_from_db()
    assert second.title == "通学路の安全対策"
    as_clerk.post(f"/council/agenda/{first.pk}/delete/")
    assert list(AgendaItem.objects.values_list("pk", flat=True)) == [second.pk]
    session = CouncilSession.objects.create(name="令和8年第4回定例会")
    as_clerk.post(f"{meeting_url}session/", {"session": str(session.pk)})
    assert Meeting.objects.get(pk=meeting_id).session == session
    as_clerk.post(f"{meeting_url}session/", {"session": ""})
    assert Meeting.objects.get(pk=meeting_id).session is None


@pytest.mark.parametrize("who", ["a", "chair", "outsider"])
def test_console_writes_are_403_for_everyone_but_the_secretariat(client, council, who):
    meeting_id = create_meeting(council)
    item = AgendaItem.objects.create(meeting_id=meeting_id, order=1, title="議案")
    person = getattr(council, who)
    client.force_login(getattr(person, "person", person).user)
    posts = [
        ("/council/sessions/new/", {"name": "臨時会"}),
        (f"/council/meetings/{meeting_id}/agenda/", {"title": "x"}),
        (f"/council/meetings/{meeting_id}/session/", {"session": ""}),
        (f"/council/agenda/{item.pk}/", {"title": "x"}),
        (f"/council/agenda/{item.pk}/move/", {"direction": "down"}),
        (f"/council/agenda/{item.pk}/delete/", {}),
    ]
    for url, body in posts:
        assert client.post(url, body).status_code == 403, url
    assert not CouncilSession.objects.exists()
    assert list(AgendaItem.objects.values_list("title", flat=True)) == ["議案"]
    page = client.get(f"/council/meetings/{meeting_id}/")
    assert b"agenda-editor" not in page.content


@pytest.mark.parametrize("when", ["0915-04-08T05:39:44+10:20", "2101-01-01T00:00:00+09:00"])
def test_dates_far_from_this_era_are_400(council, when):
    clerk = api(council.clerk)
    meeting = clerk.post(
        "/api/v1/council/meetings/", {"title": "本会議", "starts_at": when}, format="json"
    )
    assert meeting.status_code == 400
    assert not Meeting.objects.exists()
    meeting_id = create_meeting(council)
    response = upload_material(council, meeting_id, publish_at=None)
    assert response.status_code == 201
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.council.conftest import make_pdf

    far = clerk.post(
        "/api/v1/council/materials/",
        {
            "meeting": meeting_id,
            "title": "資料",
            "publish_at": when,
            "file": SimpleUploadedFile("a.pdf", make_pdf(["一"]), content_type="application/pdf"),
        },
        format="multipart",
    )
    assert far.status_code == 400
    assert Material.objects.count() == 1

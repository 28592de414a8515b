"""The council REST API (CONTRACT.md "Council"): meetings, materials, the embargo, audiences."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from council.models import Material, MaterialPage, Meeting
from tests.council.conftest import (
    COMMITTEE_A,
    COMMITTEE_B,
    api,
    create_meeting,
    make_pdf,
    upload_material,
)

pytestmark = pytest.mark.django_db


def test_secretariat_creates_meetings_and_others_may_not(council):
    meeting_id = create_meeting(council, committee=COMMITTEE_A, title="総務常任委員会")
    meeting = Meeting.objects.get(pk=meeting_id)
    assert meeting.committee.name == COMMITTEE_A
    body = {"title": "x", "starts_at": timezone.now().isoformat()}
    for who in (council.a, council.chair, council.outsider, council.admin):
        response = api(who).post("/api/v1/council/meetings/", body, format="json")
        assert response.status_code == 403
    assert Meeting.objects.count() == 1


def test_meeting_input_is_checked(council):
    clerk = api(council.clerk)
    bad = [
        {"title": "", "starts_at": timezone.now().isoformat()},
        {"title": "本会議", "starts_at": "tomorrow"},
        {
            "title": "本会議",
            "starts_at": timezone.now().isoformat(),
            "committee": "存在しない委員会",
        },
    ]
    for body in bad:
        assert clerk.post("/api/v1/council/meetings/", body, format="json").status_code == 400
    assert Meeting.objects.count() == 0


def test_upload_answers_id_and_pages_and_stores_page_text(council):
    meeting_id = create_meeting(council)
    response = upload_material(council, meeting_id, pages=["第一頁 予算", "第二頁 歳出", "三"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["pages"] == 3
    material = Material.objects.get(pk=body["id"])
    texts = list(
        MaterialPage.objects.filter(version=material.current_version).values_list("text", flat=True)
    )
    assert "予算" in texts[0]
    assert "歳出" in texts[1]


def test_upload_refusals(council):
    meeting_id = create_meeting(council)
    from django.core.files.uploadedfile import SimpleUploadedFile

    for who in (council.a, council.chair, council.outsider):
        response = api(who).post(
            "/api/v1/council/materials/",
            {
                "meeting": meeting_id,
                "title": "t",
                "publish_at": timezone.now().isoformat(),
                "file": SimpleUploadedFile("a.pdf", make_pdf(["x"])),
            },
            format="multipart",
        )
        assert response.status_code == 403
    assert upload_material(council, meeting_id, data=b"not a pdf at all").status_code == 400
    assert upload_material(council, meeting_id, audience="committee:無い").status_code == 400
    assert upload_material(council, meeting_id, audience="everyone").status_code == 400
    assert upload_material(council, 999999).status_code == 404
    assert Material.objects.count() == 0


def _paths(material_id: int) -> list[str]:
    base = f"/api/v1/council/materials/{material_id}/"
    return [
        base,
        base + "pages/1/",
        base + "pages/1/?size=thumb",
        base + "pages/2/",
        base + "search/?q=予算",
        base + "annotations/",
    ]


def test_embargo_before_publish_at_everything_is_404_for_councilors(council):
    meeting_id = create_meeting(council)
    publish_at = timezone.now() + timedelta(hours=2)
    response = upload_material(council, meeting_id, publish_at=publish_at)
    material_id = response.json()["id"]
    for who in (council.a, council.b, council.chair):
        client = api(who)
        for path in _paths(material_id):
            assert client.get(path).status_code == 404, path
        detail = client.get(f"/api/v1/council/meetings/{meeting_id}/").json()
        assert detail["materials"] == []
        put = client.put(
            f"/api/v1/council/materials/{material_id}/pages/1/annotation/",
            {"notes": [{"x": 0.1, "y": 0.1, "text": "先回り"}]},
            format="json",
        )
        assert put.status_code == 404
        hits = client.get("/api/v1/search/", {"q": "予算"}).json()
        assert not [h for h in hits.get("results", hits.get("hits", [])) if "council" in str(h)]
    # The secretariat sees what it uploaded, before publish_at too.
    clerk = api(council.clerk)
    assert clerk.get(f"/api/v1/council/materials/{material_id}/").status_code == 200
    assert clerk.get(f"/api/v1/council/materials/{material_id}/pages/1/").status_code == 200

    with time_machine.travel(publish_at + timedelta(seconds=1)):
        client = api(council.a)
        assert client.get(f"/api/v1/council/materials/{material_id}/").status_code == 200
        page = client.get(f"/api/v1/council/materials/{material_id}/pages/1/")
        assert page.status_code == 200
        assert page["Content-Type"] == "image/webp"
        assert page.content[:4] == b"RIFF"
        thumb = client.get(f"/api/v1/council/materials/{material_id}/pages/1/?size=thumb")
        assert thumb.status_code == 200
        assert len(thumb.content) < len(page.content)
        assert client.get(f"/api/v1/council/materials/{material_id}/pages/3/").status_code == 404
        detail = client.get(f"/api/v1/council/meetings/{meeting_id}/").json()
        assert [m["id"] for m in detail["materials"]] == [material_id]
        hits = client.get(f"/api/v1/council/materials/{material_id}/search/", {"q": "予算"})
        assert hits.json()["hits"][0]["page"] == 1


def test_search_engine_hits_respect_the_embargo(council):
    from documents.search import search_for_user

    meeting_id = create_meeting(council)
    publish_at = timezone.now() + timedelta(hours=1)
    material_id = upload_material(
        council, meeting_id, publish_at=publish_at, pages=["議会運営の補正予算について"]
    ).json()["id"]
    a_user = council.a.person.user

    def council_hits(user):
        return [
            h.id for h in search_for_user(user=user, q="補正").hits if h.kind.startswith("council")
        ]

    assert council_hits(a_user) == []
    assert council_hits(council.clerk.user) == [material_id]
    with time_machine.travel(publish_at + timedelta(seconds=1)):
        assert council_hits(a_user) == [material_id]
        assert council_hits(council.b.person.user) == [material_id]
        assert council_hits(council.outsider.user) == []


def test_committee_audience_and_committee_meetings(council):
    plenary = create_meeting(council)
    committee_meeting = create_meeting(council, committee=COMMITTEE_A, title="総務常任委員会")
    for_a = upload_material(council, plenary, audience=f"committee:{COMMITTEE_A}").json()["id"]
    in_committee = upload_material(council, committee_meeting).json()["id"]
    for material_id in (for_a, in_committee):
        assert api(council.a).get(f"/api/v1/council/materials/{material_id}/").status_code == 200
        for path in _paths(material_id):
            assert api(council.b).get(path).status_code == 404, path
    assert api(council.b).get(f"/api/v1/council/meetings/{committee_meeting}/").status_code == 404
    listed = {m["id"] for m in api(council.b).get("/api/v1/council/meetings/").json()}
    assert listed == {plenary}
    listed = {m["id"] for m in api(council.a).get("/api/v1/council/meetings/").json()}
    assert listed == {plenary, committee_meeting}
    # Staff outside the secretariat and administrators do not see the council's materials.
    for who in (council.outsider, council.admin):
        assert api(who).get("/api/v1/council/meetings/").json() == []
        for path in _paths(for_a):
            assert api(who).get(path).status_code == 404
    # A committee B material stays with committee B.
    for_b = upload_material(council, plenary, audience=f"committee:{COMMITTEE_B}").json()["id"]
    assert api(council.a).get(f"/api/v1/council/materials/{for_b}/").status_code == 404
    assert api(council.b).get(f"/api/v1/council/materials/{for_b}/").status_code == 200


def test_read_tracking_counts_the_audience(council):
    meeting_id = create_meeting(council)
    material_id = upload_material(council, meeting_id).json()["id"]
    api(council.a).get(f"/api/v1/council/materials/{material_id}/pages/1/")
    api(council.a).get(f"/api/v1/council/materials/{material_id}/pages/2/")
    api(council.b).get(f"/api/v1/council/materials/{material_id}/pages/1/?size=thumb")  # not read
    api(council.clerk).get(f"/api/v1/council/materials/{material_id}/pages/1/")  # not counted
    status = api(council.clerk).get(f"/api/v1/council/materials/{material_id}/read-status/")
    assert status.status_code == 200
    body = status.json()
    assert (body["read"], body["total"]) == (1, 3)
    assert sorted(body["unread"]) == ["gicho", "giin.b"]
    assert (
        api(council.a).get(f"/api/v1/council/materials/{material_id}/read-status/").status_code
        == 403
    )


def test_agenda_items_by_the_secretariat(council):
    meeting_id = create_meeting(council)
    url = f"/api/v1/council/meetings/{meeting_id}/agenda/"
    created = api(council.clerk).post(
        url, {"title": "一般会計補正予算", "kind": "bill", "number": "議案第12号"}, format="json"
    )
    assert created.status_code == 201
    assert api(council.a).post(url, {"title": "x"}, format="json").status_code == 403
    assert (
        api(council.clerk).post(url, {"title": "x", "kind": "vote"}, format="json").status_code
        == 400
    )
    assert api(council.clerk).post(url, {"title": ""}, format="json").status_code == 400
    agenda = api(council.a).get(f"/api/v1/council/meetings/{meeting_id}/").json()["agenda"]
    assert [(a["number"], a["title"], a["kind"]) for a in agenda] == [
        ("議案第12号", "一般会計補正予算", "bill")
    ]


def test_outline_of_the_pdf_is_the_table_of_contents(council):
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for number, title in enumerate(["Purpose", "Definitions", "Appendix"], start=1):
        pdf.drawString(72, 700, title)
        pdf.bookmarkPage(f"p{number}")
        pdf.addOutlineEntry(title, f"p{number}", level=0 if number < 3 else 1)
        pdf.showPage()
    pdf.save()
    meeting_id = create_meeting(council)
    material_id = upload_material(council, meeting_id, data=buffer.getvalue()).json()["id"]
    outline = api(council.a).get(f"/api/v1/council/materials/{material_id}/").json()["outline"]
    assert [(o["title"], o["page"], o["level"]) for o in outline] == [
        ("Purpose", 1, 0),
        ("Definitions", 2, 0),
        ("Appendix", 3, 1),
    ]

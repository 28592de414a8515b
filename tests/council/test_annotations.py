"""Private annotations: only the owner reads or writes them; carried over on 差し替え."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from council.models import Annotation
from tests.council.conftest import api, create_meeting, make_pdf, upload_material

pytestmark = pytest.mark.django_db

STROKE = {"tool": "pen", "color": "#d00000", "width": 2, "points": [[0.1, 0.1], [0.2, 0.25]]}


def _url(material_id: int, page: int) -> str:
    return f"/api/v1/council/materials/{material_id}/pages/{page}/annotation/"


@pytest.fixture
def material_id(council) -> int:
    meeting_id = create_meeting(council)
    return upload_material(
        council,
        meeting_id,
        pages=["第1条 目的\n市の事務の効率化", "第2条 定義\n電子決裁とは", "附則\n施行期日"],
    ).json()["id"]


def test_owner_writes_and_reads_own_annotation(council, material_id):
    client = api(council.a)
    body = {
        "strokes": [STROKE, {**STROKE, "tool": "highlighter"}],
        "notes": [{"x": 0.5, "y": 0.5, "text": "質問する"}],
        "bookmark": True,
    }
    created = client.put(_url(material_id, 2), body, format="json")
    assert created.status_code == 201
    again = client.put(_url(material_id, 2), {**body, "bookmark": False}, format="json")
    assert again.status_code == 200
    got = client.get(_url(material_id, 2)).json()
    assert got["notes"][0]["text"] == "質問する"
    assert len(got["strokes"]) == 2
    assert got["bookmark"] is False
    assert Annotation.objects.filter(owner=council.a.person.user).count() == 1


def test_nobody_else_reads_an_annotation(council, material_id):
    api(council.a).put(
        _url(material_id, 1), {"notes": [{"x": 0, "y": 0, "text": "秘密"}]}, format="json"
    )
    for who in (council.b, council.chair, council.clerk, council.admin, council.outsider):
        response = api(who).get(_url(material_id, 1))
        assert response.status_code == 404, who
        assert "秘密" not in response.content.decode()
        listed = api(who).get(f"/api/v1/council/materials/{material_id}/annotations/")
        assert "秘密" not in listed.content.decode()
        exported = api(who).get("/api/v1/council/annotations/export/")
        assert "秘密" not in exported.content.decode()
    # Another councilor writing the same page writes their own, never the first one's.
    api(council.b).put(
        _url(material_id, 1), {"notes": [{"x": 0, "y": 0, "text": "別"}]}, format="json"
    )
    mine = api(council.a).get(_url(material_id, 1)).json()
    assert [n["text"] for n in mine["notes"]] == ["秘密"]
    exported = api(council.a).get("/api/v1/council/annotations/export/").json()
    assert [a["notes"][0]["text"] for a in exported] == ["秘密"]


@pytest.mark.parametrize(
    "body",
    [
        {"strokes": "no"},
        {"strokes": [{"tool": "spray", "points": [[0, 0]]}]},
        {"strokes": [{"tool": "pen", "points": [[0, "x"]]}]},
        {"strokes": [{"tool": "pen", "points": [[0, 9]]}]},
        {"strokes": [{"tool": "pen", "color": "red; x", "points": [[0, 0]]}]},
        {"notes": [{"x": 0, "y": 0}]},
        {"bookmark": "yes"},
        ["not", "an", "object"],
    ],
)
def test_bad_annotations_are_refused(council, material_id, body):
    response = api(council.a).put(_url(material_id, 1), body, format="json")
    assert response.status_code == 400
    assert not Annotation.objects.exists()


def test_page_out_of_range_is_404(council, material_id):
    assert api(council.a).put(_url(material_id, 4), {}, format="json").status_code == 404


def test_older_offline_write_does_not_overwrite_a_newer_one(council, material_id):
    client = api(council.a)
    newer = {
        "notes": [{"x": 0, "y": 0, "text": "新"}],
        "client_updated_at": "2026-12-06T10:00:00+09:00",
    }
    older = {
        "notes": [{"x": 0, "y": 0, "text": "旧"}],
        "client_updated_at": "2026-12-06T09:00:00+09:00",
    }
    assert client.put(_url(material_id, 1), newer, format="json").status_code == 201
    conflict = client.put(_url(material_id, 1), older, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["current"]["notes"][0]["text"] == "新"
    assert client.get(_url(material_id, 1)).json()["notes"][0]["text"] == "新"
    # The late offline write is not lost: it is kept with the notes that could not be placed.
    mine = client.get(f"/api/v1/council/materials/{material_id}/annotations/").json()
    kept = [a for a in mine if a["is_unplaced"]]
    assert [(a["original_page"], a["notes"][0]["text"]) for a in kept] == [(1, "旧")]


def test_replacement_carries_annotations_flags_changes_and_lists_unplaced(council, material_id):
    a, b = api(council.a), api(council.b)
    a.put(_url(material_id, 1), {"notes": [{"x": 0, "y": 0, "text": "目的メモ"}]}, format="json")
    a.put(_url(material_id, 2), {"strokes": [STROKE]}, format="json")
    a.put(_url(material_id, 3), {"notes": [{"x": 0, "y": 0, "text": "附則メモ"}]}, format="json")
    b.put(_url(material_id, 2), {"notes": [{"x": 0, "y": 0, "text": "定義メモ"}]}, format="json")
    # New version: a page inserted before 定義 (so it moves to 3), 目的 unchanged, 附則 removed.
    new_pdf = make_pdf(
        [
            "第1条 目的\n市の事務の効率化",
            "第1条の2 基本理念\n新しい条文",
            "第2条 定義\n電子決裁とは",
        ]
    )
    response = api(council.clerk).post(
        f"/api/v1/council/materials/{material_id}/versions/",
        {"file": SimpleUploadedFile("v2.pdf", new_pdf)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == 2
    assert body["changed_pages"] == [2, 3]

    mine = {
        x["page"]: x for x in a.get(f"/api/v1/council/materials/{material_id}/annotations/").json()
    }
    assert mine[1]["notes"][0]["text"] == "目的メモ"
    assert mine[1]["page_changed"] is False
    assert mine[3]["strokes"][0]["points"] == STROKE["points"]
    assert mine[3]["original_page"] == 2
    unplaced = mine[None]
    assert unplaced["is_unplaced"] is True
    assert unplaced["original_page"] == 3
    assert unplaced["notes"][0]["text"] == "附則メモ"
    theirs = b.get(_url(material_id, 3)).json()
    assert theirs["notes"][0]["text"] == "定義メモ"
    # Nothing of version 1 was deleted.
    assert Annotation.objects.filter(version__number=1).count() == 4
    # Councilors are notified of the replacement.
    from directory.models import Notification

    assert Notification.objects.filter(
        recipient=council.a.person, kind="council.material_replaced"
    ).exists()


def test_only_the_secretariat_replaces(council, material_id):
    response = api(council.chair).post(
        f"/api/v1/council/materials/{material_id}/versions/",
        {"file": SimpleUploadedFile("v2.pdf", make_pdf(["x"]))},
        format="multipart",
    )
    assert response.status_code == 403

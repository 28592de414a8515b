"""Council screens: councilor home, meeting with 既読, the reader, the embargo on screens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.council.conftest import api, create_meeting, upload_material, user_of

pytestmark = pytest.mark.django_db

LOCAL_BACKEND = "directory.backends.LocalAccountBackend"


def browser(who) -> Client:
    client = Client()
    client.force_login(user_of(who), backend=LOCAL_BACKEND)
    return client


def test_staff_outside_the_council_see_what_the_module_is(council):
    html = browser(council.outsider).get("/council/").content.decode()
    assert "<h1>議会</h1>" in html
    assert 'aria-current="page"' in html


def test_councilor_home_lists_meetings_and_unread_materials_in_wareki(council):
    meeting_id = create_meeting(council, title="第4回定例会 本会議")
    material_id = upload_material(council, meeting_id, title="議案第12号 説明資料").json()["id"]
    hidden = upload_material(
        council, meeting_id, title="未公開資料", publish_at=timezone.now() + timedelta(days=1)
    ).json()["id"]
    html = browser(council.a).get("/council/").content.decode()
    assert "第4回定例会 本会議" in html
    assert "議案第12号 説明資料" in html
    assert "未公開資料" not in html
    assert "令和" in html
    api(council.a).get(f"/api/v1/council/materials/{material_id}/pages/1/")
    html = browser(council.a).get("/council/").content.decode()
    assert (
        "すべての資料を読みました" in html or "議案第12号 説明資料" not in html.split("meetings")[0]
    )
    assert browser(council.a).get(f"/council/materials/{hidden}/").status_code == 404


def test_secretariat_meeting_page_shows_read_counts_and_upload_form(council):
    meeting_id = create_meeting(council)
    material_id = upload_material(council, meeting_id).json()["id"]
    api(council.a).get(f"/api/v1/council/materials/{material_id}/pages/1/")
    html = browser(council.clerk).get(f"/council/meetings/{meeting_id}/").content.decode()
    assert "既読 1/3" in html
    assert 'id="council-upload"' in html
    status = browser(council.clerk).get(f"/council/materials/{material_id}/status/")
    assert "議員 び" in status.content.decode()
    assert browser(council.a).get(f"/council/materials/{material_id}/status/").status_code == 404


def test_reader_page_has_its_config_and_no_external_scripts(council):
    meeting_id = create_meeting(council)
    material_id = upload_material(council, meeting_id).json()["id"]
    response = browser(council.a).get(f"/council/materials/{material_id}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="reader-config"' in html
    assert "/static/council/reader.js" in html
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html
    assert browser(council.outsider).get(f"/council/materials/{material_id}/").status_code == 404


def test_service_worker_is_served_under_council(council):
    response = browser(council.a).get("/council/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")

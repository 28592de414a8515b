"""HTML pages: sign-in required, layout and navigation, placeholders, language, admin audit."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from audit.models import AuditEvent
from directory.models import OrgUnit, Position
from tests.factories import TEST_PASSWORD, OrgUnitFactory, make_person

pytestmark = pytest.mark.django_db

LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
PAGES = ["/", "/approval/", "/records/", "/chat/", "/council/"]


@pytest.fixture
def staff():
    return make_person("somu.staff", "総務 次郎", OrgUnitFactory(name="総務課"), "主任")


@pytest.fixture
def signed_in(client, staff):
    client.force_login(staff.user, backend=LOCAL_BACKEND)
    return client


@pytest.fixture
def superuser_client(client):
    admin = get_user_model().objects.create_superuser("breakglass", password=TEST_PASSWORD)
    client.force_login(admin, backend=LOCAL_BACKEND)
    return client


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_layout_has_landmarks_skip_link_and_japanese_lang(signed_in):
    html = signed_in.get("/").content.decode()

    assert '<html lang="ja">' in html
    assert '<a class="skip-link" href="#main">本文へ移動</a>' in html
    assert '<main id="main"' in html
    assert "<header" in html
    assert "<footer" in html
    assert '<nav class="site-nav" aria-label="メインメニュー">' in html
    assert "総務 次郎" in html
    assert "総務課" in html


def test_no_external_resources_are_loaded(signed_in):
    html = signed_in.get("/").content.decode() + signed_in.get("/accounts/login/").content.decode()

    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "/static/django_htmx/htmx-2.min.js" in html


@pytest.mark.parametrize("path", ["/static/css/kairan.css", "/static/django_htmx/htmx-2.min.js"])
def test_static_files_are_served_by_the_app(client, path):
    response = client.get(path)

    assert response.status_code == 200


def test_login_page_fields_have_bound_labels():
    html = Client().get("/accounts/login/").content.decode()

    assert '<label for="id_username">ユーザー名</label>' in html
    assert '<label for="id_password">パスワード</label>' in html
    assert 'id="id_username"' in html
    assert 'id="id_password"' in html
    assert 'autocomplete="current-password"' in html


def test_language_switch_to_english_and_back(signed_in):
    response = signed_in.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302

    html = signed_in.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to main content" in html
    assert re.search(r'value="en" lang="en" aria-pressed="true">English<', html)
    assert re.search(r'value="ja" lang="ja" aria-pressed="false">日本語<', html)

    signed_in.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    assert '<html lang="ja">' in signed_in.get("/").content.decode()


def test_audit_and_admin_links_only_for_those_allowed(signed_in, staff):
    html = signed_in.get("/").content.decode()
    assert 'href="/audit/"' not in html
    assert 'href="/admin/"' not in html

    staff.user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    staff.user.is_staff = True
    staff.user.save(update_fields=["is_staff"])

    html = signed_in.get("/").content.decode()
    assert 'href="/audit/"' in html
    assert 'href="/admin/"' in html


def test_audit_link_leads_to_the_auditor_page(signed_in, staff):
    staff.user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))

    response = signed_in.get("/audit/")

    assert response.status_code == 200
    assert 'href="/audit/" aria-current="page"' in response.content.decode()


def test_admin_change_is_audited_with_the_changed_fields(superuser_client):
    position = Position.objects.create(title="参事", rank=55)

    response = superuser_client.post(
        f"/admin/directory/position/{position.pk}/change/", {"title": "参事", "rank": 58}
    )

    assert response.status_code == 302
    position.refresh_from_db()
    assert position.rank == 58
    event = AuditEvent.objects.get(action="admin.position_changed")
    assert event.actor_username == "breakglass"
    assert event.target_type == "directory.position"
    assert event.target_id == str(position.pk)
    assert event.details == {"created": False, "fields": ["rank"]}


def test_admin_inline_post_changes_are_audited(superuser_client, staff):
    other = OrgUnitFactory(name="人事課")
    post = staff.assignments.get()
    data = {
        "user": staff.user.pk,
        "display_name": staff.display_name,
        "email": "",
        "employee_number": "",
        "kind": staff.kind,
        "is_active": "on",
        "assignments-TOTAL_FORMS": "2",
        "assignments-INITIAL_FORMS": "1",
        "assignments-MIN_NUM_FORMS": "0",
        "assignments-MAX_NUM_FORMS": "1000",
        "assignments-0-id": post.pk,
        "assignments-0-person": staff.pk,
        "assignments-0-unit": post.unit.pk,
        "assignments-0-position": post.position.pk,
        "assignments-0-is_primary": "on",
        "assignments-1-person": staff.pk,
        "assignments-1-unit": other.pk,
        "assignments-1-position": post.position.pk,
    }

    response = superuser_client.post(f"/admin/directory/person/{staff.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    concurrent = staff.assignments.get(unit=other)
    assert concurrent.is_primary is False
    event = AuditEvent.objects.get(action="admin.person_changed")
    assert event.details["inlines"]["assignment"]["added"] == [concurrent.pk]


def test_admin_delete_is_audited(superuser_client):
    position = Position.objects.create(title="嘱託", rank=0)

    response = superuser_client.post(
        f"/admin/directory/position/{position.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Position.objects.filter(pk=position.pk).exists()
    event = AuditEvent.objects.get(action="admin.position_deleted")
    assert event.target_id == str(position.pk)


def test_admin_org_unit_list_is_a_tree(superuser_client):
    somu = OrgUnitFactory(name="総務部", level=OrgUnit.Level.DEPARTMENT)
    OrgUnitFactory(name="人事課", level=OrgUnit.Level.DIVISION, parent=somu)
    kikaku = OrgUnitFactory(name="企画部", level=OrgUnit.Level.DEPARTMENT)
    OrgUnitFactory(name="企画課", level=OrgUnit.Level.DIVISION, parent=kikaku)

    html = superuser_client.get("/admin/directory/orgunit/").content.decode()

    order = [html.index(f">{name}</span>") for name in ("企画部", "企画課", "総務部", "人事課")]
    assert order == sorted(order)

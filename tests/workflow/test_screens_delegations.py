"""Delegation settings screen (/approval/delegations/): revoking a delegation from the page, with
the refusals of ``DELETE /api/v1/delegations/{id}/`` (404 stranger, 403 deputy, 409 revoked)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from directory import services as directory_services
from directory.models import Delegation
from directory.selectors import may_act_for

pytestmark = pytest.mark.django_db

PRINCIPAL, DEPUTY, STRANGER = "shimin_kacho", "shimin_hosa", "zeimu_staff"
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
PAGE = "/approval/delegations/"


@pytest.fixture
def as_(city):
    def client_for(username: str) -> Client:
        client = Client()
        user = get_user_model().objects.get(pk=city.p(username).user_id)
        client.force_login(user, backend=LOCAL_BACKEND)
        return client

    return client_for


def delegate(city, *, start_hours: int = -1, end_hours: int = 24) -> Delegation:
    now = timezone.now()
    return directory_services.delegation_create(
        actor=city.p(PRINCIPAL).user,
        deputy_username=DEPUTY,
        start_at=now + timedelta(hours=start_hours),
        end_at=now + timedelta(hours=end_hours),
    )


def revoke_url(delegation: Delegation) -> str:
    return f"{PAGE}{delegation.pk}/revoke/"


def given_section(html: str) -> str:
    return html[html.index('data-testid="given"') : html.index('data-testid="received"')]


def test_the_principal_sees_a_revoke_button_with_a_confirmation_step(as_, city):
    delegation = delegate(city)

    html = as_(PRINCIPAL).get(PAGE).content.decode()

    given = given_section(html)
    assert f'action="{revoke_url(delegation)}"' in given
    # The button sits inside a <details> that explains what revoking does: two deliberate steps.
    details = given[given.index('data-testid="revoke"') :]
    assert details.index("<summary>") < details.index('type="submit"')
    assert "代決できなくなります" in re.sub(r"<[^>]+>", "", details)


def test_revoking_from_the_page_ends_the_delegation_and_updates_the_list(as_, city):
    delegation = delegate(city)
    assert may_act_for(city.p(DEPUTY), city.p(PRINCIPAL))
    client = as_(PRINCIPAL)

    response = client.post(revoke_url(delegation))

    assert response.status_code == 302
    assert response["Location"] == PAGE
    delegation.refresh_from_db()
    assert delegation.is_revoked
    assert not may_act_for(city.p(DEPUTY), city.p(PRINCIPAL))
    assert AuditEvent.objects.filter(action="directory.delegation_revoked").count() == 1
    page = client.get(PAGE).content.decode()
    given = given_section(page)
    assert "取消済" in given
    assert revoke_url(delegation) not in given  # no button on a revoked delegation
    assert "代決の指定を取り消しました" in page


def test_an_upcoming_delegation_can_be_revoked_but_an_ended_one_has_no_button(as_, city):
    upcoming = delegate(city, start_hours=24, end_hours=48)
    ended = directory_services.delegation_create(
        actor=city.p(PRINCIPAL).user,
        deputy_username=DEPUTY,
        start_at=timezone.now() + timedelta(minutes=1),
        end_at=timezone.now() + timedelta(minutes=2),
    )
    Delegation.objects.filter(pk=ended.pk).update(
        start_at=timezone.now() - timedelta(days=2), end_at=timezone.now() - timedelta(days=1)
    )

    given = given_section(as_(PRINCIPAL).get(PAGE).content.decode())

    assert revoke_url(upcoming) in given
    assert revoke_url(ended) not in given


def test_the_deputy_sees_no_button_and_is_refused_with_403(as_, city):
    delegation = delegate(city)
    client = as_(DEPUTY)
    html = client.get(PAGE).content.decode()
    assert revoke_url(delegation) not in html

    response = client.post(revoke_url(delegation))

    assert response.status_code == 403
    assert 'data-testid="refusal"' in response.content.decode()
    delegation.refresh_from_db()
    assert not delegation.is_revoked


def test_a_stranger_gets_404_and_nothing_changes(as_, city):
    delegation = delegate(city)

    assert as_(STRANGER).post(revoke_url(delegation)).status_code == 404
    assert as_(PRINCIPAL).post(f"{PAGE}999999/revoke/").status_code == 404
    delegation.refresh_from_db()
    assert not delegation.is_revoked
    assert not AuditEvent.objects.filter(action="directory.delegation_revoked").exists()


def test_revoking_twice_is_a_409_page(as_, city):
    delegation = delegate(city)
    client = as_(PRINCIPAL)
    assert client.post(revoke_url(delegation)).status_code == 302

    response = client.post(revoke_url(delegation))

    assert response.status_code == 409
    assert 'role="alert"' in response.content.decode()
    assert AuditEvent.objects.filter(action="directory.delegation_revoked").count() == 1


def test_revoke_is_post_only(as_, city):
    delegation = delegate(city)

    assert as_(PRINCIPAL).get(revoke_url(delegation)).status_code == 405
    delegation.refresh_from_db()
    assert not delegation.is_revoked


def _form(deputy: str) -> dict:
    now = timezone.localtime()
    return {
        "deputy": deputy,
        "start": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "end": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
    }


def test_the_deputy_is_chosen_by_name(as_, city):
    hosa = city.p(DEPUTY)
    hosa.display_name = "近藤 一郎"
    hosa.save(update_fields=["display_name"])

    response = as_(PRINCIPAL).post(PAGE, _form("近藤"))

    assert response.status_code == 302, response.content.decode()[:500]
    assert Delegation.objects.get().deputy == hosa


def test_a_name_matching_several_people_asks_to_choose(as_, city):
    for username, name in ((DEPUTY, "近藤 一郎"), ("zaisei_hosa", "近藤 花子")):
        person = city.p(username)
        person.display_name = name
        person.save(update_fields=["display_name"])

    response = as_(PRINCIPAL).post(PAGE, _form("近藤"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "近藤 一郎" in page
    assert "近藤 花子" in page
    assert not Delegation.objects.exists()


def test_suggestions_come_from_the_whole_directory(as_, city):
    person = city.p("zeimu_staff")
    person.display_name = "近藤 三郎"
    person.save(update_fields=["display_name"])

    options = as_(PRINCIPAL).get("/approval/people/", {"deputy": "近藤"}).content.decode()

    assert 'value="zeimu_staff"' in options
    assert "近藤 三郎" in options
    assert as_(PRINCIPAL).get("/approval/people/", {"deputy": ""}).content.decode().strip() == ""

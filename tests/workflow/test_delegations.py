"""Delegations (代決) are directory data: created and revoked by ``directory.services``;
``POST delegations/`` and ``DELETE delegations/{id}/`` of the approval API call them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from audit.exceptions import Conflict, PermissionRefused
from audit.models import AuditEvent
from directory import services as directory_services
from directory.models import Delegation
from directory.selectors import may_act_for

pytestmark = pytest.mark.django_db

PRINCIPAL, DEPUTY, STRANGER = "shimin_kacho", "shimin_hosa", "zeimu_staff"
API = "/api/v1/"


@pytest.fixture
def as_(city):
    def client_for(username: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(get_user_model().objects.get(pk=city.p(username).user_id))
        return client

    return client_for


def delegated(as_) -> int:
    now = timezone.now()
    data = {
        "deputy": DEPUTY,
        "start": (now - timedelta(hours=1)).isoformat(),
        "end": (now + timedelta(days=1)).isoformat(),
    }
    response = as_(PRINCIPAL).post(f"{API}delegations/", data, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_the_principal_revokes_a_delegation_and_it_is_audited(as_, city):
    delegation_id = delegated(as_)
    assert may_act_for(city.p(DEPUTY), city.p(PRINCIPAL))

    response = as_(PRINCIPAL).delete(f"{API}delegations/{delegation_id}/")

    assert response.status_code == 204
    assert Delegation.objects.get(pk=delegation_id).is_revoked
    assert not may_act_for(city.p(DEPUTY), city.p(PRINCIPAL))
    event = AuditEvent.objects.get(action="directory.delegation_revoked")
    assert event.details["deputy"] == DEPUTY
    assert AuditEvent.objects.filter(action="directory.delegation_created").count() == 1


def test_revoke_refusals(as_):
    delegation_id = delegated(as_)
    url = f"{API}delegations/{delegation_id}/"

    assert as_(DEPUTY).delete(url).status_code == 403  # sees it, may not revoke it
    assert as_(STRANGER).delete(url).status_code == 404
    assert as_(PRINCIPAL).delete(f"{API}delegations/999999/").status_code == 404
    assert as_(PRINCIPAL).delete(url).status_code == 204
    assert as_(PRINCIPAL).delete(url).status_code == 409
    assert AuditEvent.objects.filter(action="directory.delegation_revoked").count() == 1


def test_directory_services_create_and_revoke(city):
    now = timezone.now()
    principal_user = city.p(PRINCIPAL).user
    delegation = directory_services.delegation_create(
        actor=principal_user,
        deputy_username=DEPUTY,
        start_at=now,
        end_at=now + timedelta(days=1),
    )
    with pytest.raises(PermissionRefused):
        directory_services.delegation_revoke(actor=city.p(DEPUTY).user, delegation=delegation)

    revoked = directory_services.delegation_revoke(actor=principal_user, delegation=delegation)

    assert revoked.is_revoked
    with pytest.raises(Conflict):
        directory_services.delegation_revoke(actor=principal_user, delegation=delegation)


def _period() -> dict:
    now = timezone.now()
    return {
        "start": (now - timedelta(hours=1)).isoformat(),
        "end": (now + timedelta(days=1)).isoformat(),
    }


@pytest.mark.parametrize("who", ["councilor", "breakglass", "inactive", "unknown"])
def test_only_active_staff_with_a_post_can_be_a_deputy(as_, city, who):
    from tests.factories import make_person

    if who == "councilor":
        # A local account without a post in the org chart (how councilors exist).
        make_person("giin.tanaka", "田中 議員", None)
        username = "giin.tanaka"
    elif who == "breakglass":
        admin = make_person("admin", "管理者", None)
        admin.user.is_superuser = admin.user.is_staff = True
        admin.user.save()
        username = "admin"
    elif who == "inactive":
        city.deactivate(DEPUTY)
        username = DEPUTY
    else:
        username = "nobody.here"

    response = as_(PRINCIPAL).post(
        f"{API}delegations/", {"deputy": username, **_period()}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "代決者" in response.json()["detail"]
    assert not Delegation.objects.exists()

"""Issue 9, probe 5: a refused access to a confidential record left no audit trace. Now the 404
for a confidential document or binder that exists records ``documents.access_denied`` (actor,
target, client address) — once per person and record per 10 minutes, so retries and probes do
not flood the log; nothing is recorded for ids that do not exist or records one may see."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from documents import services

pytestmark = pytest.mark.django_db
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
DENIED = "documents.access_denied"


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    # The process's own cache: its expiry follows time-machine's clock (Redis keeps real time).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


def _document(org, classification: str):
    return services.document_upload(
        actor=org.zaisei_staff.user,
        content=io.BytesIO("人事評価".encode()),
        name="a.txt",
        size_bytes=len("人事評価".encode()),
        title="人事評価",
        classification=classification,
    )


def api(person) -> APIClient:
    client = APIClient()
    client.force_authenticate(person.user)
    return client


def browser(person) -> Client:
    client = Client()
    client.force_login(person.user, backend=LOCAL_BACKEND)
    return client


def denials():
    return list(AuditEvent.objects.filter(action=DENIED).order_by("seq"))


def test_a_refused_confidential_document_is_audited_once_per_ten_minutes(org):
    document = _document(org, "confidential")
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        first = api(org.keiyaku_staff).get(f"/api/v1/documents/{document.pk}/")
        again = api(org.keiyaku_staff).get(f"/api/v1/documents/{document.pk}/download/")
        screen = browser(org.keiyaku_staff).get(f"/records/documents/{document.pk}/")
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        later = api(org.keiyaku_staff).get(f"/api/v1/documents/{document.pk}/")

    assert [first.status_code, again.status_code, screen.status_code, later.status_code] == [
        404
    ] * 4
    events = denials()
    assert len(events) == 2
    event = events[0]
    assert event.actor_username == org.keiyaku_staff.user.username
    assert event.target_type == "documents.document"
    assert event.target_id == str(document.pk)
    assert event.client_address == "127.0.0.1"


def test_each_person_and_each_record_is_counted_apart(org):
    one, two = _document(org, "confidential"), _document(org, "confidential")

    for person, document in [
        (org.keiyaku_staff, one),
        (org.keiyaku_staff, two),
        (org.keiyaku_kacho, one),
    ]:
        assert api(person).get(f"/api/v1/documents/{document.pk}/").status_code == 404

    assert {(e.actor_username, e.target_id) for e in denials()} == {
        (org.keiyaku_staff.user.username, str(one.pk)),
        (org.keiyaku_staff.user.username, str(two.pk)),
        (org.keiyaku_kacho.user.username, str(one.pk)),
    }


def test_missing_ids_and_permitted_reads_are_not_recorded(org):
    confidential = _document(org, "confidential")
    internal = _document(org, "internal")

    missing = api(org.keiyaku_staff).get(f"/api/v1/documents/{confidential.pk + 1000}/")
    allowed = api(org.keiyaku_staff).get(f"/api/v1/documents/{internal.pk}/")
    own_unit = api(org.zaisei_kacho).get(f"/api/v1/documents/{confidential.pk}/")

    assert (missing.status_code, allowed.status_code, own_unit.status_code) == (404, 200, 200)
    assert denials() == []


def test_a_refused_confidential_binder_is_audited(org):
    binder = services.binder_create(
        actor=org.zaisei_staff.user,
        unit=org.zaisei,
        title="人事",
        fiscal_year=2026,
        retention_years=5,
        classification="confidential",
    )

    response = api(org.keiyaku_staff).get(f"/api/v1/binders/{binder.pk}/")

    assert response.status_code == 404
    [event] = denials()
    assert (event.target_type, event.target_id) == ("documents.binder", str(binder.pk))

"""Who sees what: public, internal (staff), confidential (unit, route, auditors); 404 otherwise.
Every view and download of a confidential document is audited."""

from __future__ import annotations

import io

import pytest

from audit.models import AuditEvent
from documents import hooks, selectors, services
from tests.documents.conftest import client_for, make_pdf

pytestmark = pytest.mark.django_db


def _document(org, classification: str):
    data = make_pdf(["人事記録"])
    return services.document_upload(
        actor=org.zaisei_staff.user,
        content=io.BytesIO(data),
        name="jinji.pdf",
        size_bytes=len(data),
        title="人事評価",
        classification=classification,
    )


def test_confidential_is_404_to_an_outsider(org):
    document = _document(org, "confidential")
    outsider = client_for(org.keiyaku_staff)

    assert outsider.get(f"/api/v1/documents/{document.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/documents/{document.pk}/download/").status_code == 404
    assert not AuditEvent.objects.filter(action__in=["documents.viewed", "documents.downloaded"])
    assert document not in selectors.document_list_visible(user=org.keiyaku_staff.user)


@pytest.mark.parametrize("who", ["zaisei_kacho", "zaisei_kakaricho", "zaisei_staff"])
def test_confidential_is_visible_to_the_division_and_its_sections(org, who):
    document = _document(org, "confidential")

    response = client_for(getattr(org, who)).get(f"/api/v1/documents/{document.pk}/")

    assert response.status_code == 200
    assert response.json()["classification"] == "confidential"


def test_the_head_of_the_department_above_does_not_see_a_divisions_confidential(org):
    # "Its unit and sub-units": the 部 above the 課 is neither.
    document = _document(org, "confidential")

    assert client_for(org.bucho).get(f"/api/v1/documents/{document.pk}/").status_code == 404


def test_auditor_sees_confidential_and_views_and_downloads_are_audited(org, auditor):
    document = _document(org, "confidential")
    client = client_for(auditor)

    view = client.get(f"/api/v1/documents/{document.pk}/")
    download = client.get(f"/api/v1/documents/{document.pk}/download/")

    assert view.status_code == 200
    assert download.status_code == 200
    viewed = AuditEvent.objects.get(action="documents.viewed")
    downloaded = AuditEvent.objects.get(action="documents.downloaded")
    assert viewed.actor_username == downloaded.actor_username == "auditor"
    assert viewed.target_id == downloaded.target_id == str(document.pk)
    assert downloaded.details["version"] == 1


def test_members_views_of_confidential_are_audited_too_but_not_internal_ones(org):
    confidential = _document(org, "confidential")
    internal = _document(org, "internal")
    client = client_for(org.zaisei_kacho)

    client.get(f"/api/v1/documents/{confidential.pk}/")
    client.get(f"/api/v1/documents/{internal.pk}/")

    assert AuditEvent.objects.filter(action="documents.viewed").count() == 1


def test_internal_is_for_staff_not_councilors(org, councilor):
    document = _document(org, "internal")

    assert client_for(org.keiyaku_staff).get(f"/api/v1/documents/{document.pk}/").status_code == 200
    assert client_for(councilor).get(f"/api/v1/documents/{document.pk}/").status_code == 404


def test_public_is_for_everyone_signed_in(org, councilor):
    document = _document(org, "public")

    assert client_for(councilor).get(f"/api/v1/documents/{document.pk}/").status_code == 200


def test_people_on_a_related_route_see_confidential_through_the_hook(org):
    document = _document(org, "confidential")
    outsider = org.keiyaku_kacho
    hooks.register(route=lambda person: {document.pk} if person == outsider else set())

    assert client_for(outsider).get(f"/api/v1/documents/{document.pk}/").status_code == 200
    assert client_for(org.keiyaku_staff).get(f"/api/v1/documents/{document.pk}/").status_code == (
        404
    )


def test_visible_list_query_count_does_not_grow_with_documents(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count_queries() -> int:
        user = type(org.zaisei_staff.user).objects.get(pk=org.zaisei_staff.user_id)  # no caches
        with CaptureQueriesContext(connection) as context:
            list(selectors.document_list_visible(user=user))
        return len(context)

    _document(org, "confidential")
    few = count_queries()
    for _ in range(5):
        _document(org, "confidential")

    assert count_queries() == few <= 8

"""The council operations in the OpenAPI schema: their request bodies and answers are documented
(drf-spectacular), so schema-driven tests (tests/test_schemathesis.py) check their real shapes."""

from __future__ import annotations

import json

import pytest

from tests.council.conftest import client_for

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1/council/"


@pytest.fixture
def schema(council) -> dict:
    response = client_for(council.clerk).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _ref(content: dict) -> str:
    schema = next(iter(content.values()))["schema"]
    if "items" in schema:
        schema = schema["items"]
    return schema["$ref"].rsplit("/", 1)[-1]


def test_every_council_operation_documents_its_answer(schema):
    operations = 0
    for path, item in schema["paths"].items():
        if not path.startswith(PREFIX):
            continue
        for method, operation in item.items():
            if method not in {"get", "post", "put", "delete"}:
                continue
            operations += 1
            success = {c: r for c, r in operation["responses"].items() if c.startswith("2")}
            assert success, f"{method} {path}"
            for code, response in success.items():
                if code == "204":
                    continue
                assert response.get("content"), f"{method} {path} {code} has no body"
            if method in {"post", "put"} and not path.endswith("/move/"):
                assert "requestBody" in operation, f"{method} {path}"
    assert operations >= 20


def test_council_shapes(schema):
    paths, components = schema["paths"], schema["components"]["schemas"]
    upload = paths[f"{PREFIX}materials/"]["post"]
    multipart = upload["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    fields = components[multipart.rsplit("/", 1)[-1]]["properties"]
    assert fields["file"]["format"] == "binary"
    assert {"meeting", "title", "publish_at", "audience"} <= set(fields)
    assert _ref(upload["responses"]["201"]["content"]) == "CouncilMaterialCreated"

    page = paths[f"{PREFIX}materials/{{material_id}}/pages/{{number}}/"]["get"]
    assert set(page["responses"]["200"]["content"]) == {"image/webp"}
    assert {p["name"] for p in page["parameters"]} >= {"size"}

    annotation = paths[f"{PREFIX}materials/{{material_id}}/pages/{{number}}/annotation/"]["put"]
    assert _ref(annotation["requestBody"]["content"]) == "CouncilAnnotationInput"
    assert _ref(annotation["responses"]["409"]["content"]) == "CouncilAnnotationConflict"
    stroke = components["CouncilStroke"]["properties"]
    assert "points" in stroke

    detail = paths[f"{PREFIX}meetings/{{meeting_id}}/"]["get"]
    detail_ref = _ref(detail["responses"]["200"]["content"])
    assert {"agenda", "materials", "session"} <= set(components[detail_ref]["properties"])
    material = components["CouncilMaterial"]
    assert "rendered" not in material.get("required", [])  # secretariat only
    assert "audience" in material["required"]
    sessions = paths[f"{PREFIX}sessions/"]
    assert _ref(sessions["get"]["responses"]["200"]["content"]) == "CouncilSession"
    assert _ref(paths[f"{PREFIX}agenda/{{item_id}}/"]["put"]["requestBody"]["content"]) == (
        "CouncilAgendaItemInput"
    )

"""The OpenAPI schema's house rules (drf-spectacular): component names and the error answers.

* Component names: our API views nest their serializers (``BinderCloseApi.Input``), and
  drf-spectacular would name every one of them ``Input``; components with one name and different
  bodies silently document the wrong request. A nested serializer is named after its view
  (``BinderCloseInput``) unless it carries ``@extend_schema_serializer(component_name=...)``.
* Errors: every operation may answer with the errors of ``config.exceptions`` — one shape,
  ``{"detail": str, "errors"?: {field: [messages]}}`` — so a postprocessing hook documents them
  once for all operations instead of each view repeating them.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

ERROR_COMPONENT = "Error"

# Status → what it means here (CONTRACT: 404 is also "not visible to you").
ERROR_RESPONSES: dict[str, str] = {
    "400": "Bad input: a field is missing, malformed or out of range (errors names the fields).",
    "401": "Not signed in, or the token is unknown or expired.",
    "403": "Signed in but not allowed to do this.",
    "404": "Not found, or not visible to you.",
    "409": "State conflict: the object is no longer in a state that allows this.",
    "413": "The request body or uploaded file is larger than the configured limit.",
    "429": "Too many attempts: sign-in is locked for this username for a while.",
    "503": "A service the answer needs (database, storage, directory) is unavailable.",
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error answer of the API.",
    "properties": {
        "detail": {"type": "string", "description": "A message for a person."},
        "errors": {
            "type": "object",
            "description": "Bad input only: the messages per field.",
            "additionalProperties": True,
        },
    },
    "required": ["detail"],
}


class KairanAutoSchema(AutoSchema):
    """AutoSchema that names nested serializers after their view (see the module docstring)."""

    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        qualname = type(serializer).__qualname__
        if "." not in qualname:
            return super().get_serializer_name(serializer, direction)
        *outer, inner = qualname.split(".")
        view = outer[-1].removesuffix("Api")
        return f"{view}{inner}"


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool):
    """Postprocessing hook: the error component, referenced by every operation's 4xx/503."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = ERROR_SCHEMA
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "put", "post", "patch", "delete", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result

"""System checks of the records app (``manage.py check``, and every server start)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def search_needs_client_side_binding(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The PostgreSQL search sends its planner setting, the search and the reset as one message
    (documents/search/engine_postgres.py), which only client-side parameter binding allows —
    Django's default for psycopg 3. Server-side binding would make every search fail."""
    return binding_errors(settings.DATABASES)


def binding_errors(databases: dict[str, dict[str, Any]]) -> list[Error]:
    """``documents.E001`` for each PostgreSQL database of ``databases`` that binds server-side."""
    errors = []
    for alias, database in databases.items():
        if database.get("ENGINE") != "django.db.backends.postgresql":
            continue
        if database.get("OPTIONS", {}).get("server_side_binding"):
            errors.append(
                Error(
                    f"Database '{alias}' sets OPTIONS['server_side_binding']; the records "
                    "search needs client-side binding (Django's default).",
                    hint="Remove server_side_binding from the database OPTIONS.",
                    id="documents.E001",
                )
            )
    return errors

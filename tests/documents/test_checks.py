"""The records app's system check: the PostgreSQL search needs client-side binding."""

from __future__ import annotations

from django.core.checks import run_checks
from django.core.checks.registry import registry

from documents.checks import binding_errors, search_needs_client_side_binding

PG = {"ENGINE": "django.db.backends.postgresql", "NAME": "kairan"}


def test_server_side_binding_on_postgresql_is_an_error():
    errors = binding_errors({"default": {**PG, "OPTIONS": {"server_side_binding": True}}})
    assert [e.id for e in errors] == ["documents.E001"]
    assert "default" in errors[0].msg


def test_the_default_settings_pass():
    for databases in (
        {"default": {**PG, "OPTIONS": {"pool": {"max_size": 10}}}},
        {"default": {**PG}},
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    ):
        assert binding_errors(databases) == []


def test_the_check_is_registered_and_passes_on_this_run():
    assert search_needs_client_side_binding in registry.get_checks()
    assert not [e for e in run_checks() if e.id == "documents.E001"]

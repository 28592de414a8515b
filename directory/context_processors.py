"""Puts the signed-in person's name, unit and position into every template (the header)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from directory.selectors import person_for_user, person_primary_post


def current_person(request: HttpRequest) -> dict[str, Any]:
    person = person_for_user(getattr(request, "user", None))
    post = person_primary_post(person) if person else None
    return {"current_person": person, "current_post": post}

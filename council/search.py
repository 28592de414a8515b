"""The council kind of the documents search engine: a material's title and page texts.

Visibility is the selector's queryset, evaluated in the search's own SQL at query time, so a
material before its ``publish_at`` is never a hit for a councilor (the embargo holds in search).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _

KIND = "council_material"


def _text(material: Any) -> str:
    from council.models import MaterialPage

    pages = MaterialPage.objects.filter(version_id=material.current_version_id).order_by("number")
    return "\n".join(page.text for page in pages if page.text)


def entry(material: Any):
    from documents.search import IndexEntry

    return IndexEntry(
        kind=KIND,
        object_id=material.pk,
        title=material.title,
        text=_text(material),
        owner_unit_id=None,
        classification="internal",
    )


def index_material(material: Any) -> None:
    from documents.search import index_upsert

    item = entry(material)
    index_upsert(
        kind=item.kind,
        object_id=item.object_id,
        title=item.title,
        text=item.text,
        owner_unit_id=None,
        classification=item.classification,
    )


def index_material_id(material_id: int) -> None:
    """``index_material`` by id, in its own transaction (for a background thread)."""
    from django.db import transaction

    from council.models import Material

    with transaction.atomic():
        material = Material.objects.filter(pk=material_id).first()
        if material is not None:
            index_material(material)


def _visible(user: Any):
    from council.selectors import material_list_visible
    from documents.search import Visible

    return Visible(ids=material_list_visible(user=user))


def _walk() -> Iterator[Any]:
    from council.models import Material

    for material in Material.objects.filter(current_version__isnull=False).order_by("pk"):
        yield entry(material)


def _url(pk: int) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("council:reader", args=[pk])
    except NoReverseMatch:
        return None


def register() -> None:
    from documents.search.kinds import SearchKind, register_kind

    register_kind(
        SearchKind(
            name=KIND, label=_("Council material"), visible_for=_visible, walk=_walk, url_for=_url
        )
    )

"""Every read of the council module, with its visibility (invisible is 404, like missing).

* Secretariat: every meeting and material (published or not).
* Councilors: plenary meetings and the meetings of their committees; a material only from its
  ``publish_at`` on and only for its audience (``all``, or ``committee`` when they are a member).
  Before ``publish_at`` it does not exist for them: not in lists, not by id, not its pages.
* Named executives (audience ``people``: directory staff named as readers, e.g. 市長, 部長): a
  material addressed to them, from its ``publish_at`` on, and the meetings of those materials —
  nothing else, and nothing before ``publish_at``.
* Annotations: the owner's only — nobody else, the secretariat and administrators included.
* Everyone else: nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from audit.exceptions import NotFound
from council import permissions
from council.models import (
    AgendaItem,
    Annotation,
    Councilor,
    CouncilSession,
    Material,
    MaterialPage,
    MaterialVersion,
    Meeting,
    PageView,
)
from directory.models import Person


def _not_found() -> NotFound:
    from django.utils.translation import gettext as _

    return NotFound(_("Not found."))


def meeting_list_visible(*, user: Any) -> QuerySet[Meeting]:
    """Meetings ``user`` may see (see the module docstring)."""
    meetings = Meeting.objects.select_related("committee", "session")
    if permissions.is_secretariat(user):
        return meetings
    councilor = permissions.councilor_for(user)
    if councilor is None:
        person_id = permissions.named_reader_id(user)
        if person_id is None:
            return meetings.none()
        return meetings.filter(
            pk__in=_named_materials(person_id, timezone.now()).values("meeting_id")
        )
    return meetings.filter(
        Q(committee__isnull=True) | Q(committee__in=councilor.committees.all())
    ).distinct()


def _named_materials(person_id: int, now: Any) -> QuerySet[Material]:
    """Materials published (by ``now``) to the named executive ``person_id``."""
    return Material.objects.filter(
        audience=Material.Audience.PEOPLE,
        readers=person_id,
        publish_at__lte=now,
        current_version__isnull=False,
    )


def meeting_get(*, user: Any, meeting_id: int) -> Meeting:
    meeting = meeting_list_visible(user=user).filter(pk=meeting_id).first()
    if meeting is None:
        raise _not_found()
    return meeting


def session_list_visible(*, user: Any) -> QuerySet[CouncilSession]:
    """Sessions: every one for the secretariat; for others those holding a meeting they see."""
    sessions = CouncilSession.objects.all()
    if permissions.is_secretariat(user):
        return sessions
    return sessions.filter(
        pk__in=meeting_list_visible(user=user).exclude(session=None).values("session_id")
    )


def session_get(*, user: Any, session_id: int) -> CouncilSession:
    session = session_list_visible(user=user).filter(pk=session_id).first()
    if session is None:
        raise _not_found()
    return session


def agenda_item_get(*, user: Any, item_id: int) -> AgendaItem:
    """An agenda item of a meeting ``user`` may see (404 otherwise)."""
    item = (
        AgendaItem.objects.select_related("meeting")
        .filter(pk=item_id, meeting__in=meeting_list_visible(user=user).values("pk"))
        .first()
    )
    if item is None:
        raise _not_found()
    return item


def material_list_visible(*, user: Any, at: Any = None) -> QuerySet[Material]:
    """Materials ``user`` may see now (or at ``at``): published ones of their audience."""
    materials = Material.objects.select_related("committee", "current_version", "meeting")
    if permissions.is_secretariat(user):
        return materials
    councilor = permissions.councilor_for(user)
    now = at or timezone.now()
    if councilor is None:
        person_id = permissions.named_reader_id(user)
        if person_id is None:
            return materials.none()
        return materials.filter(pk__in=_named_materials(person_id, now).values("pk"))
    committees = councilor.committees.all()
    return materials.filter(
        Q(meeting__committee__isnull=True) | Q(meeting__committee__in=committees),
        Q(audience=Material.Audience.ALL)
        | Q(audience=Material.Audience.COMMITTEE, committee__in=committees),
        publish_at__lte=now,
        current_version__isnull=False,
    ).distinct()


def material_get(*, user: Any, material_id: int) -> Material:
    material = material_list_visible(user=user).filter(pk=material_id).first()
    if material is None:
        raise _not_found()
    return material


def meeting_materials(*, user: Any, meeting: Meeting) -> QuerySet[Material]:
    return material_list_visible(user=user).filter(meeting=meeting)


def version_get(*, material: Material, number: int | None = None) -> MaterialVersion:
    if number is None:
        if material.current_version is None:
            raise _not_found()
        return material.current_version
    version = material.versions.filter(number=number).first()
    if version is None:
        raise _not_found()
    return version


def page_check(version: MaterialVersion, number: int) -> None:
    if not 1 <= number <= version.page_count:
        raise _not_found()


def material_search(*, material: Material, q: str, limit: int = 100) -> list[dict]:
    """Pages of the material's current version whose text contains ``q`` (NFKC, exact)."""
    from council.files import normalize

    term = normalize(q)
    if len(term) < 2:
        from django.utils.translation import gettext as _

        from audit.exceptions import ValidationFailed

        raise ValidationFailed(_("Enter at least 2 characters to search."))
    pages = MaterialPage.objects.filter(
        version_id=material.current_version_id, text__contains=term
    ).order_by("number")[:limit]
    return [
        {"material": material.pk, "page": page.number, "snippet": _snippet(page.text, term)}
        for page in pages
    ]


def meeting_search(*, user: Any, meeting: Meeting, q: str, limit: int = 200) -> list[dict]:
    """Pages of the meeting's visible materials containing ``q``."""
    hits: list[dict] = []
    for material in meeting_materials(user=user, meeting=meeting):
        for hit in material_search(material=material, q=q, limit=limit):
            hits.append({**hit, "title": material.title})
            if len(hits) >= limit:
                return hits
    return hits


def _snippet(text: str, term: str, width: int = 40) -> str:
    at = text.find(term)
    start = max(0, at - width)
    return text[start : at + len(term) + width]


# --- annotations: the owner's only ------------------------------------------------------------


def annotation_get_mine(*, user: Any, material: Material, page: int) -> Annotation:
    annotation = Annotation.objects.filter(
        owner=user, version_id=material.current_version_id, page=page
    ).first()
    if annotation is None:
        raise _not_found()
    return annotation


def annotations_mine(*, user: Any, material: Material | None = None) -> QuerySet[Annotation]:
    """Every annotation ``user`` owns (of one material, current version and unplaced ones)."""
    annotations = Annotation.objects.filter(owner=user).select_related("material", "version")
    if material is not None:
        annotations = annotations.filter(version_id=material.current_version_id)
    return annotations


# --- read tracking (secretariat) --------------------------------------------------------------


def audience_people(material: Material) -> list[Person]:
    """Everyone the material is for (notifications, 既読): its councilors, or its named
    executives (active ones)."""
    if material.audience == Material.Audience.PEOPLE:
        return list(
            material.readers.filter(is_active=True)
            .select_related("user")
            .order_by("display_name", "pk")
        )
    return [c.person for c in audience_councilors(material)]


def audience_councilors(material: Material) -> QuerySet[Councilor]:
    councilors = Councilor.objects.filter(is_active=True, person__is_active=True).select_related(
        "person__user"
    )
    if material.meeting.committee_id:
        councilors = councilors.filter(committees=material.meeting.committee_id)
    if material.audience == Material.Audience.COMMITTEE:
        councilors = councilors.filter(committees=material.committee_id)
    elif material.audience in (Material.Audience.SECRETARIAT, Material.Audience.PEOPLE):
        return councilors.none()
    return councilors.distinct()


def read_status(*, material: Material) -> dict:
    """既読: how many of the audience opened any page, and who has not."""
    audience = audience_people(material)
    readers = set(
        PageView.objects.filter(material=material).values_list("user_id", flat=True).distinct()
    )
    unread = [p for p in audience if p.user_id not in readers]
    return {
        "read": len(audience) - len(unread),
        "total": len(audience),
        "unread": [p.username for p in unread],
        "unread_names": [p.display_name for p in unread],
    }


def read_counts(materials: list[Material]) -> dict[int, int]:
    rows = (
        PageView.objects.filter(material__in=materials)
        .values("material_id")
        .annotate(n=Count("user_id", distinct=True))
    )
    return {row["material_id"]: row["n"] for row in rows}


def has_read(*, user: Any, material: Material) -> bool:
    return PageView.objects.filter(material=material, user=user).exists()

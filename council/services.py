"""Every write of the council module: councilors, meetings, materials and 差し替え, read
tracking, annotations and the presenter's page turns.

Keyword-only; permission first, then validation, the change and its audit event in one
transaction (``atomic_service``). Realtime events are stored first and published on commit.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from audit import services as audit
from audit.exceptions import Conflict, PermissionRefused, ValidationFailed
from audit.transactions import atomic_service, enqueue_with_change
from audit.validators import DATE_MAX, DATE_MIN, date_range_message
from council import annotations as annotation_rules
from council import carry, files, permissions
from council.agenda import (  # noqa: F401  (re-exported)
    agenda_item_add,
    agenda_item_delete,
    agenda_item_move,
    agenda_item_update,
    meeting_set_session,
    session_create,
    session_named,
)
from council.councilors import councilor_upsert, totp_reset  # noqa: F401  (re-exported)
from council.models import (
    AgendaItem,
    Annotation,
    Committee,
    Material,
    MaterialPage,
    MaterialVersion,
    Meeting,
    PageView,
)
from directory.models import Person
from documents import validation
from documents.rendering import (
    ConversionFailed,
    ConversionUnavailable,
    PreviewError,
    conversion_available,
    docx_to_pdf,
)

logger = logging.getLogger(__name__)

TITLE_MAX = 200
ACCEPTED = (validation.PDF, validation.DOCX)


# --- meetings ----------------------------------------------------------------------------------


def _clean_title(title: Any) -> str:
    text = " ".join(str(title or "").split())
    if not text:
        raise ValidationFailed(_("A title is required."))
    if len(text) > TITLE_MAX:
        raise ValidationFailed(_("The title is too long (at most 200 characters)."))
    return text


def _clean_datetime(value: Any, field: str) -> datetime:
    parsed: datetime | None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = parse_datetime(str(value or "").strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationFailed(
            _("%(field)s must be a date and time (ISO 8601).") % {"field": field}
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    # A council date is of this era: far ones are typing slips (and before 1888 Tokyo's offset
    # has seconds, which no ISO 8601 reader accepts back).
    if not DATE_MIN <= parsed.date() <= DATE_MAX:
        raise ValidationFailed(f"{field}: {date_range_message()}")
    return parsed


def _committee_named(name: Any) -> Committee:
    committee = Committee.objects.filter(name=str(name or "").strip()).first()
    if committee is None:
        raise ValidationFailed(_("There is no committee of that name."))
    return committee


@atomic_service
def meeting_create(
    *,
    actor: Any,
    title: Any,
    starts_at: Any,
    committee: Any = None,
    session: Any = None,
    request: Any = None,
) -> Meeting:
    """A plenary meeting, or a committee meeting when ``committee`` (a name) is given; in the
    session ``session`` (an id) when given.

    Raises PermissionRefused (403) for anyone but the secretariat, ValidationFailed (400).
    """
    if not permissions.can_manage(actor):
        raise PermissionRefused(_("Only the council secretariat may create meetings."))
    meeting = Meeting.objects.create(
        title=_clean_title(title),
        starts_at=_clean_datetime(starts_at, "starts_at"),
        committee=_committee_named(committee) if committee else None,
        session=session_named(session),
        created_by=actor,
    )
    audit.record(
        action="council.meeting_created",
        actor=actor,
        target=meeting,
        details={
            "title": meeting.title,
            "committee": committee or None,
            "session": meeting.session_id,
        },
        request=request,
    )
    return meeting


# --- materials ---------------------------------------------------------------------------------


PERSON_PREFIX = "person:"
MAX_NAMED_READERS = 100


def parse_audience(value: Any) -> tuple[str, Committee | None, list[Person]]:
    """``all``, ``secretariat``, ``committee:<name>`` or named executives
    ``person:<username>[,person:<username>…]`` (directory staff; 400 otherwise).

    Returns (audience kind, committee, named readers).
    """
    text = str(value or "all").strip()
    if text in (Material.Audience.ALL, Material.Audience.SECRETARIAT):
        return text, None, []
    if text.startswith("committee:"):
        return Material.Audience.COMMITTEE, _committee_named(text.split(":", 1)[1]), []
    if text.startswith(PERSON_PREFIX):
        return Material.Audience.PEOPLE, None, _named_readers(text)
    raise ValidationFailed(
        _("The audience must be all, committee:<name>, secretariat or person:<username>.")
    )


def _named_readers(text: str) -> list[Person]:
    names: list[str] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.startswith(PERSON_PREFIX) or not part[len(PERSON_PREFIX) :].strip():
            raise ValidationFailed(
                _("Name each executive as person:<username>, separated by commas.")
            )
        name = part[len(PERSON_PREFIX) :].strip()
        if name not in names:
            names.append(name)
    if not names or len(names) > MAX_NAMED_READERS:
        raise ValidationFailed(_("Name between 1 and 100 executives."))
    people = {
        p.user.get_username(): p
        for p in Person.objects.filter(
            user__username__in=names, kind=Person.Kind.STAFF, is_active=True
        ).select_related("user")
    }
    missing = [name for name in names if name not in people]
    if missing:
        raise ValidationFailed(
            _("No member of staff with the user name %(names)s.") % {"names": ", ".join(missing)}
        )
    return [people[name] for name in names]


def _prepare_file(*, content: IO[bytes], name: str | None, size_bytes: int) -> dict:
    """Validate with the records' upload checks; a DOCX is converted to PDF. Stores both."""
    checked = validation.check_upload(name=name, content=content, size_bytes=size_bytes)
    if checked.content_type not in ACCEPTED:
        raise ValidationFailed(_("Materials must be PDF or Word (DOCX) files."))
    data = files.read_upload(content)
    pdf = data
    if checked.content_type == validation.DOCX:
        if not conversion_available():
            raise ValidationFailed(
                _("Word files cannot be converted on this server; please upload a PDF.")
            )
        try:
            pdf = docx_to_pdf(data)
        except (ConversionUnavailable, ConversionFailed) as exc:
            raise ValidationFailed(str(exc)) from exc
    try:
        facts = files.pdf_facts(pdf)
    except PreviewError as exc:
        raise ValidationFailed(str(exc)) from exc
    sha256, key = files.store(data)
    pdf_sha256, pdf_key = (sha256, key) if pdf is data else files.store(pdf)
    return {
        "checked": checked,
        "sha256": sha256,
        "key": key,
        "pdf_sha256": pdf_sha256,
        "pdf_key": pdf_key,
        "facts": facts,
        "pdf": pdf,
    }


def _version_create(
    *, material: Material, number: int, prepared: dict, actor: Any
) -> MaterialVersion:
    checked, facts = prepared["checked"], prepared["facts"]
    version = MaterialVersion.objects.create(
        material=material,
        number=number,
        sha256=prepared["sha256"],
        pdf_sha256=prepared["pdf_sha256"],
        storage_key=prepared["key"],
        pdf_storage_key=prepared["pdf_key"],
        original_name=checked.name,
        content_type=checked.content_type,
        size_bytes=checked.size_bytes,
        page_count=facts.page_count,
        outline=facts.outline,
        uploaded_by=actor,
    )
    MaterialPage.objects.bulk_create(
        MaterialPage(version=version, number=i, text=text, text_digest=files.text_digest(text))
        for i, text in enumerate(facts.texts, start=1)
    )
    return version


def _index(material: Material) -> None:
    """Keep the search index in step: in the transaction, or with ``COUNCIL_BACKGROUND_WRITES``
    after the commit on the background thread (indexing 300 pages takes seconds; the index never
    decides visibility — the selector does — so a late entry only delays a hit)."""
    from council import background
    from council.search import index_material

    if background.mode() == "thread":
        material_id = material.pk
        version = material.current_version
        sha256 = version.pdf_sha256 if version else ""
        transaction.on_commit(
            lambda: background.run_later(_index_after_first_page, material_id, sha256)
        )
    else:
        index_material(material)


def _index_after_first_page(material_id: int, sha256: str) -> None:
    """Index once the first page is rendered (bounded wait): indexing is pure Python and would
    otherwise slow the first page a councilor is waiting for."""
    import time

    from council.rendering import rendered_count
    from council.search import index_material_id

    deadline = time.monotonic() + 10
    while sha256 and time.monotonic() < deadline and not rendered_count(sha256=sha256, pages=1):
        time.sleep(0.05)
    index_material_id(material_id)


def material_upload(
    *,
    actor: Any,
    meeting: Meeting,
    title: Any,
    content: IO[bytes],
    name: str | None,
    size_bytes: int,
    publish_at: Any,
    audience: Any = "all",
    agenda_item: AgendaItem | None = None,
    request: Any = None,
) -> Material:
    """A new material with version 1, published to ``audience`` at ``publish_at``.

    Secretariat only (403); 413 over the size limit; 400 for a bad file, title, time or audience.
    Pages are pre-rendered in the background after the commit.
    """
    if not permissions.can_manage(actor):
        raise PermissionRefused(_("Only the council secretariat may upload materials."))
    clean_title = _clean_title(title)
    when = _clean_datetime(publish_at, "publish_at")
    kind, committee, readers = parse_audience(audience)
    if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
        raise ValidationFailed(_("The agenda item belongs to another meeting."))
    prepared = _prepare_file(content=content, name=name, size_bytes=size_bytes)
    return _material_create(
        actor=actor,
        meeting=meeting,
        title=clean_title,
        when=when,
        kind=kind,
        committee=committee,
        readers=readers,
        agenda_item=agenda_item,
        prepared=prepared,
        request=request,
    )


@atomic_service
def _material_create(
    *, actor, meeting, title, when, kind, committee, readers, agenda_item, prepared, request
) -> Material:
    material = Material.objects.create(
        meeting=meeting,
        agenda_item=agenda_item,
        title=title,
        audience=kind,
        committee=committee,
        publish_at=when,
        created_by=actor,
    )
    if readers:
        material.readers.set(readers)
    version = _version_create(material=material, number=1, prepared=prepared, actor=actor)
    material.current_version = version
    material.save(update_fields=["current_version"])
    audit.record(
        action="council.material_uploaded",
        actor=actor,
        target=material,
        request=request,
        details={
            "title": title,
            "meeting": meeting.pk,
            "audience": material.audience_label,
            "publish_at": when.isoformat(),
            "sha256": version.sha256,
            "pages": version.page_count,
        },
    )
    _index(material)
    _prerender_on_commit(version)
    return material


def _prerender_on_commit(version: MaterialVersion) -> None:
    """Queue the pre-rendering job with the upload (a job row in this transaction on external
    workers; right after the commit in-process), unless ``KAIRAN_COUNCIL_PRERENDER=off``."""
    from council import rendering
    from council.tasks import prerender_version

    if rendering.background_mode() != "off":
        enqueue_with_change(prerender_version, version.pk)


def material_replace(
    *,
    actor: Any,
    material: Material,
    content: IO[bytes],
    name: str | None,
    size_bytes: int,
    request: Any = None,
) -> MaterialVersion:
    """差し替え: a new version; changed pages flagged; every annotation carried to the matching
    page of the new version (or kept as unplaced); the audience is notified when published."""
    if not permissions.can_manage(actor):
        raise PermissionRefused(_("Only the council secretariat may replace materials."))
    prepared = _prepare_file(content=content, name=name, size_bytes=size_bytes)
    return _material_replace(actor=actor, material=material, prepared=prepared, request=request)


@atomic_service
def _material_replace(*, actor, material, prepared, request) -> MaterialVersion:
    material = (
        Material.objects.select_for_update(of=("self",), no_key=True)
        .select_related("meeting", "committee")
        .get(pk=material.pk)
    )
    old = material.current_version
    number = material.versions.count() + 1
    version = _version_create(material=material, number=number, prepared=prepared, actor=actor)
    old_pdf = files.load(key=old.pdf_storage_key, sha256=old.pdf_sha256)
    result = carry.compare_and_carry(old=old, new=version, old_pdf=old_pdf, new_pdf=prepared["pdf"])
    version.changed_pages = result.changed_pages
    version.save(update_fields=["changed_pages"])
    material.current_version = version
    material.save(update_fields=["current_version"])
    audit.record(
        action="council.material_replaced",
        actor=actor,
        target=material,
        request=request,
        details={
            "version": number,
            "sha256": version.sha256,
            "pages": version.page_count,
            "changed_pages": result.changed_pages,
            "annotations_carried": result.carried,
            "annotations_unplaced": result.unplaced,
        },
    )
    _index(material)
    if material.publish_at <= timezone.now():
        _notify(material, replaced=True)
    _prerender_on_commit(version)
    return version


def _notify(material: Material, *, replaced: bool) -> int:
    from django.urls import reverse

    from council.selectors import audience_people
    from directory.notifications import notification_create

    if replaced:
        title = _("Material replaced: %(title)s") % {"title": material.title}
    else:
        title = _("New material: %(title)s") % {"title": material.title}
    url = reverse("council:reader", args=[material.pk])
    count = 0
    for person in audience_people(material):
        notification_create(
            recipient=person,
            kind="council.material_replaced" if replaced else "council.material_published",
            title=title,
            url=url,
        )
        count += 1
    return count


@atomic_service
def materials_announce_due(*, now: datetime | None = None) -> int:
    """Notify the audience of every material whose ``publish_at`` has passed, once each.

    Run by ``manage.py council_publish`` (cron, every minute) and on council pages; a material
    is visible from ``publish_at`` whether or not it has been announced.
    """
    now = now or timezone.now()
    due = list(
        Material.objects.select_for_update(of=("self",), no_key=True)
        .filter(announced_at__isnull=True, publish_at__lte=now)
        .order_by("pk")[:200]
    )
    for material in due:
        material.announced_at = now
        material.save(update_fields=["announced_at"])
        sent = _notify(material, replaced=False)
        audit.record(
            action="council.material_published",
            target=material,
            details={"notified": sent, "publish_at": material.publish_at.isoformat()},
        )
    return len(due)


# --- reading -----------------------------------------------------------------------------------


def page_view_record(*, user_id: int, material_id: int, number: int) -> None:
    """Record that a person opened page ``number`` (既読); one row per person and page."""
    from django.db.models import F

    views = PageView.objects.filter(material_id=material_id, user_id=user_id, number=number)
    if not views.update(views=F("views") + 1, last_viewed_at=timezone.now()):
        try:
            with transaction.atomic():
                PageView.objects.create(material_id=material_id, user_id=user_id, number=number)
        except IntegrityError:  # a concurrent first view of the same page
            pass


# --- annotations -------------------------------------------------------------------------------


ANNOTATION_CREATED, ANNOTATION_UPDATED, ANNOTATION_KEPT_OLDER = "created", "updated", "conflict"


@atomic_service
def annotation_put(
    *, user: Any, material: Material, page: int, data: Any, client_updated_at: Any = None
) -> tuple[Annotation, str]:
    """Store ``user``'s annotation of ``page`` of the current version (the caller has already
    checked the material is visible to them). Last write per page wins by the client's clock.

    Returns (annotation, outcome): ``created``, ``updated``, or ``conflict`` when the write is
    older than the stored one (an offline edit that arrives late): the stored one stays and the
    older write is kept too, as an unplaced note of that page, so nothing is lost. Raises
    ValidationFailed (400) for malformed content.
    """
    clean = annotation_rules.clean(data)
    stamp = timezone.now()
    if client_updated_at not in (None, ""):
        stamp = _clean_datetime(client_updated_at, "client_updated_at")
    version = material.current_version
    if version is None:
        raise Conflict(_("That page does not exist."))

    def locked() -> Annotation | None:
        return (
            Annotation.objects.select_for_update(of=("self",), no_key=True)
            .filter(owner=user, version=version, page=page)
            .first()
        )

    existing = locked()
    if existing is None:
        try:
            with transaction.atomic():  # a savepoint: a concurrent first write of this page
                created = Annotation.objects.create(
                    owner=user,
                    material=material,
                    version=version,
                    page=page,
                    original_page=page,
                    data=clean,
                    client_updated_at=stamp,
                )
            return created, ANNOTATION_CREATED
        except IntegrityError:
            existing = locked()
            if existing is None:
                raise
    if existing.client_updated_at and stamp < existing.client_updated_at:
        Annotation.objects.create(
            owner=user,
            material=material,
            version=version,
            page=None,
            original_page=page,
            data=clean,
            is_unplaced=True,
            carried_from=existing,
            client_updated_at=stamp,
        )
        return existing, ANNOTATION_KEPT_OLDER
    existing.data = clean
    existing.client_updated_at = stamp
    existing.save(update_fields=["data", "client_updated_at", "updated_at"])
    return existing, ANNOTATION_UPDATED


# --- presenter ---------------------------------------------------------------------------------


@atomic_service
def presenter_goto(*, actor: Any, meeting: Meeting, material: Material, page: int) -> Meeting:
    """The presenter turns to ``page`` of ``material``: the meeting remembers it (late joiners)
    and a ``goto`` event is stored on the stream ``council.meeting.<id>``, published on commit.

    Raises PermissionRefused (403) for anyone but the secretariat or the chair, ValidationFailed
    (400) for a material of another meeting or a page out of range.
    """
    from realtime.services import Outgoing, publish

    if not permissions.can_present(actor):
        raise PermissionRefused(_("Only the presenter may turn pages for everyone."))
    if material.meeting_id != meeting.pk:
        raise ValidationFailed(_("The material belongs to another meeting."))
    version = material.current_version
    if version is None or not 1 <= page <= version.page_count:
        raise ValidationFailed(_("That page does not exist."))
    meeting = Meeting.objects.select_for_update(of=("self",), no_key=True).get(pk=meeting.pk)
    meeting.presenter_material, meeting.presenter_page = material, page
    meeting.presenter_at = timezone.now()
    meeting.save(update_fields=["presenter_material", "presenter_page", "presenter_at"])
    # What a follower's connection needs to decide, without a query, whether they may see it
    # (filter_event): the embargo and the audience travel with the event, never to the client.
    payload = {
        "material": material.pk,
        "page": page,
        "title": material.title,
        "publish_at": material.publish_at.isoformat(),
        "audience": material.audience,
        "committee": material.committee_id,
        # Named executives (audience people): their person ids.
        "readers": (
            sorted(material.readers.values_list("pk", flat=True))
            if material.audience == Material.Audience.PEOPLE
            else []
        ),
    }
    publish([Outgoing(f"council.meeting.{meeting.pk}", "goto", payload)])
    audit.record(
        action="council.presenter_goto",
        actor=actor,
        target=meeting,
        details={"material": material.pk, "page": page},
    )
    return meeting

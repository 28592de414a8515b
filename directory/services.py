"""Writes of the directory app: applying a directory snapshot (sync, demo data), sign-in upserts
and delegations (代決: ``delegation_create``, ``delegation_revoke``).

``directory_apply_snapshot`` and ``directory_upsert_person`` share one bulk writer
(``directory/sync.py``), so a person created at sign-in and the same person created by a sync
cannot differ.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from audit.exceptions import Conflict, PermissionRefused, ValidationFailed
from audit.services import EventSpec, record, record_many
from audit.transactions import atomic_service
from directory.models import Delegation, Person, Source
from directory.reorg import post_holders_follow
from directory.selectors import may_manage_absences_of, person_for_user
from directory.signals import directory_changed
from directory.snapshot import DirectorySnapshot, PersonEntry, SyncSummary
from directory.sync import DEFAULT_TITLE, PeopleWriter, Progress, apply_units

__all__ = [
    "DEFAULT_TITLE",
    "delegation_create",
    "delegation_revoke",
    "directory_apply_snapshot",
    "directory_upsert_person",
]


# --- Public services -----------------------------------------------------------------------------


@atomic_service
def directory_apply_snapshot(
    *,
    snapshot: DirectorySnapshot,
    source: str = Source.DIRECTORY,
    actor: Any = None,
    progress: Progress | None = None,
    passwords: dict[str, str] | None = None,
) -> SyncSummary:
    """Make the units, people and posts of ``source`` match the snapshot, audited, in bulk.

    Missing or disabled people and missing units are deactivated, never deleted; applying the
    same snapshot twice changes nothing the second time. Problems become summary warnings.
    """
    summary = SyncSummary()
    audit: list[EventSpec] = []
    apply_units(entries=snapshot.units, source=source, actor=actor, summary=summary, audit=audit)
    writer = PeopleWriter(
        source=source, actor=actor, summary=summary, audit=audit, passwords=passwords
    )
    writer.load(snapshot.people, everyone=True)
    writer.apply(snapshot.people, progress=progress)
    writer.deactivate_missing()
    writer.flush()
    directory_changed.send(sender=Source, actor=actor)
    summary.steps_moved = _follow_the_post(writer, actor)
    details = {
        **dataclasses.asdict(summary),
        "warnings": len(summary.warnings),
        "unresolved": len(summary.unresolved),
        "changes": summary.changes,
        "units_in_snapshot": len(snapshot.units),
        "people_in_snapshot": len(snapshot.people),
    }
    audit.append(
        EventSpec(
            action="directory.sync",
            actor=actor,
            target_type="directory",
            target_id=str(source),
            details=details,
        )
    )
    record_many(audit)
    return summary


def _follow_the_post(writer: PeopleWriter, actor: Any) -> int:
    """Pending approvals of people whose posts the sync changed pass to the posts' new holders
    (``directory.reorg.post_holders_follow``); the number of steps moved."""
    deleted = set(writer.post_deletes)
    moved = {post.person_id for post in writer.post_creates if post.person_id}
    moved |= {p.person_id for posts in writer.posts.values() for p in posts if p.pk in deleted}
    left = {pk for pk, person in writer.changed_people.items() if not person.is_active}
    work = post_holders_follow(
        actor=actor, people_moved=moved, people_left=left, title=_("directory sync")
    )
    return sum(1 for row in work["steps"] if row.get("to"))


@atomic_service
def directory_upsert_person(
    *, entry: PersonEntry, source: str = Source.DIRECTORY, actor: Any = None
) -> Person | None:
    """Create or update one person from a directory entry (sign-in), like a sync would.

    Returns the person (deactivated if the entry is disabled), or None when the entry cannot be
    mapped, e.g. its username belongs to a local account.
    """
    audit: list[EventSpec] = []
    writer = PeopleWriter(
        source=source, actor=actor, summary=SyncSummary(), audit=audit, passwords=None
    )
    writer.load([entry], everyone=False)
    writer.apply([entry])
    writer.flush()
    directory_changed.send(sender=Source, actor=actor)
    record_many(audit)
    return writer.results.get(entry.username.strip())


# --- delegations (代決) ------------------------------------------------------------------------


def _staff(actor: Any) -> Person:
    person = person_for_user(actor)
    if person is None or not person.is_active:
        raise PermissionRefused(_("Only staff of the directory can name a deputy."))
    return person


@atomic_service
def delegation_create(
    *,
    actor: Any,
    deputy_username: str,
    start_at: datetime,
    end_at: datetime,
    principal: Person | None = None,
) -> Delegation:
    """The actor names a deputy (代決) for a period. Raises PermissionRefused for a user who is
    not a person, ValidationFailed for a deputy who is not active staff with a post (unknown,
    inactive, a councilor, a local administrator), oneself, or a bad period.
    """
    acting = _staff(actor)
    if principal is None:
        principal = acting
    elif principal.pk != acting.pk and not may_manage_absences_of(acting, principal):
        raise PermissionRefused(_("Only the head of their division can do this for someone."))
    # Only active staff holding a post in the org chart: never a councilor's or the break-glass
    # administrator's local account, who would then read and decide proposals.
    deputy = (
        Person.objects.select_related("user")
        .filter(
            user__username=deputy_username,
            user__is_active=True,
            is_active=True,
            assignments__isnull=False,
        )
        .distinct()
        .first()
    )
    if deputy is None:
        raise ValidationFailed(
            _("%(name)s cannot be a deputy: only active staff with a post in the org chart can.")
            % {"name": deputy_username}
        )
    if deputy.pk == principal.pk:
        raise ValidationFailed(_("You cannot be your own deputy."))
    if end_at <= start_at:
        raise ValidationFailed(_("The end must be after the start."))
    delegation = Delegation.objects.create(
        principal=principal, deputy=deputy, start_at=start_at, end_at=end_at
    )
    record(
        action="directory.delegation_created",
        actor=actor,
        target=delegation,
        details={
            "deputy": deputy.username,
            "start_at": start_at.isoformat(),
            "end_at": end_at.isoformat(),
        },
    )
    return delegation


@atomic_service
def delegation_revoke(*, actor: Any, delegation: Delegation) -> Delegation:
    """The principal (or the head of their 課, for an absence they registered) revokes a
    delegation: the deputy may no longer act for them from now on (what they already did stays,
    with its 後閲). Raises PermissionRefused for anyone else, Conflict when already revoked."""
    person = _staff(actor)
    delegation = (
        Delegation.objects.select_for_update(of=("self",), no_key=True)
        .select_related("deputy__user", "principal")
        .get(pk=delegation.pk)
    )
    if delegation.principal_id != person.pk and not may_manage_absences_of(
        person, delegation.principal
    ):
        raise PermissionRefused(_("Only the principal may revoke this delegation."))
    if delegation.is_revoked:
        raise Conflict(_("This delegation has already been revoked."))
    delegation.is_revoked = True
    delegation.save(update_fields=["is_revoked"])
    record(
        action="directory.delegation_revoked",
        actor=actor,
        target=delegation,
        details={
            "deputy": delegation.deputy.username,
            "start_at": delegation.start_at.isoformat(),
            "end_at": delegation.end_at.isoformat(),
        },
    )
    return delegation

"""人事異動・組織改正 staged ahead: stage from a file, dry run, apply on the date, cancel before.

The dry run is the apply itself inside a transaction that is rolled back, so what the 人事課
reads is exactly what the apply will do (people moved, units changed, every pending task, draft
and 後閲 that follows the post, rules naming vanished units), as tables with counts and a diff
of the org tree. The apply runs in one transaction, audited; applying an applied
reorganisation again changes nothing; a staged one can be cancelled before it is applied.

Pending approvals belong to workflow, which directory may not import: workflow registers a
hook (``post_holder_hook_register``, from its AppConfig.ready) that receives a ``ReorgChange``
and moves what follows the post, returning its part of the report.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.exceptions import Conflict, PermissionRefused, ValidationFailed
from audit.services import EventSpec, record, record_many
from audit.transactions import atomic_service
from directory.calendar import wareki
from directory.models import HEAD_MIN_RANK, Assignment, OrgUnit, Person, Position, Source
from directory.ranks import DEFAULT_RANKS
from directory.reorg_file import ParsedLine, parse_reorg_file
from directory.reorg_models import Reorganisation, ReorgLine
from directory.selectors import person_for_user, unit_heads
from directory.signals import directory_changed
from directory.snapshot import DirectorySnapshot
from directory.unitmatch import UnitIndex, reason_text

Kind = ReorgLine.Kind
Status = Reorganisation.Status
WORK_SECTIONS = ("steps", "drafts", "post_reviews", "rules", "counters")


@dataclass(frozen=True)
class ReorgChange:
    """What a reorganisation changed, for the hooks that move work following the post."""

    reorganisation_id: int
    title: str
    effective_on: date
    numbering: str
    # A merged or closed unit → the unit its work goes to (chains already followed).
    successors: dict[int, int]
    # People whose posts changed, and people who left (both: the holder may have left a post).
    people_moved: frozenset[int]
    people_left: frozenset[int]
    actor: Any
    actor_person: Person | None
    dry_run: bool

    @property
    def reason(self) -> str:
        return _("Reorganisation of %(date)s: %(title)s") % {
            "date": wareki(self.effective_on),
            "title": self.title,
        }


PostHolderHook = Callable[[ReorgChange], dict[str, list[dict[str, Any]]]]
_hooks: list[PostHolderHook] = []


def post_holders_follow(
    *, actor: Any, people_moved: set[int], people_left: set[int], title: str
) -> dict[str, list[dict[str, Any]]]:
    """Let work bound to posts follow them after a change made elsewhere (a directory sync):
    the hooks' report, empty when nobody moved. Runs in the caller's transaction."""
    work: dict[str, list[dict[str, Any]]] = {name: [] for name in WORK_SECTIONS}
    if not (people_moved or people_left) or not _hooks:
        return work
    change = ReorgChange(
        reorganisation_id=0,
        title=title,
        effective_on=timezone.localdate(),
        numbering=Reorganisation.Numbering.CONTINUE,
        successors={},
        people_moved=frozenset(people_moved),
        people_left=frozenset(people_left),
        actor=actor,
        actor_person=person_for_user(actor),
        dry_run=False,
    )
    for hook in _hooks:
        for name, rows in hook(change).items():
            work.setdefault(name, []).extend(rows)
    return work


def post_holder_hook_register(hook: PostHolderHook) -> None:
    """Called by apps that hold work bound to posts (workflow) from their AppConfig.ready."""
    if hook not in _hooks:
        _hooks.append(hook)


# --- Permission ----------------------------------------------------------------------------------


def can_manage_reorganisations(user: Any) -> bool:
    """Administrators, holders of the model permission, and members of the 人事課."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.has_perm("directory.add_reorganisation"):
        return True
    person = person_for_user(user)
    if person is None or not person.is_active:
        return False
    unit_name = getattr(settings, "PERSONNEL_UNIT", "人事課")
    units = OrgUnit.objects.filter(assignments__person=person, is_active=True)
    return any(_within_named(unit, unit_name) for unit in units)


def _within_named(unit: OrgUnit | None, name: str) -> bool:
    seen = set()
    while unit is not None and unit.pk not in seen:
        if unit.name == name:
            return True
        seen.add(unit.pk)
        unit = unit.parent
    return False


def _check(actor: Any) -> None:
    if actor is not None and not can_manage_reorganisations(actor):
        raise PermissionRefused(_("Only the personnel division may manage reorganisations."))


# --- Services ------------------------------------------------------------------------------------


@atomic_service
def reorg_stage(
    *,
    actor: Any,
    title: str,
    effective_on: date,
    data: bytes,
    file_name: str = "",
    numbering: str = Reorganisation.Numbering.CONTINUE,
) -> Reorganisation:
    """Stage a reorganisation from a file; ValidationFailed naming every bad row."""
    _check(actor)
    from directory.reorg_file import ReorgFileError

    if not title.strip():
        raise ValidationFailed(_("A title is required."))
    if effective_on < timezone.localdate():
        raise ValidationFailed(_("The effective date is in the past."))
    try:
        lines = parse_reorg_file(data)
    except ReorgFileError as exc:
        raise ValidationFailed(
            "; ".join(
                _("line %(line)s: %(message)s") % {"line": n, "message": m}
                for n, m in exc.problems[:20]
            )
        ) from exc
    return _stage(actor, title, effective_on, lines, file_name, numbering)


@atomic_service
def reorg_stage_from_snapshot(
    *,
    actor: Any,
    title: str,
    effective_on: date,
    snapshot: DirectorySnapshot,
    source_name: str = "",
    numbering: str = Reorganisation.Numbering.CONTINUE,
) -> Reorganisation:
    """Stage the difference between today's org chart and a second directory snapshot (the next
    organisation prepared under another base); ValidationFailed when it is empty or no change."""
    _check(actor)
    from directory.reorg_snapshot import snapshot_lines

    if not title.strip():
        raise ValidationFailed(_("A title is required."))
    if effective_on < timezone.localdate():
        raise ValidationFailed(_("The effective date is in the past."))
    if not snapshot.units or not snapshot.people:
        raise ValidationFailed(_("The second directory base holds no units or no people."))
    lines = snapshot_lines(snapshot)
    if not lines:
        raise ValidationFailed(_("The file has no changes."))
    return _stage(actor, title, effective_on, lines, source_name, numbering)


def _stage(
    actor: Any,
    title: str,
    effective_on: date,
    lines: list[ParsedLine],
    file_name: str,
    numbering: str,
) -> Reorganisation:
    if numbering not in Reorganisation.Numbering.values:
        raise ValidationFailed(_("Unknown numbering choice."))
    reorg = Reorganisation.objects.create(
        title=title.strip()[:200],
        effective_on=effective_on,
        numbering=numbering,
        file_name=file_name[:200],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    ReorgLine.objects.bulk_create(ReorgLine(reorganisation=reorg, **vars(line)) for line in lines)
    record(
        action="directory.reorg_staged",
        actor=actor,
        target=reorg,
        details={"title": reorg.title, "effective_on": str(effective_on), "lines": len(lines)},
    )
    return reorg


def reorg_dry_run(*, actor: Any, reorganisation: Reorganisation) -> dict[str, Any]:
    """What applying would do now, without changing anything (the apply, rolled back)."""
    _check(actor)
    if reorganisation.status != Status.STAGED:
        raise Conflict(_("Only a staged reorganisation can be tried."))
    with transaction.atomic():
        report = _execute(reorganisation, actor=actor, dry_run=True)
        transaction.set_rollback(True)
    Reorganisation.objects.filter(pk=reorganisation.pk, status=Status.STAGED).update(report=report)
    reorganisation.report = report
    return report


@atomic_service
def reorg_apply(
    *, actor: Any, reorganisation: Reorganisation, today: date | None = None, early: bool = False
) -> dict[str, Any]:
    """Apply on (or after) the effective date, in one transaction, audited.

    Applying an applied one again changes nothing and returns its report; Conflict when
    cancelled, or before its date unless ``early``.
    """
    _check(actor)
    reorg = Reorganisation.objects.select_for_update(of=("self",), no_key=True).get(
        pk=reorganisation.pk
    )
    if reorg.status == Status.APPLIED:
        return reorg.report
    if reorg.status == Status.CANCELLED:
        raise Conflict(_("This reorganisation was cancelled."))
    if reorg.effective_on > (today or timezone.localdate()) and not early:
        message = _("This reorganisation takes effect on %(date)s.")
        raise Conflict(message % {"date": wareki(reorg.effective_on)})
    report = _execute(reorg, actor=actor, dry_run=False)
    reorg.status = Status.APPLIED
    reorg.applied_at = timezone.now()
    reorg.report = report
    reorg.save(update_fields=["status", "applied_at", "report"])
    record(
        action="directory.reorg_applied",
        actor=actor,
        target=reorg,
        details={"title": reorg.title, "effective_on": str(reorg.effective_on), **report["counts"]},
    )
    reorganisation.status, reorganisation.report = reorg.status, report
    return report


@atomic_service
def reorg_cancel(*, actor: Any, reorganisation: Reorganisation) -> Reorganisation:
    """Cancel a staged reorganisation; Conflict once it has been applied."""
    _check(actor)
    reorg = Reorganisation.objects.select_for_update(of=("self",), no_key=True).get(
        pk=reorganisation.pk
    )
    if reorg.status == Status.APPLIED:
        raise Conflict(_("An applied reorganisation cannot be cancelled."))
    if reorg.status == Status.CANCELLED:
        return reorg
    reorg.status = Status.CANCELLED
    reorg.cancelled_at = timezone.now()
    reorg.save(update_fields=["status", "cancelled_at"])
    record(action="directory.reorg_cancelled", actor=actor, target=reorg, details={})
    return reorg


def reorgs_due(today: date | None = None) -> list[Reorganisation]:
    """Staged reorganisations whose date has come, oldest first (for the scheduled apply)."""
    return list(
        Reorganisation.objects.filter(
            status=Status.STAGED, effective_on__lte=today or timezone.localdate()
        ).order_by("effective_on", "id")
    )


# --- The work ------------------------------------------------------------------------------------


@dataclass
class _Run:
    reorg: Reorganisation
    actor: Any
    audit: list[EventSpec] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    successors: dict[int, int] = field(default_factory=dict)
    moved: set[int] = field(default_factory=set)
    left: set[int] = field(default_factory=set)

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append({"line": line or "", "message": message})

    def event(self, action: str, target: Any, details: dict[str, Any]) -> None:
        self.audit.append(
            EventSpec(action=action, actor=self.actor, target=target, details=details)
        )


def _tree_lines(index: UnitIndex) -> list[str]:
    """The active org tree as lines (path and head), for the before/after diff."""
    units = [u for u in index.by_id.values() if u.is_active]
    heads = unit_heads([u.pk for u in units])
    lines = []
    for unit in units:
        head = heads.get(unit.pk)
        suffix = f"  ({head.display_name})" if head else ""
        lines.append(index.path(unit, " / ") + suffix)
    return sorted(lines)


def _execute(reorg: Reorganisation, *, actor: Any, dry_run: bool) -> dict[str, Any]:
    run = _Run(reorg=reorg, actor=actor)
    lines = list(reorg.lines.all())
    before = UnitIndex.load()
    tree_before = _tree_lines(before)
    _apply_units(run, lines, before)
    _apply_people(run, lines)
    # Other apps follow the directory in the same transaction (chat's unit rooms).
    directory_changed.send(sender=Source, actor=actor)
    after = UnitIndex.load()
    tree_after = _tree_lines(after)
    change = ReorgChange(
        reorganisation_id=reorg.pk,
        title=reorg.title,
        effective_on=reorg.effective_on,
        numbering=reorg.numbering,
        successors=_follow(run.successors),
        people_moved=frozenset(run.moved),
        people_left=frozenset(run.left),
        actor=actor,
        actor_person=person_for_user(actor),
        dry_run=dry_run,
    )
    work: dict[str, list[dict[str, Any]]] = {name: [] for name in WORK_SECTIONS}
    for hook in _hooks:
        for name, rows in hook(change).items():
            work.setdefault(name, []).extend(rows)
    record_many(run.audit)
    counts = {
        "units": len(run.units),
        "people": len(run.people),
        **{name: len(rows) for name, rows in work.items()},
        "problems": len(run.problems),
    }
    diff = list(difflib.unified_diff(tree_before, tree_after, "before", "after", lineterm="", n=1))
    return {
        "dry_run": dry_run,
        "at": timezone.now().isoformat(),
        "counts": counts,
        "units": run.units,
        "people": run.people,
        **work,
        "problems": run.problems,
        # Without the file headers; hunks separated by "…" instead of "@@ -1,5 +1,5 @@".
        "tree_diff": ["…" if line.startswith("@@") else line for line in diff[2:]],
    }


def _follow(successors: dict[int, int]) -> dict[int, int]:
    """A → B → C becomes A → C and B → C."""
    result = {}
    for start in successors:
        current, seen = start, {start}
        while current in successors and successors[current] not in seen:
            current = successors[current]
            seen.add(current)
        result[start] = current
    return result


def _resolve(run: _Run, index: UnitIndex, ref: str, line: int) -> OrgUnit | None:
    unit, reason = index.resolve(ref)
    if unit is None:
        run.problem(line, reason_text(reason, ref))
    return unit


def _apply_units(run: _Run, lines: list[ReorgLine], before: UnitIndex) -> None:
    """Renames, then new units, then merges and closures (children and posts go along)."""
    retiring = (Kind.UNIT_RENAME, Kind.UNIT_MERGE, Kind.UNIT_CLOSE)
    unit_lines = [ln for ln in lines if ln.kind in retiring]
    # Targets are named as the org chart is today; resolve them before anything changes.
    targets = {ln.pk: _resolve(run, before, ln.target, ln.line_no) for ln in unit_lines}
    for line in lines:
        unit = targets.get(line.pk)
        if line.kind != Kind.UNIT_RENAME or unit is None:
            continue
        old = unit.name
        unit.name = line.name
        fields = ["name"]
        if line.prefix:
            unit.doc_number_prefix = line.prefix
            fields.append("doc_number_prefix")
        elif not unit.doc_number_prefix and unit.level == OrgUnit.Level.DIVISION:
            # Keep the prefix the old name gave (交 + its first character) for the year.
            unit.doc_number_prefix = f"交{old[:1]}"
            fields.append("doc_number_prefix")
        unit.save(update_fields=fields)
        run.units.append({"action": _("Rename"), "unit": old, "detail": line.name})
        run.event("directory.unit_renamed", unit, {"old": old, "new": line.name})
    for line in lines:
        if line.kind != Kind.UNIT_CREATE:
            continue
        index = UnitIndex.load()
        parent = _resolve(run, index, line.target, line.line_no) if line.target else None
        if line.target and parent is None:
            continue
        level = min((parent.level + 1) if parent else 1, OrgUnit.Level.SECTION)
        unit = OrgUnit.objects.create(
            name=line.name,
            parent=parent,
            level=level,
            source=parent.source if parent else Source.LOCAL,
            doc_number_prefix=line.prefix,
            sort_order=1000 + line.line_no,
        )
        where = index.path(parent) if parent else ""
        run.units.append({"action": _("New"), "unit": line.name, "detail": where})
        run.event("directory.unit_created", unit, {"name": unit.name, "parent": where})
    index = UnitIndex.load()
    for line in lines:
        unit = targets.get(line.pk)
        if line.kind not in (Kind.UNIT_MERGE, Kind.UNIT_CLOSE) or unit is None:
            continue
        if line.kind == Kind.UNIT_MERGE:
            successor = _resolve(run, index, line.unit, line.line_no)
        else:
            successor = index.by_id.get(unit.parent_id) if unit.parent_id else None
        if successor is None or successor.pk == unit.pk:
            if line.kind == Kind.UNIT_CLOSE:
                run.problem(line.line_no, _("A 部 cannot be closed without a successor."))
            continue
        _retire(run, unit, successor, merged=line.kind == Kind.UNIT_MERGE)


def _retire(run: _Run, unit: OrgUnit, successor: OrgUnit, *, merged: bool) -> None:
    children = OrgUnit.objects.filter(parent=unit, is_active=True)
    moved_children = children.update(parent=successor)
    posts = list(Assignment.objects.filter(unit=unit))
    existing = set(
        Assignment.objects.filter(
            person_id__in=[p.person_id for p in posts], unit=successor
        ).values_list("person_id", "position_id")
    )
    doubles = [p.pk for p in posts if (p.person_id, p.position_id) in existing]
    Assignment.objects.filter(pk__in=doubles).delete()
    Assignment.objects.filter(unit=unit).update(unit=successor)
    run.moved.update(p.person_id for p in posts)
    unit.is_active = False
    unit.save(update_fields=["is_active"])
    run.successors[unit.pk] = successor.pk
    action = _("Merge") if merged else _("Close")
    run.units.append({"action": action, "unit": unit.name, "detail": successor.name})
    run.event(
        "directory.unit_merged" if merged else "directory.unit_closed",
        unit,
        {"successor": successor.name, "posts_moved": len(posts), "units_moved": moved_children},
    )


def _apply_people(run: _Run, lines: list[ReorgLine]) -> None:
    people_lines = [ln for ln in lines if ln.kind in (Kind.POST, Kind.CONCURRENT, Kind.LEAVE)]
    if not people_lines:
        return
    index = UnitIndex.load()
    user_model = get_user_model()
    usernames = {ln.target.lower() for ln in people_lines}
    people: dict[str, Person] = {}
    targets = sorted({ln.target for ln in people_lines})
    for start in range(0, len(targets), 500):
        for person in Person.objects.select_related("user").filter(
            user__username__in=targets[start : start + 500]
        ):
            people[person.user.get_username().lower()] = person
    for username in sorted(usernames - set(people)):
        # Typed in another case than the account's: looked up one by one (rare).
        found = Person.objects.select_related("user").filter(user__username__iexact=username)
        if (match := found.first()) is not None:
            people[username] = match
    titles = {(ln.title.strip() or "職員") for ln in people_lines if ln.kind != Kind.LEAVE}
    positions = {p.title: p for p in Position.objects.filter(title__in=titles)}
    for title in sorted(titles - set(positions)):
        positions[title] = Position.objects.create(title=title, rank=DEFAULT_RANKS.get(title, 0))
    wanted: dict[int, list[tuple[OrgUnit, Position, bool]]] = defaultdict(list)
    replace: set[int] = set()
    for line in people_lines:
        holder = people.get(line.target.lower())
        if holder is None:
            run.problem(line.line_no, _("Unknown username %(name)s.") % {"name": line.target})
            continue
        if line.kind == Kind.LEAVE:
            run.left.add(holder.pk)
            continue
        unit = _resolve(run, index, line.unit, line.line_no)
        if unit is None:
            continue
        position = positions[line.title.strip() or "職員"]
        if line.kind == Kind.POST:
            replace.add(holder.pk)
        wanted[holder.pk].append((unit, position, line.kind == Kind.POST))
    by_pk = {p.pk: p for p in people.values()}
    current: dict[int, list[Assignment]] = defaultdict(list)
    ids = sorted(wanted)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        posts_now = Assignment.objects.filter(person_id__in=chunk).select_related(
            "unit", "position"
        )
        for post in posts_now:
            current[post.person_id].append(post)
    deletes: list[int] = []
    creates: list[Assignment] = []
    for person_id, posts in wanted.items():
        person = by_pk[person_id]
        before = _describe(index, current[person_id])
        keep = [] if person_id in replace else current[person_id]
        if person_id in replace:
            deletes.extend(p.pk for p in current[person_id])
        taken = {(p.unit_id, p.position_id) for p in keep}
        has_primary = any(p.is_primary for p in keep)
        created = []
        for unit, position, primary in sorted(posts, key=lambda item: not item[2]):
            if (unit.pk, position.pk) in taken:
                continue
            taken.add((unit.pk, position.pk))
            is_primary = primary and not has_primary
            has_primary = has_primary or is_primary
            created.append(
                Assignment(
                    person=person,
                    unit=unit,
                    position=position,
                    is_primary=is_primary,
                    source=person.source,
                )
            )
        creates.extend(created)
        after = _describe(index, [*keep, *created])
        if before != after:
            run.moved.add(person_id)
            run.people.append(
                {
                    "username": person.username,
                    "name": person.display_name,
                    "before": before,
                    "after": after,
                }
            )
            run.event("directory.person_transferred", person, {"before": before, "after": after})
    for start in range(0, len(deletes), 500):
        Assignment.objects.filter(pk__in=deletes[start : start + 500]).delete()
    Assignment.objects.bulk_create(creates, batch_size=500)
    left = sorted(run.left)
    now = timezone.now()
    for start in range(0, len(left), 500):
        chunk = left[start : start + 500]
        Person.objects.filter(pk__in=chunk).update(is_active=False, left_at=now)
        user_model._default_manager.filter(person__pk__in=chunk).update(is_active=False)
    left_posts: dict[int, list[Assignment]] = defaultdict(list)
    for post in Assignment.objects.filter(person_id__in=left).select_related("unit", "position"):
        left_posts[post.person_id].append(post)
    for person_id in left:
        person = by_pk[person_id]
        before = _describe(index, left_posts[person_id])
        run.people.append(
            {
                "username": person.username,
                "name": person.display_name,
                "before": before,
                "after": _("left"),
            }
        )
        run.event("directory.person_deactivated", person, {"reason": "reorganisation"})


def _describe(index: UnitIndex, posts: list[Assignment]) -> str:
    parts = []
    for post in sorted(posts, key=lambda p: (not p.is_primary, p.unit_id)):
        unit = index.by_id.get(post.unit_id) or post.unit
        text = f"{index.path(unit, '/')} {post.position.title}"
        parts.append(text if post.is_primary else _("%(post)s (concurrent)") % {"post": text})
    return "、".join(parts)


__all__ = [
    "HEAD_MIN_RANK",
    "ReorgChange",
    "can_manage_reorganisations",
    "post_holder_hook_register",
    "reorg_apply",
    "reorg_cancel",
    "reorg_dry_run",
    "reorg_stage",
    "reorgs_due",
]

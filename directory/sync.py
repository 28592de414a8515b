"""The directory-sync bulk writer: makes units, people and posts match a directory snapshot.

``apply_units`` writes the org units; ``PeopleWriter`` maps ``PersonEntry`` values onto
User/Person/Assignment rows. Both collect their audit events in a list the caller records.
Work is done in bulk: a fixed handful of queries plus one per few hundred rows, never one per
person. Internal to the directory app: the public services (``directory_apply_snapshot``,
``directory_upsert_person``) are in ``directory/services.py``, which owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import EventSpec
from directory.integrations.ldap import normalize_dn
from directory.models import Assignment, OrgUnit, Person, Position, Source
from directory.ranks import DEFAULT_RANKS
from directory.snapshot import PersonEntry, SyncSummary, UnitEntry
from directory.unitmatch import EMPTY, UnitIndex, reason_text

# A post needs a position; people without a title get this one (rank 0 until an administrator
# changes it). Stored data, so deliberately not translated.
DEFAULT_TITLE = "職員"
TITLE_MAX_LENGTH = 100  # Position.title
CHUNK = 500
# How many usernames a warning about one unknown unit lists before "…".
WARNING_SAMPLE = 5

Progress = Callable[[int, int], None]
PostKey = tuple[int, int, bool]  # unit id, position id, is primary


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _diff(obj: Any, desired: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the fields that differ on ``obj``; returns ``{field: [old, new]}`` for the audit log."""
    changes = {}
    for name, value in desired.items():
        old = getattr(obj, name)
        if old != value:
            changes[name] = [old, value]
            setattr(obj, name, value)
    return changes


# --- Units ---------------------------------------------------------------------------------------


def _unit_depths(entries: dict[str, UnitEntry], summary: SyncSummary) -> dict[str, int]:
    """Depth below the org base (1 = 部) of each unit key; unknown parents count as the base."""
    depths: dict[str, int] = {}
    for key in entries:
        chain: list[str] = []
        current = key
        while current not in depths:
            if current in chain:  # a cycle: only possible in a hand-built snapshot
                summary.warnings.append(_("Unit %(dn)s is its own ancestor.") % {"dn": current})
                depths.update(dict.fromkeys(chain, 1))
                chain, current = [], key
                break
            chain.append(current)
            parent = entries[current].parent_dn
            parent_key = normalize_dn(parent) if parent else ""
            if not parent_key or parent_key not in entries:
                if parent_key:
                    summary.warnings.append(
                        _("The parent %(parent)s of unit %(dn)s is not in the directory.")
                        % {"parent": parent, "dn": entries[current].dn}
                    )
                depths[current] = 1
                chain.pop()
                break
            current = parent_key
        base = depths[current]
        for offset, item in enumerate(reversed(chain), start=1):
            depths[item] = base + offset
    return depths


def apply_units(
    *,
    entries: list[UnitEntry],
    source: str,
    actor: Any,
    summary: SyncSummary,
    audit: list[EventSpec],
) -> None:
    """Create, update and deactivate the units of ``source`` to match ``entries``, level by level;
    problems go to ``summary.warnings``, audit events to ``audit``."""
    wanted: dict[str, UnitEntry] = {}
    for entry in entries:
        key = normalize_dn(entry.dn)
        if not key or key in wanted:
            summary.warnings.append(
                _("Unit %(dn)s skipped: empty or repeated DN.") % {"dn": entry.dn}
            )
            continue
        wanted[key] = entry
    depths = _unit_depths(wanted, summary)
    # Every unit with a DN takes part (a unit of another source with the same DN is taken over,
    # since the DN is unique anyway); only units of this source are deactivated when missing.
    existing = {normalize_dn(u.dn): u for u in OrgUnit.objects.exclude(dn="")}
    to_update: dict[int, OrgUnit] = {}
    fields: set[str] = set()
    for depth in sorted(set(depths.values())):
        created = []
        for key, entry in wanted.items():
            if depths[key] != depth:
                continue
            parent = existing.get(normalize_dn(entry.parent_dn)) if entry.parent_dn else None
            desired = {
                "name": entry.name,
                "code": entry.code or entry.name,
                "level": min(depth, OrgUnit.Level.SECTION),
                "parent_id": parent.pk if parent and depth > 1 else None,
                "sort_order": entry.sort_order,
                "is_active": True,
                "source": source,
            }
            unit = existing.get(key)
            if unit is None:
                unit = OrgUnit(dn=entry.dn, **desired)
                existing[key] = unit
                created.append(unit)
            elif changes := _diff(unit, desired):
                to_update[unit.pk] = unit
                fields.update(changes)
                summary.units_updated += 1
                audit.append(_event("directory.unit_updated", actor, unit, changes))
        # Level by level, so parents have their primary keys before their children are made.
        OrgUnit.objects.bulk_create(created)
        summary.units_created += len(created)
        audit.extend(
            _event(
                "directory.unit_created", actor, u, {"name": u.name, "dn": u.dn, "level": u.level}
            )
            for u in created
        )
    for key, unit in existing.items():
        if key not in wanted and unit.source == source and unit.is_active:
            unit.is_active = False
            to_update[unit.pk] = unit
            fields.add("is_active")
            summary.units_deactivated += 1
            audit.append(_event("directory.unit_deactivated", actor, unit, {"dn": unit.dn}))
    if to_update:
        OrgUnit.objects.bulk_update(list(to_update.values()), sorted(fields), batch_size=CHUNK)


def _event(action: str, actor: Any, target: Any, details: dict[str, Any]) -> EventSpec:
    return EventSpec(action=action, actor=actor, target=target, details=details)


def _ensure_positions(
    *, titles: set[str], actor: Any, audit: list[EventSpec]
) -> dict[str, Position]:
    """Positions by title; missing titles are created with their default rank (or 0).

    Existing ranks are never changed: administrators edit them.
    """
    positions = {p.title: p for p in Position.objects.filter(title__in=sorted(titles))}
    missing = [
        Position(title=title, rank=DEFAULT_RANKS.get(title, 0))
        for title in sorted(titles)
        if title not in positions
    ]
    if missing:
        Position.objects.bulk_create(missing)
        audit.extend(
            _event("directory.position_created", actor, p, {"title": p.title, "rank": p.rank})
            for p in missing
        )
        positions.update({p.title: p for p in missing})
    return positions


def _title(title: str) -> str:
    return (title.strip() or DEFAULT_TITLE)[:TITLE_MAX_LENGTH]


# --- People --------------------------------------------------------------------------------------


def _managed_people(source: str) -> QuerySet[Person]:
    """The people a snapshot of ``source`` speaks for (matches, updates and deactivates).

    Local accounts outside any snapshot (councilors, the break-glass administrator) share the
    LOCAL source but have no DN; a snapshot must never deactivate them.
    """
    people = Person.objects.filter(source=source)
    return people if source == Source.DIRECTORY else people.exclude(dn="")


class PeopleWriter:
    """Maps PersonEntry values onto User/Person/Assignment rows, collecting writes for ``flush``."""

    def __init__(
        self,
        *,
        source: str,
        actor: Any,
        summary: SyncSummary,
        audit: list[EventSpec],
        passwords: dict[str, str] | None,
    ) -> None:
        self.user_model = get_user_model()
        username_field = self.user_model._meta.get_field(self.user_model.USERNAME_FIELD)
        self.max_username_length = getattr(username_field, "max_length", None) or 150
        self.source, self.actor, self.summary, self.audit = source, actor, summary, audit
        self.units = UnitIndex.load(source)
        # Directory people never get a usable local password (CONTRACT: sign-in goes via LDAP).
        self.passwords = passwords if source != Source.DIRECTORY else None
        self.hashes: dict[str, str] = {}
        self.now = timezone.now()
        self.people: dict[int, Person] = {}
        self.by_key: dict[str, Person] = {}
        self.by_username: dict[str, Person] = {}
        self.users: dict[str, Any] = {}
        self.posts: dict[int, list[Assignment]] = defaultdict(list)
        self.foreign_posts: dict[int, list[Assignment]] = defaultdict(list)
        self.positions: dict[str, Position] = {}
        self.titles: dict[int, str] = {}
        self.seen: set[int] = set()
        self.seen_usernames: set[str] = set()
        self.unresolved: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.new: list[tuple[PersonEntry, Any, Person, list[PostKey]]] = []
        self.person_fields: set[str] = set()
        self.user_fields: set[str] = set()
        self.changed_people: dict[int, Person] = {}
        self.changed_users: dict[int, Any] = {}
        self.post_deletes: list[int] = []
        self.post_creates: list[Assignment] = []
        self.results: dict[str, Person] = {}

    # Loading -------------------------------------------------------------------------------------

    def load(self, entries: list[PersonEntry], *, everyone: bool) -> None:
        """Read the rows the entries may touch: all people of the source, or just candidates."""
        people = _managed_people(self.source).select_related("user")
        if not everyone:
            wanted = Q(pk__in=[])
            for entry in entries:
                wanted |= Q(user__username__iexact=entry.username)
                if entry.dn:
                    wanted |= Q(dn__iexact=entry.dn)
            people = people.filter(wanted)
        for person in people:
            self.people[person.pk] = person
            if person.dn:
                self.by_key[normalize_dn(person.dn)] = person
            self.by_username[person.user.get_username().lower()] = person
        usernames = sorted({e.username for e in entries if e.username})
        for chunk in _chunks(usernames):
            for user in self.user_model._default_manager.filter(username__in=chunk):
                self.users[user.get_username()] = user
        posts = Assignment.objects.select_related("unit", "position")
        posts = (
            posts.filter(person__in=_managed_people(self.source))
            if everyone
            else posts.filter(person_id__in=list(self.people))
        )
        for post in posts:
            target = self.posts if post.source == self.source else self.foreign_posts
            target[post.person_id].append(post)
            self.titles[post.position_id] = post.position.title
        titles = {_title(p.title) for e in entries if not e.is_disabled for p in e.posts}
        self.positions = _ensure_positions(titles=titles, actor=self.actor, audit=self.audit)
        self.titles.update({p.pk: p.title for p in self.positions.values()})

    # Applying ------------------------------------------------------------------------------------

    def apply(self, entries: list[PersonEntry], progress: Progress | None = None) -> None:
        total = len(entries)
        for done, entry in enumerate(entries, start=1):
            self._apply_one(entry)
            if progress is not None:
                progress(done, total)
        for (ref, reason), usernames in self.unresolved.items():
            sample = ", ".join(usernames[:WARNING_SAMPLE])
            sample += ", …" if len(usernames) > WARNING_SAMPLE else ""
            message = (
                _(
                    "Unit %(unit)s is ambiguous (several units have this name); posts of %(n)d "
                    "people skipped: %(people)s"
                )
                if reason == "ambiguous"
                else _("Unknown unit %(unit)s; posts of %(n)d people skipped: %(people)s")
            )
            self.summary.warnings.append(
                message % {"unit": ref, "n": len(usernames), "people": sample}
            )

    def _match(self, entry: PersonEntry) -> Person | None:
        # The username wins over the DN: a person moved between OUs keeps the username but
        # changes DN, and an AD DN (CN=full name) can be reused by a namesake later.
        by_name = self.by_username.get(entry.username.lower())
        by_key = self.by_key.get(normalize_dn(entry.dn)) if entry.dn else None
        for candidate in (by_name, by_key):
            if candidate is not None and candidate.pk not in self.seen:
                return candidate
        return None

    def _apply_one(self, entry: PersonEntry) -> None:
        username = entry.username.strip()
        if not username or len(username) > self.max_username_length:
            self.summary.warnings.append(
                _("Entry %(dn)s skipped: missing or too long username.") % {"dn": entry.dn}
            )
            return
        if username.lower() in self.seen_usernames:
            self.summary.warnings.append(
                _("Username %(username)s appears twice; %(dn)s skipped.")
                % {"username": username, "dn": entry.dn}
            )
            return
        self.seen_usernames.add(username.lower())
        person = self._match(entry)
        if person is not None:
            self.seen.add(person.pk)
            self.results[username] = person
        if entry.is_disabled:
            # A disabled account counts as gone (AD's userAccountControl bit 2).
            if person is not None:
                self._deactivate(person)
            return
        if person is None:
            self._create(entry, username)
        else:
            self._update(person, entry, username)

    def _desired_posts(self, entry: PersonEntry, person: Person | None) -> list[PostKey]:
        foreign = self.foreign_posts.get(person.pk, []) if person else []
        taken = {(p.unit_id, p.position_id) for p in foreign}
        has_primary = any(p.is_primary for p in foreign)
        keys: list[PostKey] = []
        if not entry.posts and self.source == Source.DIRECTORY:
            self.summary.unresolved.append((entry.username, reason_text(EMPTY, "")))
        for post in entry.posts:
            unit, reason = self.units.resolve(post.unit)
            if unit is None:
                self.unresolved[(post.unit, reason)].append(entry.username)
                self.summary.unresolved.append((entry.username, reason_text(reason, post.unit)))
                continue
            position = self.positions[_title(post.title)]
            if (unit.pk, position.pk) in taken:
                continue  # a manual post already says the same
            taken.add((unit.pk, position.pk))
            # The first post that resolves is primary, unless an administrator set one by hand.
            is_primary = not keys and not has_primary
            keys.append((unit.pk, position.pk, is_primary))
        return keys

    def _describe(self, keys: Iterable[PostKey]) -> list[dict[str, Any]]:
        """Posts for the audit log, by name; ``keys`` hold loaded units and positions only."""
        return [
            {"unit": self.units.by_id[unit].name, "title": self.titles[pos], "is_primary": primary}
            for unit, pos, primary in sorted(keys, key=lambda k: (not k[2], k[0], k[1]))
        ]

    def _person_fields(self, entry: PersonEntry) -> dict[str, Any]:
        return {
            "display_name": entry.display_name.strip() or entry.username,
            "email": entry.email.strip(),
            "employee_number": entry.employee_number.strip(),
        }

    def _password(self, username: str) -> str:
        raw = (self.passwords or {}).get(username)
        if not raw:
            return make_password(None)
        # Hashing costs ~0.5 s; demo data gives many people one password, so hash it once.
        if raw not in self.hashes:
            self.hashes[raw] = make_password(raw)
        return self.hashes[raw]

    def _create(self, entry: PersonEntry, username: str) -> None:
        if username in self.users:
            # Never take over an account of another source (a councilor, the break-glass admin).
            self.summary.warnings.append(
                _(
                    "Username %(username)s is already used by an account outside this source; "
                    "%(dn)s skipped."
                )
                % {"username": username, "dn": entry.dn}
            )
            return
        user = self.user_model(**{self.user_model.USERNAME_FIELD: username}, is_active=True)
        user.password = self._password(username)
        person = Person(
            dn=entry.dn, source=self.source, kind=Person.Kind.STAFF, **self._person_fields(entry)
        )
        self.new.append((entry, user, person, self._desired_posts(entry, None)))
        self.results[username] = person
        self.summary.people_created += 1

    def _update(self, person: Person, entry: PersonEntry, username: str) -> None:
        user = person.user
        desired = {**self._person_fields(entry), "is_active": True, "left_at": None}
        if entry.dn and normalize_dn(entry.dn) != normalize_dn(person.dn):
            desired["dn"] = entry.dn
        changes = _diff(person, desired)
        self.person_fields.update(changes)
        user_changes = self._user_changes(user, username)
        wanted = self._desired_posts(entry, person)
        current = self.posts.get(person.pk, [])
        had = [(p.unit_id, p.position_id, p.is_primary) for p in current]
        if set(wanted) != set(had):
            changes["posts"] = [self._describe(had), self._describe(wanted)]
            self.post_deletes.extend(p.pk for p in current)
            self.post_creates.extend(self._assignments(person, wanted))
        if not changes and not user_changes:
            return
        if set(changes) - {"posts"}:
            self.changed_people[person.pk] = person
        if user_changes:
            self.changed_users[user.pk] = user
        self.summary.people_updated += 1
        details = {"username": username, **changes, **user_changes}
        self.audit.append(_event("directory.person_updated", self.actor, person, details))

    def _user_changes(self, user: Any, username: str) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if user.get_username() != username:
            # AD renames sAMAccountName in place; follow it unless the new name is taken.
            other = self.users.get(username)
            if other is None or other.pk == user.pk:
                changes["username"] = [user.get_username(), username]
                setattr(user, self.user_model.USERNAME_FIELD, username)
                self.user_fields.add(self.user_model.USERNAME_FIELD)
            else:
                self.summary.warnings.append(
                    _("Cannot rename %(old)s to %(new)s: the username is taken.")
                    % {"old": user.get_username(), "new": username}
                )
        if not user.is_active:
            changes["user_is_active"] = [False, True]
            user.is_active = True
            self.user_fields.add("is_active")
        # Never reveal or compare passwords in the log: only say that one was set or removed.
        if self.source == Source.DIRECTORY and user.has_usable_password():
            changes["local_login"] = "disabled"
            user.set_unusable_password()
            self.user_fields.add("password")
        elif self.passwords and self.passwords.get(username) and not user.has_usable_password():
            changes["local_login"] = "enabled"
            user.password = self._password(username)
            self.user_fields.add("password")
        return changes

    def _deactivate(self, person: Person) -> None:
        user = person.user
        if not person.is_active and not user.is_active:
            return
        if person.is_active:
            person.is_active = False
            person.left_at = self.now
            self.person_fields.update({"is_active", "left_at"})
            self.changed_people[person.pk] = person
        if user.is_active:
            user.is_active = False
            self.user_fields.add("is_active")
            self.changed_users[user.pk] = user
        self.summary.people_deactivated += 1
        details = {"username": user.get_username(), "dn": person.dn}
        self.audit.append(_event("directory.person_deactivated", self.actor, person, details))

    def deactivate_missing(self) -> None:
        """Deactivate every loaded person of the source the entries did not mention."""
        for pk, person in self.people.items():
            if pk not in self.seen:
                self._deactivate(person)

    def _assignments(self, person: Person, keys: list[PostKey]) -> list[Assignment]:
        return [
            Assignment(
                person=person, unit_id=u, position_id=p, is_primary=primary, source=self.source
            )
            for u, p, primary in keys
        ]

    # Writing -------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything collected, in bulk; then queue the creation events."""
        if self.changed_users:
            self.user_model._default_manager.bulk_update(
                list(self.changed_users.values()), sorted(self.user_fields), batch_size=CHUNK
            )
        if self.changed_people:
            Person.objects.bulk_update(
                list(self.changed_people.values()), sorted(self.person_fields), batch_size=CHUNK
            )
        if self.new:
            users = self.user_model._default_manager.bulk_create([u for _e, u, _p, _k in self.new])
            for (_entry, _u, person, _keys), user in zip(self.new, users, strict=True):
                person.user = user
            Person.objects.bulk_create([p for _e, _u, p, _k in self.new])
            for _entry, _user, person, keys in self.new:
                self.post_creates.extend(self._assignments(person, keys))
        for chunk in _chunks(self.post_deletes):
            Assignment.objects.filter(pk__in=chunk).delete()
        if self.post_creates:
            Assignment.objects.bulk_create(self.post_creates)
        for entry, _user, person, keys in self.new:
            details: dict[str, Any] = {"username": entry.username, "dn": person.dn}
            details |= {"display_name": person.display_name, "posts": self._describe(keys)}
            self.audit.append(_event("directory.person_created", self.actor, person, details))

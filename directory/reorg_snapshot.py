"""A reorganisation staged from a second directory snapshot (the next org chart prepared under
another base, e.g. ``OU=組織2027``) instead of a file: the difference becomes file lines.

Units are compared by path (部/課/係 names); people by their posts (path and title). A unit only
in the snapshot is 新設; an active unit of the directory missing from it is 廃止 (its work goes
to its parent) — a directory cannot tell a rename from a closure and a new unit, so the 人事課
checks the dry run and, for a rename, stages a file with 名称変更 instead. People missing from
the snapshot are 退職.
"""

from __future__ import annotations

from collections import defaultdict

from directory.models import Assignment, OrgUnit, Person, Source
from directory.reorg_file import ParsedLine
from directory.reorg_models import ReorgLine
from directory.snapshot import DirectorySnapshot
from directory.unitmatch import UnitIndex, name_key

Kind = ReorgLine.Kind


def _snapshot_paths(snapshot: DirectorySnapshot) -> dict[str, str]:
    """{normalised DN: "部/課/係"} for the snapshot's units, and {name: path} for unique names."""
    from directory.integrations.ldap import normalize_dn

    by_dn = {normalize_dn(u.dn): u for u in snapshot.units}
    paths: dict[str, str] = {}
    for key, unit in by_dn.items():
        names, current, seen = [unit.name], unit, {key}
        while current.parent_dn and normalize_dn(current.parent_dn) in by_dn:
            parent_key = normalize_dn(current.parent_dn)
            if parent_key in seen:
                break
            seen.add(parent_key)
            current = by_dn[parent_key]
            names.insert(0, current.name)
        paths[key] = "/".join(names)
    by_name: dict[str, list[str]] = defaultdict(list)
    for key, unit in by_dn.items():
        by_name[unit.name].append(paths[key])
    for name, found in by_name.items():
        if len(found) == 1:
            paths.setdefault(f"name:{name}", found[0])
    return paths


def snapshot_lines(snapshot: DirectorySnapshot) -> list[ParsedLine]:
    """The lines a file would need to turn today's org chart into ``snapshot``'s."""
    from directory.integrations.ldap import normalize_dn

    index = UnitIndex.load()
    paths = _snapshot_paths(snapshot)
    current = {name_key(index.path(u)): u for u in index.by_id.values() if u.is_active}
    wanted = {name_key(p): p for k, p in paths.items() if not k.startswith("name:")}
    lines: list[ParsedLine] = []
    number = 1
    for key, path in sorted(wanted.items(), key=lambda item: item[1].count("/")):
        if key in current:
            continue
        parent, _sep, name = path.rpartition("/")
        number += 1
        lines.append(ParsedLine(line_no=number, kind=Kind.UNIT_CREATE, target=parent, name=name))
    directory_units = [u for u in current.values() if u.source == Source.DIRECTORY]
    for unit in sorted(directory_units, key=lambda u: -u.level):
        if name_key(index.path(unit)) not in wanted and unit.parent_id:
            number += 1
            lines.append(ParsedLine(line_no=number, kind=Kind.UNIT_CLOSE, target=index.path(unit)))

    def path_of(ref: str) -> str:
        by_dn = paths.get(normalize_dn(ref)) if "=" in ref else None
        return by_dn or paths.get(f"name:{ref}") or ref

    people = {
        p.user.get_username().lower(): p
        for p in Person.objects.filter(source=Source.DIRECTORY, is_active=True).select_related(
            "user"
        )
    }
    posts: dict[int, set[tuple[str, str, bool]]] = defaultdict(set)
    for post in Assignment.objects.filter(person__in=people.values()).select_related("position"):
        held = index.by_id.get(post.unit_id)
        if held is not None:
            posts[post.person_id].add(
                (name_key(index.path(held)), post.position.title, post.is_primary)
            )
    for entry in snapshot.people:
        person = people.get(entry.username.lower())
        if person is None or entry.is_disabled or not entry.posts:
            continue
        new = [(path_of(p.unit), p.title.strip() or "職員") for p in entry.posts]
        new_keys = {(name_key(path), title, i == 0) for i, (path, title) in enumerate(new)}
        if new_keys == posts.get(person.pk, set()):
            continue
        for i, (path, title) in enumerate(new):
            number += 1
            kind = Kind.POST if i == 0 else Kind.CONCURRENT
            lines.append(
                ParsedLine(line_no=number, kind=kind, target=entry.username, unit=path, title=title)
            )
    listed = {e.username.lower() for e in snapshot.people if not e.is_disabled}
    for username in sorted(people):
        if username not in listed:
            number += 1
            lines.append(ParsedLine(line_no=number, kind=Kind.LEAVE, target=username))
    return lines


def org_units_of_source(source: str = Source.DIRECTORY) -> int:
    """How many active units a source has (a guard: an empty snapshot would close them all)."""
    return OrgUnit.objects.filter(source=source, is_active=True).count()

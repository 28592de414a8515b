"""directory_apply_snapshot on plain snapshots (no LDAP): the mapping rules of a sync."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from directory.models import Assignment, OrgUnit, Person, Position, Source
from directory.services import DEFAULT_TITLE, directory_apply_snapshot
from directory.snapshot import DirectorySnapshot, PersonEntry, PostEntry, UnitEntry
from tests.factories import AssignmentFactory, PositionFactory, make_person

pytestmark = pytest.mark.django_db

BASE = "ou=org,dc=katano,dc=example"
PEOPLE_BASE = "ou=people,dc=katano,dc=example"


def unit(path: str, sort_order: int = 0) -> UnitEntry:
    """``unit("総務部/総務課")``: a unit and its parents named by a path below BASE."""
    names = path.split("/")
    dn = ",".join(f"ou={n}" for n in reversed(names)) + f",{BASE}"
    parent = dn.split(",", 1)[1] if len(names) > 1 else None
    return UnitEntry(dn=dn, name=names[-1], parent_dn=parent, sort_order=sort_order)


def person(username: str, *posts: tuple[str, str], **fields) -> PersonEntry:
    return PersonEntry(
        dn=fields.pop("dn", f"uid={username},{PEOPLE_BASE}"),
        username=username,
        display_name=fields.pop("display_name", f"{username} さん"),
        posts=tuple(PostEntry(unit=u, title=t) for u, t in posts),
        **fields,
    )


UNITS = [
    unit("総務部", 1),
    unit("総務部/総務課", 1),
    unit("総務部/総務課/文書係", 1),
    unit("総務部/総務課/文書係/電子化班", 1),
    unit("総務部/財政課", 2),
]


def snapshot(*people: PersonEntry, units: list[UnitEntry] | None = None) -> DirectorySnapshot:
    return DirectorySnapshot(units=list(UNITS if units is None else units), people=list(people))


def posts_of(username: str) -> list[tuple[str, str, bool, str]]:
    return [
        (a.unit.name, a.position.title, a.is_primary, a.source)
        for a in Assignment.objects.filter(person__user__username=username).order_by(
            "-is_primary", "unit__name"
        )
    ]


def test_units_get_levels_by_depth_and_deeper_units_stay_sections():
    summary = directory_apply_snapshot(snapshot=snapshot())

    tree = {u.name: (u.level, u.parent.name if u.parent else None) for u in OrgUnit.objects.all()}
    assert tree == {
        "総務部": (1, None),
        "総務課": (2, "総務部"),
        "財政課": (2, "総務部"),
        "文書係": (3, "総務課"),
        "電子化班": (3, "文書係"),
    }
    assert summary.units_created == 5
    assert set(OrgUnit.objects.values_list("source", flat=True)) == {Source.DIRECTORY}
    assert OrgUnit.objects.get(name="財政課").sort_order == 2


def test_people_posts_and_positions_follow_the_snapshot():
    Position.objects.update_or_create(title="係長", defaults={"rank": 42})  # edited by an admin
    summary = directory_apply_snapshot(
        snapshot=snapshot(
            person("kacho", ("総務課", "課長"), email="k@city.example", employee_number="7"),
            person("kakari", ("文書係", "係長"), ("財政課", "主査")),
            person("new", ("文書係", "")),
            person("rinji", ("文書係", "会計年度任用職員")),
        )
    )

    assert summary.people_created == 4
    assert summary.warnings == []
    kacho = Person.objects.get(user__username="kacho")
    assert (kacho.display_name, kacho.email, kacho.employee_number) == (
        "kacho さん",
        "k@city.example",
        "7",
    )
    assert (kacho.source, kacho.kind, kacho.dn) == (
        Source.DIRECTORY,
        Person.Kind.STAFF,
        f"uid=kacho,{PEOPLE_BASE}",
    )
    assert not kacho.user.has_usable_password()
    assert posts_of("kakari") == [
        ("文書係", "係長", True, Source.DIRECTORY),
        ("財政課", "主査", False, Source.DIRECTORY),
    ]
    assert posts_of("new") == [("文書係", DEFAULT_TITLE, True, Source.DIRECTORY)]
    ranks = dict(Position.objects.values_list("title", "rank"))
    assert ranks["係長"] == 42
    assert ranks["課長"] == 50
    assert ranks["会計年度任用職員"] == 0
    assert ranks[DEFAULT_TITLE] == 0


def test_second_apply_changes_nothing_and_only_records_the_sync():
    snap = snapshot(person("a", ("総務課", "課長")), person("b", ("文書係", "主事")))
    first = directory_apply_snapshot(snapshot=snap)
    events = AuditEvent.objects.count()
    rows = list(Person.objects.values()), list(Assignment.objects.values("pk", "unit", "position"))

    second = directory_apply_snapshot(snapshot=snap)

    assert first.changes == 7
    assert second.changes == 0
    assert (
        list(Person.objects.values()),
        list(Assignment.objects.values("pk", "unit", "position")),
    ) == rows
    new_events = list(AuditEvent.objects.filter(seq__gt=events).values_list("action", flat=True))
    assert new_events == ["directory.sync"]


def test_every_change_is_audited_in_the_same_transaction():
    directory_apply_snapshot(snapshot=snapshot(person("a", ("総務課", "課長"))))
    directory_apply_snapshot(
        snapshot=snapshot(
            person("a", ("財政課", "課長"), display_name="新しい 名前"), units=UNITS[:2] + UNITS[4:]
        )
    )

    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("directory.unit_created") == 5
    assert actions.count("directory.unit_deactivated") == 2
    assert actions.count("directory.person_created") == 1
    assert actions.count("directory.sync") == 2
    person_a = Person.objects.get(user__username="a")
    updated = AuditEvent.objects.get(action="directory.person_updated")
    assert updated.target_id == str(person_a.pk)
    assert updated.details["display_name"] == ["a さん", "新しい 名前"]
    assert updated.details["posts"] == [
        [{"unit": "総務課", "title": "課長", "is_primary": True}],
        [{"unit": "財政課", "title": "課長", "is_primary": True}],
    ]
    sync = AuditEvent.objects.filter(action="directory.sync").last()
    assert sync.details["people_updated"] == 1
    assert sync.details["units_deactivated"] == 2
    assert not OrgUnit.objects.get(name="文書係").is_active


def test_unknown_and_ambiguous_unit_names_are_warnings_not_errors():
    units = [*UNITS, unit("総務部/財政課/庶務係"), unit("総務部/総務課/庶務係")]
    summary = directory_apply_snapshot(
        snapshot=snapshot(
            person("a", ("庶務係", "主事")),
            person("b", ("存在しない課", "主事"), ("文書係", "主任")),
            person("c", (f"ou=庶務係,ou=財政課,ou=総務部,{BASE}", "主事")),
            units=units,
        )
    )

    assert summary.people_created == 3
    assert len(summary.warnings) == 2
    assert any("庶務係" in w and "a" in w for w in summary.warnings)
    assert any("存在しない課" in w for w in summary.warnings)
    assert posts_of("a") == []
    # The first post that resolves becomes primary.
    assert posts_of("b") == [("文書係", "主任", True, Source.DIRECTORY)]
    # A DN is never ambiguous.
    assert [
        (a.unit.parent.name, a.unit.name)
        for a in Assignment.objects.filter(person__user__username="c")
    ] == [("財政課", "庶務係")]


def test_absent_and_disabled_people_are_deactivated_kept_and_can_come_back():
    directory_apply_snapshot(
        snapshot=snapshot(
            person("stays", ("総務課", "課長")),
            person("leaves", ("文書係", "主事")),
            person("disabled", ("文書係", "主事")),
        )
    )

    summary = directory_apply_snapshot(
        snapshot=snapshot(
            person("stays", ("総務課", "課長")),
            person("disabled", ("文書係", "主事"), is_disabled=True),
        )
    )

    assert summary.people_deactivated == 2
    assert summary.people_updated == 0
    for username in ("leaves", "disabled"):
        gone = Person.objects.get(user__username=username)
        assert not gone.is_active
        assert not gone.user.is_active
        assert gone.left_at is not None
        assert posts_of(username)  # history kept
    assert (
        directory_apply_snapshot(snapshot=snapshot(person("stays", ("総務課", "課長")))).changes
        == 0
    )

    back = directory_apply_snapshot(
        snapshot=snapshot(person("stays", ("総務課", "課長")), person("leaves", ("文書係", "主事")))
    )

    assert back.people_updated == 1
    assert back.people_created == 0
    returned = Person.objects.get(user__username="leaves")
    assert returned.is_active
    assert returned.user.is_active
    assert returned.left_at is None


def test_a_moved_person_keeps_identity_through_the_username():
    directory_apply_snapshot(snapshot=snapshot(person("mover", ("総務課", "主事"))))
    before = Person.objects.get(user__username="mover")
    new_dn = "uid=mover,ou=transferred,ou=people,dc=katano,dc=example"

    summary = directory_apply_snapshot(
        snapshot=snapshot(person("mover", ("財政課", "主事"), dn=new_dn))
    )

    assert (summary.people_created, summary.people_updated, summary.people_deactivated) == (0, 1, 0)
    after = Person.objects.get(user__username="mover")
    assert (after.pk, after.user_id, after.dn) == (before.pk, before.user_id, new_dn)
    assert posts_of("mover") == [("財政課", "主事", True, Source.DIRECTORY)]


def test_dn_comparison_ignores_case_and_spacing():
    directory_apply_snapshot(snapshot=snapshot(person("a", ("総務課", "主事"))))
    shouted = [
        UnitEntry(
            dn=u.dn.upper().replace(",", ", "),
            name=u.name,
            parent_dn=u.parent_dn.upper() if u.parent_dn else None,
            sort_order=u.sort_order,
        )
        for u in UNITS
    ]

    summary = directory_apply_snapshot(
        snapshot=snapshot(
            person("a", ("総務課", "主事"), dn=f"UID=A,{PEOPLE_BASE.upper()}"), units=shouted
        )
    )

    assert summary.changes == 0


def test_manual_posts_of_another_source_are_left_alone():
    directory_apply_snapshot(snapshot=snapshot(person("a", ("総務課", "主事"))))
    a = Person.objects.get(user__username="a")
    manual = AssignmentFactory(
        person=a,
        unit=OrgUnit.objects.get(name="財政課"),
        position=PositionFactory(title="主査"),
        is_primary=False,
        source=Source.LOCAL,
    )

    directory_apply_snapshot(snapshot=snapshot(person("a", ("文書係", "主任"))))

    assert posts_of("a") == [
        ("文書係", "主任", True, Source.DIRECTORY),
        ("財政課", "主査", False, Source.LOCAL),
    ]
    assert Assignment.objects.filter(pk=manual.pk).exists()


def test_an_account_of_another_source_is_never_taken_over():
    councilor = make_person("yamada", "山田 議員", None, kind=Person.Kind.COUNCILOR)

    summary = directory_apply_snapshot(snapshot=snapshot(person("yamada", ("総務課", "課長"))))

    assert summary.people_created == 0
    assert any("yamada" in w for w in summary.warnings)
    councilor.refresh_from_db()
    assert councilor.source == Source.LOCAL
    assert councilor.user.has_usable_password()
    assert councilor.is_active
    assert posts_of("yamada") == []


def test_local_snapshot_sets_passwords_once_and_spares_other_local_accounts():
    admin = make_person("admin", "管理者", None, kind=Person.Kind.ADMIN)
    snap = snapshot(person("demo", ("総務課", "主事")), person("demo2", ("総務課", "主事")))
    passwords = {"demo": "demo-pass-1", "demo2": "demo-pass-1"}

    first = directory_apply_snapshot(snapshot=snap, source=Source.LOCAL, passwords=passwords)
    second = directory_apply_snapshot(snapshot=snap, source=Source.LOCAL, passwords=passwords)

    assert first.people_created == 2
    assert second.changes == 0
    user_model = get_user_model()
    assert user_model.objects.get(username="demo").check_password("demo-pass-1")
    admin.refresh_from_db()
    assert admin.is_active
    assert admin.user.is_active


def test_directory_source_ignores_passwords():
    directory_apply_snapshot(
        snapshot=snapshot(person("a", ("総務課", "主事"))), passwords={"a": "local-secret"}
    )

    assert not get_user_model().objects.get(username="a").has_usable_password()


def test_progress_reports_every_person():
    calls: list[tuple[int, int]] = []
    people = [person(f"p{i}", ("総務課", "主事")) for i in range(3)]

    directory_apply_snapshot(snapshot=snapshot(*people), progress=lambda d, t: calls.append((d, t)))

    assert calls == [(1, 3), (2, 3), (3, 3)]


def _count_queries(people: int, tag: str) -> int:
    entries = [
        person(f"{tag}{i}", ("文書係", "主事"), ("財政課", "主任"), employee_number=str(i))
        for i in range(people)
    ]
    with CaptureQueriesContext(connection) as ctx:
        directory_apply_snapshot(snapshot=snapshot(*entries))
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_people():
    small = _count_queries(3, "s")
    large = _count_queries(60, "l")  # also deactivates the 3 people of the first run

    assert large <= small + 2
    assert Person.objects.filter(is_active=True).count() == 60

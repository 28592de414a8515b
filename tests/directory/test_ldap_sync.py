"""sync_directory against a real slapd: both layouts, 兼務, moves, departures, idempotency."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import translation

from audit.models import AuditEvent
from directory.integrations import ldap
from directory.models import Assignment, OrgUnit, Person, Position, Source
from tests.fixtures.ldap import AD_BASE, USER_BASE
from tests.ldap_server import free_port

pytestmark = [pytest.mark.ldap, pytest.mark.django_db]

FIRST_SYNC = (
    "people: created 7, updated 0, deactivated 0; units: created 12, updated 0, deactivated 0\n"
    "19 changes\n"
)
NO_CHANGE = (
    "people: created 0, updated 0, deactivated 0; units: created 0, updated 0, deactivated 0\n"
    "0 changes\n"
)


def sync() -> str:
    out = StringIO()
    call_command("sync_directory", stdout=out, stderr=StringIO())
    return out.getvalue()


def tree() -> dict[str, tuple[int, str | None]]:
    """{unit path: (level, parent name)}; paths keep the two 庶務係 apart."""

    def path(unit: OrgUnit) -> str:
        return f"{path(unit.parent)}/{unit.name}" if unit.parent else unit.name

    return {
        path(u): (u.level, u.parent.name if u.parent else None)
        for u in OrgUnit.objects.filter(is_active=True).select_related("parent")
    }


def posts(username: str) -> list[tuple[str, str, bool]]:
    return [
        (a.unit.name, a.position.title, a.is_primary)
        for a in Assignment.objects.filter(person__user__username=username)
        .select_related("unit", "position")
        .order_by("-is_primary", "unit__name")
    ]


@pytest.fixture
def city(ldap_settings, ldap_directory):
    ldap_directory.load("city")
    return ldap_directory


def test_sync_builds_the_exact_tree_posts_and_positions(city):
    output = sync()

    assert output.startswith(FIRST_SYNC)
    assert "庶務係" in output  # the ambiguous unit is reported
    assert tree() == {
        "総務部": (1, None),
        "総務部/総務課": (2, "総務部"),
        "総務部/総務課/文書係": (3, "総務課"),
        "総務部/総務課/法制係": (3, "総務課"),
        "総務部/人事課": (2, "総務部"),
        "総務部/人事課/人事係": (3, "人事課"),
        "市民部": (1, None),
        "市民部/市民課": (2, "市民部"),
        "市民部/市民課/窓口係": (3, "市民課"),
        "市民部/市民課/庶務係": (3, "市民課"),
        "市民部/保険年金課": (2, "市民部"),
        "市民部/保険年金課/庶務係": (3, "保険年金課"),
    }
    assert OrgUnit.objects.get(name="総務部").dn == "ou=総務部,ou=org,dc=katano,dc=example"
    assert posts("sato") == [("総務部", "部長", True)]
    assert posts("suzuki") == [("総務課", "課長", True)]
    assert posts("ito") == [("人事課", "課長", True)]  # named by DN
    assert posts("watanabe") == [("窓口係", "会計年度任用職員", True)]
    assert posts("yamamoto") == []  # 庶務係 is ambiguous
    ranks = dict(Position.objects.values_list("title", "rank"))
    assert (ranks["部長"], ranks["課長"], ranks["係長"], ranks["会計年度任用職員"]) == (
        70,
        50,
        40,
        0,
    )
    ito = Person.objects.get(user__username="ito")
    assert ito.display_name == "伊藤 健"  # no displayName: cn
    assert not Person.objects.filter(user__username="backup").exists()  # outside the filter


def test_concurrent_posts_from_multi_valued_department_number(city):
    sync()

    # Second unit, no second title: the first title is reused.
    assert posts("takahashi") == [("文書係", "係長", True), ("法制係", "係長", False)]
    # Titles pair with units by position.
    assert posts("tanaka") == [("文書係", "主事", True), ("人事係", "主任", False)]


def test_second_sync_reports_zero_changes_and_writes_nothing_but_its_record(city):
    sync()
    events = AuditEvent.objects.count()
    people = list(Person.objects.order_by("pk").values())

    output = sync()

    assert output.startswith(NO_CHANGE)
    assert list(Person.objects.order_by("pk").values()) == people
    assert list(AuditEvent.objects.filter(seq__gt=events).values_list("action", flat=True)) == [
        "directory.sync"
    ]


def test_changes_in_the_directory_are_applied_and_audited(city):
    sync()
    tanaka = Person.objects.get(user__username="tanaka")
    city.modify(
        "uid=tanaka,ou=people,dc=katano,dc=example",
        displayName="田中 太郎 (異動)",
        departmentNumber=["窓口係"],
        title=["主任"],
    )

    output = sync()

    assert output.startswith(
        "people: created 0, updated 1, deactivated 0; units: created 0, updated 0, deactivated 0\n"
        "1 changes\n"
    )
    tanaka.refresh_from_db()
    assert tanaka.display_name == "田中 太郎 (異動)"
    assert posts("tanaka") == [("窓口係", "主任", True)]
    event = AuditEvent.objects.get(action="directory.person_updated")
    assert event.target_id == str(tanaka.pk)
    assert event.details["display_name"] == ["田中 太郎", "田中 太郎 (異動)"]
    assert event.details["posts"][1] == [{"unit": "窓口係", "title": "主任", "is_primary": True}]


def test_sync_audits_every_creation(city):
    sync()

    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("directory.unit_created") == 12
    assert actions.count("directory.person_created") == 7
    assert "directory.position_created" in actions  # 会計年度任用職員
    assert actions[-1] == "directory.sync"
    summary = AuditEvent.objects.get(action="directory.sync").details
    assert (summary["people_created"], summary["units_created"], summary["changes"]) == (7, 12, 19)
    created = AuditEvent.objects.get(
        action="directory.person_created", details__username="takahashi"
    )
    assert created.target_type == "directory.person"
    assert created.target_id == str(Person.objects.get(user__username="takahashi").pk)


def test_removed_person_is_deactivated_kept_and_cannot_sign_in(city, rf):
    sync()
    tanaka = Person.objects.get(user__username="tanaka")
    created_event = AuditEvent.objects.get(action="directory.person_created", target_id=tanaka.pk)
    city.delete("uid=tanaka,ou=people,dc=katano,dc=example")

    output = sync()

    assert output.startswith(
        "people: created 0, updated 0, deactivated 1; units: created 0, updated 0, deactivated 0"
    )
    tanaka.refresh_from_db()
    assert not tanaka.is_active
    assert not tanaka.user.is_active
    assert tanaka.left_at is not None
    assert posts("tanaka")  # history kept
    assert AuditEvent.objects.filter(pk=created_event.pk).exists()
    assert AuditEvent.objects.filter(
        action="directory.person_deactivated", target_id=str(tanaka.pk)
    ).exists()
    request = rf.post("/accounts/login/")
    assert authenticate(request, username="tanaka", password="Tanaka-pass-1") is None
    assert sync().startswith(NO_CHANGE)


def test_person_who_comes_back_is_reactivated(city):
    sync()
    city.delete("uid=watanabe,ou=people,dc=katano,dc=example")
    sync()
    city.add_person("watanabe", "Watanabe-pass-2", displayName="渡辺 翔", departmentNumber="窓口係")

    output = sync()

    assert "people: created 0, updated 1, deactivated 0" in output
    watanabe = Person.objects.get(user__username="watanabe")
    assert watanabe.is_active
    assert watanabe.user.is_active
    assert watanabe.left_at is None
    assert Person.objects.filter(user__username="watanabe").count() == 1


def test_moved_person_keeps_identity_through_the_username(city):
    sync()
    before = Person.objects.get(user__username="suzuki")
    with city.admin() as conn:
        conn.add("ou=retired-test,ou=people,dc=katano,dc=example", ["organizationalUnit"])
    new_dn = city.move(
        "uid=suzuki,ou=people,dc=katano,dc=example",
        "ou=retired-test,ou=people,dc=katano,dc=example",
    )
    city.modify(new_dn, departmentNumber=["人事課"])

    output = sync()

    assert "people: created 0, updated 1, deactivated 0" in output
    after = Person.objects.get(user__username="suzuki")
    assert (after.pk, after.user_id) == (before.pk, before.user_id)
    assert ldap.normalize_dn(after.dn) == ldap.normalize_dn(new_dn)
    assert posts("suzuki") == [("人事課", "課長", True)]


def test_removed_unit_is_deactivated_not_deleted(city):
    sync()
    city.delete("ou=法制係,ou=総務課,ou=総務部,ou=org,dc=katano,dc=example")

    output = sync()

    # takahashi loses the 兼務 in 法制係 (an update); the unit itself is deactivated.
    assert output.startswith(
        "people: created 0, updated 1, deactivated 0; units: created 0, updated 0, deactivated 1"
    )
    assert not OrgUnit.objects.get(name="法制係").is_active
    assert posts("takahashi") == [("文書係", "係長", True)]


def test_active_directory_layout(ldap_settings_ad, ldap_directory):
    ldap_directory.load("city_ad")

    output = sync()

    assert output.startswith(
        "people: created 4, updated 0, deactivated 0; units: created 4, updated 0, deactivated 0\n"
    )
    assert tree() == {
        "総務部": (1, None),
        "総務部/財政課": (2, "総務部"),
        "総務部/財政課/財政係": (3, "財政課"),
        "総務部/契約検査課": (2, "総務部"),
    }
    # The OU holding the person is their unit, whatever their department says (free text in AD).
    assert posts("m.kobayashi") == [("総務部", "部長", True)]
    assert posts("m.kato") == [("財政課", "課長", True)]
    assert posts("d.yoshida") == [("財政係", "主任", True)]
    assert posts("m.hayashi") == [("財政課", "課長", True)]
    # userAccountControl 514 (disabled): never created.
    assert not Person.objects.filter(user__username="n.yamada").exists()
    assert Person.objects.get(user__username="m.kato").source == Source.DIRECTORY


def test_active_directory_disabled_account_is_deactivated_and_a_move_keeps_identity(
    ldap_settings_ad, ldap_directory
):
    ldap_directory.load("city_ad")
    sync()
    yoshida = Person.objects.get(user__username="d.yoshida")
    kato_dn = f"cn=加藤 恵,ou=財政課,ou=総務部,{AD_BASE}"
    ldap_directory.modify(kato_dn, userAccountControl="66050")  # 66048 | ACCOUNTDISABLE
    new_dn = ldap_directory.move(
        f"cn=吉田 大輔,ou=財政係,ou=財政課,ou=総務部,{AD_BASE}",
        f"ou=契約検査課,ou=総務部,{AD_BASE}",
    )

    output = sync()

    assert output.startswith("people: created 0, updated 1, deactivated 1;")
    kato = Person.objects.get(user__username="m.kato")
    assert not kato.is_active
    assert not kato.user.is_active
    moved = Person.objects.get(user__username="d.yoshida")
    assert moved.pk == yoshida.pk
    assert ldap.normalize_dn(moved.dn) == ldap.normalize_dn(new_dn)
    assert posts("d.yoshida") == [("契約検査課", "主任", True)]
    assert sync().startswith(NO_CHANGE)


def test_people_beyond_one_page_and_the_size_limit_are_all_synced(ldap_settings, ldap_directory):
    # slapd's size limit is 500 as on a production server: only a paged search sees them all.
    ldap_directory.load("city")
    with ldap_directory.admin() as conn:
        for i in range(620):
            conn.add(
                f"uid=bulk{i:04d},{USER_BASE}",
                ["inetOrgPerson"],
                {
                    "uid": f"bulk{i:04d}",
                    "cn": f"職員 {i}",
                    "sn": "職員",
                    "departmentNumber": "窓口係",
                },
            )

    output = sync()

    assert output.startswith("people: created 627,")
    assert Assignment.objects.filter(unit__name="窓口係").count() == 621


def test_sync_without_ldap_url_is_an_error(settings):
    settings.LDAP = {**settings.LDAP, "URL": ""}

    with translation.override("en"), pytest.raises(CommandError, match="KAIRAN_LDAP_URL"):
        call_command("sync_directory", stdout=StringIO(), stderr=StringIO())


def test_sync_with_unreachable_directory_is_an_error(settings):
    port = free_port()
    settings.LDAP = {**settings.LDAP, "URL": f"ldap://127.0.0.1:{port}", "ORG_BASE": "ou=org"}

    with translation.override("en"), pytest.raises(CommandError, match=f"127.0.0.1:{port}"):
        call_command("sync_directory", stdout=StringIO(), stderr=StringIO())
    assert not AuditEvent.objects.exists()


def test_wrong_service_password_is_an_error(city, settings):
    settings.LDAP = {**settings.LDAP, "BIND_PASSWORD": "wrong"}

    with (
        translation.override("en"),
        pytest.raises(CommandError, match="refused the service account"),
    ):
        call_command("sync_directory", stdout=StringIO(), stderr=StringIO())


def test_an_empty_answer_does_not_deactivate_everyone(city, settings):
    sync()
    settings.LDAP = {**settings.LDAP, "USER_FILTER": "(objectClass=nothingMatches)"}

    with translation.override("en"), pytest.raises(CommandError, match="--allow-empty"):
        call_command("sync_directory", stdout=StringIO(), stderr=StringIO())
    assert Person.objects.filter(is_active=True).count() == 7

    out = StringIO()
    call_command("sync_directory", "--allow-empty", stdout=out, stderr=StringIO())
    assert "deactivated 7" in out.getvalue()


def test_progress_bar_goes_to_stderr(city):
    out, err = StringIO(), StringIO()

    call_command("sync_directory", stdout=out, stderr=err)

    assert "7/7" in err.getvalue()
    assert "7/7" not in out.getvalue()

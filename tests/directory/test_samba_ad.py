"""Active Directory as cities run it, against a real Samba AD DC (tests/fixtures/samba.py).

People live in their unit's OU with free-text ``department``; some live outside the org tree
(CN=Users) and are placed by what their department says; 兼務 from a multi-valued attribute;
sign-in by sAMAccountName or userPrincipalName; disabled and expired accounts refused.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from directory.integrations import ldap
from directory.integrations.ldap_backend import LDAPBackend
from directory.models import Assignment, OrgUnit, Person
from tests.fixtures.samba import PASSWORD, samba_city, samba_dc  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.ldap, pytest.mark.django_db]

NO_CHANGE = (
    "people: created 0, updated 0, deactivated 0; units: created 0, updated 0, deactivated 0\n"
    "0 changes\n"
)


@pytest.fixture
def ad(settings, samba_city):  # noqa: F811
    settings.LDAP = samba_city.ldap_config()
    return samba_city


def sync() -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("sync_directory", stdout=out, stderr=StringIO())
    return out.getvalue()


def posts(username: str) -> list[tuple[str, str, str, bool]]:
    """(parent name, unit name, title, primary): the parent keeps the two 総務課 apart."""
    return [
        (a.unit.parent.name if a.unit.parent else "", a.unit.name, a.position.title, a.is_primary)
        for a in Assignment.objects.filter(person__user__username=username)
        .select_related("unit__parent", "position")
        .order_by("-is_primary", "unit__name")
    ]


def test_people_in_nested_ous_and_outside_the_tree_get_their_unit_and_position(ad):
    output = sync()

    assert output.startswith("people: created 13, updated 0, deactivated 0; units: created 7,")
    tree = {
        (u.parent.name if u.parent else "", u.name): (u.level, u.code)
        for u in OrgUnit.objects.select_related("parent")
    }
    assert tree[("総務課", "文書法規係")] == (3, "A-1203")
    assert tree[("市民部", "総務課")] == (2, "B-2100")
    # Inside their OU, whatever the free text says.
    assert posts("sato.k") == [("", "総務部", "部長", True)]
    assert posts("suzuki.a") == [("総務部", "総務課", "課長", True)]
    assert posts("tanaka.m") == [("総務課", "文書法規係", "係長", True)]
    assert posts("ito.y") == [("総務課", "文書法規係", "主事", True)]
    assert posts("yamada.n") == [("市民部", "総務課", "課長", True)]
    # 兼務 from the configured multi-valued attribute, with its own title.
    assert posts("watanabe.h") == [
        ("総務部", "財政課", "課長", True),
        ("総務部", "総務課", "課長補佐", False),
    ]
    # Outside the tree: the department path with separators, without its 部, or a unit code.
    assert posts("kimura.s") == [("総務課", "文書法規係", "主査", True)]
    assert posts("hayashi.t") == [("総務課", "文書法規係", "主事", True)]
    assert posts("mori.e") == [("財政課", "財政係", "主事", True)]


def test_people_nobody_can_place_are_reported_one_by_one_with_the_reason(ad):
    output = sync()

    assert "unplaced: ogawa.j: no unit matches 企画部企画課 (by name, path or code)" in output
    assert "unplaced: abe.k: 総務課 matches several units" in output
    assert "unplaced: shimizu.y: no unit: not inside the org tree and no department" in output
    assert output.count("unplaced:") == 3
    # They exist (they may sign in and be found) but hold no post.
    assert Person.objects.get(user__username="ogawa.j").is_active
    assert posts("ogawa.j") == []


def test_disabled_and_expired_accounts_are_not_created_and_cannot_sign_in(ad):
    sync()

    assert not Person.objects.filter(user__username__in=["nakamura.d", "kobayashi.x"]).exists()
    assert ldap.authenticate(username="nakamura.d", password=PASSWORD) is None
    assert ldap.authenticate(username="kobayashi.x", password=PASSWORD) is None
    assert LDAPBackend().authenticate(None, username="kobayashi.x", password=PASSWORD) is None


def test_an_account_disabled_or_expiring_later_is_deactivated_at_the_next_sync(ad):
    sync()
    dn = ad.dns["kato.r"]
    ad.dc.modify(dn, accountExpires="132223104000000000")  # 2020-01-01
    try:
        output = sync()
        kato = Person.objects.get(user__username="kato.r")
        assert output.startswith("people: created 0, updated 0, deactivated 1;")
        assert not kato.is_active
        assert not kato.user.is_active
    finally:
        ad.dc.modify(dn, accountExpires="9223372036854775807")


def test_sign_in_by_sam_account_name_or_user_principal_name(ad):
    sync()
    by_sam = LDAPBackend().authenticate(None, username="tanaka.m", password=PASSWORD)
    by_upn = LDAPBackend().authenticate(None, username="tanaka.m@katano.test", password=PASSWORD)

    assert by_sam is not None
    assert by_upn is not None
    assert by_upn.pk == by_sam.pk
    assert by_upn.get_username() == "tanaka.m"
    assert posts("tanaka.m") == [("総務課", "文書法規係", "係長", True)]
    assert LDAPBackend().authenticate(None, username="tanaka.m@katano.test", password="x") is None
    # The lockout counts one account whatever name was typed.
    assert ldap.entry_username(username="TANAKA.M@katano.test") == "tanaka.m"


def test_second_sync_reports_zero_changes(ad):
    sync()

    assert sync().startswith(NO_CHANGE)

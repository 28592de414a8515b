"""Directory sign-in against a real slapd: search-then-bind, refusals, injection, disabled AD."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model

from audit.models import AuditEvent
from directory.integrations import ldap
from directory.integrations.ldap_backend import LDAPBackend
from directory.models import Assignment, Person, Source
from tests.factories import TEST_PASSWORD, make_person
from tests.ldap_server import free_port

pytestmark = [pytest.mark.ldap, pytest.mark.django_db]

TANAKA_PASSWORD = "Tanaka-pass-1"


@pytest.fixture
def city(ldap_settings, ldap_directory):
    ldap_directory.load("city")
    return ldap_directory


@pytest.fixture
def login_request(rf):
    # Axes, first of AUTHENTICATION_BACKENDS, needs the request.
    return rf.post("/accounts/login/")


def test_directory_person_signs_in_through_django_authenticate(city, login_request):
    user = authenticate(login_request, username="tanaka", password=TANAKA_PASSWORD)

    assert user is not None
    assert user.username == "tanaka"
    assert user.backend == "directory.integrations.ldap_backend.LDAPBackend"
    assert not user.has_usable_password()
    person = Person.objects.get(user=user)
    assert (person.source, person.display_name, person.email, person.employee_number) == (
        Source.DIRECTORY,
        "田中 太郎",
        "tanaka@city.katano.example",
        "1004",
    )
    posts = {
        (a.unit.name, a.position.title, a.is_primary)
        for a in Assignment.objects.filter(person=person).select_related("unit", "position")
    }
    assert posts == set()  # no units before the first sync: posts come with it
    assert AuditEvent.objects.filter(
        action="directory.person_created", target_id=str(person.pk)
    ).exists()


def test_sign_in_after_a_sync_maps_posts_like_the_sync(city, login_request):
    from directory.services import directory_apply_snapshot

    directory_apply_snapshot(snapshot=ldap.fetch_snapshot())
    before = Person.objects.get(user__username="tanaka")
    events = AuditEvent.objects.count()

    user = LDAPBackend().authenticate(login_request, username="tanaka", password=TANAKA_PASSWORD)

    assert user is not None
    assert user.pk == before.user_id
    assert sorted(
        (a.unit.name, a.position.title, a.is_primary) for a in before.assignments.all()
    ) == [("人事係", "主任", False), ("文書係", "主事", True)]
    # Nothing changed in the directory, so signing in writes nothing.
    assert AuditEvent.objects.count() == events


def test_backend_signs_in_and_get_user_returns_the_user(city):
    backend = LDAPBackend()

    user = backend.authenticate(None, username="tanaka", password=TANAKA_PASSWORD)

    assert user is not None
    assert backend.get_user(user.pk) == user
    assert backend.get_user(10**9) is None


def test_wrong_password_and_unknown_user_fail_alike(city, login_request):
    wrong = authenticate(login_request, username="tanaka", password="Tanaka-pass-2")
    unknown = authenticate(login_request, username="nobody", password=TANAKA_PASSWORD)
    backend = LDAPBackend()

    assert wrong is None
    assert unknown is None
    assert backend.authenticate(None, username="tanaka", password="nope") is None
    assert backend.authenticate(None, username="nobody", password="nope") is None
    assert ldap.authenticate(username="tanaka", password="nope") is None
    assert ldap.authenticate(username="nobody", password="nope") is None
    assert not get_user_model().objects.filter(username__in=["tanaka", "nobody"]).exists()


@pytest.mark.parametrize(
    "username",
    [
        "*",
        "t*",
        "*)(uid=*",
        "tanaka)(|(uid=*",
        "(uid=tanaka)",
        "tanaka)",
        "\\",
        "tanaka\\",
        "\\74anaka",  # \74 is "t": an unescaped backslash would make this tanaka
        "tanaka\x00",
        "tanaka\x00*",
        "\x00",
        "tanaka\n",
    ],
)
def test_filter_metacharacters_and_nul_never_match_anyone(city, login_request, username):
    # The password is tanaka's: a wildcard or injected filter would sign in as tanaka.
    assert ldap.authenticate(username=username, password=TANAKA_PASSWORD) is None
    assert authenticate(login_request, username=username, password=TANAKA_PASSWORD) is None
    assert not Person.objects.exists()


def test_empty_password_is_refused(city):
    # An empty password makes an "unauthenticated bind", which some servers (AD among them)
    # answer with success: it must never reach the server.
    assert ldap.authenticate(username="tanaka", password="") is None
    assert LDAPBackend().authenticate(None, username="tanaka", password="") is None
    assert LDAPBackend().authenticate(None, username="tanaka", password=None) is None
    assert not Person.objects.exists()


@pytest.mark.parametrize("password", ["Tanaka-pass-1\x00", "\x00", "Tanaka\x00-pass-1", "\t"])
def test_control_characters_in_passwords_are_refused(city, password):
    assert ldap.authenticate(username="tanaka", password=password) is None


def test_entry_outside_the_user_filter_cannot_sign_in(city):
    assert ldap.authenticate(username="backup", password="Backup-pass-1") is None
    assert LDAPBackend().authenticate(None, username="backup", password="Backup-pass-1") is None


def test_person_removed_from_the_directory_can_no_longer_sign_in(city, login_request):
    assert authenticate(login_request, username="tanaka", password=TANAKA_PASSWORD) is not None
    city.delete("uid=tanaka,ou=people,dc=katano,dc=example")

    assert authenticate(login_request, username="tanaka", password=TANAKA_PASSWORD) is None
    assert Person.objects.filter(user__username="tanaka").exists()


def test_disabled_active_directory_account_cannot_sign_in(ldap_settings_ad, ldap_directory):
    ldap_directory.load("city_ad")
    backend = LDAPBackend()

    assert backend.authenticate(None, username="n.yamada", password="Yamada-pass-1") is None
    assert ldap.authenticate(username="n.yamada", password="Yamada-pass-1") is None
    # The same account enabled again (512) signs in: the bit, not the password, refused it.
    ldap_directory.modify(
        "cn=山田 直美,ou=財政係,ou=財政課,ou=総務部,ou=Katano,dc=katano,dc=example",
        userAccountControl="512",
    )
    user = backend.authenticate(None, username="n.yamada", password="Yamada-pass-1")
    assert user is not None
    assert user.username == "n.yamada"


def test_active_directory_names_sign_in(ldap_settings_ad, ldap_directory):
    ldap_directory.load("city_ad")

    user = LDAPBackend().authenticate(None, username="m.kato", password="Kato-pass-1")

    assert user is not None
    person = Person.objects.get(user=user)
    assert person.display_name == "加藤 恵"  # no displayName: from cn
    assert person.dn.startswith("cn=加藤 恵,ou=財政課")


def test_disabling_an_account_deactivates_a_signed_in_person_at_next_sign_in(
    ldap_settings_ad, ldap_directory
):
    ldap_directory.load("city_ad")
    dn = "cn=吉田 大輔,ou=財政係,ou=財政課,ou=総務部,ou=Katano,dc=katano,dc=example"
    assert LDAPBackend().authenticate(None, username="d.yoshida", password="Yoshida-pass-1")
    ldap_directory.modify(dn, userAccountControl="514")

    assert LDAPBackend().authenticate(None, username="d.yoshida", password="Yoshida-pass-1") is None


def test_no_directory_configured_means_no_directory_sign_in(city, settings, login_request):
    settings.LDAP = {**settings.LDAP, "URL": ""}

    assert LDAPBackend().authenticate(None, username="tanaka", password=TANAKA_PASSWORD) is None
    assert authenticate(login_request, username="tanaka", password=TANAKA_PASSWORD) is None


def test_unreachable_directory_refuses_without_breaking_local_accounts(settings, login_request):
    settings.LDAP = {**settings.LDAP, "URL": f"ldap://127.0.0.1:{free_port()}", "TIMEOUT": 2}
    make_person("councilor", "議員 一郎", None, kind=Person.Kind.COUNCILOR)

    assert LDAPBackend().authenticate(None, username="tanaka", password="x") is None
    user = authenticate(login_request, username="councilor", password=TEST_PASSWORD)
    assert user is not None
    assert user.username == "councilor"


def test_directory_user_never_takes_over_a_local_account(city, login_request):
    local = make_person("tanaka", "田中 (ローカル)", None, kind=Person.Kind.COUNCILOR)

    assert LDAPBackend().authenticate(None, username="tanaka", password=TANAKA_PASSWORD) is None
    local.refresh_from_db()
    assert local.source == Source.LOCAL
    assert local.display_name == "田中 (ローカル)"
    # The local account still signs in with its own password.
    assert authenticate(login_request, username="tanaka", password=TEST_PASSWORD) == local.user

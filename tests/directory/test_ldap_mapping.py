"""Mapping directory entries to snapshot data, without a server: DNs, layouts, AD flags."""

from __future__ import annotations

import pytest

from directory.integrations.ldap import DirectoryConfig, normalize_dn, person_entry
from directory.snapshot import PostEntry

ORG = "ou=org,dc=katano,dc=example"


def config(**overrides) -> DirectoryConfig:
    values = {
        "url": "ldap://127.0.0.1:1",
        "bind_dn": "",
        "bind_password": "",
        "user_base": "ou=people,dc=katano,dc=example",
        "org_base": ORG,
        "user_filter": "(objectClass=inetOrgPerson)",
        "attr_username": "uid",
        "attr_unit": "departmentNumber",
        "attr_title": "title",
        "timeout": 5,
    }
    return DirectoryConfig(**{**values, **overrides})


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("OU=総務部, OU=Org ,DC=Katano,DC=example", f"ou=総務部,{ORG}"),
        (r"ou=\E7\B7\8F\E5\8B\99\E9\83\A8,ou=org,dc=katano,dc=example", f"ou=総務部,{ORG}"),
        (r"cn=Sato\, Taro+uid=sato,ou=x", r"UID=sato+CN=sato\2C taro,OU=X"),
    ],
)
def test_equal_dns_normalise_alike(left, right):
    assert normalize_dn(left) == normalize_dn(right)


def test_different_dns_stay_different():
    assert normalize_dn(f"ou=庶務係,ou=市民課,{ORG}") != normalize_dn(
        f"ou=庶務係,ou=保険年金課,{ORG}"
    )
    assert normalize_dn(r"cn=a\,b,ou=x") != normalize_dn("cn=a,cn=b,ou=x")
    assert normalize_dn("") == ""


def test_flat_layout_pairs_titles_with_units_and_reuses_the_first():
    entry = person_entry(
        "uid=t,ou=people,dc=katano,dc=example",
        {
            "uid": ["t"],
            "cn": ["田中 太郎"],
            "departmentNumber": ["文書係", "人事係", "法制係"],
            "title": ["主事", "主任"],
        },
        config(),
    )

    assert entry.posts == (
        PostEntry("文書係", "主事"),
        PostEntry("人事係", "主任"),
        PostEntry("法制係", "主事"),
    )
    assert entry.display_name == "田中 太郎"
    assert not entry.is_disabled


def test_people_inside_an_org_ou_belong_to_it_but_not_to_the_base_or_elsewhere():
    cfg = config(user_base=ORG)
    inside = person_entry(f"uid=a,ou=総務課,{ORG}", {"uid": ["a"], "title": ["課長"]}, cfg)
    at_base = person_entry(f"uid=b,{ORG}", {"uid": ["b"]}, cfg)
    outside = person_entry("uid=c,ou=people,dc=katano,dc=example", {"uid": ["c"]}, cfg)

    assert inside.posts == (PostEntry(f"ou=総務課,{ORG}", "課長"),)
    assert at_base.posts == ()
    assert outside.posts == ()


@pytest.mark.parametrize(
    ("flags", "disabled"), [("512", False), ("514", True), ("66050", True), ("66048", False)]
)
def test_active_directory_disable_bit(flags, disabled):
    cfg = config(attr_username="sAMAccountName", user_filter="(objectClass=user)")
    entry = person_entry(
        f"cn=x,ou=総務課,{ORG}", {"sAMAccountName": ["x"], "userAccountControl": [flags]}, cfg
    )

    assert cfg.is_active_directory
    assert "userAccountControl" in cfg.person_attributes
    assert entry.is_disabled is disabled


def test_openldap_ignores_user_account_control_and_does_not_ask_for_it():
    cfg = config()
    entry = person_entry("uid=x,ou=p", {"uid": ["x"], "userAccountControl": ["514"]}, cfg)

    assert not cfg.is_active_directory
    assert "userAccountControl" not in cfg.person_attributes
    assert not entry.is_disabled


def test_entry_without_username_is_skipped():
    assert person_entry("uid=x,ou=p", {"cn": ["名無し"]}, config()) is None

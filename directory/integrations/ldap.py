"""Reading the city directory (OpenLDAP or Active Directory) with ldap3: sync snapshots and sign-in.

Two layouts (CONTRACT.md "Directory mapping"): people in a flat subtree naming their unit by
``ATTR_UNIT`` (``departmentNumber``; more values are 兼務), or people stored inside their unit's
OU (Active Directory). Nothing here touches the database: ``fetch_snapshot`` returns plain data
for ``directory.services.directory_apply_snapshot`` and ``authenticate`` returns the entry that
``directory.services.directory_upsert_person`` maps, so sync and sign-in share one mapping.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import ldap3
from django.conf import settings
from django.utils.translation import gettext as _
from ldap3.core.exceptions import (
    LDAPBindError,
    LDAPCommunicationError,
    LDAPException,
    LDAPOperationResult,
    LDAPResponseTimeoutError,
)
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, to_dn

from directory.snapshot import DirectorySnapshot, PersonEntry, PostEntry, UnitEntry

logger = logging.getLogger(__name__)

PAGE_SIZE = 500
# userAccountControl's ACCOUNTDISABLE flag.
AD_ACCOUNT_DISABLED = 0x2
# accountExpires counts 100 ns ticks since 1601-01-01 UTC; 0 and the largest value mean never.
AD_NEVER_EXPIRES = (0, 0x7FFFFFFFFFFFFFFF)
AD_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
# Between a unit and a title in a 兼務 value ("財政課|課長補佐").
CONCURRENT_SEPARATORS = ("|", "｜", ";", "；")
# Django's User.username is at most 150 characters; longer input can never be a valid account.
MAX_USERNAME_LENGTH = 150
MAX_PASSWORD_LENGTH = 1024


class DirectoryError(Exception):
    """The directory cannot be used: unreachable, refused the service account, or misconfigured."""


@dataclass(frozen=True)
class DirectoryConfig:
    """``settings.LDAP`` (built from the KAIRAN_LDAP_* variables) with defaults applied."""

    url: str
    bind_dn: str
    bind_password: str
    user_base: str
    org_base: str
    user_filter: str
    attr_username: str
    attr_unit: str
    attr_title: str
    timeout: int
    # Optional (CONTRACT.md "Directory mapping"): a code on org OUs that ``attr_unit`` may name,
    # a multi-valued attribute of 兼務 ("unit" or "unit|title"), and AD's second sign-in name.
    attr_unit_code: str = ""
    attr_concurrent: str = ""
    attr_upn: str = "userPrincipalName"

    @classmethod
    def from_settings(cls) -> DirectoryConfig:
        conf: Mapping[str, Any] = getattr(settings, "LDAP", {}) or {}
        user_filter = (conf.get("USER_FILTER") or "(objectClass=inetOrgPerson)").strip()
        if not user_filter.startswith("("):
            user_filter = f"({user_filter})"
        org_base = (conf.get("ORG_BASE") or "").strip()
        return cls(
            url=(conf.get("URL") or "").strip(),
            bind_dn=conf.get("BIND_DN") or "",
            bind_password=conf.get("BIND_PASSWORD") or "",
            # With people inside the org chart (AD) one base serves both.
            user_base=(conf.get("USER_BASE") or "").strip() or org_base,
            org_base=org_base,
            user_filter=user_filter,
            attr_username=conf.get("ATTR_USERNAME") or "uid",
            attr_unit=conf.get("ATTR_UNIT") or "departmentNumber",
            attr_title=conf.get("ATTR_TITLE") or "title",
            timeout=int(conf.get("TIMEOUT") or 10),
            attr_unit_code=(conf.get("ATTR_UNIT_CODE") or "").strip(),
            attr_concurrent=(conf.get("ATTR_CONCURRENT") or "").strip(),
            attr_upn=(conf.get("ATTR_UPN") or "userPrincipalName").strip(),
        )

    @property
    def is_active_directory(self) -> bool:
        return self.attr_username.lower() == "samaccountname" or (
            "objectclass=user)" in self.user_filter.replace(" ", "").lower()
        )

    @property
    def person_attributes(self) -> list[str]:
        names = [
            self.attr_username,
            "displayName",
            "cn",
            "mail",
            "employeeNumber",
            self.attr_unit,
            self.attr_title,
        ]
        if self.attr_concurrent:
            names.append(self.attr_concurrent)
        if self.is_active_directory:
            names.extend(["userAccountControl", "accountExpires"])
            if self.attr_upn:
                names.append(self.attr_upn)
        return list(dict.fromkeys(names))


# --- DNs ---------------------------------------------------------------------------------------


def _unescape_dn_value(value: str) -> str:
    """Undo RFC 4514 escapes (``\\,`` and ``\\E7\\B7\\8F``) so equal values compare equal."""
    out = bytearray()
    i = 0
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value):
            pair = value[i + 1 : i + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                out.append(int(pair, 16))
                i += 3
                continue
            out.extend(value[i + 1].encode())
            i += 2
            continue
        out.extend(char.encode())
        i += 1
    return out.decode("utf-8", errors="replace")


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _rdns(dn: str) -> list[str]:
    return [rdn.strip() for rdn in to_dn(dn.strip())] if dn.strip() else []


def normalize_dn(dn: str) -> str:
    """A comparison key for a DN: case-insensitive, spaces and escapes canonical, RDN parts sorted.

    Directories hand back DNs with varying case and spacing (AD in particular); identity must not
    change with them.
    """
    if not dn or not dn.strip():
        return ""
    return _normalize_dn(dn.strip())


def _ava_key(attr: str, value: str) -> str:
    return f"{attr.strip().lower()}={escape_rdn(value.strip()).lower()}"


# A sync compares each DN several times; parsing dominated its profile before this cache.
@lru_cache(maxsize=65536)
def _normalize_dn(dn: str) -> str:
    if not any(char in dn for char in '\\+"'):
        # Nothing escaped or multi-valued: plain splitting gives what the full parse would.
        return ",".join(_ava_key(*rdn.partition("=")[::2]) for rdn in dn.split(","))
    try:
        rdns = _rdns(dn)
    except LDAPException:
        return dn.lower()
    keys = []
    for rdn in rdns:
        parts = []
        for ava in _split_unescaped(rdn, "+"):
            attr, _sep, value = ava.partition("=")
            parts.append(_ava_key(attr, _unescape_dn_value(value.strip())))
        keys.append("+".join(sorted(parts)))
    return ",".join(keys)


def parent_dn(dn: str) -> str:
    """The DN without its first RDN (as the server spelled it); empty for a one-RDN DN."""
    return ",".join(_rdns(dn)[1:])


def is_within(dn: str, base: str) -> bool:
    """Whether ``dn`` is ``base`` or below it (normalised comparison)."""
    dn_key, base_key = normalize_dn(dn), normalize_dn(base)
    return bool(base_key) and (dn_key == base_key or dn_key.endswith("," + base_key))


def _ou_of(dn: str, attributes: Mapping[str, Any]) -> str:
    """A unit's name: the value of its ``ou=`` RDN, else its first ``ou`` value."""
    rdns = _rdns(dn)
    if rdns:
        attr, _sep, value = rdns[0].partition("=")
        if attr.strip().lower() == "ou" and "+" not in rdns[0]:
            return _unescape_dn_value(value.strip()).strip()
    values = _values(attributes, "ou")
    return values[0] if values else ""


# --- Attribute values ----------------------------------------------------------------------------


def _values(attributes: Mapping[str, Any], name: str) -> list[str]:
    """All non-empty values of an attribute as text, in the server's order."""
    raw = attributes.get(name)
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else [raw]
    values = []
    for item in items:
        text = item.decode("utf-8", errors="replace") if isinstance(item, bytes) else str(item)
        if text.strip():
            values.append(text.strip())
    return values


def _first(attributes: Mapping[str, Any], name: str) -> str:
    values = _values(attributes, name)
    return values[0] if values else ""


def account_expires_at(value: str) -> datetime | None:
    """AD's ``accountExpires`` as a datetime; None when the account never expires."""
    try:
        ticks = int(value)
    except ValueError:
        return None
    if ticks in AD_NEVER_EXPIRES or ticks < 0:
        return None
    try:
        return AD_EPOCH + timedelta(microseconds=ticks // 10)
    except OverflowError:
        return None


def _is_disabled(
    attributes: Mapping[str, Any], config: DirectoryConfig, now: datetime | None = None
) -> bool:
    """AD only: the disable bit of ``userAccountControl``, or ``accountExpires`` passed."""
    if not config.is_active_directory:
        return False
    try:
        if int(_first(attributes, "userAccountControl") or 0) & AD_ACCOUNT_DISABLED:
            return True
    except ValueError:
        pass
    expires_at = account_expires_at(_first(attributes, "accountExpires"))
    return expires_at is not None and expires_at <= (now or datetime.now(UTC))


def _concurrent_posts(attributes: Mapping[str, Any], config: DirectoryConfig) -> list[PostEntry]:
    if not config.attr_concurrent:
        return []
    posts = []
    for value in _values(attributes, config.attr_concurrent):
        unit, title = value, ""
        for separator in CONCURRENT_SEPARATORS:
            if separator in value:
                unit, _sep, title = value.partition(separator)
                break
        if unit.strip():
            posts.append(PostEntry(unit=unit.strip(), title=title.strip()))
    return posts


def person_entry(
    dn: str, attributes: Mapping[str, Any], config: DirectoryConfig
) -> PersonEntry | None:
    """Map one directory entry to a ``PersonEntry``; None when it has no username."""
    username = _first(attributes, config.attr_username)
    if not username:
        return None
    titles = _values(attributes, config.attr_title)
    units = _values(attributes, config.attr_unit)
    container = parent_dn(dn) if config.org_base else ""
    if (
        container
        and is_within(container, config.org_base)
        and not is_within(config.org_base, container)
    ):
        # AD layout: the OU holding the entry is the unit, whatever ``department`` says (free
        # text in AD); 兼務 then only come from ``attr_concurrent``.
        units = [container]
    posts = [
        # Titles pair with units by position; a 兼務 without its own title keeps the first one.
        PostEntry(unit=unit, title=titles[i] if i < len(titles) else (titles[0] if titles else ""))
        for i, unit in enumerate(units)
    ]
    primary_title = titles[0] if titles else ""
    posts.extend(
        PostEntry(unit=post.unit, title=post.title or primary_title)
        for post in _concurrent_posts(attributes, config)
    )
    return PersonEntry(
        dn=dn,
        username=username,
        display_name=_first(attributes, "displayName") or _first(attributes, "cn") or username,
        email=_first(attributes, "mail"),
        employee_number=_first(attributes, "employeeNumber"),
        posts=tuple(posts),
        is_disabled=_is_disabled(attributes, config),
    )


# --- Connections ---------------------------------------------------------------------------------


def _server(config: DirectoryConfig) -> ldap3.Server:
    # No schema or server info: fewer round trips, and unknown attribute names (e.g.
    # userAccountControl on OpenLDAP) are simply absent instead of an error.
    return ldap3.Server(config.url, get_info=ldap3.NONE, connect_timeout=config.timeout)


def connect(config: DirectoryConfig | None = None) -> ldap3.Connection:
    """A bound, read-only connection as the service account (anonymous without BIND_DN).

    Raises DirectoryError when the directory is not configured, unreachable or refuses the bind.
    """
    config = config or DirectoryConfig.from_settings()
    if not config.url:
        raise DirectoryError(_("KAIRAN_LDAP_URL is not set: directory sign-in and sync are off."))
    try:
        return ldap3.Connection(
            _server(config),
            user=config.bind_dn or None,
            password=config.bind_password or None,
            auto_bind=ldap3.AUTO_BIND_NO_TLS,
            read_only=True,
            raise_exceptions=True,
            receive_timeout=config.timeout,
            auto_referrals=False,
        )
    except (LDAPBindError, LDAPOperationResult) as exc:
        # A refused bind: LDAPBindError, or with raise_exceptions its result (e.g. code 49).
        raise DirectoryError(
            _("The directory at %(url)s refused the service account %(dn)s.")
            % {"url": config.url, "dn": config.bind_dn or _("(anonymous)")}
        ) from exc
    except LDAPException as exc:
        raise DirectoryError(
            _("Cannot reach the directory at %(url)s: %(error)s")
            % {"url": config.url, "error": exc}
        ) from exc


def _paged(
    conn: ldap3.Connection, base: str, query: str, attributes: list[str]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for item in conn.extend.standard.paged_search(
        base, query, ldap3.SUBTREE, attributes=attributes, paged_size=PAGE_SIZE, generator=True
    ):
        if item.get("type") == "searchResEntry":
            yield item["dn"], item.get("attributes") or {}


# --- Sync ----------------------------------------------------------------------------------------


def fetch_snapshot(config: DirectoryConfig | None = None) -> DirectorySnapshot:
    """Read the org chart and everyone matching USER_FILTER (paged searches) as a snapshot.

    Raises DirectoryError when the directory cannot be read.
    """
    config = config or DirectoryConfig.from_settings()
    if not config.org_base:
        raise DirectoryError(_("KAIRAN_LDAP_ORG_BASE is not set: there is no org chart to read."))
    conn = connect(config)
    try:
        units = _fetch_units(conn, config)
        people = []
        for dn, attributes in _paged(
            conn, config.user_base, config.user_filter, config.person_attributes
        ):
            entry = person_entry(dn, attributes, config)
            if entry is None:
                logger.warning("Directory entry %s has no %s: skipped", dn, config.attr_username)
            else:
                people.append(entry)
    except LDAPException as exc:
        raise DirectoryError(
            _("Reading the directory at %(url)s failed: %(error)s")
            % {"url": config.url, "error": exc}
        ) from exc
    finally:
        conn.unbind()
    # Server order is arbitrary; a fixed order makes warnings and duplicate handling repeatable.
    people.sort(key=lambda p: (p.username.lower(), normalize_dn(p.dn)))
    return DirectorySnapshot(units=units, people=people)


def _fetch_units(conn: ldap3.Connection, config: DirectoryConfig) -> list[UnitEntry]:
    base_key = normalize_dn(config.org_base)
    found = []
    attributes_wanted = ["ou", "createTimestamp"]
    if config.attr_unit_code:
        attributes_wanted.append(config.attr_unit_code)
    for dn, attributes in _paged(
        conn, config.org_base, "(objectClass=organizationalUnit)", attributes_wanted
    ):
        if normalize_dn(dn) != base_key:
            code = _first(attributes, config.attr_unit_code) if config.attr_unit_code else ""
            found.append((dn, _ou_of(dn, attributes), _first(attributes, "createTimestamp"), code))
    # LDAP keeps no order and servers answer in any order, so siblings are numbered by when they
    # were created (OpenLDAP and AD both expose createTimestamp), then by name: stable across
    # syncs, and an org chart created in its official order keeps that order.
    found.sort(key=lambda item: (item[2][:14], item[1], normalize_dn(item[0])))
    siblings: dict[str, int] = defaultdict(int)
    units = []
    for dn, name, _created, code in found:
        parent = parent_dn(dn)
        parent_key = normalize_dn(parent)
        siblings[parent_key] += 1
        units.append(
            UnitEntry(
                dn=dn,
                name=name,
                parent_dn=None if parent_key == base_key else parent,
                sort_order=siblings[parent_key],
                code=code,
            )
        )
    return units


# --- Sign-in -------------------------------------------------------------------------------------


def _is_acceptable(text: object, max_length: int) -> bool:
    # Control characters (NUL above all) can truncate or reshape a filter or a bind in some
    # servers and libraries; no real username or password contains one.
    return (
        isinstance(text, str)
        and 0 < len(text) <= max_length
        and not any(unicodedata.category(char) == "Cc" for char in text)
    )


def authenticate(
    *, username: str, password: str, config: DirectoryConfig | None = None
) -> PersonEntry | None:
    """Search-then-bind: the entry of the one person named ``username`` when ``password`` binds.

    None for every refusal alike (unknown, ambiguous, disabled, wrong password, unacceptable
    input); raises DirectoryError when the directory cannot be reached.
    """
    # An empty password would be an unauthenticated bind, which LDAP servers accept.
    if not _is_acceptable(username, MAX_USERNAME_LENGTH) or not _is_acceptable(
        password, MAX_PASSWORD_LENGTH
    ):
        return None
    config = config or DirectoryConfig.from_settings()
    found = _find_people(username, config, attributes=config.person_attributes)
    if len(found) != 1:
        logger.info("Directory sign-in refused: %d entries match the username", len(found))
        return None
    entry = person_entry(*found[0], config)
    if entry is None or entry.is_disabled:
        logger.info("Directory sign-in refused: %s is disabled or has no username", found[0][0])
        return None
    if not _bind_as(config, entry.dn, password):
        logger.info("Directory sign-in refused: wrong password for %s", entry.dn)
        return None
    return entry


def entry_username(*, username: str, config: DirectoryConfig | None = None) -> str | None:
    """The username stored in the one directory entry that ``username`` names, as the directory
    matches it (ignoring case, width and other compatibility forms); None when not exactly one.

    Sign-in lockouts count per entry found, so every spelling the directory accepts for one
    person shares one failure count. Raises DirectoryError when the directory cannot be reached.
    """
    if not _is_acceptable(username, MAX_USERNAME_LENGTH):
        return None
    config = config or DirectoryConfig.from_settings()
    found = _find_people(username, config, attributes=[config.attr_username])
    if len(found) != 1:
        return None
    return _first(found[0][1], config.attr_username) or None


def _find_people(
    username: str, config: DirectoryConfig, *, attributes: list[str]
) -> list[tuple[str, Mapping[str, Any]]]:
    """The entries (at most two: enough to know a name is ambiguous) matching ``username``.

    In Active Directory people may also sign in with their ``userPrincipalName``
    (sato.kenichi@city.example.lg.jp); the entry found gives the username either way.
    """
    value = escape_filter_chars(username)
    match = f"({config.attr_username}={value})"
    if config.is_active_directory and config.attr_upn and "@" in username:
        match = f"(|{match}({config.attr_upn}={value}))"
    query = f"(&{config.user_filter}{match})"
    conn = connect(config)
    try:
        # Size-limit results do not raise.
        conn.search(config.user_base, query, ldap3.SUBTREE, attributes=attributes, size_limit=2)
        return [
            (item["dn"], item.get("attributes") or {})
            for item in conn.response or []
            if item.get("type") == "searchResEntry"
        ]
    except LDAPException as exc:
        raise DirectoryError(
            _("Searching the directory at %(url)s failed: %(error)s")
            % {"url": config.url, "error": exc}
        ) from exc
    finally:
        conn.unbind()


def _bind_as(config: DirectoryConfig, dn: str, password: str) -> bool:
    """Bind as the person on a fresh connection: the service connection keeps its identity."""
    conn = ldap3.Connection(
        _server(config),
        user=dn,
        password=password,
        read_only=True,
        raise_exceptions=False,
        receive_timeout=config.timeout,
        auto_referrals=False,
    )
    try:
        return bool(conn.bind())
    except (LDAPCommunicationError, LDAPResponseTimeoutError) as exc:
        raise DirectoryError(
            _("Cannot reach the directory at %(url)s: %(error)s")
            % {"url": config.url, "error": exc}
        ) from exc
    except LDAPException:
        return False
    finally:
        conn.unbind()

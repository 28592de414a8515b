"""A private slapd for tests and benchmarks: temporary cn=config, free loopback port, no root.

Used by the ``slapd`` fixture (tests/fixtures/ldap.py) and by bench/bench_sync.py, so both run the
same server the same way. Needs only Debian's ``slapd`` package (slapd, slapadd and the schemas);
entries are added with ldap3, so ldap-utils is not required. No Django or pytest imports here.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import ldap3
from ldap3.core.exceptions import LDAPException

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = "/usr/lib/ldap"
SCHEMAS = ("core", "cosine", "nis", "inetorgperson")
# Active Directory's sAMAccountName, department and userAccountControl for the AD-layout tests.
AD_SCHEMA = Path(__file__).resolve().parent / "ldif" / "ad_schema.ldif"

SUFFIX = "dc=katano,dc=example"
ADMIN_DN = f"cn=admin,{SUFFIX}"
SYSTEM_OU = f"ou=system,{SUFFIX}"
SERVICE_DN = f"cn=kairan-sync,{SYSTEM_OU}"
START_TIMEOUT_SECONDS = 10.0


def ssha(password: str) -> str:
    """An ``{SSHA}`` userPassword value, as slappasswd would make it."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt, usedforsecurity=False).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _schema_ldif(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()


def config_ldif(*, workdir: Path, admin_password: str) -> str:
    """The cn=config tree: back_mdb, the schemas, one mdb database for ``SUFFIX``."""
    schemas = [SCHEMA_DIR / f"{name}.ldif" for name in SCHEMAS] + [AD_SCHEMA]
    parts = [
        f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {workdir}/slapd.pid
olcArgsFile: {workdir}/slapd.args

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {MODULE_DIR}
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema
""",
        *(_schema_ldif(s) + "\n" for s in schemas),
        # A soft/hard size limit of 500 like a production server: a sync that forgot to page
        # would stop at 500 people; paged searches may return everything.
        f"""dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend
olcSizeLimit: size.soft=500 size.hard=500 size.prtotal=unlimited

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcDbDirectory: {workdir}/db
olcSuffix: {SUFFIX}
olcRootDN: {ADMIN_DN}
olcRootPW: {ssha(admin_password)}
olcDbMaxSize: 1073741824
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: uid eq
olcDbIndex: cn eq
olcAccess: {{0}}to attrs=userPassword by anonymous auth by * none
olcAccess: {{1}}to * by users read by * none
""",
    ]
    return "\n".join(parts)


def parse_ldif(text: str) -> list[tuple[str, dict[str, list[str]]]]:
    """Entries of a content LDIF (``attr: value``, ``attr:: base64``, folded lines, comments)."""
    entries: list[tuple[str, dict[str, list[str]]]] = []
    lines: list[str] = []
    for raw in text.splitlines():
        if raw.startswith(" ") and lines:
            lines[-1] += raw[1:]
        elif not raw.startswith("#"):
            lines.append(raw)
    record: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            record.append(line)
            continue
        if record:
            entries.append(_parse_record(record))
            record = []
    return entries


def _parse_record(record: list[str]) -> tuple[str, dict[str, list[str]]]:
    dn = ""
    attributes: dict[str, list[str]] = {}
    for line in record:
        name, _, value = line.partition(":")
        if value.startswith(":"):
            value = base64.b64decode(value[1:].strip()).decode("utf-8")
        else:
            value = value.strip()
        if name.lower() == "version":
            continue
        if name.lower() == "dn":
            dn = value
        else:
            attributes.setdefault(name, []).append(value)
    if not dn:
        raise ValueError(f"LDIF record without dn: {record[:2]}")
    return dn, attributes


@dataclass
class SlapdServer:
    """One slapd process listening on ``url``; ``start()`` then ``stop()`` (or use ``with``)."""

    workdir: Path
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    service_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def start(self) -> SlapdServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config_dir, db_dir = self.workdir / "slapd.d", self.workdir / "db"
        shutil.rmtree(config_dir, ignore_errors=True)
        shutil.rmtree(db_dir, ignore_errors=True)
        config_dir.mkdir()
        db_dir.mkdir()
        ldif = self.workdir / "config.ldif"
        ldif.write_text(
            config_ldif(workdir=self.workdir, admin_password=self.admin_password),
            encoding="utf-8",
        )
        subprocess.run(
            [SLAPADD, "-n0", "-F", str(config_dir), "-l", str(ldif)],
            check=True,
            capture_output=True,
            timeout=30,
        )
        # A free port can be taken between our probe and slapd's bind: try a few.
        for _attempt in range(3):
            self.port = free_port()
            log = (self.workdir / "slapd.log").open("wb")
            self.process = subprocess.Popen(
                [SLAPD, "-h", f"{self.url}/", "-F", str(config_dir), "-d", "0"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "LANG": "C.UTF-8"},
            )
            log.close()
            if self._wait_until_ready():
                self._add_base_entries()
                return self
            self.stop()
        raise RuntimeError(f"slapd did not start: {self.log_tail()}")

    def _wait_until_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                self.admin_connection().unbind()
                return True
            except LDAPException:
                time.sleep(0.05)
        return False

    def log_tail(self) -> str:
        path = self.workdir / "slapd.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def __enter__(self) -> SlapdServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def connection(self, user: str | None, password: str | None) -> ldap3.Connection:
        server = ldap3.Server(self.url, get_info=ldap3.NONE, connect_timeout=5)
        return ldap3.Connection(
            server, user=user, password=password, auto_bind=True, raise_exceptions=True
        )

    def admin_connection(self) -> ldap3.Connection:
        return self.connection(ADMIN_DN, self.admin_password)

    def _add_base_entries(self) -> None:
        conn = self.admin_connection()
        try:
            conn.add(SUFFIX, ["dcObject", "organization"], {"dc": "katano", "o": "Katano City"})
            conn.add(SYSTEM_OU, ["organizationalUnit"], {"ou": "system"})
            # The sync's service account: a plain entry that may read, like a real deployment.
            conn.add(
                SERVICE_DN,
                ["applicationProcess", "simpleSecurityObject"],
                {"cn": "kairan-sync", "userPassword": ssha(self.service_password)},
            )
        finally:
            conn.unbind()

    def wipe(self) -> None:
        """Delete every entry below the suffix except the service account's ``ou=system``."""
        conn = self.admin_connection()
        try:
            conn.search(SUFFIX, "(objectClass=*)", ldap3.SUBTREE, attributes=ldap3.NO_ATTRIBUTES)
            dns = [e.entry_dn for e in conn.entries]
            keep = {SUFFIX.lower(), SYSTEM_OU.lower(), SERVICE_DN.lower()}
            # Children before parents: a DN with more RDNs is deeper.
            for dn in sorted(dns, key=lambda d: -len(ldap3.utils.dn.to_dn(d))):
                if dn.lower() not in keep:
                    conn.delete(dn)
        finally:
            conn.unbind()

    def load(self, ldif: str) -> int:
        """Add the entries of an LDIF text in order; returns how many were added."""
        entries = parse_ldif(ldif)
        conn = self.admin_connection()
        try:
            for dn, attributes in entries:
                object_classes = attributes.pop("objectClass", None) or attributes.pop(
                    "objectclass", []
                )
                conn.add(dn, object_classes, attributes)
        finally:
            conn.unbind()
        return len(entries)

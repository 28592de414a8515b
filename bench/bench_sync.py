"""Directory sync benchmark: a private slapd with a synthetic city, synced into throwaway SQLite.

Measures, as the median of ``--runs`` runs on a fresh directory and database each: the first
sync, a second (no-op) sync, and a sync after changing ``--changes`` people (40% promoted, 30%
transferred, 20% renamed, 10% gone). Then a sign-in through the LDAPBackend. Prints markdown.

    .venv/bin/python bench/bench_sync.py [--people 3000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The repository root must be importable first: bench/ is run as a script.
from bench.gen_directory import (  # noqa: E402
    ORG_BASE,
    PASSWORD,
    STAFF_TITLES,
    USER_BASE,
    City,
    build_city,
    to_ldif,
)
from tests import ldap_server  # noqa: E402


def configure(workdir: Path, server: ldap_server.SlapdServer) -> None:
    """Environment for config.settings, set before django.setup(): SQLite in ``workdir``."""
    for name in ("KAIRAN_DATABASE_URL", "KAIRAN_REDIS_URL"):
        os.environ.pop(name, None)  # always the embedded SQLite: a throwaway database
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "KAIRAN_DATA_DIR": str(workdir / "data"),
            "KAIRAN_LDAP_URL": server.url,
            "KAIRAN_LDAP_BIND_DN": ldap_server.SERVICE_DN,
            "KAIRAN_LDAP_BIND_PASSWORD": server.service_password,
            "KAIRAN_LDAP_USER_BASE": USER_BASE,
            "KAIRAN_LDAP_ORG_BASE": ORG_BASE,
        }
    )


def change_people(server: ldap_server.SlapdServer, city: City, count: int, seed: int) -> None:
    """Promote 40%, transfer 30%, rename 20% and remove 10% of ``count`` random people."""
    import ldap3

    rng = random.Random(seed)
    people = rng.sample(city.people, count)
    sections = sorted({unit for p in city.people for unit, _title in p.posts[:1]})
    titles = [title for title, _weight in STAFF_TITLES]
    conn = server.admin_connection()
    try:
        for i, person in enumerate(people):
            share = i / count
            if share < 0.4:
                new = rng.choice([t for t in titles if t != person.posts[0][1]])
                conn.modify(person.dn, {"title": [(ldap3.MODIFY_REPLACE, [new])]})
            elif share < 0.7:
                new = rng.choice([s for s in sections if s != person.posts[0][0]])
                conn.modify(person.dn, {"departmentNumber": [(ldap3.MODIFY_REPLACE, [new])]})
            elif share < 0.9:
                new = f"{person.family} {person.given}（旧姓併記）"
                conn.modify(person.dn, {"displayName": [(ldap3.MODIFY_REPLACE, [new])]})
            else:
                conn.delete(person.dn)
    finally:
        conn.unbind()


def timed_sync() -> dict[str, float]:
    from django.db import connection

    from directory.integrations import ldap
    from directory.services import directory_apply_snapshot

    start = time.perf_counter()
    snapshot = ldap.fetch_snapshot()
    fetched = time.perf_counter()
    queries = QueryCounter()
    with connection.execute_wrapper(queries):
        summary = directory_apply_snapshot(snapshot=snapshot)
    applied = time.perf_counter()
    return {
        "changes": summary.changes,
        "fetch": fetched - start,
        "apply": applied - fetched,
        "total": applied - start,
        "queries": queries.count,
    }


class QueryCounter:
    """Counts SQL statements (an execute wrapper: unlike the debug query log, it never wraps)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed_naive_first_sync(usernames: list[str]) -> dict[str, float]:
    """The naive way, for comparison: one LDAP search and one upsert per person.

    Units come from one search as in the real sync (the naive part is the per-person work).
    """
    from django.db import connection
    from ldap3.utils.conv import escape_filter_chars

    from directory.integrations import ldap
    from directory.services import directory_apply_snapshot, directory_upsert_person
    from directory.snapshot import DirectorySnapshot

    config = ldap.DirectoryConfig.from_settings()
    start = time.perf_counter()
    units = ldap.fetch_snapshot().units
    queries = QueryCounter()
    with connection.execute_wrapper(queries):
        directory_apply_snapshot(snapshot=DirectorySnapshot(units=units, people=[]))
        conn = ldap.connect()
        try:
            for username in usernames:
                conn.search(
                    config.user_base,
                    f"(&{config.user_filter}({config.attr_username}="
                    f"{escape_filter_chars(username)}))",
                    attributes=config.person_attributes,
                )
                if not conn.response:
                    continue  # removed by change_people
                found = conn.response[0]
                entry = ldap.person_entry(found["dn"], found["attributes"], config)
                directory_upsert_person(entry=entry)
        finally:
            conn.unbind()
    total = time.perf_counter() - start
    return {"total": total, "queries": queries.count}


def timed_sign_in(username: str, rounds: int = 20) -> float:
    from directory.integrations.ldap_backend import LDAPBackend

    backend = LDAPBackend()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        user = backend.authenticate(None, username=username, password=PASSWORD)
        times.append(time.perf_counter() - start)
        assert user is not None, "benchmark sign-in failed"
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    city = build_city(people=args.people, seed=args.seed)
    ldif = to_ldif(city)
    workdir = Path(tempfile.mkdtemp(prefix="kairan-bench-"))
    server = ldap_server.SlapdServer(workdir / "slapd")
    try:
        server.start()
        configure(workdir, server)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        rows: dict[str, list[dict[str, float]]] = {"first": [], "again": [], "changed": []}
        naive: list[dict[str, float]] = []
        sign_ins = []
        for run in range(args.runs):
            server.wipe()
            load_start = time.perf_counter()
            server.load(ldif)
            load_seconds = time.perf_counter() - load_start
            call_command("flush", interactive=False, verbosity=0)
            rows["first"].append(timed_sync())
            rows["again"].append(timed_sync())
            change_people(server, city, args.changes, seed=args.seed + run)
            rows["changed"].append(timed_sync())
            sign_ins.append(timed_sign_in(city.people[0].uid))
            # The naive way on the same (changed) directory, from an empty database.
            call_command("flush", interactive=False, verbosity=0)
            naive.append(timed_naive_first_sync([p.uid for p in city.people]))
            print(
                f"run {run + 1}/{args.runs} done (LDIF load {load_seconds:.1f} s)", file=sys.stderr
            )
        print_table(rows, sign_ins, city, args, naive)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def print_table(rows, sign_ins, city: City, args, naive) -> None:
    labels = {
        "first": f"first sync ({len(city.people)} people, {len(city.units)} units)",
        "again": "second sync (no change)",
        "changed": f"after changing {args.changes} people",
    }
    print(f"Directory sync, median of {args.runs} runs (slapd + SQLite, {os.cpu_count()} cores)\n")
    print("| scenario | changes | LDAP fetch (s) | apply (s) | total (s) | SQL queries |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, label in labels.items():

        def median(column: str, key: str = key) -> float:
            return statistics.median(r[column] for r in rows[key])

        print(
            f"| {label} | {median('changes'):.0f} | {median('fetch'):.2f} | "
            f"{median('apply'):.2f} | {median('total'):.2f} | {median('queries'):.0f} |"
        )
    naive_total = statistics.median(r["total"] for r in naive)
    ours_total = statistics.median(r["total"] for r in rows["first"])
    print(
        f"| naive first sync (one search + one upsert per person) | — | — | — | "
        f"{naive_total:.2f} | {statistics.median(r['queries'] for r in naive):.0f} |"
    )
    print(f"\nbulk first sync is {naive_total / ours_total:.1f}× faster than the naive way")
    print(
        f"\nSign-in through LDAPBackend (search + bind + upsert): "
        f"{statistics.median(sign_ins) * 1000:.1f} ms median"
    )


if __name__ == "__main__":
    main()

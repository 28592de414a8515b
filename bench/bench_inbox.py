"""Inbox benchmark (issue 3): the approver's inbox at ~1M viewflow_task rows on PostgreSQL.

A throwaway PostgreSQL database (``kairan_bench_<pid>``, dropped at the end) is migrated; a
small 課 with 係 and real proposals is made through the services, then ``--rows`` task rows
are bulk-inserted with ``generate_series`` over ``--owners`` users (mostly DONE, a few NEW and
ASSIGNED); one heavy user (a 係長 with ~30 real pending tasks) gets ``--heavy`` rows of history.
The inbox SQL that ``selectors.task_list_for_user`` issues is timed ``--repeat`` times with the
composite index of migration 0004 and again without it. Prints markdown.

    .venv/bin/python bench/bench_inbox.py [--rows 1000000] [--owners 2000] [--heavy 50000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = "postgresql://postgres@127.0.0.1:5432"
INDEX = "workflow_vf_task_inbox"  # (owner, status, created, id): migration workflow 0011
SECTIONS = 10


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def configure(workdir: Path, dbname: str) -> None:
    """Environment for config.settings, set before django.setup()."""
    os.environ.pop("KAIRAN_REDIS_URL", None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "KAIRAN_DATA_DIR": str(workdir / "data"),
            "KAIRAN_DATABASE_URL": f"{PG}/{dbname}",
        }
    )


def seed_org(per_section: int) -> dict:
    """部 > 課 (課長) > SECTIONS 係, each with a 係長 and a 主事 drafter; per_section proposals
    submitted by each drafter, so each 係長 has per_section pending first-approver tasks."""
    from directory.models import OrgUnit
    from tests.factories import OrgUnitFactory, make_person
    from workflow.proposals import services

    level = OrgUnit.Level
    bu = OrgUnitFactory(name="総務部", level=level.DEPARTMENT)
    ka = OrgUnitFactory(name="総務課", level=level.DIVISION, parent=bu)
    make_person("bench_bucho", "部長", bu, "部長")
    make_person("bench_kacho", "課長", ka, "課長")
    approvers = []
    for i in range(SECTIONS):
        kakari = OrgUnitFactory(name=f"第{i}係", level=level.SECTION, parent=ka)
        boss = make_person(f"bench_kakaricho{i}", f"係長{i}", kakari, "係長")
        drafter = make_person(f"bench_staff{i}", f"主事{i}", kakari, "主事")
        for n in range(per_section):
            proposal = services.proposal_create(
                actor=drafter.user, title=f"起案 {i}-{n}", category="general"
            )
            services.proposal_submit(actor=drafter.user, proposal=proposal)
        approvers.append(boss)
    return {"approvers": approvers}


def bulk_tasks(rows: int, owners: int, heavy_user_id: int, heavy: int) -> None:
    """Copy a real task row ``rows`` times: owners are bench users, heavy rows go to one user."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined)"
            " SELECT '!', false, 'bulk' || g, '', '', '', false, true, now()"
            " FROM generate_series(1, %s) g",
            [owners],
        )
        cur.execute("SELECT min(id), max(id) FROM auth_user WHERE username LIKE 'bulk%%'")
        lo, hi = cur.fetchone()
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'viewflow_task'"
        )
        columns = [c for (c,) in cur.fetchall() if c not in ("id", "owner_id", "status", "created")]
        cur.execute("SELECT id FROM viewflow_task WHERE flow_task_type = 'HUMAN' LIMIT 1")
        (template,) = cur.fetchone()
        copied = ", ".join(f"t.{c}" for c in columns)
        # Column names come from the catalog; values are parameters.
        insert = (
            f"INSERT INTO viewflow_task ({', '.join(columns)}, owner_id, status, created)"  # noqa: S608
            f" SELECT {copied}, {{owner}},"
            " CASE WHEN g %% 50 = 0 THEN 'ASSIGNED' WHEN g %% 97 = 0 THEN 'NEW' ELSE 'DONE' END,"
            " now() - (g || ' seconds')::interval"
            " FROM viewflow_task t, generate_series(1, %s) g WHERE t.id = %s"
        )
        # The heavy user's history is all DONE: their pending tasks are the real ones.
        cur.execute(
            insert.format(owner="%s").replace("CASE WHEN", "CASE WHEN false AND", 1),
            [heavy_user_id, heavy, template],
        )
        cur.execute(insert.format(owner=f"{lo} + (g %% {hi - lo + 1})"), [rows - heavy, template])
        # What autovacuum does after a bulk load: statistics, and the visibility map that lets
        # an index-only scan skip the heap.
        cur.execute("VACUUM ANALYZE viewflow_task")
        cur.execute("ANALYZE")


def time_sql(sql: str | list[str], params, repeat: int, deadline: float) -> list[float]:
    """Time a statement (or the selector's statements run in turn), ``repeat`` times."""
    from django.db import connection

    statements = [sql] if isinstance(sql, str) else sql
    out = []
    with connection.cursor() as cur:
        for _ in range(repeat):
            if time.monotonic() > deadline:
                break
            start = time.perf_counter()
            for statement in statements:
                cur.execute(statement, params)
                cur.fetchall()
            out.append((time.perf_counter() - start) * 1000)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--owners", type=int, default=2000)
    parser.add_argument("--heavy", type=int, default=50_000)
    parser.add_argument("--pending", type=int, default=30, help="real pending tasks per 係長")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    dbname = f"kairan_bench_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="kairan-bench-inbox-"))
    admin_sql(f"CREATE DATABASE {dbname}")
    try:
        configure(workdir, dbname)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from workflow.proposals import selectors

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        org = seed_org(args.pending)
        heavy_user = org["approvers"][0].user
        seeded = time.monotonic()
        bulk_tasks(args.rows, args.owners, heavy_user.pk, args.heavy)
        loaded = time.monotonic()
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM viewflow_task")
            (total,) = cur.fetchone()
        with CaptureQueriesContext(connection) as ctx:
            inbox = selectors.task_list_for_user(user=heavy_user)
        assert len(inbox) == args.pending, len(inbox)
        # The inbox's own statements (the task ids from viewflow_task, then their steps), not
        # the person and delegation lookups, replayed with their literal parameters.
        sql = [
            q["sql"]
            for q in ctx.captured_queries
            if "viewflow_task" in q["sql"] or '"workflow_proposalstep"' in q["sql"]
        ]
        assert len(sql) == 2, sql

        def explain(statements: list[str]) -> str:
            with connection.cursor() as cur:
                plans = []
                for statement in statements:
                    cur.execute("EXPLAIN " + statement)
                    plans.append("\n".join(r[0] for r in cur.fetchall()))
            return "\n--\n".join(plans)

        plan_with = explain(sql)
        # The viewflow_task part alone, the selector's own statement: what the index serves.
        task_sql = sql[0]
        assert "viewflow_task" in task_sql, task_sql
        assert "workflow_proposalstep" not in task_sql, task_sql
        task_params = None
        deadline = time.monotonic() + 240
        with_index = time_sql(sql, None, args.repeat, deadline)
        task_with = time_sql(task_sql, task_params, args.repeat, deadline)
        selector_ms = []
        for _ in range(args.repeat):
            if time.monotonic() > deadline:
                break
            start = time.perf_counter()
            selectors.task_list_for_user(user=heavy_user)
            selector_ms.append((time.perf_counter() - start) * 1000)
        with connection.cursor() as cur:
            cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [INDEX])
            (index_def,) = cur.fetchone()
            cur.execute(f"DROP INDEX {INDEX}")
            cur.execute("ANALYZE viewflow_task")
        plan_without = explain(sql)
        without = time_sql(sql, None, args.repeat, time.monotonic() + 240)
        task_without = time_sql(task_sql, task_params, args.repeat, time.monotonic() + 120)
        with connection.cursor() as cur:
            cur.execute(index_def)
        connection.close()

        p50w, p95w = statistics.median(with_index), p95(with_index)
        p50o, p95o = statistics.median(without), p95(without)
        print(
            f"viewflow_task rows: {total:,} ({args.owners:,} bulk owners); heavy user: "
            f"{args.heavy:,} DONE rows + {len(inbox)} pending; seed "
            f"{seeded - started:.1f} s, bulk load + ANALYZE {loaded - seeded:.1f} s\n"
        )
        print("| inbox query (heavy user) | runs | p50 ms | p95 ms |")
        print("|---|---:|---:|---:|")
        print(
            f"| SQL, with (owner, status, created, id) | {len(with_index)} | "
            f"{p50w:.2f} | {p95w:.2f} |"
        )
        print(f"| SQL, index dropped | {len(without)} | {p50o:.2f} | {p95o:.2f} |")
        print(
            f"| viewflow_task part alone, with index | {len(task_with)} | "
            f"{statistics.median(task_with):.2f} | {p95(task_with):.2f} |"
        )
        print(
            f"| viewflow_task part alone, index dropped | {len(task_without)} | "
            f"{statistics.median(task_without):.2f} | {p95(task_without):.2f} |"
        )
        print(
            f"| `task_list_for_user` (all its queries), with index | {len(selector_ms)} | "
            f"{statistics.median(selector_ms):.2f} | {p95(selector_ms):.2f} |"
        )
        print(f"\nratio without/with, inbox SQL: p50 {p50o / p50w:.1f}x, p95 {p95o / p95w:.1f}x")
        ratio = statistics.median(task_without) / statistics.median(task_with)
        print(f"ratio without/with, viewflow_task part: p50 {ratio:.1f}x\n")
        print("Plan with the index:\n```\n" + plan_with + "\n```")
        print("Plan without:\n```\n" + plan_without + "\n```")
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        admin_sql(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

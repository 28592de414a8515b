"""Inbox benchmark: the approver's inbox at scale on PostgreSQL (1M tasks, 100k proposals).

A throwaway PostgreSQL database (``kairan_bench_<pid>``, dropped at the end) is migrated; a
small 課 with 係 and real proposals is made through the services (each 係長 gets ``--pending``
real pending tasks), then, in SQL (``generate_series``, bounded by a statement timeout):

* ``--rows`` viewflow_task rows over ``--owners`` users (mostly DONE, a few NEW and ASSIGNED);
  one heavy user (a 係長 with the ~30 real pending tasks) gets ``--heavy`` rows of history;
* a Person for every bulk user, ``--proposals`` proposals drafted by them and
  ``--steps-per`` route steps each (500,000 by default), every step on one of the bulk tasks
  (picked in a pseudo-random order) with that task's owner as approver and a state that
  follows the task's status — so the heavy 係長 also has ~25,000 acted steps.

Then ``VACUUM ANALYZE`` (what autovacuum does after a bulk load). The inbox SQL that
``selectors.task_list_for_user`` issues for the heavy user is timed ``--samples`` times with the
composite index of migration 0011 and again without it, in ``--runs`` rounds that alternate
(with, dropped, recreated); every figure is the median of the rounds with their min–max.
Prints markdown.

    .venv/bin/python bench/bench_inbox.py [--rows 1000000] [--owners 2000] [--heavy 50000]
        [--proposals 100000] [--steps-per 5] [--runs 3] [--samples 500]
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
BULK_TIMEOUT = "900s"  # each bulk statement; the whole seed stays bounded


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


def bulk_tasks(rows: int, owners: int, heavy_user_id: int, heavy: int, vacuum: bool = True) -> None:
    """Copy a real task row ``rows`` times: owners are bench users, heavy rows go to one user."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SET statement_timeout = '{BULK_TIMEOUT}'")
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
        cur.execute("RESET statement_timeout")
        if vacuum:
            # What autovacuum does after a bulk load: statistics, and the visibility map that
            # lets an index-only scan skip the heap.
            cur.execute("VACUUM ANALYZE viewflow_task")
            cur.execute("ANALYZE")


def _columns(cur, table: str, skip: set[str]) -> list[str]:
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
        " ORDER BY ordinal_position",
        [table],
    )
    return [c for (c,) in cur.fetchall() if c not in skip]


def bulk_proposals(proposals: int, steps_per: int, first_bulk_task: int) -> None:
    """People for the bulk users, ``proposals`` proposals by them, ``steps_per`` steps each.

    Every row copies a real one (so every NOT NULL column has a value) with its own keys; each
    step takes one bulk task (id ≥ ``first_bulk_task``, pseudo-random order) and is that task
    owner's, its state following the task's status. Column names come from the catalog.
    """
    from django.db import connection

    q = '"{}"'.format
    with connection.cursor() as cur:
        cur.execute(f"SET statement_timeout = '{BULK_TIMEOUT}'")
        cols = _columns(cur, "directory_person", {"id", "user_id", "display_name"})
        cur.execute(
            f"INSERT INTO directory_person ({', '.join(map(q, cols))}, user_id, display_name)"  # noqa: S608
            f" SELECT {', '.join('t.' + q(c) for c in cols)}, u.id, 'bulk ' || u.id"
            " FROM directory_person t, auth_user u"
            " WHERE t.id = (SELECT min(id) FROM directory_person)"
            " AND u.username LIKE 'bulk%%' ORDER BY u.id"
        )
        cur.execute(
            "SELECT min(p.id), max(p.id) FROM directory_person p"
            " JOIN auth_user u ON u.id = p.user_id WHERE u.username LIKE 'bulk%%'"
        )
        plo, phi = cur.fetchone()
        cur.execute("SELECT max(id) FROM workflow_proposal")
        (last_real,) = cur.fetchone()
        override = ["title", "drafter_id", "status", "created_at", "updated_at"]
        cols = _columns(cur, "workflow_proposal", {"id", *override})
        cur.execute(
            f"INSERT INTO workflow_proposal ({', '.join(map(q, cols + override))})"  # noqa: S608
            f" SELECT {', '.join('t.' + q(c) for c in cols)}, '一括起案 ' || g,"
            f" {plo} + g %% {phi - plo + 1},"
            " CASE WHEN g %% 50 = 0 THEN 'in_review' ELSE 'approved' END,"
            " now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval"
            " FROM workflow_proposal t, generate_series(1, %s) g WHERE t.id = %s",
            [proposals, last_real],
        )
        cur.execute("SELECT min(id) FROM workflow_proposal WHERE id > %s", [last_real])
        (first_bulk,) = cur.fetchone()
        override = [
            "proposal_id",
            "round",
            "order",
            "approver_id",
            "state",
            "task_id",
            "activated_at",
            "acted_at",
            "acted_by_id",
        ]
        cols = _columns(cur, "workflow_proposalstep", {"id", *override})
        cur.execute("SELECT min(id) FROM workflow_proposalstep WHERE task_id IS NOT NULL")
        (template,) = cur.fetchone()
        cur.execute(
            f"INSERT INTO workflow_proposalstep ({', '.join(map(q, cols + override))})"  # noqa: S608
            f" SELECT {', '.join('s.' + q(c) for c in cols)},"
            f" {first_bulk} + (t.n - 1) / {steps_per}, 1, (t.n - 1) %% {steps_per}, p.id,"
            " CASE t.status WHEN 'ASSIGNED' THEN 'pending' WHEN 'NEW' THEN 'waiting'"
            " ELSE 'approved' END, t.id, t.created,"
            " CASE WHEN t.status = 'DONE' THEN t.created END,"
            " CASE WHEN t.status = 'DONE' THEN p.id END"
            " FROM workflow_proposalstep s,"
            " (SELECT id, owner_id, status, created,"
            "  row_number() OVER (ORDER BY md5(id::text)) AS n"
            "  FROM viewflow_task WHERE id >= %s) t"
            " JOIN directory_person p ON p.user_id = t.owner_id"
            " WHERE s.id = %s AND t.n <= %s",
            [first_bulk_task, template, proposals * steps_per],
        )
        cur.execute("RESET statement_timeout")


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


def count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - a constant table name
        return cur.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--owners", type=int, default=2000)
    parser.add_argument("--heavy", type=int, default=50_000)
    parser.add_argument("--pending", type=int, default=30, help="real pending tasks per 係長")
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--steps-per", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3, help="rounds (median, min–max)")
    parser.add_argument("--samples", type=int, default=500, help="timed inbox reads a round")
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

        from bench.machine import describe, pct, spread
        from workflow.proposals import selectors

        machine = describe()
        call_command("migrate", verbosity=0)
        started = time.monotonic()
        org = seed_org(args.pending)
        heavy_user = org["approvers"][0].user
        seeded = time.monotonic()
        with connection.cursor() as cur:
            cur.execute("SELECT max(id) FROM viewflow_task")
            (last_real_task,) = cur.fetchone()
        bulk_tasks(args.rows, args.owners, heavy_user.pk, args.heavy, vacuum=False)
        tasks_loaded = time.monotonic()
        bulk_proposals(args.proposals, args.steps_per, last_real_task + 1)
        proposals_loaded = time.monotonic()
        with connection.cursor() as cur:
            for table in ("viewflow_task", "workflow_proposal", "workflow_proposalstep"):
                cur.execute(f"VACUUM ANALYZE {table}")
            cur.execute("VACUUM ANALYZE directory_person")
            cur.execute("ANALYZE")
        vacuumed = time.monotonic()
        totals = {
            t: count(t) for t in ("viewflow_task", "workflow_proposal", "workflow_proposalstep")
        }
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM workflow_proposalstep s JOIN directory_person p"
                " ON p.id = s.approver_id WHERE p.user_id = %s",
                [heavy_user.pk],
            )
            (heavy_steps,) = cur.fetchone()
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
        task_sql = sql[0]
        assert "viewflow_task" in task_sql, task_sql
        assert "workflow_proposalstep" not in task_sql, task_sql

        def explain(statements: list[str]) -> str:
            with connection.cursor() as cur:
                plans = []
                for statement in statements:
                    cur.execute("EXPLAIN " + statement)
                    plans.append("\n".join(r[0] for r in cur.fetchall()))
            return "\n--\n".join(plans)

        def selector_times(repeat: int, deadline: float) -> list[float]:
            out = []
            for _ in range(repeat):
                if time.monotonic() > deadline:
                    break
                start = time.perf_counter()
                selectors.task_list_for_user(user=heavy_user)
                out.append((time.perf_counter() - start) * 1000)
            return out

        with connection.cursor() as cur:
            cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [INDEX])
            (index_def,) = cur.fetchone()
        plan_with = explain(sql)
        plan_without = ""
        keys = ("sql_with", "task_with", "selector_with", "sql_without", "task_without")
        rounds: dict[str, list[list[float]]] = {k: [] for k in keys}
        for number in range(args.runs):
            deadline = time.monotonic() + 300
            rounds["sql_with"].append(time_sql(sql, None, args.samples, deadline))
            rounds["task_with"].append(time_sql(task_sql, None, args.samples, deadline))
            rounds["selector_with"].append(selector_times(args.samples, deadline))
            with connection.cursor() as cur:
                cur.execute(f"DROP INDEX {INDEX}")
                cur.execute("ANALYZE viewflow_task")
            plan_without = plan_without or explain(sql)
            deadline = time.monotonic() + 300
            rounds["sql_without"].append(time_sql(sql, None, args.samples, deadline))
            rounds["task_without"].append(time_sql(task_sql, None, args.samples, deadline))
            with connection.cursor() as cur:
                cur.execute(index_def)
                cur.execute("ANALYZE viewflow_task")
            print(f"round {number + 1} of {args.runs} done", file=sys.stderr, flush=True)
        connection.close()

        print(f"Machine: {machine}.\n")
        print(
            f"Rows: viewflow_task {totals['viewflow_task']:,} ({args.owners:,} bulk owners),"
            f" workflow_proposal {totals['workflow_proposal']:,}, workflow_proposalstep"
            f" {totals['workflow_proposalstep']:,}; the heavy 係長: {args.heavy:,} DONE tasks,"
            f" {heavy_steps:,} steps, {len(inbox)} pending. Seed: services"
            f" {seeded - started:.1f} s, tasks {tasks_loaded - seeded:.1f} s, people +"
            f" proposals + steps {proposals_loaded - tasks_loaded:.1f} s, VACUUM ANALYZE"
            f" {vacuumed - proposals_loaded:.1f} s.\n"
        )
        print(
            f"Median of {args.runs} rounds (min–max); {args.samples} reads a round (each p95"
            f" from {args.samples} samples); ms.\n"
        )
        labels = {
            "sql_with": "inbox SQL (both statements), with (owner, status, created, id)",
            "sql_without": "inbox SQL, index dropped",
            "task_with": "viewflow_task lookup alone, with the index",
            "task_without": "viewflow_task lookup alone, index dropped",
            "selector_with": "`task_list_for_user` (all its queries), with the index",
        }
        print("| inbox query (heavy 係長) | samples a round | p50 | p95 |")
        print("|---|---:|---:|---:|")
        for key, label in labels.items():
            runs = rounds[key]
            print(
                f"| {label} | {len(runs[0])} | {spread([pct(r, 0.5) for r in runs], '{:.2f}')}"
                f" | {spread([pct(r, 0.95) for r in runs], '{:.2f}')} |"
            )
        for part in ("sql", "task"):
            p50s = [
                pct(o, 0.5) / pct(w, 0.5)
                for o, w in zip(rounds[f"{part}_without"], rounds[f"{part}_with"], strict=True)
            ]
            p95s = [
                pct(o, 0.95) / pct(w, 0.95)
                for o, w in zip(rounds[f"{part}_without"], rounds[f"{part}_with"], strict=True)
            ]
            print(
                f"\nwithout ÷ with, {'inbox SQL' if part == 'sql' else 'viewflow_task lookup'}:"
                f" p50 {spread(p50s, '{:.1f}×')}, p95 {spread(p95s, '{:.1f}×')}"
            )
        print("\nPlan with the index:\n```\n" + plan_with + "\n```")
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

"""KPI dashboard benchmark (issue 9): the DX推進委員会's figures at ~1M route steps on PostgreSQL.

A throwaway PostgreSQL database (``kairan_bench_kpi_<pid>``, dropped at the end) is migrated;
a 部 with ``--units`` 課 (係長, 課長 and a drafter each) gets one proposal decided through the
services, whose rows are then copied with ``generate_series``: ``--proposals`` decided
proposals spread over five 年度 (decision times in the past 5 years, lead times 0–20 days),
``--steps`` steps each (so 200,000 × 5 = 1,000,000 step rows, the approval tasks), a
``submitted`` history entry per proposal and a ``sent_back`` for one in ten. Each query family of
``workflow.kpi.selectors`` and the whole ``dashboard(fy)`` are timed ``--repeat`` times for the
latest full 年度. Prints markdown.

    .venv/bin/python bench/bench_kpi.py [--proposals 200000] [--steps 5] [--repeat 5]
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


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def configure(workdir: Path, dbname: str) -> None:
    os.environ.pop("KAIRAN_REDIS_URL", None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "KAIRAN_DATA_DIR": str(workdir / "data"),
            "KAIRAN_DATABASE_URL": f"{PG}/{dbname}",
        }
    )


def seed(units: int) -> tuple[int, list[int], list[int], list[int]]:
    """One decided proposal (the row to copy); the 課 ids and the approvers' person ids."""
    from directory.models import OrgUnit
    from tests.factories import OrgUnitFactory, make_person
    from workflow.models import ProposalStep
    from workflow.proposals import services

    level = OrgUnit.Level
    bu = OrgUnitFactory(name="総務部", level=level.DEPARTMENT)
    unit_ids, approver_ids, drafter_ids = [], [], []
    template = None
    for i in range(units):
        ka = OrgUnitFactory(name=f"第{i}課", level=level.DIVISION, parent=bu)
        kakari = OrgUnitFactory(name=f"第{i}係", level=level.SECTION, parent=ka)
        kacho = make_person(f"kacho{i}", f"課長{i}", ka, "課長")
        boss = make_person(f"kakaricho{i}", f"係長{i}", kakari, "係長")
        drafter = make_person(f"staff{i}", f"主事{i}", kakari, "主事")
        unit_ids.append(ka.pk)
        approver_ids += [kacho.pk, boss.pk]
        drafter_ids.append(drafter.pk)
        if template is None:
            proposal = services.proposal_create(
                actor=drafter.user, title="起案", category="general"
            )
            services.proposal_submit(actor=drafter.user, proposal=proposal)
            for person in (boss, kacho):
                step = ProposalStep.objects.get(proposal=proposal, state="pending")
                services.task_approve(actor=person.user, step=step)
            template = proposal.pk
    assert template is not None
    return template, unit_ids, approver_ids, drafter_ids


def columns(cur, table: str, skip: set[str]) -> list[str]:
    cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table])
    return [c for (c,) in cur.fetchall() if c not in skip]


def bulk(template: int, proposals: int, steps: int, units, approvers, drafters) -> None:
    """Copies of the template's rows; column names come from the catalog, values are params."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT max(id) FROM workflow_proposal")
        (first,) = cur.fetchone()
        override = {
            "drafting_unit_id": "(%(units)s)[1 + g %% %(nunits)s]",
            "drafter_id": "(%(drafters)s)[1 + g %% %(nunits)s]",
            "number": "NULL",
            "document_number": "''",
            "process_id": "NULL",
            "round": "1",
            "decided_at": "now() - (g %% 1825 || ' days')::interval"
            " - (g %% 86400 || ' s')::interval",
            "submitted_at": "now() - (g %% 1825 || ' days')::interval"
            " - (g %% 86400 || ' s')::interval - (g %% 20 || ' days')::interval"
            " - (g %% 7 || ' hours')::interval",
            "status": "'approved'",
        }
        cols = columns(cur, "workflow_proposal", {"id"})
        values = ", ".join(override.get(c, f"p.{c}") for c in cols)
        params = {
            "units": units,
            "drafters": drafters,
            "nunits": len(units),
            "n": proposals,
            "template": template,
        }
        cur.execute(
            f"INSERT INTO workflow_proposal ({', '.join(cols)})"  # noqa: S608
            f" SELECT {values} FROM workflow_proposal p, generate_series(1, %(n)s) g"
            " WHERE p.id = %(template)s",
            params,
        )
        cur.execute(
            "SELECT id FROM workflow_proposalstep WHERE proposal_id = %s LIMIT 1", [template]
        )
        (step_template,) = cur.fetchone()
        override = {
            "proposal_id": "p.id",
            "round": "1",
            "order": "s",
            "approver_id": "(%(approvers)s)[1 + (p.id + s) %% %(napprovers)s]",
            "acted_by_id": "(%(approvers)s)[1 + (p.id + s) %% %(napprovers)s]",
            "task_id": "NULL",
            "state": "'approved'",
            "activated_at": "p.submitted_at + ((s - 1) * (p.decided_at - p.submitted_at) / %(k)s)",
            "acted_at": "p.submitted_at + (s * (p.decided_at - p.submitted_at) / %(k)s)",
        }
        cols = columns(cur, "workflow_proposalstep", {"id"})
        values = ", ".join(override.get(c, f't."{c}"') for c in cols)
        quoted = ", ".join(f'"{c}"' for c in cols)
        cur.execute(
            f"INSERT INTO workflow_proposalstep ({quoted})"  # noqa: S608
            f" SELECT {values} FROM workflow_proposal p CROSS JOIN generate_series(1, %(k)s) s,"
            " workflow_proposalstep t WHERE p.id > %(first)s AND t.id = %(step)s",
            {
                "approvers": approvers,
                "napprovers": len(approvers),
                "k": steps,
                "first": first,
                "step": step_template,
            },
        )
        cur.execute(
            "SELECT id FROM workflow_decision WHERE proposal_id = %s AND action = 'submitted'",
            [template],
        )
        (decision_template,) = cur.fetchone()
        cols = columns(cur, "workflow_decision", {"id"})
        for action, where in (("submitted", ""), ("sent_back", " AND p.id %% 10 = 0")):
            override = {
                "proposal_id": "p.id",
                "action": f"'{action}'",
                "step_id": "NULL",
                "at": "p.submitted_at",
            }
            values = ", ".join(override.get(c, f"d.{c}") for c in cols)
            cur.execute(
                f"INSERT INTO workflow_decision ({', '.join(cols)})"  # noqa: S608
                f" SELECT {values} FROM workflow_proposal p, workflow_decision d"
                f" WHERE p.id > %(first)s AND d.id = %(d)s{where}",
                {"first": first, "d": decision_template},
            )
        cur.execute("VACUUM ANALYZE")


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proposals", type=int, default=200_000)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    dbname = f"kairan_bench_kpi_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="kairan-bench-kpi-"))
    admin_sql(f"CREATE DATABASE {dbname}")
    try:
        configure(workdir, dbname)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from directory.calendar import fiscal_year_end, fiscal_year_start
        from workflow.kpi import selectors

        call_command("migrate", verbosity=0)
        template, units, approvers, drafters = seed(args.units)
        started = time.monotonic()
        bulk(template, args.proposals, args.steps, units, approvers, drafters)
        loaded = time.monotonic() - started
        with connection.cursor() as cur:
            counts = {}
            for table in ("workflow_proposal", "workflow_proposalstep", "workflow_decision"):
                cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
                (counts[table],) = cur.fetchone()
        fy = selectors.current_fiscal_year() - 1  # the latest full 年度
        start, end = fiscal_year_start(fy), fiscal_year_end(fy)
        cases = {
            "decided_rows (one 年度)": lambda: selectors.decided_rows(since=start, until=end),
            "step_rows (one 年度)": lambda: selectors.step_rows(since=start, until=end),
            "dwell_aggregates (one 年度, by step and by approver)": lambda: [
                selectors.dwell_aggregates(since=start, until=end, by=by)
                for by in ("position", "approver_id")
            ],
            "paper_decisions (one 年度)": lambda: selectors.paper_decisions(since=start, until=end),
            "dashboard(fy): every figure": lambda: selectors.dashboard(fy=fy),
        }
        board = selectors.dashboard(fy=fy)
        print(f"## KPI dashboard at {counts['workflow_proposalstep']:,} route steps\n")
        print(
            f"PostgreSQL {connection.pg_version}; rows: "
            + ", ".join(f"{t} {n:,}" for t, n in counts.items())
            + f"; bulk load {loaded:.0f} s. 年度 {fy}: {board.total.decided:,} decided, "
            f"{sum(g.count for g in board.steps):,} steps acted on.\n"
        )
        print("| query | runs | p50 ms | max ms |")
        print("|---|---|---|---|")
        for name, fn in cases.items():
            ms = timed(fn, args.repeat)
            print(f"| {name} | {len(ms)} | {statistics.median(ms):.0f} | {max(ms):.0f} |")
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

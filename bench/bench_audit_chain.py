"""What the audit hash chain costs approvals over HTTP (issue 14, item 3).

The approvals of ``bench_approvals_http.py``: a 課 with 10 係, each 係長 the first approver of
submitted proposals; 10 client threads, one per 係長, approve their tasks one by one
(``POST /api/v1/tasks/{id}/approve/``, ``Authorization: Token``).

Three chaining modes, each served by its own uvicorn (``--workers``) on its own copy of the
seeded database (``CREATE DATABASE … TEMPLATE``), with a settings module written for it that
sets the benchmark-only ``AUDIT_BENCHMARK_CHAINING`` of ``audit/chaining.py`` (production never
sets it):

- ``chain``: the shipped design — a service's events are chained right before its COMMIT;
- ``eager``: the design before issue 14 — each event chained at once, the head row locked from
  the first event of a transaction to its commit;
- ``off``: the same events written at the same point without chain (no head row, no hashes).

The three servers run side by side (idle when not measured) and are measured in short bursts
(``--burst`` approvals per client), one mode after the other in a rotated order, ``--rounds``
times: a burst takes seconds, so a neighbour's load on a shared machine hits the three modes
of a round alike, and the ratios chain ÷ off and eager ÷ off are taken within each round. With
``--together`` the three bursts of a round run at the same time (30 clients sharing the
machine), so the three modes see exactly the same neighbours. Then, in-process, one approval at
a time with the modes taking turns: the chain's own cost per approval, and how long each
transaction holds the chain head (from asking for it to the end of COMMIT).
During each burst ``pg_stat_activity`` is sampled 20 times a second for backends waiting on a
lock. At the end ``chain_verify`` runs on the ``chain`` and ``eager`` databases. Everything is
bounded by count and ``--deadline`` seconds per burst; the databases are dropped at the end.

    .venv/bin/python bench/bench_audit_chain.py [--rounds 5] [--burst 15] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_approvals_http import cpu_seconds, free_port, wait_ready  # noqa: E402
from bench.bench_inbox import PG, SECTIONS, admin_sql, configure, p95, seed_org  # noqa: E402

MODES = ("chain", "off", "eager")
SETTING = {"chain": "", "off": "off", "eager": "eager"}


def settings_module(workdir: Path, mode: str) -> str:
    """A settings module for a server: the project's settings plus the chaining mode."""
    name = f"kairan_bench_audit_{mode}"
    (workdir / f"{name}.py").write_text(
        "from config.settings import *  # noqa: F403\n\n"
        f"AUDIT_BENCHMARK_CHAINING = {SETTING[mode]!r}\n"
    )
    return name


class LockSampler:
    """Samples ``pg_stat_activity`` 20 times a second: backends of ``dbname`` waiting on a lock,
    and how many of them wait at a statement on the chain head."""

    def __init__(self, dbname: str) -> None:
        self.dbname = dbname
        self.samples: list[tuple[int, int]] = []
        self.statements: Counter[str] = Counter()  # what the waiting backends were running
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            while not self._stop.wait(0.05):
                waiting = [
                    query
                    for (query,) in conn.execute(
                        "SELECT query FROM pg_stat_activity"
                        " WHERE datname = %s AND wait_event_type = 'Lock'",
                        [self.dbname],
                    ).fetchall()
                ]
                on_head = sum("audit_auditchainhead" in query for query in waiting)
                self.samples.append((len(waiting), on_head))
                self.statements.update(" ".join(query.split())[:90] for query in waiting)

    def means(self) -> tuple[float, float]:
        if not self.samples:
            return 0.0, 0.0
        return (
            statistics.fmean(s[0] for s in self.samples),
            statistics.fmean(s[1] for s in self.samples),
        )


class Server:
    """One uvicorn serving one mode on its own copy of the seeded database."""

    def __init__(self, args: argparse.Namespace, workdir: Path, template: str, mode: str) -> None:
        self.mode = mode
        self.dbname = f"{template}_{mode}"
        admin_sql(f"CREATE DATABASE {self.dbname} TEMPLATE {template}")
        self.base = f"http://127.0.0.1:{free_port()}"
        env = dict(os.environ) | {
            "DJANGO_SETTINGS_MODULE": settings_module(workdir, mode),
            "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT)]),
            "KAIRAN_DATABASE_URL": f"{PG}/{self.dbname}",
            "KAIRAN_TASK_WORKERS": "embedded",
        }
        env.pop("KAIRAN_DB_POOL_SIZE", None)  # the server uses the settings' pool
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                self.base.rsplit(":", 1)[1],
                "--workers",
                str(args.workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class Approver:
    """One 係長's HTTP client for one server; approves the next tasks of their list."""

    def __init__(self, base: str, token: str) -> None:
        import httpx

        self.client = httpx.Client(
            base_url=base, headers={"Authorization": f"Token {token}"}, timeout=60
        )
        self.todo: list[int] = []

    def refill(self) -> None:
        if not self.todo:
            response = self.client.get("/api/v1/tasks/")
            response.raise_for_status()
            self.todo = [task["id"] for task in response.json()]

    def approve(self, count: int, deadline: float, out: dict) -> None:
        for _ in range(count):
            self.refill()
            if not self.todo or time.monotonic() > deadline:
                return
            task = self.todo.pop(0)
            start = time.perf_counter()
            response = self.client.post(f"/api/v1/tasks/{task}/approve/", json={})
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code == 200:
                out["approve_ms"].append(elapsed)
            else:
                out["errors"].append(response.status_code)


def burst(args: argparse.Namespace, server: Server, approvers: list[Approver], count: int) -> dict:
    """Every approver approves ``count`` tasks at once; the figures of that burst."""
    for approver in approvers:
        approver.refill()  # listing is not what is measured
    out: dict[str, list] = {"approve_ms": [], "errors": []}
    deadline = time.monotonic() + args.deadline
    threads = [
        threading.Thread(target=a.approve, args=(count, deadline, out), daemon=True)
        for a in approvers
    ]
    cpu_before = cpu_seconds(server.dbname, server.process.pid)
    with LockSampler(server.dbname) as sampler:
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.deadline + 30)
        wall = time.perf_counter() - start
    cpu_after = cpu_seconds(server.dbname, server.process.pid)
    done = len(out["approve_ms"])
    waiting, on_head = sampler.means()
    return {
        "mode": server.mode,
        "done": done,
        "errors": len(out["errors"]),
        "alive": sum(t.is_alive() for t in threads),
        "rate": done / wall,
        "latencies": out["approve_ms"],
        "cpu": {k: (cpu_after[k] - cpu_before[k]) * 1000 / max(done, 1) for k in cpu_after},
        "waiting": waiting,
        "on_head": on_head,
        "statements": sampler.statements,
    }


def in_process(dbname: str, approvers: list, per_mode: int) -> dict[str, dict[str, list[float]]]:
    """One approval at a time through ``services.task_approve`` on ``dbname``, the modes taking
    turns approval by approval; per mode the time of each approval and how long it held the
    chain head (from asking for the lock to the end of COMMIT). No concurrency: this is the
    chain's own cost, and the head's capacity is 1 ÷ the time it is held."""
    from django.conf import settings
    from django.db import connection

    from audit import chaining
    from workflow.models import ProposalStep
    from workflow.proposals import services

    connection.close()
    connection.settings_dict["NAME"] = dbname
    write = chaining._write
    held: list[float] = []
    since: list[float] = []

    def timed_write(events: list, **options: Any) -> None:
        if options.pop("check_constraints", False):
            # As the seal does, but in a trip of its own: the checks run before the head is
            # locked, and what is timed below is only the time the head is held.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if not since and chaining.benchmark_mode() != chaining.OFF:
            since.append(time.perf_counter())  # the first lock of this transaction
            # First of the on-commit callbacks (the notifications' work runs after it): the
            # end of COMMIT, when PostgreSQL has released the head.
            connection.run_on_commit.insert(
                0, (set(), lambda: held.append(time.perf_counter() - since.pop()), False)
            )
        write(events, **options)

    chaining._write = timed_write
    times: dict[str, dict[str, list[float]]] = {m: {"ms": [], "held": []} for m in MODES}
    try:
        steps = {
            boss.pk: list(ProposalStep.objects.filter(approver=boss, state="pending"))
            for boss in approvers
        }
        turn = 0
        for _ in range(per_mode):
            for mode in MODES:
                boss = approvers[turn % len(approvers)]
                turn += 1
                if not steps[boss.pk]:
                    continue
                settings.AUDIT_BENCHMARK_CHAINING = SETTING[mode]
                step = steps[boss.pk].pop(0)
                start = time.perf_counter()
                services.task_approve(actor=boss.user, step=step)
                times[mode]["ms"].append((time.perf_counter() - start) * 1000)
                times[mode]["held"].extend(h * 1000 for h in held)
                held.clear()
    finally:
        chaining._write = write
        settings.AUDIT_BENCHMARK_CHAINING = ""
        connection.close()
    return times


def verify(dbname: str, *, chained: bool) -> tuple[str, int]:
    """``chain_verify`` on a server's database (in this process), and the number of events."""
    from django.db import connection

    from audit.models import AuditEvent
    from audit.selectors import chain_verify

    connection.close()
    connection.settings_dict["NAME"] = dbname
    try:
        events = AuditEvent.objects.count()
        if not chained:
            return "— (no chain)", events
        result = chain_verify()
        return ("OK" if result.ok else f"BROKEN: {result.reason}"), events
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the three modes")
    parser.add_argument("--burst", type=int, default=15, help="approvals per client a burst")
    parser.add_argument("--warmup", type=int, default=2, help="approvals per client first")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds per burst, at most")
    parser.add_argument(
        "--together",
        action="store_true",
        help="run the three modes' bursts at the same time (30 clients) instead of in turn",
    )
    parser.add_argument(
        "--in-process", type=int, default=60, help="approvals per mode, one at a time, in-process"
    )
    args = parser.parse_args()
    template = f"kairan_bench_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="kairan-bench-audit-"))
    admin_sql(f"CREATE DATABASE {template}")
    servers: list[Server] = []
    results: list[dict] = []
    try:
        configure(workdir, template)
        os.environ["KAIRAN_DB_POOL_SIZE"] = "0"  # this process switches databases (verify)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from rest_framework.authtoken.models import Token

        from audit.models import AuditEvent

        call_command("migrate", verbosity=0)
        t0 = time.monotonic()
        in_process_per = -(-args.in_process * len(MODES) // SECTIONS)  # per approver
        org = seed_org(args.warmup + args.rounds * args.burst + in_process_per)
        tokens = [Token.objects.create(user=p.user).key for p in org["approvers"]]
        seeded = AuditEvent.objects.count()
        seed_s = time.monotonic() - t0
        connection.close()

        servers = [Server(args, workdir, template, mode) for mode in MODES]
        clients = {}
        for server in servers:
            wait_ready(server.base, tokens[0], 60)
            clients[server.mode] = [Approver(server.base, token) for token in tokens]
            burst(args, server, clients[server.mode], args.warmup)  # first requests, pools
        for round_no in range(args.rounds):
            if args.together:  # the three bursts at the same time: the same neighbours' load
                outcomes: dict[str, dict] = {}
                runners = [
                    threading.Thread(
                        target=lambda s=server, o=outcomes: o.__setitem__(
                            s.mode, burst(args, s, clients[s.mode], args.burst)
                        ),
                        daemon=True,
                    )
                    for server in servers
                ]
                for runner in runners:
                    runner.start()
                for runner in runners:
                    runner.join(timeout=args.deadline + 60)
                measured = [outcomes[mode] for mode in MODES if mode in outcomes]
            else:  # one after the other, in an order rotated every round
                shift = round_no % len(servers)
                measured = [
                    burst(args, server, clients[server.mode], args.burst)
                    for server in servers[shift:] + servers[:shift]
                ]
            for result in measured:
                results.append(result | {"round": round_no + 1})
                print(
                    f"round {round_no + 1} {result['mode']}: {result['rate']:.1f} approvals/s",
                    file=sys.stderr,
                    flush=True,
                )
        for server in servers:
            server.stop()
        checks = {s.mode: verify(s.dbname, chained=s.mode != "off") for s in servers}
        # In-process, on the chain server's database (its remaining tasks; verified above:
        # the "off" approvals now add events without chain).
        alone = in_process(servers[0].dbname, org["approvers"], args.in_process)
    finally:
        for server in servers:
            if server.process.poll() is None:
                server.process.kill()
                server.process.wait(timeout=10)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        for name in [template] + [f"{template}_{mode}" for mode in MODES]:
            admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        shutil.rmtree(workdir, ignore_errors=True)
    report(args, results, checks, seed_s, seeded)
    report_in_process(alone)


def report_in_process(times: dict[str, dict[str, list[float]]]) -> None:
    off = statistics.median(times["off"]["ms"])
    print(
        "\nIn-process, one approval at a time (`services.task_approve`, the modes taking turns):"
        "\n\n| mode | approvals | ms per approval, median (p95) | ÷ off | chain head held per "
        "transaction, median (p95) ms | head capacity, transactions/s |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for mode in MODES:
        ms, held = times[mode]["ms"], times[mode]["held"]
        if not ms:
            continue
        hold = (
            f"{statistics.median(held):.2f} ({p95(held):.2f})" if held else "— (no head)",
            f"{1000 / statistics.median(held):.0f}" if held else "—",
        )
        print(
            f"| {mode} | {len(ms)} | {statistics.median(ms):.1f} ({p95(ms):.1f}) | "
            f"{statistics.median(ms) / off:.3f} | {hold[0]} | {hold[1]} |"
        )


def report(
    args: argparse.Namespace,
    results: list[dict],
    checks: dict[str, tuple[str, int]],
    seed_s: float,
    seeded: int,
) -> None:
    print(
        f"{SECTIONS} approvers, bursts of {SECTIONS} x {args.burst} approvals, {args.rounds} "
        f"rounds of the 3 modes "
        f"({'at the same time' if args.together else 'in turn, order rotated'}); "
        f"3 uvicorn servers with --workers "
        f"{args.workers} each, embedded task workers; {seeded} events before the runs (seed "
        f"{seed_s:.0f} s)\n"
    )
    print(
        "| round | mode | approvals OK / errors | approvals/s | p50 / p95 ms | CPU per approval "
        "server / PostgreSQL ms | backends waiting on a lock (on the head), mean |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        lat = r["latencies"]
        print(
            f"| {r['round']} | {r['mode']} | {r['done']} / {r['errors']} | {r['rate']:.1f} | "
            f"{statistics.median(lat) if lat else 0:.0f} / {p95(lat) if lat else 0:.0f} | "
            f"{r['cpu']['server']:.1f} / {r['cpu']['postgres']:.1f} | "
            f"{r['waiting']:.2f} ({r['on_head']:.2f}) |"
        )
    by = {(r["round"], r["mode"]): r for r in results}
    rounds = sorted({r["round"] for r in results})

    def spread(values: list[float], fmt: str = ".1f") -> str:
        return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"

    print(
        "\n| mode | approvals/s, median (min–max) | ÷ off in the same round, median (min–max) "
        "| p50 / p95 ms (all approvals) | server + PostgreSQL CPU per approval, median ms "
        "| lock waiters (on the head), median | events | audit_verify |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for mode in MODES:
        mine = [by[(n, mode)] for n in rounds if (n, mode) in by]
        if not mine:
            continue
        ratios = [
            by[(n, mode)]["rate"] / by[(n, "off")]["rate"]
            for n in rounds
            if (n, mode) in by and (n, "off") in by
        ]
        lat = [ms for r in mine for ms in r["latencies"]]
        cpu = [r["cpu"]["server"] + r["cpu"]["postgres"] for r in mine]
        verified, events = checks.get(mode, ("—", 0))
        print(
            f"| {mode} | {spread([r['rate'] for r in mine])} | {spread(ratios, '.3f')} | "
            f"{statistics.median(lat):.0f} / {p95(lat):.0f} ({len(lat)}) | "
            f"{statistics.median(cpu):.1f} | "
            f"{statistics.median(r['waiting'] for r in mine):.2f} "
            f"({statistics.median(r['on_head'] for r in mine):.2f}) | {events} | {verified} |"
        )
    print("\nStatements the lock waiters were at (samples, all bursts):\n")
    for mode in MODES:
        seen: Counter[str] = Counter()
        for r in results:
            if r["mode"] == mode:
                seen.update(r["statements"])
        top = "; ".join(f"{n} × `{query}`" for query, n in seen.most_common(3)) or "none"
        print(f"- {mode}: {top}")
    errors = sum(r["errors"] for r in results)
    alive = sum(r["alive"] for r in results)
    print(f"\nerrors: {errors}; client threads still alive after a burst: {alive}")


if __name__ == "__main__":
    main()

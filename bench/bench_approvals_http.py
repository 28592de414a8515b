"""Approvals over HTTP (issue 3): 10 concurrent approvers against uvicorn on PostgreSQL.

A throwaway PostgreSQL database (``kairan_bench_<pid>``, dropped at the end) is migrated and
seeded through the services: a 課 with 10 係, each 係長 the first approver of ``--per`` proposals
in review. uvicorn serves config.asgi on a free 127.0.0.1 port (``--workers``); 10 client
threads each list their own tasks (``GET /api/v1/tasks/``) and approve them one by one
(``POST /api/v1/tasks/{id}/approve/``, ``Authorization: Token``), bounded by count and
``--deadline`` seconds. Then, in-process, the queries of one ``services.task_approve`` and
viewflow's share of them. Prints markdown.

    .venv/bin/python bench/bench_approvals_http.py [--per 30] [--workers 2]

Open loop (``--open-loop RATE[,RATE...]``, issue 14 item 6): approvals arrive at RATE per second
for ``--duration`` seconds (Poisson arrivals from ``--arrival-seed``, or ``--arrivals even``),
round-robin over the 10 approvers, each sent when due whether or not earlier ones have answered
(bench/openloop.py: one asyncio loop, up to ``--senders`` connections), its latency measured
from its scheduled time. ``--runs`` rounds, each running every rate once in the order given;
one seeding before the server starts gives every run its own fresh pending tasks (``--per`` is
then computed, ``--seed-jobs`` processes submit them). Prints the machine line and, per rate,
the median (min–max) over runs of the achieved rate, p50/p95/p99/max latency, errors and the
CPU per approval.

    .venv/bin/python bench/bench_approvals_http.py --task-workers external \
        --open-loop 25,40,50 --duration 20 --runs 3
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_inbox import SECTIONS, admin_sql, configure, p95, seed_org  # noqa: E402
from bench.machine import describe, spread  # noqa: E402
from bench.openloop import RunResult, arrivals, run_open_loop, seed_parallel  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base: str, token: str, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = httpx.get(f"{base}/api/v1/tasks/", headers={"Authorization": f"Token {token}"})
            if r.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("uvicorn did not answer in time")


def approver_thread(base: str, token: str, limit: int, deadline: float, out: dict) -> None:
    import httpx

    headers = {"Authorization": f"Token {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        start = time.perf_counter()
        r = client.get("/api/v1/tasks/")
        out["list_ms"].append((time.perf_counter() - start) * 1000)
        r.raise_for_status()
        for task in r.json()[:limit]:
            if time.monotonic() > deadline:
                break
            start = time.perf_counter()
            r = client.post(f"/api/v1/tasks/{task['id']}/approve/", json={})
            elapsed = (time.perf_counter() - start) * 1000
            if r.status_code == 200:
                out["approve_ms"].append(elapsed)
            else:
                out["errors"].append(r.status_code)


def server_env(pool_size: int | None, task_workers: str) -> dict[str, str]:
    """The server's environment; ``pool_size`` overrides KAIRAN_DB_POOL_SIZE (0: no pool)."""
    env = dict(os.environ) | {"KAIRAN_TASK_WORKERS": task_workers}
    if pool_size is not None:
        env["KAIRAN_DB_POOL_SIZE"] = str(pool_size)
    return env


def cpu_seconds(dbname: str, server_pid: int) -> dict[str, float]:
    """CPU time used so far (Linux /proc) by the server (uvicorn and its workers) and by the
    PostgreSQL backends connected to the bench database: the cost per approval, which on a
    shared machine says more than the throughput does."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        procs[int(entry.name)] = (
            int(fields[1]),
            cmdline,
            (int(fields[11]) + int(fields[12])) / tick,
        )
    server = {server_pid}
    for _ in range(3):  # uvicorn → its workers (and their own children, if any)
        server |= {pid for pid, (ppid, _c, _t) in procs.items() if ppid in server}
    return {
        "server": sum(procs[pid][2] for pid in server if pid in procs),
        "postgres": sum(
            t for _p, c, t in procs.values() if c.startswith("postgres:") and dbname in c
        ),
    }


def start_server(args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    """uvicorn on a free 127.0.0.1 port; returns the process and the base URL."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable)),
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env(args.pool_size, args.task_workers),
    )
    return server, f"http://127.0.0.1:{port}"


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def closed_loop(args: argparse.Namespace, dbname: str, servers: list[subprocess.Popen]) -> None:
    """10 closed-loop approver threads, then the queries of one approval in-process."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from workflow.models import ProposalStep
    from workflow.proposals import services

    per = 30 if args.per is None else args.per
    t0 = time.monotonic()
    org = seed_org(per)
    approvers = org["approvers"]
    tokens = [Token.objects.create(user=p.user).key for p in approvers]
    seed_s = time.monotonic() - t0
    connection.close()

    server, base = start_server(args)
    servers.append(server)
    wait_ready(base, tokens[0], 60)

    out: dict[str, list] = {"list_ms": [], "approve_ms": [], "errors": []}
    deadline = time.monotonic() + args.deadline
    threads = [
        threading.Thread(target=approver_thread, args=(base, tok, per, deadline, out), daemon=True)
        for tok in tokens
    ]
    cpu_before = cpu_seconds(dbname, server.pid)
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.deadline + 30)
    wall = time.perf_counter() - start
    alive = sum(t.is_alive() for t in threads)
    cpu_after = cpu_seconds(dbname, server.pid)
    cpu = {k: cpu_after[k] - cpu_before[k] for k in cpu_after}

    stop_server(server)
    servers.remove(server)

    # In-process: the queries of one approval (a fresh proposal for the first 係長).
    boss = approvers[0]
    first = ProposalStep.objects.filter(approver=boss).first()
    assert first is not None
    drafter = first.proposal.drafter
    proposal = services.proposal_create(actor=drafter.user, title="計測", category="general")
    services.proposal_submit(actor=drafter.user, proposal=proposal)
    step = ProposalStep.objects.get(proposal=proposal, state="pending")
    with CaptureQueriesContext(connection) as ctx:
        services.task_approve(actor=boss.user, step=step)
    queries = [q["sql"] for q in ctx.captured_queries]
    viewflow = sum("viewflow_" in sql for sql in queries)
    writes = sum(sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for sql in queries)
    ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
    connection.close()

    done = len(out["approve_ms"])
    lat = out["approve_ms"]
    print(
        f"{SECTIONS} approvers x {per} proposals ({SECTIONS * per} approvals), "
        f"uvicorn --workers {args.workers}, connection pool per worker: "
        f"{pool_label(args)}, "
        f"task workers: {args.task_workers}, "
        f"seed {seed_s:.1f} s, threads still alive: {alive}\n"
    )
    print("| measure | value |")
    print("|---|---:|")
    print(f"| approvals done (HTTP 200) / errors | {done} / {len(out['errors'])} |")
    print(f"| wall time, s | {wall:.2f} |")
    print(f"| approvals/s | {done / wall:.1f} |")
    if lat:
        print(
            f"| approve p50 / p95 / max, ms | {statistics.median(lat):.1f} / "
            f"{p95(lat):.1f} / {max(lat):.1f} |"
        )
    print(f"| GET tasks/ p50 (one per approver), ms | {statistics.median(out['list_ms']):.1f} |")
    if done:
        per_ms = {k: v * 1000 / done for k, v in cpu.items()}
        print(
            f"| CPU per approval: server / PostgreSQL, ms | {per_ms['server']:.1f} / "
            f"{per_ms['postgres']:.1f} |"
        )
        print(
            f"| approvals/s if those 2 cores did nothing else | "
            f"{2000 / (per_ms['server'] + per_ms['postgres']):.1f} |"
        )
    print(f"| queries per approval (in-process) | {len(queries)} |")
    print(f"| of which mention viewflow_ | {viewflow} |")
    print(f"| of which writes (INSERT/UPDATE/DELETE) | {writes} |")
    print(f"| SQL time of that approval (client side), ms | {ms:.1f} |")
    if out["errors"]:
        print(f"\nerror statuses: {sorted(set(out['errors']))}")


def pool_label(args: argparse.Namespace) -> str:
    return "10 (settings)" if args.pool_size is None else str(args.pool_size or "none")


def open_loop(args: argparse.Namespace, dbname: str, servers: list[subprocess.Popen]) -> None:
    """Seed once, start uvicorn, then ``--runs`` rounds of every rate; prints markdown."""
    from django.db import connections
    from django.test.utils import override_settings
    from rest_framework.authtoken.models import Token

    from directory.models import Person
    from workflow.models import ProposalStep

    rates = [float(r) for r in args.open_loop.split(",")]
    if any(r <= 0 for r in rates) or args.duration <= 0 or args.runs < 1:
        raise SystemExit("--open-loop rates, --duration and --runs must be positive")
    # Arrivals go round-robin over the approvers: each needs ceil(count / SECTIONS) per run.
    need = sum(math.ceil(round(r * args.duration) / SECTIONS) for r in rates) * args.runs
    need += math.ceil(args.warmup / SECTIONS)
    if args.per is not None and args.per < need:
        raise SystemExit(f"--per {args.per} is too few: the runs need {need} per approver")
    per = need if args.per is None else args.per
    if per * SECTIONS > args.max_proposals:
        raise SystemExit(f"{per * SECTIONS} proposals to seed, over --max-proposals")

    t0 = time.monotonic()
    # The org's 22 users through the factories, with a fast password hasher (the server
    # authenticates by token; PBKDF2 would cost ~0.4 s a user here).
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        approvers = seed_org(0)["approvers"]
    tokens = [Token.objects.create(user=p.user).key for p in approvers]
    drafters = [Person.objects.get(user__username=f"bench_staff{i}") for i in range(SECTIONS)]
    connections.close_all()
    seed_parallel(
        [(d.user_id, str(i), per) for i, d in enumerate(drafters)], processes=args.seed_jobs
    )
    pending = [
        list(
            ProposalStep.objects.filter(approver=boss, state="pending")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for boss in approvers
    ]
    seed_s = time.monotonic() - t0
    if any(len(p) != per for p in pending):
        raise SystemExit(f"seeding gave {[len(p) for p in pending]} pending tasks, not {per}")
    connections.close_all()
    machine = describe()  # after the seeding, before the server: the load the runs start in

    server, base = start_server(args)
    servers.append(server)
    wait_ready(base, tokens[0], 60)
    queues = [iter(p) for p in pending]
    if args.warmup:  # both workers' first approvals (imports, pool connections), not reported
        run_open_loop(
            base,
            10,
            [
                (i / 10, tokens[i % SECTIONS], next(queues[i % SECTIONS]))
                for i in range(args.warmup)
            ],
            senders=args.senders,
            grace=args.grace,
        )
    results: dict[float, list[RunResult]] = {r: [] for r in rates}
    for run in range(args.runs):
        for k, rate in enumerate(rates):
            offsets = arrivals(
                rate, args.duration, args.arrivals, args.arrival_seed + 1000 * run + k
            )
            schedule = [
                (off, tokens[i % SECTIONS], next(queues[i % SECTIONS]))
                for i, off in enumerate(offsets)
            ]
            time.sleep(1)  # let the previous run's stragglers settle
            cpu_before = cpu_seconds(dbname, server.pid)
            res = run_open_loop(base, rate, schedule, senders=args.senders, grace=args.grace)
            cpu_after = cpu_seconds(dbname, server.pid)
            res.cpu = {key: cpu_after[key] - cpu_before[key] for key in cpu_after}
            results[rate].append(res)
            print(
                f"- run {run + 1}, {rate:g}/s: {res.ok}/{res.sent} OK, "
                f"achieved {res.achieved():.1f}/s, p50 {fmt(res.pctl(0.5))}, "
                f"p95 {fmt(res.pctl(0.95))}, p99 {fmt(res.pctl(0.99))}, "
                f"max {fmt(max(res.latency_ms, default=None))} ms",
                file=sys.stderr,
                flush=True,
            )
    stop_server(server)
    servers.remove(server)
    print_open_loop(args, rates, results, per, seed_s, machine)


def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def print_open_loop(
    args: argparse.Namespace,
    rates: list[float],
    results: dict[float, list[RunResult]],
    per: int,
    seed_s: float,
    machine: str,
) -> None:
    arrival = (
        f"Poisson arrivals (seed {args.arrival_seed} + 1000 × run + rate index)"
        if args.arrivals == "poisson"
        else "evenly spaced arrivals"
    )
    print(
        f"Open loop: {SECTIONS} approvers (round-robin), {arrival}, {args.duration:g} s a run, "
        f"{args.runs} run(s) of each rate in the order {', '.join(f'{r:g}/s' for r in rates)}; "
        f"up to {args.senders} connections; uvicorn --workers {args.workers}, connection pool "
        f"per worker: {pool_label(args)}, task workers: {args.task_workers}; one seeding of "
        f"{per} proposals per approver ({seed_s:.0f} s, {args.seed_jobs} processes), every run "
        f"approves its own fresh pending tasks (after {args.warmup} warm-up approvals). "
        f"Latency from the scheduled send time to the answer; percentiles nearest-rank, p95 "
        f"and p99 only from ≥ 500 samples.\n"
    )
    print(f"Machine: {machine}\n")
    label = f"median (min–max) of {args.runs}" if args.runs > 1 else "one run"
    print(f"| {label} | " + " | ".join(f"{r:g}/s" for r in rates) + " |")
    print("|---|" + "---:|" * len(rates))

    def row(name: str, value, fmt_: str = "{:.1f}") -> None:
        cells = [spread([value(res) for res in results[r]], fmt_) for r in rates]
        print(f"| {name} | " + " | ".join(cells) + " |")

    def per_ok(seconds: float, res: RunResult) -> float | None:
        return seconds * 1000 / res.ok if res.ok else None

    row("sent", lambda res: res.sent, "{:.0f}")
    row("HTTP 200", lambda res: res.ok, "{:.0f}")
    row("errors (non-200, failed, unfinished)", lambda res: len(res.errors), "{:.0f}")
    row("achieved approvals/s", RunResult.achieved)
    row("latency p50, ms", lambda res: res.pctl(0.50))
    row("**latency p95, ms**", lambda res: res.pctl(0.95))
    row("latency p99, ms", lambda res: res.pctl(0.99))
    row("latency max, ms", lambda res: max(res.latency_ms, default=None))
    row("requests in flight, max", lambda res: res.max_in_flight, "{:.0f}")
    row(
        "client send lag p99, ms",
        lambda res: sorted(res.lag_ms)[int(0.99 * (len(res.lag_ms) - 1))] if res.lag_ms else None,
    )
    row("server CPU per approval, ms", lambda res: per_ok(res.cpu["server"], res))
    row("PostgreSQL CPU per approval, ms", lambda res: per_ok(res.cpu["postgres"], res))
    row("bench client CPU per approval, ms", lambda res: per_ok(res.client_cpu_s, res))
    statuses = sorted({e for r in rates for res in results[r] for e in res.errors})
    if statuses:
        print(f"\nerror statuses: {statuses}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--per",
        type=int,
        default=None,
        help="proposals per approver (closed loop: 30; open loop: what the runs need)",
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--deadline", type=float, default=120.0)
    parser.add_argument(
        "--pool-size",
        type=int,
        default=None,
        help="the server's KAIRAN_DB_POOL_SIZE (default: the settings' 10; 0: no pool, a new "
        "connection per request)",
    )
    parser.add_argument(
        "--task-workers",
        choices=["embedded", "external"],
        default="embedded",
        help="the server's KAIRAN_TASK_WORKERS: external queues the notifications for db_worker "
        "(not run during the bench) instead of writing them in the request",
    )
    group = parser.add_argument_group("open loop")
    group.add_argument(
        "--open-loop",
        metavar="RATE[,RATE...]",
        default=None,
        help="approvals per second, arriving regardless of answers (instead of closed loop)",
    )
    group.add_argument("--duration", type=float, default=20.0, help="seconds of arrivals a run")
    group.add_argument("--runs", type=int, default=1, help="rounds of every rate")
    group.add_argument("--arrivals", choices=["poisson", "even"], default="poisson")
    group.add_argument("--arrival-seed", type=int, default=14)
    group.add_argument("--senders", type=int, default=64, help="client connections, at most")
    group.add_argument(
        "--grace", type=float, default=60.0, help="seconds to wait for the last answers"
    )
    group.add_argument(
        "--warmup", type=int, default=20, help="approvals at 10/s before the runs, not reported"
    )
    group.add_argument("--seed-jobs", type=int, default=2, help="processes that seed")
    group.add_argument("--max-proposals", type=int, default=20_000, help="bound on the seeding")
    args = parser.parse_args()
    dbname = f"kairan_bench_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="kairan-bench-approvals-"))
    admin_sql(f"CREATE DATABASE {dbname}")
    servers: list[subprocess.Popen] = []
    try:
        configure(workdir, dbname)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        if args.open_loop:
            open_loop(args, dbname, servers)
        else:
            closed_loop(args, dbname, servers)
    finally:
        for server in servers:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        admin_sql(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

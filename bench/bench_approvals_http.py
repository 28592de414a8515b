"""Approvals over HTTP (issue 3): 10 concurrent approvers against uvicorn on PostgreSQL.

A throwaway PostgreSQL database (``kairan_bench_<pid>``, dropped at the end) is migrated and
seeded through the services: a 課 with 10 係, each 係長 the first approver of ``--per`` proposals
in review. uvicorn serves config.asgi on a free 127.0.0.1 port (``--workers``); 10 client
threads each list their own tasks (``GET /api/v1/tasks/``) and approve them one by one
(``POST /api/v1/tasks/{id}/approve/``, ``Authorization: Token``), bounded by count and
``--deadline`` seconds. Then, in-process, the queries of one ``services.task_approve`` and
viewflow's share of them. Prints markdown.

    .venv/bin/python bench/bench_approvals_http.py [--per 30] [--workers 2]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per", type=int, default=30, help="proposals per approver")
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
    args = parser.parse_args()
    dbname = f"kairan_bench_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="kairan-bench-approvals-"))
    admin_sql(f"CREATE DATABASE {dbname}")
    server = None
    try:
        configure(workdir, dbname)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from rest_framework.authtoken.models import Token

        from workflow.models import ProposalStep
        from workflow.proposals import services

        call_command("migrate", verbosity=0)
        t0 = time.monotonic()
        org = seed_org(args.per)
        approvers = org["approvers"]
        tokens = [Token.objects.create(user=p.user).key for p in approvers]
        seed_s = time.monotonic() - t0
        connection.close()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
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
        wait_ready(base, tokens[0], 60)

        out: dict[str, list] = {"list_ms": [], "approve_ms": [], "errors": []}
        deadline = time.monotonic() + args.deadline
        threads = [
            threading.Thread(
                target=approver_thread, args=(base, tok, args.per, deadline, out), daemon=True
            )
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

        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        server = None

        # In-process: the queries of one approval (a fresh proposal for the first 係長).
        boss = approvers[0]
        drafter = ProposalStep.objects.filter(approver=boss).first().proposal.drafter
        proposal = services.proposal_create(actor=drafter.user, title="計測", category="general")
        services.proposal_submit(actor=drafter.user, proposal=proposal)
        step = ProposalStep.objects.get(proposal=proposal, state="pending")
        with CaptureQueriesContext(connection) as ctx:
            services.task_approve(actor=boss.user, step=step)
        queries = [q["sql"] for q in ctx.captured_queries]
        viewflow = sum("viewflow_" in sql for sql in queries)
        writes = sum(
            sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for sql in queries
        )
        ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
        connection.close()

        done = len(out["approve_ms"])
        lat = out["approve_ms"]
        print(
            f"{SECTIONS} approvers x {args.per} proposals ({SECTIONS * args.per} approvals), "
            f"uvicorn --workers {args.workers}, connection pool per worker: "
            f"{'10 (settings)' if args.pool_size is None else args.pool_size or 'none'}, "
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
        print(
            f"| GET tasks/ p50 (one per approver), ms | {statistics.median(out['list_ms']):.1f} |"
        )
        if done:
            per = {k: v * 1000 / done for k, v in cpu.items()}
            print(
                f"| CPU per approval: server / PostgreSQL, ms | {per['server']:.1f} / "
                f"{per['postgres']:.1f} |"
            )
            print(
                f"| approvals/s if those 2 cores did nothing else | "
                f"{2000 / (per['server'] + per['postgres']):.1f} |"
            )
        print(f"| queries per approval (in-process) | {len(queries)} |")
        print(f"| of which mention viewflow_ | {viewflow} |")
        print(f"| of which writes (INSERT/UPDATE/DELETE) | {writes} |")
        print(f"| SQL time of that approval (client side), ms | {ms:.1f} |")
        if out["errors"]:
            print(f"\nerror statuses: {sorted(set(out['errors']))}")
    finally:
        if server is not None:
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

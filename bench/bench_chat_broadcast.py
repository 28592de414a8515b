"""Chat broadcast benchmark (issue 12): one sender, N connected clients, M messages.

Kairan: uvicorn (``--workers 2``) on PostgreSQL + Redis (channels_redis pub/sub); the sender
POSTs each message to ``/api/v1/chat/rooms/{id}/messages/`` (stored, fanned out to N streams,
then woken over Redis); the N clients are WebSockets on ``/ws/chat/``, spread by the kernel
over both workers. Baseline in the same run: a bare ``websockets`` broadcast server (one
process; a message frame in, ``websockets.broadcast`` to all, nothing stored) — what one would
write without any guarantee. Also the embedded default (one uvicorn process, SQLite, in-memory
layer). The sender sends at a fixed rate (``--rate`` per second); each message carries its send
time, every client records its arrival (one clock: the clients and sender are one process).

Reported per case: messages lost (expected N×M deliveries minus received), p50/p99 delivery
latency, deliveries per second over the whole run, and server CPU per delivery (uvicorn and
its workers; PostgreSQL backends of the bench database separately).

    .venv/bin/python bench/bench_chat_broadcast.py [--n 200 1000] [--messages 50] [--rate 10]
        [--runs 3]   # each case 3 times, then a table of the medians

KAIRAN_BENCH_REDIS_URL chooses the Redis database (default redis://127.0.0.1:6379/14).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = "postgresql://postgres@127.0.0.1:5432"
REDIS = os.environ.get("KAIRAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


# --- seeding (runs in a child process with the case's environment) ---------------------------


def seed(n: int) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from chat import services

    call_command("migrate", verbosity=0)
    User = get_user_model()
    User.objects.bulk_create([User(username=f"bench{i:05d}") for i in range(n + 1)])
    users = list(User.objects.filter(username__startswith="bench").order_by("username"))
    Token.objects.bulk_create([Token(user=u, key=f"{u.pk:08d}".ljust(40, "b")) for u in users])
    room = services.room_create(
        actor=users[0], name="bench", members=[u.username for u in users[1:]]
    )
    print(
        json.dumps(
            {
                "room": room.pk,
                "sender": f"{users[0].pk:08d}".ljust(40, "b"),
                "clients": [f"{u.pk:08d}".ljust(40, "b") for u in users[1:]],
            }
        )
    )


# --- servers ---------------------------------------------------------------------------------


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def start_uvicorn(env: dict[str, str], workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
            "--lifespan",
            "off",
            "--ws-max-queue",
            "10000",
        ],
        cwd=ROOT,
        env=env,
    )
    wait_port(port)
    return proc, port


BARE_SERVER = r"""
import asyncio, sys
from websockets.asyncio.server import serve, broadcast
clients = set()
async def handler(ws):
    clients.add(ws)
    try:
        async for frame in ws:
            if frame.startswith('{"type":"send"'):
                broadcast(clients, frame)
    finally:
        clients.discard(ws)
async def main():
    async with serve(handler, "127.0.0.1", int(sys.argv[1]), max_queue=None):
        await asyncio.Future()
asyncio.run(main())
"""


def start_bare() -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(port)], cwd=ROOT)
    wait_port(port)
    return proc, port


def cpu_seconds(root_pid: int, dbname: str | None) -> tuple[float, float]:
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        f = stat[stat.rindex(")") + 2 :].split()
        procs[int(entry.name)] = (int(f[1]), cmd, (int(f[11]) + int(f[12])) / tick)
    tree = {root_pid}
    for _ in range(3):
        tree |= {pid for pid, (ppid, _c, _t) in procs.items() if ppid in tree}
    server = sum(procs[p][2] for p in tree if p in procs)
    pg = sum(
        t for _p, c, t in procs.values() if dbname and c.startswith("postgres:") and dbname in c
    )
    return server, pg


# --- clients ---------------------------------------------------------------------------------


async def run_clients(
    *, url_for, send, n: int, messages: int, rate: float, deadline: float
) -> dict:
    from websockets.asyncio.client import connect

    arrivals: list[list[float]] = [[] for _ in range(n)]
    sent_at: dict[str, float] = {}
    ready = asyncio.Event()
    connected = [0]

    async def client(i: int) -> None:
        async with connect(url_for(i), max_queue=None, open_timeout=60) as ws:
            connected[0] += 1
            if connected[0] == n:
                ready.set()
            end = time.monotonic() + deadline
            while len(arrivals[i]) < messages and time.monotonic() < end:
                try:
                    raw = await asyncio.wait_for(ws.recv(), 2)
                except TimeoutError:
                    continue
                now = time.perf_counter()
                event = json.loads(raw)
                if event.get("type") in ("message", "send"):
                    key = event["text"]
                    if key in sent_at:
                        arrivals[i].append(now - sent_at[key])

    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(client(i)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # do not stampede the accept queue
    await asyncio.wait_for(ready.wait(), 120)
    # Warm-up (not measured): first requests import and connect lazily in each worker.
    for k in range(5):
        await send(f"warm-{k}")
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)
    t0 = time.perf_counter()
    for k in range(messages):
        text = f"bench-{k:05d}"
        sent_at[text] = time.perf_counter()
        await send(text)
        pause = t0 + (k + 1) / rate - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
    await asyncio.gather(*tasks, return_exceptions=True)
    last = max((t0 + 0 for _ in [0]), default=t0)
    received = [len(a) for a in arrivals]
    latencies = sorted(x for a in arrivals for x in a)
    wall = max(time.perf_counter() - t0, 1e-9)
    del last
    return {
        "expected": n * messages,
        "received": sum(received),
        "lost": n * messages - sum(received),
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1] if latencies else None,
        "samples": len(latencies),
        "wall_s": wall,
    }


def kairan_case(env: dict, workers: int, n: int, args, dbname: str | None) -> dict:
    import httpx

    out = subprocess.run(
        [sys.executable, __file__, "seed", "--n", str(n)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    seeded = json.loads(out.stdout.strip().splitlines()[-1])
    server, port = start_uvicorn(env, workers)
    try:
        base = f"http://127.0.0.1:{port}"
        http = httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Token {seeded['sender']}"}, timeout=60
        )

        async def send(text: str) -> None:
            r = await http.post(
                f"/api/v1/chat/rooms/{seeded['room']}/messages/", json={"text": text}
            )
            r.raise_for_status()

        cpu0 = cpu_seconds(server.pid, dbname)
        result = asyncio.run(
            run_clients(
                url_for=lambda i: f"ws://127.0.0.1:{port}/ws/chat/?token={seeded['clients'][i]}",
                send=send,
                n=n,
                messages=args.messages,
                rate=args.rate,
                deadline=args.deadline,
            )
        )
        cpu1 = cpu_seconds(server.pid, dbname)
    finally:
        server.terminate()
        server.wait(20)
    result["server_cpu_s"] = cpu1[0] - cpu0[0]
    result["pg_cpu_s"] = cpu1[1] - cpu0[1]
    return result


def bare_case(n: int, args) -> dict:
    server, port = start_bare()
    try:
        state = {}

        async def send(text: str) -> None:
            from websockets.asyncio.client import connect

            if "ws" not in state:
                state["ws"] = await connect(f"ws://127.0.0.1:{port}/")
            await state["ws"].send(
                json.dumps({"type": "send", "text": text}, separators=(",", ":"))
            )

        cpu0 = cpu_seconds(server.pid, None)
        result = asyncio.run(
            run_clients(
                url_for=lambda i: f"ws://127.0.0.1:{port}/",
                send=send,
                n=n + 1,
                messages=args.messages,
                rate=args.rate,
                deadline=args.deadline,
            )
        )
        cpu1 = cpu_seconds(server.pid, None)
    finally:
        server.terminate()
        server.wait(20)
    # The sender's own connection is not a client: n + 1 connections, n counted below.
    result["expected"] = (n + 1) * args.messages
    result["server_cpu_s"] = cpu1[0] - cpu0[0]
    result["pg_cpu_s"] = 0.0
    return result


def metrics(r: dict) -> dict[str, float]:
    """What a table row shows, from one run's raw figures."""
    deliveries = r["received"]
    return {
        "lost": r["lost"],
        "p50_ms": r["p50_ms"],
        "p99_ms": r["p99_ms"],
        "per_s": deliveries / r["wall_s"],
        "cpu_us": 1e6 * r["server_cpu_s"] / max(deliveries, 1),
        "cpu_pg_us": (
            1e6 * (r["server_cpu_s"] + r["pg_cpu_s"]) / deliveries if deliveries else float("nan")
        ),
    }


def format_row(name: str, n: int, m: dict) -> str:
    return (
        f"| {name} | {n} | {m['lost']} | {m['p50_ms']:.1f} | {m['p99_ms']:.1f} | "
        f"{m['per_s']:.0f} | {m['cpu_us']:.0f} | {m['cpu_pg_us']:.0f} |"
    )


def row(name: str, n: int, r: dict) -> str:
    return format_row(name, n, metrics(r))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        p = argparse.ArgumentParser()
        p.add_argument("seed")
        p.add_argument("--n", type=int)
        seed(p.parse_args().n)
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deadline", type=float, default=120.0)
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument("--runs", type=int, default=1, help="repeat every case; medians after")
    args = parser.parse_args()
    runs: dict[tuple[str, int], list[dict]] = {}
    for number in range(1, max(1, args.runs) + 1):
        one_run(args, number, runs)
    if args.runs > 1:
        print(f"\nMedians of {args.runs} runs (each column separately; lost: the worst run):\n")
        print(
            "| case | N | lost (max) | p50 ms | p99 ms | deliveries/s | server CPU µs/delivery | "
            "with PostgreSQL µs/delivery |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for (name, n), results in runs.items():
            print(median_row(name, n, results))
        for n in sorted({n for _, n in runs}):
            bare = runs.get(("bare websockets (1 process)", n))
            kairan = [r for (name, m), r in runs.items() if m == n and name.startswith("Kairan, ")]
            if bare and kairan:
                pairs = zip(kairan[0], bare, strict=True)
                ratios = sorted(k["p99_ms"] / b["p99_ms"] for k, b in pairs)
                print(
                    f"\nN={n}: p99 ratio Kairan/bare of each run, sorted = "
                    + ", ".join(f"{r:.1f}×" for r in ratios)
                    + f" (median {statistics.median(ratios):.1f}×)"
                )


def median_row(name: str, n: int, results: list[dict]) -> str:
    each = [metrics(r) for r in results]
    merged = {key: statistics.median(m[key] for m in each) for key in each[0]}
    merged["lost"] = max(m["lost"] for m in each)
    return format_row(name, n, merged)


def one_run(args, number: int, runs: dict) -> None:
    print(f"\n--- run {number}")

    lines = [
        "| case | N | lost | p50 ms | p99 ms | deliveries/s | server CPU µs/delivery | "
        "with PostgreSQL µs/delivery |",
        "|---|---|---|---|---|---|---|---|",
    ]
    results = {}
    for n in args.n:
        dbname = f"kairan_bench_chat_{os.getpid()}_{n}"
        workdir = Path(tempfile.mkdtemp(prefix="kairan-bench-chat-"))
        admin_sql(f"CREATE DATABASE {dbname}")
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
            env.update(
                KAIRAN_DATA_DIR=str(workdir),
                KAIRAN_DATABASE_URL=f"{PG}/{dbname}",
                KAIRAN_REDIS_URL=REDIS,
                KAIRAN_SECRET_KEY="bench-" + "k" * 50,
                DJANGO_SETTINGS_MODULE="config.settings",
            )
            bare = bare_case(n, args)
            lines.append(row("bare websockets (1 process)", n, bare))
            runs.setdefault(("bare websockets (1 process)", n), []).append(bare)
            kairan = kairan_case(env, args.workers, n, args, dbname)
            name = f"Kairan, {args.workers} workers, Redis, PostgreSQL"
            lines.append(row(name, n, kairan))
            runs.setdefault((name, n), []).append(kairan)
            results[n] = (bare, kairan)
        finally:
            admin_sql(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
            shutil.rmtree(workdir, ignore_errors=True)
    if not args.skip_embedded:
        workdir = Path(tempfile.mkdtemp(prefix="kairan-bench-chat-embedded-"))
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
            env.update(
                KAIRAN_DATA_DIR=str(workdir),
                KAIRAN_SECRET_KEY="bench-" + "k" * 50,
                DJANGO_SETTINGS_MODULE="config.settings",
            )
            n = min(args.n)
            embedded = kairan_case(env, 1, n, args, None)
            name = "Kairan embedded (1 process, SQLite, in-memory layer)"
            lines.append(row(name, n, embedded))
            runs.setdefault((name, n), []).append(embedded)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"\n{args.messages} messages at {args.rate}/s; latency = send start → arrival at a client\n"
    )
    print("\n".join(lines))
    for n, (bare, kairan) in results.items():
        print(
            f"\nN={n}: p99 ratio Kairan/bare = {kairan['p99_ms'] / bare['p99_ms']:.1f}×, "
            f"lost: Kairan {kairan['lost']}, bare {bare['lost']}"
        )


if __name__ == "__main__":
    main()

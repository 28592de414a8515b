"""Mixed load: a city hall's day on loopback — N staff against 2 uvicorn workers (issue 3).

A throwaway PostgreSQL database (``kairan_bench_<pid>``, dropped at the end) is migrated and
loaded with the demo city (``seed_demo``); ``--seed`` proposals are drafted and submitted
through the services (a third of them one step further), so the heads have tasks from the
start. uvicorn serves config.asgi with 2 workers on a free 127.0.0.1 port, Redis (db 14) as
channel layer and cache; each demo person signs in once (token, and a browser session for the
inbox page). Then, for each N, N simulated staff (threads, one httpx client each, 1–3 s think
time) loop for ``--duration`` s over the mix: 40% inbox (API and page), 15% proposal detail,
10% search (Japanese terms), 10% create + submit, 15% approve one of my tasks, 5% upload a
small generated PDF, 5% the proposal's PDF. 60% of the staff are heads (they approve), 40%
drafters (they draft); with more staff than people, sessions share a person (two tabs), so
the same task may be approved twice: that 409 is expected and counted apart.

``--kill-worker``: midway through the last N, one uvicorn worker is SIGKILLed (uvicorn starts
a new one); the requests in flight then are reported. At the end: ``manage.py audit_verify``,
consistency checks (states, gap-free document numbers, drafts stranded by a failed submit) and
the server log's tracebacks. Bounded: per-N duration, ``--deadline`` for the whole run.

    .venv/bin/python bench/bench_mixed_load.py [--n 50,100,200] [--duration 60] [--kill-worker]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_approvals_http import cpu_seconds, free_port, server_env, wait_ready  # noqa: E402
from bench.bench_inbox import admin_sql, configure  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/14"
PASSWORD = "kairan-demo-2026"  # noqa: S105 - the documented demo password
DRAFTER_TITLES = {"主事", "主任", "技師", "主査"}
TITLES = [
    "道路補修工事の実施について",
    "窓口案内表示の更新について",
    "介護保険料の納付通知の発送について",
    "職員研修の実施について",
    "庁舎清掃業務の委託について",
    "防災訓練の実施について",
    "市民税の課税資料の整理について",
    "都市計画道路の測量について",
    "公用車の購入について",
    "議会資料の印刷について",
]
TERMS = ["道路", "窓口", "介護", "研修", "委託", "防災", "市民税", "測量", "公用車", "議会資料"]
# (category, amount range or None); weights in CATEGORY_WEIGHTS
CATEGORIES = [
    ("general", None),
    ("expenditure", (100_000, 30_000_000)),
    ("contract", (1_000_000, 60_000_000)),
    ("personnel", None),
]
CATEGORY_WEIGHTS = [70, 15, 10, 5]
# Per role; with 60% heads and 40% drafters the whole is 40/15/10/10/15/5/5.
MIX = {
    "head": {"inbox": 40, "detail": 15, "search": 10, "approve": 25, "upload": 5, "pdf": 5},
    "drafter": {"inbox": 40, "detail": 15, "search": 10, "create": 25, "upload": 5, "pdf": 5},
}
HEAD_SHARE = 0.6


def small_pdf(n: int) -> bytes:
    """A one-page A4 PDF with Japanese text (reportlab's built-in CID font, no font file)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont("HeiseiMin-W3", 12)
    pdf.drawString(72, 800, f"会議資料 第{n}号")
    pdf.drawString(72, 780, f"{random.choice(TITLES)}（資料 {n}）")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- setup: demo city, proposals in review, sign-in ---------------------------------------------


def seed(count: int) -> dict:
    """The demo city and ``count`` proposals submitted by the drafters (a third approved once)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from directory.demo import PEOPLE
    from workflow.models import Proposal, ProposalStep
    from workflow.proposals import services

    call_command("seed_demo", stdout=io.StringIO())
    drafters = [u for u, _n, _unit, title, _x in PEOPLE if title in DRAFTER_TITLES]
    heads = [u for u, _n, _unit, title, _x in PEOPLE if title not in DRAFTER_TITLES]
    users = get_user_model().objects.in_bulk(drafters + heads, field_name="username")
    rng = random.Random(1)
    for i in range(count):
        actor = users[drafters[i % len(drafters)]]
        category, span = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        proposal = services.proposal_create(
            actor=actor,
            title=f"{TITLES[i % len(TITLES)]}（{i}）",
            body="標記の件について、下記のとおり伺います。",
            category=category,
            amount=rng.randrange(*span) if span else None,
        )
        services.proposal_submit(actor=actor, proposal=proposal)
        if i % 3 == 0:
            step = ProposalStep.objects.filter(proposal=proposal, state="pending").first()
            services.task_approve(actor=step.approver.user, step=step)
    # What each person may open: proposals they drafted or are on the route of.
    known: dict[str, set[int]] = defaultdict(set)
    drafted = Proposal.objects.values_list("pk", "drafter__user__username")
    steps = ProposalStep.objects.values_list("proposal_id", "approver__user__username", "state")
    for pid, username, *_state in [*drafted, *steps]:
        known[username].add(pid)
    pending = Counter(username for _p, username, state in steps if state == "pending")
    heads.sort(key=lambda u: -pending[u])  # the busiest heads first: small N approve too
    return {"drafter": drafters, "head": heads, "known": known, "pending": sum(pending.values())}


def sign_in(base: str, username: str) -> dict:
    """A token (API) and a session cookie (pages) for one person, as a client would get them."""
    import httpx

    with httpx.Client(base_url=base, timeout=60) as client:
        r = client.post("/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        token = r.json()["token"]
        client.get("/accounts/login/").raise_for_status()
        csrf = client.cookies["csrftoken"]
        form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
        r = client.post("/accounts/login/", data=form)
        if r.status_code != 302:
            raise RuntimeError(f"browser sign-in of {username}: HTTP {r.status_code}")
        return {"token": token, "sessionid": client.cookies["sessionid"]}


# --- the simulated staff --------------------------------------------------------------------------


class Recorder:
    """Every request: (endpoint, start, end, status or None, transport error or None)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, int | None, str | None]] = []
        self.submits: dict[int, int | str] = {}  # proposal created by the bench → submit outcome
        self.approved = 0
        self.no_task = 0
        self.lock = threading.Lock()

    def call(self, client, endpoint: str, url: str, method: str = "GET", **kwargs):
        import httpx

        start = time.monotonic()
        try:
            response = client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.rows.append((endpoint, start, time.monotonic(), None, type(exc).__name__))
            return None
        self.rows.append((endpoint, start, time.monotonic(), response.status_code, None))
        return response


def staff(
    base: str, role: str, who: str, creds: dict, known: set[int], stop: float, rec: Recorder
) -> None:
    import httpx

    rng = random.Random()
    ops, weights = zip(*MIX[role].items(), strict=True)
    headers = {"Authorization": f"Token {creds['token']}"}
    cookies = {"sessionid": creds["sessionid"]}
    known = set(known)
    with httpx.Client(base_url=base, headers=headers, cookies=cookies, timeout=30) as client:
        call = functools.partial(rec.call, client)
        time.sleep(rng.uniform(0, 3))
        while time.monotonic() < stop:
            op = rng.choices(ops, weights)[0]
            if op in ("detail", "pdf") and not known:
                op = "inbox"
            if op == "inbox":
                if rng.random() < 0.25:
                    call("GET /approval/ (inbox page)", "/approval/")
                else:
                    r = call("GET tasks/", "/api/v1/tasks/")
                    if r is not None and r.status_code == 200:
                        known.update(t["proposal"] for t in r.json()[:50])
            elif op == "detail":
                pid = rng.choice(sorted(known))
                call("GET proposals/{id}/", f"/api/v1/proposals/{pid}/")
            elif op == "pdf":
                pid = rng.choice(sorted(known))
                call("GET proposals/{id}/pdf/", f"/api/v1/proposals/{pid}/pdf/")
            elif op == "search":
                q = rng.choice(TERMS)
                call("GET search/", "/api/v1/search/", params={"q": q})
            elif op == "create":
                category, span = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
                payload = {
                    "title": f"{rng.choice(TITLES)}（{who} {rng.randrange(10**6)}）",
                    "body": "標記の件について、下記のとおり伺います。",
                    "category": category,
                    "amount": rng.randrange(*span) if span else None,
                }
                r = call("POST proposals/", "/api/v1/proposals/", "POST", json=payload)
                if r is not None and r.status_code == 201:
                    pid = r.json()["id"]
                    known.add(pid)
                    url = f"/api/v1/proposals/{pid}/submit/"
                    r = call("POST proposals/{id}/submit/", url, "POST")
                    rec.submits[pid] = r.status_code if r is not None else "transport"
            elif op == "approve":
                r = call("GET tasks/", "/api/v1/tasks/")
                tasks = r.json() if r is not None and r.status_code == 200 else []
                if not tasks:
                    rec.no_task += 1
                else:
                    task = rng.choice(tasks[:20])
                    known.add(task["proposal"])
                    url = f"/api/v1/tasks/{task['id']}/approve/"
                    r = call("POST tasks/{id}/approve/", url, "POST", json={"comment": "確認"})
                    if r is not None and r.status_code == 200:
                        with rec.lock:
                            rec.approved += 1
            elif op == "upload":
                n = rng.randrange(10**6)
                files = {"file": (f"shiryo-{n}.pdf", small_pdf(n), "application/pdf")}
                data = {"title": f"会議資料 第{n}号"}
                call("POST documents/", "/api/v1/documents/", "POST", files=files, data=data)
            time.sleep(max(0.0, min(rng.uniform(1, 3), stop - time.monotonic())))


# --- uvicorn workers ------------------------------------------------------------------------------


def worker_pids(master: int) -> set[int]:
    """uvicorn's workers: the master's children started by multiprocessing's spawn."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == master and b"spawn_main" in cmdline:
            pids.add(int(entry.name))
    return pids


def kill_worker(master: int, dbname: str) -> dict:
    """SIGKILL the first worker; wait for its successor. The server's CPU just before and
    after: the victim's time leaves /proc with it. (Its pooled PostgreSQL connections end
    whenever their backends notice, with their time since the server started: the phase's
    PostgreSQL CPU is not known.)"""
    before = worker_pids(master)
    victim = min(before)
    cpu_before = cpu_seconds(dbname, master)
    at = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    restarted = None
    while time.monotonic() - at < 30:
        now = worker_pids(master)
        if victim not in now and now - before:
            restarted = time.monotonic() - at
            break
        time.sleep(0.05)
    lost_cpu = cpu_before["server"] - cpu_seconds(dbname, master)["server"]
    return {"victim": victim, "at": at, "restarted_s": restarted, "workers": sorted(before)} | {
        "lost_cpu": lost_cpu
    }


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM to uvicorn (it stops its workers); SIGKILL to it and its workers after 30 s."""
    workers = worker_pids(server.pid)
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# --- reports --------------------------------------------------------------------------------------


def pct(values: list[float], q: int) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * q / 100) - 1)] if values else math.nan


def counts(rows) -> dict[str, int]:
    statuses = [s for _e, _a, _b, s, _x in rows]
    return {
        "5xx": sum(s is not None and s >= 500 for s in statuses),
        "4xx": sum(s is not None and 400 <= s < 500 and s != 409 for s in statuses),
        "409": sum(s == 409 for s in statuses),
        "transport": sum(s is None for s in statuses),
    }


def report_phase(n: int, wall: float, rows, rec: Recorder, cpu: dict, log: dict, kill) -> None:
    lat = [(b - a) * 1000 for _e, a, b, s, _x in rows if s is not None]
    c = counts(rows)
    print(f"\n### N = {n} ({wall:.0f} s{', one worker SIGKILLed midway' if kill else ''})\n")
    print(
        "| N | requests | req/s | p50 ms | p95 ms | p99 ms | 5xx | 4xx (not 409) | 409 "
        "| transport errors | approvals OK | approve: no task | server / PG CPU s "
        "| log Tracebacks | log 'deadlock detected' |"
    )
    print("|---:|" + "---:|" * 14)
    print(
        f"| {n} | {len(rows)} | {len(rows) / wall:.1f} | {pct(lat, 50):.0f} | {pct(lat, 95):.0f} "
        f"| {pct(lat, 99):.0f} | {c['5xx']} | {c['4xx']} | {c['409']} | {c['transport']} "
        f"| {rec.approved} | {rec.no_task} | {cpu['server']:.0f} / "
        f"{'n/a' if kill else format(cpu['postgres'], '.0f')} "
        f"| {log['tracebacks']} | {log['deadlocks']} |"
    )
    print(
        "\n| endpoint | count | p50 ms | p95 ms | p99 ms | 5xx | 4xx (not 409) | 409 | transport |"
    )
    print("|---|" + "---:|" * 8)
    by_endpoint: dict[str, list] = defaultdict(list)
    for row in rows:
        by_endpoint[row[0]].append(row)
    for endpoint, group in sorted(by_endpoint.items(), key=lambda kv: -len(kv[1])):
        ms = [(b - a) * 1000 for _e, a, b, s, _x in group if s is not None]
        c = counts(group)
        print(
            f"| {endpoint} | {len(group)} | {pct(ms, 50):.0f} | {pct(ms, 95):.0f} "
            f"| {pct(ms, 99):.0f} | {c['5xx']} | {c['4xx']} | {c['409']} | {c['transport']} |"
        )
    statuses = Counter(s for _e, _a, _b, s, _x in rows if s is not None and s >= 400)
    errors = Counter(x for _e, _a, _b, _s, x in rows if x)
    if statuses or errors:
        print(f"\nerror statuses: {dict(statuses)}; transport errors: {dict(errors)}")
    if kill:
        inflight = [r for r in rows if r[1] <= kill["at"] <= r[2]]
        lost = [r for r in inflight if r[3] is None]
        failed = sum(r[3] is not None and r[3] >= 500 for r in inflight)
        restart = f"{kill['restarted_s']:.1f} s" if kill["restarted_s"] else "not seen in 30 s"
        print(
            f"\nkilled worker pid {kill['victim']} (of {kill['workers']}) at "
            f"{kill['at'] - kill['phase_start']:.1f} s; new worker after {restart}. "
            f"In flight at the kill: {len(inflight)}; lost (no answer): {len(lost)} "
            f"({Counter(r[0] for r in lost).most_common()}); answered 5xx: {failed}; "
            f"requests sent after the kill on a connection to the dead worker (no answer): "
            f"{sum(r[1] > kill['at'] and 'Timeout' not in (r[4] or 'Timeout') for r in rows)}"
        )


TRACEBACK = "Traceback (most recent call last):"
FRAME = re.compile(r'^\s+File "([^"]+)", line (\d+), in (\S+)')


def log_summary(text: str) -> dict:
    """Tracebacks and deadlocks in the server log, with where they come from."""
    lines = text.splitlines()
    sources: Counter = Counter()
    frame = None
    in_tb = False
    for line in lines:
        if line.startswith(TRACEBACK):
            in_tb, frame = True, None
            continue
        if in_tb:
            m = FRAME.match(line)
            if m and m.group(1).startswith(str(ROOT)) and "/.venv/" not in m.group(1):
                frame = f"{Path(m.group(1)).relative_to(ROOT)}:{m.group(2)} {m.group(3)}"
            if line and not line[0].isspace():
                sources[(line.strip()[:110], frame or "-")] += 1
                in_tb = False
    relations = Counter(re.findall(r'(?:locking|updating) tuple \S+ in relation "(\w+)"', text))
    paths = Counter(
        re.sub(r"/\d+/", "/{id}/", m) for m in re.findall(r"Internal Server Error: (\S+)", text)
    )
    return {
        "tracebacks": sum(line.startswith(TRACEBACK) for line in lines),
        "deadlocks": sum("deadlock detected" in line for line in lines),
        "sources": sources,
        "relations": relations,
        "paths": paths,
    }


# --- checks after the run -------------------------------------------------------------------------


def consistency(submits: dict[int, int | str]) -> list[tuple[str, int, str]]:
    """(check, bad count, detail) — every count must be 0."""
    from django.db.models import Exists, OuterRef, Q

    from workflow.models import DocumentCounter, Proposal, ProposalStep

    pending = ProposalStep.objects.filter(proposal=OuterRef("pk"), state="pending")
    current = pending.filter(round=OuterRef("round"))
    proposals, steps = Proposal.objects, ProposalStep.objects
    no_number = Q(document_number="") | Q(number__isnull=True)
    failed = [pid for pid, outcome in submits.items() if outcome != "transport" and outcome >= 500]
    queries = {
        "in_review without a pending step": proposals.filter(status="in_review").exclude(
            Exists(current)
        ),
        "not in_review with a pending step": proposals.exclude(status="in_review").filter(
            Exists(pending)
        ),
        "pending step without an open viewflow task": steps.filter(state="pending").exclude(
            task__status__in=("NEW", "ASSIGNED", "STARTED")
        ),
        "approved decision without a document number": proposals.filter(
            no_number, status="approved", kind="decision"
        ),
        "numbered but not approved": proposals.exclude(status="approved").exclude(number=None),
        f"drafts stranded by a failed submit (of {len(failed)} submits answered 5xx)": (
            proposals.filter(pk__in=failed, status="draft")
        ),
    }
    checks = [
        (name, qs.count(), " ".join(map(str, qs.values_list("pk", flat=True)[:8])))
        for name, qs in queries.items()
    ]
    numbers: dict[tuple[int, int], list[int]] = defaultdict(list)
    for unit, year, number in proposals.exclude(number=None).values_list(
        "drafting_unit_id", "fiscal_year", "number"
    ):
        numbers[(unit, year)].append(number)
    last = {(c.unit_id, c.fiscal_year): c.last_number for c in DocumentCounter.objects.all()}
    series = set(numbers) | {k for k, n in last.items() if n}
    gaps = [k for k in series if sorted(numbers[k]) != list(range(1, last.get(k, 0) + 1))]
    name = f"document numbers not 1..n without gaps per 課 and fiscal year ({len(numbers)} series)"
    checks.append((name, len(gaps), " ".join(map(str, gaps[:5]))))
    # A submit without an answer (the SIGKILL, a timeout) must have happened whole or not at all
    # (the state checks above); which of the two is for information.
    unanswered = [pid for pid, outcome in submits.items() if outcome == "transport"]
    if unanswered:
        drafts = proposals.filter(pk__in=unanswered, status="draft").count()
        print(
            f"submits without an answer: {len(unanswered)}, of which rolled back (still draft) "
            f"{drafts}, committed {len(unanswered) - drafts}\n"
        )
    return checks


# --- main -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", default="50,100,200", help="simulated staff, per run")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per N")
    parser.add_argument("--kill-worker", action="store_true", help="midway through the last N")
    parser.add_argument("--seed", type=int, default=240, help="proposals submitted before the runs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--task-workers", choices=["embedded", "external"], default="embedded")
    parser.add_argument("--deadline", type=float, default=1800.0, help="seconds for everything")
    args = parser.parse_args()
    sizes = [int(n) for n in args.n.split(",") if n.strip()]
    started = time.monotonic()
    deadline = started + args.deadline
    dbname = f"kairan_bench_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="kairan-bench-mixed-"))
    log_path = Path(tempfile.gettempdir()) / f"kairan-mixed-load-{os.getpid()}.log"
    admin_sql(f"CREATE DATABASE {dbname}")
    server = None
    failed_checks = 1
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    try:
        configure(workdir, dbname)
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from rest_framework.authtoken.models import Token

        pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
        call_command("migrate", verbosity=0)
        city = seed(args.seed)
        probe = Token.objects.create(user=get_user_model().objects.get(username="admin")).key
        connection.close()
        seed_s = time.monotonic() - started

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = server_env(None, args.task_workers) | {"KAIRAN_REDIS_URL": REDIS_URL}
        with log_path.open("wb") as log_file:
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host",
                 "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
                 "--no-access-log", "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_ready(base, probe, 90)
        t0 = time.monotonic()
        people = city["head"] + city["drafter"]
        with ThreadPoolExecutor(4) as pool:
            creds = dict(zip(people, pool.map(lambda u: sign_in(base, u), people), strict=True))
        print(
            f"Mixed load: uvicorn --workers {args.workers} on {base}, PostgreSQL {dbname}, Redis "
            f"db 14, task workers {args.task_workers}; demo city {len(city['head'])} heads + "
            f"{len(city['drafter'])} drafters; {args.seed} proposals seeded "
            f"({city['pending']} pending tasks); setup {seed_s:.0f} s, sign-in of "
            f"{len(people)} people (token + session) {time.monotonic() - t0:.0f} s; "
            f"think time 1–3 s; server log {log_path}"
        )

        submits: dict[int, int | str] = {}
        kill_info = None
        for index, n in enumerate(sizes):
            if time.monotonic() + args.duration + 45 > deadline:
                print(f"\n### N = {n}: skipped, the --deadline of {args.deadline:.0f} s is near")
                continue
            rec = Recorder()
            log_from = log_path.stat().st_size
            cpu_before = cpu_seconds(dbname, server.pid)
            start = time.monotonic()
            stop = start + args.duration
            threads, taken = [], Counter()
            for i in range(n):  # 3 heads in every 5 staff, the busiest first, then round robin
                role = "head" if i % 5 < HEAD_SHARE * 5 else "drafter"
                who = city[role][taken[role] % len(city[role])]
                taken[role] += 1
                staff_args = (base, role, who, creds[who], city["known"][who], stop, rec)
                threads.append(threading.Thread(target=staff, args=staff_args, daemon=True))
            for t in threads:
                t.start()
            kill = None
            if args.kill_worker and index == len(sizes) - 1:
                time.sleep(max(0.0, start + args.duration / 2 - time.monotonic()))
                kill = kill_worker(server.pid, dbname) | {"phase_start": start}
                kill_info = kill
            for t in threads:
                t.join(timeout=max(0.0, stop + 35 - time.monotonic()))
            wall = time.monotonic() - start
            cpu_after = cpu_seconds(dbname, server.pid)
            cpu = {k: cpu_after[k] - cpu_before[k] for k in cpu_after}
            cpu["server"] += kill["lost_cpu"] if kill else 0.0
            with log_path.open("rb") as f:
                f.seek(log_from)
                phase_log = log_summary(f.read().decode(errors="replace"))
            rows = list(rec.rows)
            report_phase(n, min(wall, args.duration), rows, rec, cpu, phase_log, kill)
            alive = sum(t.is_alive() for t in threads)
            if alive:
                print(f"\n{alive} staff threads still waiting on a request after the deadline")
            submits |= rec.submits

        stop_server(server)
        server = None

        print("\n### Checks after the runs\n")
        verify = subprocess.run(
            [sys.executable, "manage.py", "audit_verify"], cwd=ROOT, env=dict(os.environ),
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        audit_line = (verify.stdout.strip().splitlines() or [verify.stderr.strip()])[0]
        print(f"`manage.py audit_verify`: exit {verify.returncode}, `{audit_line}`\n")
        from workflow.models import Proposal

        statuses = Counter(Proposal.objects.values_list("status", flat=True))
        print(f"proposals by status: {dict(sorted(statuses.items()))}\n")
        checks = consistency(submits)
        connection.close()
        print("| check | bad | detail |")
        print("|---|---:|---|")
        for name, bad, detail in checks:
            print(f"| {name} | {bad} | {detail} |")
        audit_ok = verify.returncode == 0 and audit_line.startswith("OK")
        failed = [name for name, bad, _d in checks if bad] + ([] if audit_ok else ["audit"])
        failed_checks = len(failed)
        if kill_info:
            verdict = f"failing: {'; '.join(failed)}" if failed else "all checks pass"
            print(f"\nAfter the SIGKILL of worker {kill_info['victim']}: {verdict}.")

        summary = log_summary(log_path.read_text(errors="replace"))
        print(
            f"\n### Server log ({log_path})\n\n'Traceback' lines: {summary['tracebacks']}; "
            f"'deadlock detected' lines: {summary['deadlocks']}"
        )
        if summary["paths"]:
            print(f"\n500s logged by path: {dict(summary['paths'].most_common())}")
        if summary["relations"]:
            print(f"\nrows the deadlocks were on: {dict(summary['relations'].most_common())}")
        if summary["sources"]:
            print("\n| exception (last line of a traceback) | last frame in Kairan | count |")
            print("|---|---|---:|")
            for (line, frame), count in summary["sources"].most_common(12):
                print(f"| `{line}` | `{frame}` | {count} |")
        print(f"\ntotal wall time {time.monotonic() - started:.0f} s")
    finally:
        if server is not None:
            stop_server(server)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        admin_sql(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        redis.Redis.from_url(REDIS_URL).flushdb()
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed_checks else 0


if __name__ == "__main__":
    sys.exit(main())

"""Council materials (issue 11): a 300-page material from upload to first page, full pre-render
against ``pdftoppm`` in the same run, page image latency from the server (cached), and the
presenter's ``goto`` to 30 followers across two uvicorn processes on one Redis.

Everything runs against real servers: a throwaway data directory (SQLite in WAL mode, files,
page cache) is migrated and seeded through the services (a secretariat clerk, 31 councilors,
tokens); uvicorn serves ``config.asgi`` on free 127.0.0.1 ports.

* ``render``: the generated agenda material of ``bench_render_pages`` (``--pages``, default 300)
  pre-rendered by ``council.rendering.prerender`` — both sizes the reader uses (1600×2400 pages
  and 240×340 thumbnails), WebP, through the page cache, with its default threads and with one —
  against ``pdftoppm -png`` at the same two pixel sizes (one process per size, and one process
  per core per size over page ranges), end to end, ``--runs`` rounds (default 3), each from a
  cold cache: medians, min–max and every round.
* ``http``: upload the material (``POST /api/v1/council/materials/``) and poll page 1 until it is
  served: "upload to first page available"; then ``--samples`` GETs of cached pages by a
  councilor (watermarked and cached per reader), one client, sequential: p50/p95.
* ``presenter`` (needs ``KAIRAN_REDIS_URL``): two uvicorn processes, 30 followers split across
  them, the presenter on the first sends ``--gotos`` page turns; latency = follower receive time −
  presenter send time (one clock, one machine). p50/p95/p99 over all followers × turns.

    KAIRAN_REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python bench/bench_council.py \
        [--pages 300] [--samples 600] [--gotos 20] [--runs 3] [--only render,http,presenter]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FOLLOWERS = 30


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def configure(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
    env.update(
        KAIRAN_DATA_DIR=str(data_dir),
        KAIRAN_SECRET_KEY="bench-council-" + "x" * 40,
        KAIRAN_COUNCIL_PRERENDER="thread",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    if os.environ.get("KAIRAN_REDIS_URL"):
        env["KAIRAN_REDIS_URL"] = os.environ["KAIRAN_REDIS_URL"]
    os.environ.update(env)
    import django

    django.setup()
    return env


def seed() -> dict:
    """A secretariat clerk and 31 councilors (one is the chair), with API tokens."""
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from council.services import councilor_upsert, meeting_create
    from directory.models import Assignment, OrgUnit, Person, Position
    from tests.factories import make_person  # noqa: F401  (factory-boy present in dev installs)

    call_command("migrate", "--no-input", "-v", "0")
    from django.contrib.auth import get_user_model

    unit = OrgUnit.objects.create(name="議会事務局", level=OrgUnit.Level.DEPARTMENT)
    user = get_user_model().objects.create(username="bench.clerk")
    person = Person.objects.create(user=user, display_name="事務局 職員")
    Assignment.objects.create(
        person=person, unit=unit, position=Position.objects.get_or_create(title="主事")[0]
    )
    councilors = [
        councilor_upsert(username=f"bench.giin{i:02d}", name=f"議員 {i:02d}", committees=[])[0]
        for i in range(FOLLOWERS + 1)
    ]
    from django.utils import timezone

    meeting = meeting_create(actor=user, title="ベンチマーク本会議", starts_at=timezone.now())
    tokens = {
        "clerk": Token.objects.create(user=user).key,
        "councilors": [Token.objects.create(user=c.person.user).key for c in councilors],
    }
    return {"meeting": meeting.pk, "tokens": tokens}


@contextmanager
def servers(count: int, env: dict[str, str]):
    ports = [free_port() for _ in range(count)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--lifespan",
                "off",
            ],
            cwd=ROOT,
            env=env,
        )
        for port in ports
    ]
    try:
        import httpx

        for port in ports:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/accounts/login/").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            else:
                raise RuntimeError(f"uvicorn on {port} did not start")
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


# --- render -----------------------------------------------------------------------------------


def pdftoppm_sizes(pdf_path: Path, pages: int, work: Path, *, processes: int) -> float:
    """Wall seconds for ``pdftoppm -png`` to write both sizes of every page: per size, the page
    range split into ``processes`` contiguous parts run at once (1 = one process per size)."""
    from bench.bench_render_pages import PDFTOPPM
    from council.rendering import SIZES

    total = 0.0
    for size, (width, _height) in SIZES.items():
        out = work / f"ppm-{size}-{processes}-{time.monotonic_ns()}"
        out.mkdir()
        bounds = [round(i * pages / processes) for i in range(processes + 1)]
        started = time.perf_counter()
        procs = [
            subprocess.Popen(
                [
                    PDFTOPPM,
                    "-png",
                    "-scale-to-x",
                    str(width),
                    "-scale-to-y",
                    "-1",
                    "-f",
                    str(first + 1),
                    "-l",
                    str(last),
                    str(pdf_path),
                    str(out / "p"),
                ]
            )
            for first, last in itertools.pairwise(bounds)
            if last > first
        ]
        for proc in procs:
            if proc.wait(timeout=3600) != 0:
                raise RuntimeError("pdftoppm failed")
        total += time.perf_counter() - started
        written = len(list(out.iterdir()))
        if written != pages:
            raise RuntimeError(f"pdftoppm wrote {written} files for {pages} pages")
        shutil.rmtree(out)
    return total


def bench_render(pdf: bytes, pages: int, work: Path, runs: int) -> list[str]:
    """Kairan's pre-render (its default threads, and one thread) against ``pdftoppm -png`` (one
    process per size, and one process per core per size), ``runs`` rounds, each from a cold
    page cache; the medians and every round."""
    from council import files, rendering
    from documents.rendering import drop_cached_pages

    sha256, key = files.store(pdf)
    pdf_path = work / "material.pdf"
    pdf_path.write_bytes(pdf)
    threads = rendering.render_threads()
    cores = os.cpu_count() or 1
    labels = {
        "ours": f"**Kairan** (`council.rendering.prerender`, {threads} threads)",
        "ours1": "Kairan, 1 thread (before this change)",
        "ppm": "`pdftoppm -png -scale-to-x 1600`, then `-scale-to-x 240` (one process each)",
        "ppmN": f"`pdftoppm -png`, {cores} processes per size (page ranges, at once)",
    }
    rounds: list[dict[str, float]] = []
    for _round in range(runs):
        timing: dict[str, float] = {}
        for name, count in (("ours", threads), ("ours1", 1)):
            drop_cached_pages(sha256)
            started = time.perf_counter()
            rendered = rendering.prerender(sha256=sha256, key=key, pages=pages, threads=count)
            timing[name] = time.perf_counter() - started
            assert rendered == 2 * pages, rendered
        timing["ppm"] = pdftoppm_sizes(pdf_path, pages, work, processes=1)
        timing["ppmN"] = pdftoppm_sizes(pdf_path, pages, work, processes=cores)
        rounds.append(timing)
        print(f"render round {_round + 1}: {timing}", file=sys.stderr, flush=True)
    median = {name: statistics.median(r[name] for r in rounds) for name in labels}
    lines = [
        f"| pre-render, {pages} pages × 2 sizes, median of {runs} | seconds (min–max) | "
        "per page (ms) | vs ours |",
        "|---|---:|---:|---:|",
    ]
    for name, label in labels.items():
        values = [r[name] for r in rounds]
        lines.append(
            f"| {label} | {median[name]:.1f} ({min(values):.1f}–{max(values):.1f}) | "
            f"{1000 * median[name] / pages:.0f} | {median[name] / median['ours']:.2f}× |"
        )
    lines += ["", "| round | ours | 1 thread | pdftoppm | pdftoppm ×N | pdftoppm ÷ ours |"]
    lines.append("|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(rounds, start=1):
        lines.append(
            f"| {i} | {r['ours']:.1f} | {r['ours1']:.1f} | {r['ppm']:.1f} | {r['ppmN']:.1f} | "
            f"{r['ppm'] / r['ours']:.2f}× |"
        )
    return lines


# --- http -------------------------------------------------------------------------------------


def bench_http(pdf: bytes, pages: int, data: dict, env: dict, samples: int) -> list[str]:
    import httpx

    clerk = {"Authorization": f"Token {data['tokens']['clerk']}"}
    reader = {"Authorization": f"Token {data['tokens']['councilors'][1]}"}
    lines = []
    with servers(1, env) as (port,):
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=120) as http:
            started = time.perf_counter()
            response = http.post(
                "/api/v1/council/materials/",
                headers=clerk,
                data={
                    "meeting": data["meeting"],
                    "title": f"{pages}ページの資料",
                    "publish_at": "2020-01-01T00:00:00+09:00",
                    "audience": "all",
                },
                files={"file": ("shiryo.pdf", pdf, "application/pdf")},
            )
            uploaded = time.perf_counter() - started
            assert response.status_code == 201, response.text
            material = response.json()["id"]
            first = None
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                page = http.get(f"/api/v1/council/materials/{material}/pages/1/", headers=reader)
                if page.status_code == 200:
                    first = time.perf_counter() - started
                    break
                time.sleep(0.01)
            lines += [
                "| step | ms |",
                "|---|---:|",
                f"| upload answered 201 (validation, page count and text of {pages} pages) | "
                f"{1000 * uploaded:.0f} |",
                f"| upload → page 1 served to a councilor | {1000 * (first or 0):.0f} |",
                "",
            ]
            # Wait for the background pre-render, then warm this reader's watermarked copies.
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                detail = http.get(f"/api/v1/council/materials/{material}/", headers=clerk).json()
                if detail.get("rendered", 0) >= pages:
                    break
                time.sleep(1)
            warm = list(range(1, min(pages, 30) + 1))
            for n in warm:
                http.get(f"/api/v1/council/materials/{material}/pages/{n}/", headers=reader)
            times = []
            for i in range(samples):
                n = warm[i % len(warm)]
                t0 = time.perf_counter()
                r = http.get(f"/api/v1/council/materials/{material}/pages/{n}/", headers=reader)
                times.append(1000 * (time.perf_counter() - t0))
                assert r.status_code == 200
            lines += [
                f"| cached page image, {samples} GETs (one client, sequential) | ms |",
                "|---|---:|",
                f"| p50 | {statistics.median(times):.1f} |",
                f"| p95 | {pct(times, 0.95):.1f} |",
                f"| max | {max(times):.1f} |",
            ]
    return lines


# --- presenter --------------------------------------------------------------------------------


def bench_presenter(pdf: bytes, data: dict, env: dict, gotos: int) -> list[str]:
    from websockets.asyncio.client import connect

    from council.models import Material

    material = Material.objects.select_related("current_version").order_by("pk").first()
    assert material is not None, "the http section uploads the material first"
    page_count = material.current_version.page_count
    tokens = data["tokens"]["councilors"][1 : FOLLOWERS + 1]
    path = f"/ws/council/meetings/{data['meeting']}/"

    async def follower(url: str, ready: list, results: list, stop: asyncio.Event) -> None:
        async with connect(url, max_queue=None) as ws:
            while (first := json.loads(await ws.recv()))["type"] != "current":
                if first["type"] in ("error", "resync"):
                    print("follower:", first, file=sys.stderr)
            ready.append(1)
            while not stop.is_set():
                try:
                    event = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                except TimeoutError:
                    continue
                if event["type"] == "goto":
                    results.append((event["page"], time.perf_counter()))

    async def scenario(ports: list[int]) -> list[float]:
        stop = asyncio.Event()
        ready: list = []
        received: list[list] = [[] for _ in tokens]
        tasks = [
            asyncio.create_task(
                follower(
                    f"ws://127.0.0.1:{ports[i % 2]}{path}?token={key}", ready, received[i], stop
                )
            )
            for i, key in enumerate(tokens)
        ]
        deadline = time.monotonic() + 60
        while len(ready) < len(tokens) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        sent: dict[int, float] = {}
        clerk = data["tokens"]["clerk"]
        async with connect(f"ws://127.0.0.1:{ports[0]}{path}?token={clerk}") as presenter:
            for turn in range(gotos):
                page = 1 + (turn + 1) % page_count  # never the same page twice in a row
                sent[turn] = time.perf_counter()
                await presenter.send(
                    json.dumps({"type": "goto", "material": material.pk, "page": page})
                )
                try:
                    while True:
                        said = json.loads(await asyncio.wait_for(presenter.recv(), 0.05))
                        if said["type"] == "error":
                            print("presenter:", said, file=sys.stderr)
                except TimeoutError:
                    pass
                goal = time.monotonic() + 5
                while time.monotonic() < goal and sum(len(r) for r in received) < (turn + 1) * len(
                    tokens
                ):
                    await asyncio.sleep(0.005)
                await asyncio.sleep(0.2)  # a presenter turns pages at human speed
        stop.set()
        await asyncio.gather(*tasks)
        latencies = []
        for got in received:
            for turn, (_page, at) in enumerate(got[:gotos]):
                latencies.append(1000 * (at - sent[turn]))
        missing = gotos * len(tokens) - len(latencies)
        assert missing == 0, f"{missing} page turns not received"
        return latencies

    with servers(2, env) as ports:
        latencies = asyncio.run(scenario(ports))
    return [
        f"| goto → {FOLLOWERS} followers on 2 processes, {len(latencies)} samples | ms |",
        "|---|---:|",
        f"| p50 | {statistics.median(latencies):.1f} |",
        f"| p95 | {pct(latencies, 0.95):.1f} |",
        f"| p99 | {pct(latencies, 0.99):.1f} |",
        f"| max | {max(latencies):.1f} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--samples", type=int, default=600)
    parser.add_argument("--gotos", type=int, default=20)
    parser.add_argument("--only", default="render,http,presenter")
    parser.add_argument("--runs", type=int, default=3, help="rounds of the render comparison")
    args = parser.parse_args()
    only = set(args.only.split(","))
    work = Path(tempfile.mkdtemp(prefix="kairan-bench-council-"))
    try:
        env = configure(work)
        from bench.bench_render_pages import make_pdf

        pdf = make_pdf(args.pages)
        data = seed()
        out = [
            f"Material: {args.pages} A4 pages, {len(pdf) / 2**20:.1f} MiB; {os.cpu_count()} CPUs",
            "",
        ]
        if "render" in only:
            out += [*bench_render(pdf, args.pages, work, args.runs), ""]
            shutil.rmtree(work / "cache", ignore_errors=True)  # http starts from a cold cache
        if "http" in only or "presenter" in only:
            out += [*bench_http(pdf, args.pages, data, env, args.samples), ""]
        if "presenter" in only:
            if not os.environ.get("KAIRAN_REDIS_URL"):
                out.append("presenter: skipped (KAIRAN_REDIS_URL is not set)")
            else:
                out += bench_presenter(pdf, data, env, args.gotos)
        print("\n".join(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

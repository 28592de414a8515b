"""Open-loop approvals for bench/bench_approvals_http.py (issue 14, item 6).

Requests are sent at scheduled arrival times whether or not earlier ones have answered, and
each latency is measured from its *scheduled* time, so a server that falls behind shows its
queue in the figures (no coordinated omission). One asyncio loop with one ``httpx.AsyncClient``
(up to ``senders`` connections) sends them; a request that waits for a free connection waits on
the latency clock too.

The seeding helper submits proposals in a few processes (one 係's drafter per job), since the
services take ~0.1–0.2 s per proposal and an open-loop run needs R × duration of them.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import time
from dataclasses import dataclass, field

from bench.machine import MIN_P95_SAMPLES, pct


def arrivals(rate: float, duration: float, kind: str, seed: int) -> list[float]:
    """Offsets (s) of round(rate × duration) arrivals within [0, duration).

    ``poisson``: that many uniform points, sorted — a Poisson process conditioned on its count
    (exponential gaps, bursts included), reproducible from ``seed``. ``even``: every 1/rate s.
    """
    count = round(rate * duration)
    if kind == "even":
        return [i / rate for i in range(count)]
    rng = random.Random(seed)
    return sorted(rng.uniform(0, duration) for _ in range(count))


@dataclass
class RunResult:
    rate: float
    sent: int = 0
    latency_ms: list[float] = field(default_factory=list)  # HTTP 200 only, from scheduled time
    lag_ms: list[float] = field(default_factory=list)  # client lateness in starting a send
    errors: list[str] = field(default_factory=list)  # non-200 statuses, exceptions, unfinished
    span_s: float = 0.0  # from the first scheduled time to the last answer
    max_in_flight: int = 0
    client_cpu_s: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # server / postgres CPU seconds

    @property
    def ok(self) -> int:
        return len(self.latency_ms)

    def achieved(self) -> float:
        return self.ok / self.span_s if self.span_s else 0.0

    def pctl(self, p: float) -> float | None:
        """A percentile of the latencies; above the median None below MIN_P95_SAMPLES (fewer
        make the tail a guess)."""
        if not self.latency_ms or (p > 0.5 and len(self.latency_ms) < MIN_P95_SAMPLES):
            return None
        return pct(self.latency_ms, p)


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _run(
    base: str,
    schedule: list[tuple[float, str, int]],
    senders: int,
    timeout: float,
    grace: float,
    result: RunResult,
) -> None:
    import httpx

    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        in_flight = 0
        last_answer = 0.0
        start = time.perf_counter() + 0.2  # time to schedule the first sends

        async def send(due: float, token: str, step_id: int) -> None:
            nonlocal in_flight, last_answer
            result.lag_ms.append((time.perf_counter() - due) * 1000)
            in_flight += 1
            result.max_in_flight = max(result.max_in_flight, in_flight)
            try:
                r = await client.post(
                    f"/api/v1/tasks/{step_id}/approve/",
                    json={},
                    headers={"Authorization": f"Token {token}"},
                )
                status = str(r.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            finally:
                in_flight -= 1
            now = time.perf_counter()
            last_answer = max(last_answer, now)
            if status == "200":
                result.latency_ms.append((now - due) * 1000)
            else:
                result.errors.append(status)

        tasks = []
        for offset, token, step_id in schedule:
            due = start + offset
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(due, token, step_id)))
            result.sent += 1
        _done, pending = await asyncio.wait(tasks, timeout=grace) if tasks else (set(), set())
        for task in pending:
            task.cancel()
        result.errors.extend(["unfinished"] * len(pending))
        result.span_s = max(last_answer - start, 1e-9)


def run_open_loop(
    base: str,
    rate: float,
    schedule: list[tuple[float, str, int]],
    senders: int = 64,
    timeout: float = 30.0,
    grace: float = 60.0,
) -> RunResult:
    """Send ``schedule`` ((offset s, token, step id), sorted by offset) at its times; every
    request is bounded by ``timeout``, the wait for the last answers by ``grace`` seconds."""
    result = RunResult(rate=rate)
    cpu0 = _cpu_self()
    asyncio.run(_run(base, schedule, senders, timeout, grace, result))
    result.client_cpu_s = _cpu_self() - cpu0
    return result


_ready = False


def _seed_section(job: tuple[int, str, int]) -> int:
    """In a worker process: ``count`` proposals drafted and submitted by one 係's drafter."""
    global _ready
    if not _ready:
        os.environ["KAIRAN_DB_POOL_SIZE"] = "0"  # this process only: a plain connection
        import django

        django.setup()
        _ready = True
    from django.contrib.auth import get_user_model
    from django.db import connections

    from workflow.proposals import services

    user_id, label, count = job
    drafter = get_user_model().objects.get(pk=user_id)
    for n in range(count):
        proposal = services.proposal_create(
            actor=drafter, title=f"起案 {label}-{n}", category="general"
        )
        services.proposal_submit(actor=drafter, proposal=proposal)
    connections.close_all()
    return count


def seed_parallel(jobs: list[tuple[int, str, int]], processes: int) -> int:
    """Run ``_seed_section`` for each (drafter user id, label, count) in ``processes`` spawned
    workers (they inherit the environment that ``configure`` set); the caller's connections
    must be closed. Returns the number of proposals submitted."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=ctx) as pool:
        return sum(pool.map(_seed_section, jobs))

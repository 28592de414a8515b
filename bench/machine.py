"""What every benchmark prints about the machine, and how it summarises repeated runs.

A figure is the median of ``--runs`` runs with its min–max; a p95 is only printed when it is
taken from at least ``MIN_P95_SAMPLES`` samples (fewer make the tail a guess).
"""

from __future__ import annotations

import os
import platform
import statistics
import timeit
from pathlib import Path

MIN_P95_SAMPLES = 500


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def describe() -> str:
    """One line: cores, CPU model, memory, load average, and a Python speed marker."""
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f", {int(line.split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    marker = min(timeit.repeat("sum(x)", "x = list(range(1000))", number=10_000, repeat=3))
    return (
        f"{os.cpu_count()} cores ({cpu_model()}{mem}), shared; load average {load}; "
        f"`sum` of 1,000 ints {marker / 10_000 * 1e6:.1f} µs"
    )


def pct(samples: list[float], p: float) -> float:
    """Nearest-rank percentile of ``samples`` (p in 0..1)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def p95(samples: list[float]) -> float | None:
    """The 95th percentile, or None when there are too few samples to say."""
    return pct(samples, 0.95) if len(samples) >= MIN_P95_SAMPLES else None


def spread(values: list[float | None], fmt: str = "{:.1f}") -> str:
    """``median (min–max)`` of one figure over runs; a single run prints alone."""
    known = [v for v in values if v is not None]
    if not known:
        return "–"
    if len(known) == 1:
        return fmt.format(known[0])
    median = statistics.median(known)
    return f"{fmt.format(median)} ({fmt.format(min(known))}–{fmt.format(max(known))})"

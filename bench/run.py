"""Run every benchmark in bench/ and print their tables (``make bench``).

Each benchmark is a script of its own (runnable alone, see its docstring); this runs them in
turn with their defaults, each in a fresh process so one cannot warm another's caches.
``--runs N`` (default 3) is passed to every script that takes it: its figures are then the
median of N runs with their min–max. ``--only`` picks scripts by name.

    .venv/bin/python bench/run.py [--runs 3] [--only search,inbox]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = sorted(p for p in BENCH.glob("bench_*.py"))


def takes_runs(script: Path) -> bool:
    return '"--runs"' in script.read_text(encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="passed to every script taking it")
    parser.add_argument("--only", default="", help="comma-separated parts of script names")
    args = parser.parse_args()
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    failed = 0
    for script in SCRIPTS:
        if wanted and not any(w in script.stem for w in wanted):
            continue
        command = [sys.executable, str(script)]
        if takes_runs(script):
            command += ["--runs", str(args.runs)]
        print(f"\n## {script.name} {' '.join(command[2:])}\n", flush=True)
        result = subprocess.run(command, cwd=BENCH.parent, check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

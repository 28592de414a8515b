"""Run every benchmark in bench/ and print their tables (``make bench``).

Each benchmark is a script of its own (runnable alone, see its docstring); this runs them in
turn with their defaults, each in a fresh process so one cannot warm another's caches.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = sorted(p for p in BENCH.glob("bench_*.py"))


def main() -> int:
    failed = 0
    for script in SCRIPTS:
        print(f"\n## {script.name}\n", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=BENCH.parent, check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

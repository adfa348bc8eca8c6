"""`make bench`: run every ``bench_*.py`` module here, one after another, each printing its figures.

Benchmarks are scripts, not timed tests: each measures our code beside a bare baseline in the
same run and prints the ratio.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    names = sorted(p.stem for p in here.glob("bench_*.py"))
    if len(sys.argv) > 1:
        names = [n for n in names if any(arg in n for arg in sys.argv[1:])]
    failed = 0
    for name in names:
        print(f"\n=== {name}", flush=True)
        result = subprocess.run([sys.executable, "-m", f"tests.benchmarks.{name}"], check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Print whole-run timings: the small and large populations and the scaling curve.

Time should grow linearly with emitters × sessions; the last column (µs per emitter-session)
stays flat when it does. Peak memory is the process's maximum resident set size.
Usage: python benchmarks/engine_table.py [--quick]
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import carbonsim  # noqa: E402
from engine_cases import case, scaled  # noqa: E402


def timed(scenario) -> tuple[float, int]:
    t0 = time.perf_counter()
    result = carbonsim.run(scenario)
    return time.perf_counter() - t0, len(result.prices)


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    print(f"{'case':<28}{'emitters':>9}{'sessions':>10}{'seconds':>10}{'µs/emitter-session':>20}")
    rows = [("small", case("small"))]
    if not quick:
        rows.append(("large", case("large")))
    grid = [(1000, 50), (3000, 50), (10000, 50), (1000, 250), (3000, 250), (10000, 250)]
    rows += [(f"scale {n} × {s}/yr, 3 yr", scaled(n, s, 3)) for n, s in grid[: 3 if quick else 6]]
    for label, scenario in rows:
        seconds, sessions = timed(scenario)
        n = sum(g.count for g in scenario.emitters.generate.values())
        print(f"{label:<28}{n:>9}{sessions:>10}{seconds:>10.2f}{1e6 * seconds / (n * sessions):>20.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A 30-year run of the large population, recording the resident memory at each Jan 1.

The engine's state is allocated up front (arrays of emitters × years), so memory should not
grow from year to year except for the trade log, which is the run's output and grows with
the number of fills. Usage: python benchmarks/long_run.py [YEARS]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from carbonsim.sim.engine import Simulation  # noqa: E402
from carbonsim.economy.population import build_population  # noqa: E402
from carbonsim.scenario import scenario_dict  # noqa: E402
from carbonsim.scenario.loader import load_scenario_dict  # noqa: E402
from engine_cases import case  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


class Recorder(Simulation):
    """The engine with a memory reading at each year start."""

    readings: list[tuple[int, float, float, int]] = []

    def year_start(self, y: int) -> None:
        fills = sum(len(chunk[2]) for chunk in self.ledger.trade_chunks)
        self.readings.append((y, time.perf_counter(), rss_mib(), fills))
        super().year_start(y)


def main(years: int) -> int:
    data = scenario_dict(case("large"))
    data.update(years=years, name=f"long-{years}")
    data["cap"]["annual_reduction"] = 0.0  # a flat cap: BAU grows, but abatement can keep up
    scenario = load_scenario_dict(data)
    seq = np.random.SeedSequence(scenario.seed).spawn(2)
    pop = build_population(scenario, np.random.default_rng(seq[0]))
    t0 = time.perf_counter()
    Recorder(scenario, pop, np.random.default_rng(seq[1])).run()
    print(f"{'year':>5}{'elapsed s':>11}{'RSS MiB':>9}{'fills logged':>14}{'MiB/yr':>8}")
    prev = None
    for y, t, rss, fills in Recorder.readings:
        growth = "" if prev is None else f"{rss - prev:8.1f}"
        print(f"{y:>5}{t - t0:>11.1f}{rss:>9.0f}{fills:>14,}{growth}")
        prev = rss
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30))

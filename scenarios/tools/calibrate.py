"""Scale a scenario's MAC costs so that its least-cost price hits a target (a maintenance tool).

Every generated sector's ``mac.cost_at_max`` (or ``slope``, or step costs) is multiplied by one
factor, found by bisection on the least-cost path (no simulation), so that the least-cost price
of ``--year`` (or the mean over ``--mean-of`` years) equals ``--price``. Prints the factor and the
scaled costs to write into the file.

Usage: python scenarios/tools/calibrate.py SCENARIO.yaml --year 2024 --price 67
       python scenarios/tools/calibrate.py SCENARIO.yaml --mean-of 2021 2023 --price 12.8
"""

from __future__ import annotations

import argparse
import copy
import sys

import numpy as np

from carbonsim.economy.population import build_population
from carbonsim.scenario import load_scenario, load_scenario_dict, scenario_dict
from carbonsim.sim.engine import Simulation


def scaled(data: dict, factor: float) -> dict:
    out = copy.deepcopy(data)
    for sector in (out["emitters"].get("generate") or {}).values():
        mac = sector["mac"]
        for key in ("cost_at_max", "slope"):
            if mac.get(key) is not None:
                mac[key] = mac[key] * factor
        if mac.get("steps"):
            mac["steps"] = [[c * factor, s] for c, s in mac["steps"]]
    return out


def least_cost_prices(data: dict) -> tuple[np.ndarray, int]:
    scenario = load_scenario_dict(data)
    population_stream, run_stream = np.random.SeedSequence(scenario.seed).spawn(2)
    population = build_population(scenario, np.random.default_rng(population_stream))
    sim = Simulation(scenario, population, np.random.default_rng(run_stream))
    return sim.lc.price, scenario.start_year


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenario")
    p.add_argument("--price", type=float, required=True)
    p.add_argument("--year", type=int)
    p.add_argument("--mean-of", type=int, nargs=2, metavar=("FIRST", "LAST"))
    args = p.parse_args(argv)
    data = scenario_dict(load_scenario(args.scenario))
    first, last = args.mean_of or (args.year, args.year)

    def target(factor: float) -> float:
        price, start = least_cost_prices(scaled(data, factor))
        return float(price[first - start: last - start + 1].mean()) - args.price

    lo, hi = 0.05, 20.0
    for _ in range(30):
        mid = (lo * hi) ** 0.5
        lo, hi = (mid, hi) if target(mid) < 0 else (lo, mid)
    factor = (lo * hi) ** 0.5
    print(f"factor {factor:.6f}")
    for name, sector in (scaled(data, factor)["emitters"].get("generate") or {}).items():
        print(f"{name}: {sector['mac']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

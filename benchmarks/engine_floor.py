"""The floor of a trading session and the engine's cost measured against it.

The least work a session of N emitters on K bid steps needs: the N × K values of their
schedules (net demand need − f·MAC⁻¹(p) at each grid price, in whole tonnes), the buy and sell
orders they make (the differences between neighbouring steps) and one call auction of those
orders. `floor_session` does exactly that in bare numpy on a population's first-year curves,
with positions drawn so the market clears inside the grid. `engine_cost` runs the whole
calendar of a scenario and gives its CPU time per session; the ratio of the two is the figure
that holds on a noisy machine (both are timed in the same process).
Usage: python benchmarks/engine_floor.py [CASE ...]  (default: small large)
"""

from __future__ import annotations

import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from carbonsim.economy.mac import MacCurves, abatement_at  # noqa: E402
from carbonsim.economy.population import build_population  # noqa: E402
from carbonsim.market import call_auction  # noqa: E402
from carbonsim.sim.engine import Simulation  # noqa: E402
from engine_cases import case  # noqa: E402


@dataclass(frozen=True)
class FloorInputs:
    """One session's inputs: curves, positions (t), the fraction of the year left, the grid.

    ``columns``: per MAC segment column that any emitter uses, its (lo, hi, width) on the rows
    that use it, as (n, 1) arrays, and those rows (prepared once a year, as the engine does).
    """

    curves: MacCurves
    need_t: np.ndarray
    sellable_t: np.ndarray
    frac_left: float
    grid: np.ndarray  # currency/t, K prices
    tick: float
    columns: tuple = ()


def _columns(curves: MacCurves) -> tuple:
    out = []
    for s in range(curves.lo.shape[1]):
        rows = np.flatnonzero(curves.width_t[:, s] > 0)
        if rows.size:
            out.append((rows, *(a[rows, s][:, None] for a in (curves.lo, curves.hi, curves.width_t))))
    return tuple(out)


def _abatement(x: FloorInputs) -> np.ndarray:
    """MAC⁻¹ at every grid price, (N, K), in bare numpy: segment column by column."""
    out = np.zeros((x.need_t.shape[0], x.grid.shape[0]))
    p = x.grid[None, :]
    for rows, lo, hi, w in x.columns:
        span = hi - lo
        with np.errstate(divide="ignore", invalid="ignore"):
            ramp = np.where(span > 0, np.clip((p - lo) / span, 0.0, 1.0), p >= lo)
        out[rows] += w * ramp
    return out


def floor_inputs(scenario, price: float = 60.0, seed: int = 0) -> FloorInputs:
    """Mid-year positions of the scenario's population that balance near ``price``."""
    stream = np.random.SeedSequence(scenario.seed).spawn(2)[0]
    pop = build_population(scenario, np.random.default_rng(stream))
    curves = pop.mac_curves(0)
    rng = np.random.default_rng(seed)
    f = 0.5
    bau = pop.bau_t[:, 0]
    need = f * (abatement_at(curves, price) + rng.normal(0.0, 0.02, bau.shape) * bau)
    k = scenario.behaviour.bid_steps
    grid = np.clip(price + 0.2 * price * np.linspace(-1.0, 1.0, k), 0.0, None)
    return FloorInputs(curves, need, np.floor(0.1 * bau), f, grid, scenario.market.tick,
                       _columns(curves))


def floor_session(x: FloorInputs):
    """N × K schedule values, their orders and one call auction of them (bare numpy)."""
    lots = x.need_t[:, None] - x.frac_left * _abatement(x)
    demand = np.maximum(np.floor(lots + 0.5), 0.0)
    supply = np.minimum(np.maximum(np.floor(0.5 - lots), 0.0), x.sellable_t[:, None])
    demand[:, :-1] -= demand[:, 1:]
    supply[:, 1:] -= supply[:, :-1].copy()
    bi, bj = np.nonzero(demand > 0)
    si, sj = np.nonzero(supply > 0)
    ticks = np.rint(x.grid / x.tick).astype(np.int64)
    side = np.concatenate([np.ones(bi.size, np.int8), -np.ones(si.size, np.int8)])
    price = np.concatenate([ticks[bj], ticks[sj]])
    qty = np.concatenate([demand[bi, bj], supply[si, sj]]).astype(np.int64)
    return call_auction(side, price, qty)


def floor_cost(x: FloorInputs, budget_s: float = 1.0) -> float:
    """Median CPU seconds of `floor_session` over about ``budget_s`` of repeats."""
    floor_session(x)  # warm-up
    times = []
    start = time.process_time()
    while time.process_time() - start < budget_s or len(times) < 5:
        t0 = time.process_time()
        floor_session(x)
        times.append(time.process_time() - t0)
    return float(np.median(times))


@dataclass(frozen=True)
class EngineCost:
    """A whole run's calendar: CPU seconds, sessions, emitters and the process's peak RSS."""

    cpu_s: float
    sessions: int
    emitters: int
    peak_rss_mib: float

    @property
    def per_session_s(self) -> float:
        return self.cpu_s / self.sessions

    @property
    def ns_per_emitter_session(self) -> float:
        return 1e9 * self.cpu_s / (self.sessions * self.emitters)


def engine_cost(scenario) -> EngineCost:
    """CPU time of the run's calendar (every step and the accrual, not the setup or the result
    tables) per trading session."""
    seq = np.random.SeedSequence(scenario.seed).spawn(2)
    pop = build_population(scenario, np.random.default_rng(seq[0]))
    sim = Simulation(scenario, pop, np.random.default_rng(seq[1]))
    t0 = time.process_time()
    ledger = sim.run()
    cpu = time.process_time() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return EngineCost(cpu, len(ledger.sessions), sim.n, peak)


def main(argv: list[str]) -> int:
    names = argv or ["small", "large"]
    engine_cost(case("small"))  # compiles the kernels outside the timings
    print(f"{'case':<10}{'emitters':>9}{'sessions':>10}{'run CPU s':>11}{'ms/session':>12}"
          f"{'floor ms':>10}{'x floor':>9}{'ns/em-sess':>12}{'peak MiB':>10}")
    for name in names:
        scenario = case(name)
        cost = engine_cost(scenario)
        floor = floor_cost(floor_inputs(scenario))
        print(f"{name:<10}{cost.emitters:>9}{cost.sessions:>10}{cost.cpu_s:>11.2f}"
              f"{1e3 * cost.per_session_s:>12.2f}{1e3 * floor:>10.2f}"
              f"{cost.per_session_s / floor:>9.2f}{cost.ns_per_emitter_session:>12.0f}"
              f"{cost.peak_rss_mib:>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

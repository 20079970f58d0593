"""The SimPy calendar that drives a run: it schedules, the array modules compute.

Events of one day run in a fixed order (the fraction added to the day number): year start
(auction pool issuance) .05, free allocation .1, primary auctions .2, verification and true-up
.3, trading session .5, compliance deadline .7, reserve operations .8. Emissions accrue day by
day between events (state.py). Every yearly step and primary auction checks the accounts'
invariants, and so does the end of the run; trading sessions do only when
``accounts.checks_every_event()`` (the test suite turns it on): the invariants are balances
of cumulative totals, so a session that broke one fails the next check all the same. Each step
is one call into the module that owns it: issuance, auctions, trading, compliance, reserves.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator

import numpy as np
import simpy

from carbonsim.economy.controls import controls
from carbonsim.economy.least_cost import LeastCost, least_cost
from carbonsim.economy.population import build_population
from carbonsim.sim import auctions, compliance, issuance, reserves, rolling, trading, traders
from carbonsim.sim.accounts import Accounts, checks_every_event
from carbonsim.sim.calendar import Schedule
from carbonsim.sim.expectations import EXPECTATIONS
from carbonsim.sim.ledger import Ledger
from carbonsim.sim.progress import ProgressCallback, Tally
from carbonsim.sim.results import Result, build_result
from carbonsim.sim.session import MECHANISMS
from carbonsim.sim.state import PopulationState

__all__ = ["Simulation", "run"]


class Simulation:
    """One run of a scenario: the state, the accounts and the SimPy processes."""

    def __init__(self, scenario, population, rng: np.random.Generator) -> None:
        sc = self.sc = scenario
        self.pop, self.rng = population, rng
        self.n, self.years = population.bau_t.shape
        self.schedule = Schedule(sc.calendar, sc.start_year, self.years)
        self.tick = sc.market.tick
        curves = [population.mac_curves(y) for y in range(self.years)]
        self.state = PopulationState(population.bau_t, curves, self.schedule.year_starts)
        self.acc = Accounts(self.n, self.years)
        plan = issuance.plan(sc, population)
        self.allocations, self.pending_t = plan.allocations, plan.pending_t
        self.output_based, self.auction_t, self.cap_t = plan.output_based, plan.auction_t, plan.cap_t
        self.forecast_t = traders.forecasts(sc, population, rng)
        self.lc: LeastCost = least_cost(sc, population, curves, plan.supply_t, plan.auction_t)
        self.supply_t = plan.supply_t
        self.plan_path = self.lc.path  # the price path emitters plan on (rolling: re-solved)
        self.closed = np.zeros(self.years, dtype=bool)
        self.owed_t = np.zeros((self.n, self.years), dtype=np.int64)  # claw-backs not covered
        self.makegood_t = np.zeros(self.n, dtype=np.int64)
        self.closes: list[float] = []  # last traded price of each session that traded
        self.reference: float | None = None  # the price the daily limits apply to
        self.last_review = -10**9
        self.rate_cache: dict = {}  # abatement rates at prices asked again (traders.abatement_rate)
        self.balance_cache: tuple = (None, None, None, None)  # (day, year, cap, balancing price)
        self.aggregates: dict = {}  # each year's aggregate MAC, built when first asked for
        self.reserves = sc.reserves
        self.offset_limit = sc.compliance.offsets.limit if sc.compliance.offsets is not None else 0.0
        self.controls = [controls(sc.reserves, y) for y in range(self.years)]  # price controls
        self.ccr_left: list[int] = []  # CCR volume left this year, per tranche
        self.ecr_left = 0
        self.ledger = Ledger(self.n, self.years)
        self.mechanism = MECHANISMS.get(sc.market.mechanism)
        self.expect = EXPECTATIONS.get(sc.behaviour.expectations)
        self.progress: ProgressCallback | None = None  # called after each session and deadline
        self.tally: Tally | None = None
        self.check_every_event = checks_every_event()  # else yearly steps and auctions only
        self.epoch = 0  # advanced at every event: what positions keep holds within one (positions.py)
        self.day_cache: list | None = None

    # --- the calendar ---------------------------------------------------------------------
    def run(self) -> Ledger:
        env = simpy.Environment()
        y_range = range(self.years)
        day = self.schedule.day
        yearly = [
            (0.05, "year_start", self.year_start),
            (0.1, "allocation", self.allocate),
            (0.3, "verification", self.verify),
            (0.7, "compliance_deadline", self.deadline),
            (0.8, "reserve_operations", self.reserve_operations),
        ]
        for order, event, step in yearly:
            env.process(self._at([(day(y, event) + order, step, y) for y in y_range], env))
        auction_events = [(d + 0.2, self.auction, y) for y in y_range
                          for d in self.schedule.auction_days(y)]
        env.process(self._at(auction_events, env))
        sessions = [(d + 0.5, self.session, int(d)) for d in self.schedule.session_days()]
        env.process(self._at(sessions, env, check=self.check_every_event))
        if self.progress is not None:
            self.tally = Tally(self.progress, len(sessions), self.years, self.sc.start_year)
        env.run()
        self.acc.check()
        return self.ledger

    def _at(self, events: list[tuple[float, Callable, int]], env: simpy.Environment,
            check: bool = True) -> Iterator:
        for t, step, arg in sorted(events, key=lambda e: e[0]):
            yield env.timeout(t - env.now)
            self.state.accrue_to(int(t))
            self.epoch += 1
            step(arg)
            if check:
                self.acc.check()
            if self.tally is not None:
                self.tally.after(step.__name__, self.state.year_of(int(t)))

    # --- the steps, each in the module that owns it ------------------------------------------
    def year_start(self, y: int) -> None:
        issuance.year_start(self, y)
        rolling.revise(self)

    def allocate(self, y: int) -> None:
        issuance.allocate(self, y)

    def auction(self, y: int) -> None:
        auctions.auction(self, y)

    def verify(self, y: int) -> None:
        issuance.verify(self, y)
        rolling.revise(self)

    def session(self, day: int) -> None:
        trading.session(self, day)

    def deadline(self, y: int) -> None:
        compliance.deadline(self, y)

    def reserve_operations(self, y: int) -> None:
        reserves.reserve_operations(self, y)


def run(scenario, seed: int | None = None, progress: ProgressCallback | None = None) -> Result:
    """Simulate ``scenario``; ``seed`` (default: the scenario's) makes the run reproducible.

    ``progress``, if given, is called with a carbonsim.sim.progress.RunProgress after every
    trading session and every compliance deadline (for a progress bar).

    The population is drawn from the first of two streams spawned from the seed and the run's
    randomness (participation, arrival order, forecast errors) from the second.
    Raises RunError if the run cannot be completed.
    """
    seed = scenario.seed if seed is None else int(seed)
    population_stream, run_stream = np.random.SeedSequence(seed).spawn(2)
    t0 = time.perf_counter()
    population = build_population(scenario, np.random.default_rng(population_stream))
    sim = Simulation(scenario, population, np.random.default_rng(run_stream))
    sim.progress = progress
    sim.run()
    return build_result(scenario, seed, sim, time.perf_counter() - t0)

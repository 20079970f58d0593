"""Positions kept within a step (positions.DayTerms) against positions computed afresh."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from carbonsim.economy.population import build_population
from carbonsim.errors import InvariantError
from carbonsim.scenario import load_scenario, scenario_dict
from carbonsim.scenario.loader import load_scenario_dict
from carbonsim.sim import positions as P
from carbonsim.sim.engine import Simulation
from _economies import SCENARIOS


def _fresh(sim, day, **kw):
    terms = P.day_terms(sim, day)
    earmarked = None if terms.prior is None else P._earmarked(sim, terms.c)
    return P._position(sim, day, terms, earmarked, kw.get("offered_now_t", 0),
                       kw.get("auction_day", False))


@pytest.fixture(scope="module")
def run_sim():
    """A run of the generated sectors (offsets, a prior year open half the year), 2 years."""
    data = scenario_dict(load_scenario(SCENARIOS / "sectors-generated.yaml"))
    data.update(years=2)
    return _ran(data)


def _ran(data: dict) -> Simulation:
    """The Simulation of scenario ``data``, run to its end (its state kept for the checks)."""
    scenario = load_scenario_dict(data)
    seq = np.random.SeedSequence(scenario.seed).spawn(2)
    sim = Simulation(scenario, build_population(scenario, np.random.default_rng(seq[0])),
                     np.random.default_rng(seq[1]))
    sim.run()
    return sim


def _same(a, b):
    for name in ("short", "current", "frac_left", "year", "keep", "expected_t"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), day_share=st.floats(0.0, 0.99))
def test_kept_positions_follow_trades_and_offset_purchases(run_sim, seed, day_share):
    """Within a step holdings move (trades) and offsets are bought; the kept terms must give
    exactly the position a fresh computation gives after each such change."""
    sim = run_sim
    sim.check_every_event = False  # compare here, explicitly
    rng = np.random.default_rng(seed)
    start = sim.schedule.year_starts
    day = int(start[0] + day_share * (start[2] - start[0]))
    sim.epoch += 1
    acc, bought = copy.deepcopy(sim.acc), sim.ledger.offsets_bought_t.copy()
    try:
        for _ in range(3):
            _same(P.positions(sim, day), _fresh(sim, day))
            qty = np.zeros(sim.n, np.int64)
            qty[rng.integers(0, sim.n, 5)] = rng.integers(0, 1000, 5)
            sim.acc.issue(qty, int(rng.integers(0, sim.years)))
            sim.acc.deliver(np.roll(qty, 1), qty)  # and traded on
            qty = np.zeros(sim.n, np.int64)
            qty[rng.integers(0, sim.n, 3)] = rng.integers(1, 100, 3)
            sim.acc.buy_offsets(qty, 10.0)
            sim.ledger.offsets_bought_t[:, min(sim.state.year_of(day), sim.years - 1)] += qty
            _same(P.positions(sim, day, offered_now_t=7, auction_day=True),
                  _fresh(sim, day, offered_now_t=7, auction_day=True))
            sim.acc.check()
    finally:
        sim.acc, sim.ledger.offsets_bought_t[:] = acc, bought


def test_a_change_within_a_step_without_a_new_epoch_is_caught_by_the_checks(run_sim):
    """The kept terms hold for one step (epoch); a plan changed without advancing it would leave
    them stale, which the every-event checks (the test suite's) detect."""
    sim = run_sim
    day = int(sim.schedule.year_starts[1]) + 200
    sim.epoch += 1
    saved = sim.state.plan_rate
    try:
        sim.check_every_event = True
        P.positions(sim, day)
        sim.state.plan_rate = saved + 1000.0
        with pytest.raises(InvariantError, match="differs from a fresh one"):
            P.positions(sim, day)
        sim.epoch += 1  # as replan and the calendar do
        _same(P.positions(sim, day), _fresh(sim, day))
    finally:
        sim.state.plan_rate, sim.check_every_event = saved, False


@pytest.fixture(scope="module")
def period_sim():
    """Three-year control periods with interim deadlines and borrowing (every branch)."""
    data = scenario_dict(load_scenario(SCENARIOS / "sectors-generated.yaml"))
    data.update(years=3)
    data["compliance"].update(period_years=3, interim_share=0.5, borrowing=0.1)
    return _ran(data)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), day_share=st.floats(0.0, 1.2),
       which=st.sampled_from(["run_sim", "period_sim"]))
def test_compiled_positions_are_the_numpy_positions(request, seed, day_share, which):
    """The compiled position kernel (the default with numba) against the numpy code, to the
    bit, on random holdings, offsets and days (prior year open or closed, interim deadlines,
    borrowing, after the last year)."""
    pytest.importorskip("numba")
    sim = request.getfixturevalue(which)
    rng = np.random.default_rng(seed)
    start = sim.schedule.year_starts
    day = int(start[0] + day_share * (start[sim.years] - start[0]))
    acc = copy.deepcopy(sim.acc)
    try:
        qty = np.zeros(sim.n, np.int64)
        who = rng.integers(0, sim.n, sim.n // 3)
        qty[who] = rng.integers(0, 10**6, who.size)
        sim.acc.issue(qty, int(rng.integers(0, sim.years)))
        sim.acc.buy_offsets(np.where(rng.random(sim.n) < 0.3, rng.integers(0, 10**5, sim.n), 0), 1.0)
        terms = P.day_terms(sim, day)
        earmarked = None if terms.prior is None else P._earmarked(sim, terms.c)
        a = P._position(sim, day, terms, earmarked, 3, False, "numba")
        b = P._position(sim, day, terms, earmarked, 3, False, "numpy")
        _same(a, b)
        for name in ("short", "current"):  # signed zeros alike too
            assert np.array_equal(np.signbit(getattr(a, name)), np.signbit(getattr(b, name)))
    finally:
        sim.acc = acc

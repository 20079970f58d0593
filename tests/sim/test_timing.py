"""The trading-timing frictions (carbonsim/sim/timing.py) against hand-derived economics.

The economies are the textbook two firms (BAU 100 t each, linear MACs) and a crowd of identical
firms; every run has perfect foresight, so the price expected later in the year is the
least-cost price p*, known in advance.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import carbonsim
from carbonsim.economy.population import build_population
from carbonsim.scenario import load_scenario_dict
from carbonsim.sim.engine import Simulation
from carbonsim.sim.schedules import Orders
from carbonsim.sim.timing import participation_share, sure_orders

from _economies import textbook

FORESIGHT = {"expectations": "perfect_foresight"}


def _simulation(scenario) -> Simulation:
    rng = np.random.default_rng(0)
    return Simulation(scenario, build_population(scenario, rng), rng)


def _buys(result) -> pd.DataFrame:
    t = result.trades
    return t[t["side"] > 0]


def _days(result, dates) -> np.ndarray:
    """Day numbers (since start_year-01-01) of ``dates``."""
    origin = np.datetime64(f"{result.scenario.start_year}-01-01")
    return (pd.to_datetime(dates).to_numpy().astype("datetime64[D]") - origin).astype(int)


# --- procrastination ------------------------------------------------------------------------

def test_linear_participation_is_unchanged():
    sc = textbook(behaviour={"participation": {"start": 0.1, "at_deadline": 1.0}})
    sim = _simulation(sc)
    deadline = sim.schedule.day(0, "compliance_deadline")
    for day in (0, 100, 400, deadline):
        assert participation_share(sim, day) == 0.1 + 0.9 * day / deadline


def test_procrastination_rises_exponentially_to_the_last_session():
    """share = start + (at_deadline − start)·exp(−d/τ), d the days to the last session before
    the deadline: at_deadline in that session, about start a few τ before."""
    part = {"start": 0.01, "at_deadline": 0.9, "rise_days": 10.0}
    sim = _simulation(textbook(behaviour={"participation": part}))
    last = sim.schedule.last_session(0)
    assert participation_share(sim, last) == pytest.approx(0.9)
    for d in (5, 20, 100):
        assert participation_share(sim, last - d) == pytest.approx(0.01 + 0.89 * math.exp(-d / 10))


def test_with_procrastination_the_volume_bunches_before_the_deadline():
    """100 buyers short 200 t each, 100 sellers long 200 t (BAU 1000 t, MAC 100 at the whole of
    BAU, so p* = 10 and everyone abates 100 t). An emitter trades its whole gap the first time
    it takes part, and one that never took part before the last two months trades in them, so
    the expected share of the volume in the last two months is at least the chance of not
    taking part before, Π(1 − s_t) over the sessions before them: 0.83 here (the run gives
    0.99: an early buyer also needs a seller there)."""
    part = {"start": 0.0005, "at_deadline": 1.0, "rise_days": 10.0, "prior_year": True}
    emitters = [{"id": f"E{k:03d}", "sector": "industry", "output": 1000, "intensity": 1.0,
                 "mac": {"kind": "linear", "cost_at_max": 100.0},
                 "free_allocation": 1100 if k % 2 else 700} for k in range(200)]
    sc = textbook(emitters=emitters, cap=180_000, calendar={"sessions": 250},
                  behaviour={**FORESIGHT, "participation": part})
    r = carbonsim.run(sc)
    sim = _simulation(sc)
    last = sim.schedule.last_session(0)
    window = _days(r, [pd.Timestamp(r.scenario.start_year + 1, 4, 30)])[0]
    before = [d for d in sim.schedule.session_days() if d <= window]
    bound = float(np.prod([1 - (0.0005 + 0.9995 * math.exp(-(last - d) / 10)) for d in before]))
    assert 0.75 < bound < 0.9
    buys = _buys(r)
    share = buys.qty_t[_days(r, buys.date) > window].sum() / buys.qty_t.sum()
    assert share >= bound - 0.12  # 3 standard deviations of a draw of 100 buyers
    assert buys.qty_t.sum() == pytest.approx(100 * 200, rel=0.01)
    assert r.summary.fulfillment_entities.iloc[0] == 1.0


# --- cost of carry --------------------------------------------------------------------------

def _first_trade_bound(p: float, tick: float, rate: float) -> float:
    """Days before the last session from which buying at the discounted cap reaches the price
    sellers ask (p on a tick): ceil(p·(1 + r)^−τ / tick) ≥ p / tick iff p·(1 + r)^−τ > p − tick,
    i.e. τ < ln(p / (p − tick)) / ln(1 + r) years."""
    return 365.0 * math.log(p / (p - tick)) / math.log(1 + rate)


def test_with_carry_no_one_buys_while_waiting_pays():
    """Textbook: p* = 45 (60 t abated, A 45 and B 15), B buys 15 t from A. With a cost of carry
    of 10% a year B pays at most 45·1.1^−τ, τ the years to the last session before the
    deadline, and A asks 45: waiting pays while that is a tick (0.01) or more below 45, that is
    until 0.85 days before the last session; sessions are 7.3 days apart, so all 15 t trade in
    the last session, at 45, and abatement is still the least-cost 60 t."""
    assert _first_trade_bound(45.0, 0.01, 0.10) < 1.0
    plain = carbonsim.run(textbook(behaviour=FORESIGHT))
    r = carbonsim.run(textbook(behaviour={**FORESIGHT, "carry_rate": 0.10}))
    last = _simulation(r.scenario).schedule.last_session(0)
    assert _days(plain, _buys(plain).date).max() < 10  # without carry: in the first session
    buys = _buys(r)
    assert (_days(r, buys.date) == last).all() and buys.qty_t.sum() == 15
    assert buys.price.to_numpy() == pytest.approx(45.0)
    s = r.summary.iloc[0]
    assert s.abatement_t == pytest.approx(60.0) and s.fulfillment_entities == 1.0


def test_with_carry_trading_starts_where_waiting_stops_paying():
    """The same with a tick of 0.50: waiting pays until τ* = ln(45 / 44.5) / ln 1.1 = 0.1172
    years (42.8 days) before the last session; nothing is bought before the first session
    inside that window, everything in it."""
    rate, tick = 0.10, 0.5
    bound = _first_trade_bound(45.0, tick, rate)
    assert bound == pytest.approx(42.79, abs=0.01)
    r = carbonsim.run(textbook(market={"tick": tick}, behaviour={**FORESIGHT, "carry_rate": rate}))
    sim = _simulation(r.scenario)
    last = sim.schedule.last_session(0)
    left = last - sim.schedule.session_days()
    assert np.abs(left - bound).min() > 0.5  # no session on the edge
    first = last - left[left < bound].max()
    buys = _buys(r)
    assert _days(r, buys.date).min() == first and buys.qty_t.sum() == 15
    assert r.summary.fulfillment_entities.iloc[0] == 1.0


@pytest.mark.parametrize("behaviour", [
    {"carry_rate": 0.05},
    {"participation": {"start": 0.01, "at_deadline": 1.0, "rise_days": 10.0, "prior_year": True}},
], ids=["carry", "procrastination"])
def test_with_adaptive_expectations_deferred_trading_leaves_no_one_short(behaviour):
    """Hotelling expectations (the recent price growing at r) with banking over three years: a
    stale price is no cap on abatement, so deferring trade costs efficiency, not compliance."""
    from carbonsim.scenario import load_scenario, scenario_dict

    from _economies import SCENARIOS

    data = scenario_dict(load_scenario(SCENARIOS / "hotelling-banking.yaml"))
    data["behaviour"] = {**data["behaviour"], "expectations": "hotelling", **behaviour}
    r = carbonsim.run(load_scenario_dict(data))
    assert (r.summary.fulfillment_entities == 1.0).all()


# --- emissions uncertainty ------------------------------------------------------------------

def test_with_uncertainty_an_emitter_trades_only_what_it_is_sure_of():
    """Two firms alike (MAC slope 1) but for their allocation (80 and 60 of a 140 t cap):
    p* = 30, both abate 30 t and emit 70, A is 10 t long and B 10 t short. With a forecast
    whose standard deviation is σ·f·70 (σ = 0.1, f the share of the year left), each trades
    only what it is sure of with probability 0.9: B buys 10 − z·σ·f·70 at most and A sells as
    much, z = Φ⁻¹(0.9) = 1.2816. So after the session with f left the volume traded so far is
    V(f) = 10 − 8.97·f (to the nearest tonne): spread over the year, all of it by its end."""
    emitters = [{"id": k, "sector": "industry", "output": 100, "intensity": 1.0,
                 "mac": {"kind": "linear", "slope": 1.0}, "free_allocation": free}
                for k, free in (("A", 80), ("B", 60))]
    sc = textbook(emitters=emitters, behaviour={**FORESIGHT, "emissions_uncertainty": 0.1,
                                                "trade_confidence": 0.9})
    r = carbonsim.run(sc)
    buys = _buys(r)
    assert buys.qty_t.sum() == 10 and buys.price.to_numpy() == pytest.approx(30.0)
    sim = _simulation(sc)
    days = sim.schedule.session_days()
    days = days[(days > 0) & (days < 365)]  # after the first session, within the year
    traded = np.searchsorted(np.sort(_days(r, buys.date)), days, side="right")
    cumulative = np.concatenate([[0], np.cumsum(buys.sort_values("date").qty_t)])[traded]
    v = 10 - 1.2815515655446004 * 0.1 * 70 * (365 - days) / 365
    assert np.abs(cumulative - v).max() <= 1.0
    assert r.summary.fulfillment_entities.iloc[0] == 1.0


def test_sure_orders_buy_what_is_surely_needed_and_sell_what_is_surely_spare():
    def schedule(need):  # one buy (or sell) of the whole need at a price of 5 ticks
        who = np.arange(need.size)
        side = np.where(need > 0, 1, -1).astype(np.int8)
        qty = np.abs(np.rint(need)).astype(np.int64)
        keep = qty > 0
        return Orders(who[keep], side[keep], np.full(keep.sum(), 5), qty[keep])

    need = np.array([10.0, -10.0, 3.0, -3.0])
    band = np.array([4.0, 4.0, 4.0, 4.0])
    o = sure_orders(schedule, need, band)
    assert list(zip(o.owner, o.side, o.qty)) == [(0, 1, 6), (1, -1, 6)]
    same = sure_orders(schedule, need, None)
    assert list(same.qty) == [10, 10, 3, 3]


def test_the_new_keys_default_to_no_friction():
    b = load_scenario_dict({**_minimal()}).behaviour
    assert b.carry_rate == 0.0 and b.emissions_uncertainty == 0.0 and b.trade_confidence == 0.9


def _minimal() -> dict:
    from carbonsim.scenario import scenario_dict

    return scenario_dict(textbook())

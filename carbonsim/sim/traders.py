"""The emitters' decisions as array functions of a run's state: positions, allowance values,
abatement plans and offset buying (MODEL.md section 5; docs/architecture.md explains the choices).

Every function takes the run (``sim``, a `carbonsim.sim.engine.Simulation`) and returns or
applies (N,) arrays; none schedules anything.

One price per vintage: an emitter counts the supply it can still count on this year (its share
of the primary auctions still scheduled, the room to borrow when borrowing pays), pays no more
now than the price it expects later in the year while auctions are still to come, sells no
allowance below what a banked one is worth, and below that worth buys to bank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carbonsim.economy.equilibrium import AggregateMac
from carbonsim.sim import periods
from carbonsim.sim.expectations import CERTAIN, bank_value, later_price
from carbonsim.sim.positions import (Position, abatement_rate, auctions_to_come, bau_rate,
                                     positions, price_path)
from carbonsim.sim.schedules import Orders, allowance_value, plan_rate
from carbonsim.sim.timing import participation_share, plan_value

__all__ = ["Position", "Values", "bank_orders", "bau_rate", "first_slice", "forecasts",
           "participants", "positions", "replan", "values"]


@dataclass(frozen=True)
class Values:
    """What allowances are worth to the emitters now, currency/t, (N,) arrays.

    wtp: the most non-compliance costs (penalty, make-good, the ceiling): what a short emitter
    pays once nothing else is to come; buy_cap: the most it pays for the current year now
    (wtp, or the price expected later in the year while auctions are still to come);
    bank: a banked allowance's worth (nobody sells below it; below it emitters buy to bank).
    """

    wtp: np.ndarray
    buy_cap: np.ndarray
    bank: np.ndarray


def first_slice(qty: np.ndarray, total: int) -> np.ndarray:
    """The first ``total`` tonnes of ``qty`` (N,) taken in index order."""
    if total <= 0:  # the usual case (no regulator leg): nothing is taken
        return np.zeros_like(qty)
    before = np.cumsum(qty) - qty
    return np.clip(total - before, 0, qty)


def forecasts(scenario, population, rng: np.random.Generator) -> np.ndarray:
    """Each emitter's forecast of its BAU emissions, made before each year (N, Y) t.

    Expected output × intensity, with a relative error of ``behaviour.output_uncertainty``;
    stored year by year (column-major: a year's forecasts are read together).
    """
    noise = rng.normal(0.0, scenario.behaviour.output_uncertainty, size=population.bau_t.shape)
    return np.asfortranarray(population.expected_output * population.intensity * (1.0 + noise))


def values(sim, pos: Position, day: int, *, auction: bool = False) -> Values:
    """What allowances are worth to the emitters at ``pos`` on ``day`` (see Values).

    In a primary ``auction`` nobody pays more than the price expected later in the year; in a
    session only while auctions are still to come, or all year when the expected path is
    certain. An expected price at which the year cannot balance (the emitters, counting all
    supply still to come, would still be short after abating as far as that price pays) is not
    expected: the cap rises to the price at which it balances.
    """
    c = pos.year
    comp = sim.sc.compliance
    make_good = _make_good_price(sim, c) if comp.make_good else 0.0
    wtp = comp.penalty_per_t + make_good
    path = price_path(sim, c)
    # Without banking an allowance still keeps for the later years of its control period.
    keeps = comp.banking or periods.same_period(sim, c, c + 1)
    later_year = c + 1 < sim.lc.path.shape[0]  # a year in which a banked allowance is worth something
    bank = bank_value(path, sim.sc.behaviour.discount_rate) if keeps and later_year else 0.0
    year = sim.controls[min(c, sim.years - 1)]
    if year.ceiling is not None:
        wtp = min(wtp, year.ceiling)  # the regulator sells any amount at the ceiling
    if year.floor is not None:
        bank = max(bank, year.floor)  # and buys any amount at the floor
    cap = wtp
    certain = sim.sc.behaviour.expectations in CERTAIN
    if c < sim.years and (auction or certain or any(d > day for d in sim.schedule.auction_days(c))):
        # Nobody pays more now than later; to the tick above, so that a buyer capped there and
        # a seller asking a banked allowance's worth (rounded up) still meet at that price.
        later = max(later_price(path), bank)
        if _short_at(sim, pos, later):  # the year's aggregate need moves little within a day
            key = (day, c, later)
            if sim.balance_cache[:3] != key:
                sim.balance_cache = (*key, _balancing_price(sim, pos, later, wtp))
            later = sim.balance_cache[3]
        cap = min(wtp, np.ceil(later / sim.tick - 1e-9) * sim.tick)
    bank = min(bank, cap)
    return Values(np.full(sim.n, wtp), np.full(sim.n, cap), np.full(sim.n, bank))


def _make_good_price(sim, c: int) -> float:
    """What an allowance missing at year ``c``'s deadline costs later: it is still owed next
    year, at the price the emitters plan on for it (a fixed anchor: the last close would
    ratchet upward). That is the path they plan on (rolling: the latest re-solve), or where
    it ends before next year, beyond the horizon, the least-cost path's."""
    k = min(c + 1, sim.lc.path.shape[0] - 1)
    planned = sim.plan_path[k]
    return float(planned) if np.isfinite(planned) else float(sim.lc.path[k])


def _balancing_price(sim, pos: Position, lo: float, hi: float) -> float:
    """The lowest price in [lo, hi] at which the year balances (`_short_at` turns False): where
    the abatement it pays for over the rest of the year, with the CCR tranches it releases,
    covers what the emitters still need (the static least-cost problem, solved exactly on the
    year's aggregate MAC); ``hi`` (non-compliance) where none does."""
    f = pos.frac_left
    if f <= 0:
        return hi
    aggregate = sim.aggregates.get(pos.year)
    if aggregate is None:
        aggregate = sim.aggregates[pos.year] = AggregateMac(sim.state.curves[pos.year])
    need = float((pos.current + pos.short).sum()) - sim.n  # _short_at's tolerance
    year = sim.controls[pos.year]
    released, price = 0.0, np.inf
    bounds = [trigger for trigger, _ in year.ccr] + [np.inf]
    for k, (upper, left) in enumerate(zip(bounds, [*sim.ccr_left, 0])):
        price = aggregate.price((need - released) / f, ceiling=hi)
        if k > 0 and price < bounds[k - 1]:  # the tranche at this trigger covers the rest
            price = bounds[k - 1]
            break
        if price < upper:
            break
        released += left
    return float(min(max(price, lo), hi))


def _short_at(sim, pos: Position, price: float) -> bool:
    """Whether the market is short for the current year at ``price``: what the emitters need
    beyond the supply their positions count on, the reserve volume that price releases (CCR
    left at or above its trigger; less the ECR left below its) and the abatement that price
    pays for (t) is positive (more than a tonne per emitter: plans land to rounding)."""
    year = sim.controls[pos.year]
    if not np.isfinite(price) or (year.ceiling is not None and price >= year.ceiling):
        return False
    half = sim.tick / 2
    reserve = sum(left for (trigger, _), left in zip(year.ccr, sim.ccr_left) if price >= trigger - half)
    if year.ecr is not None and price < year.ecr[0] - half:
        reserve -= sim.ecr_left
    demand = pos.current + pos.short - pos.frac_left * abatement_rate(sim, pos.year, price)
    return float(demand.sum()) - reserve > sim.n


def bank_orders(sim, pos: Position, val: Values, active: np.ndarray, budget_t: int) -> Orders:
    """Bids to bank: one tick below a banked allowance's worth, for what each emitter is
    willing to hold beyond its needs (``behaviour.bank_capacity`` × its expected emissions,
    unlimited by default, then ``budget_t``: all that could be bought), less its surplus."""
    bank = float(val.bank[0]) if val.bank.size else 0.0
    price = int(np.floor(bank / sim.tick + 1e-9)) - 1
    empty = Orders(*(np.zeros(0, t) for t in (np.int64, np.int8, np.int64, np.int64)))
    if bank <= 0 or price <= 0 or budget_t <= 0 or pos.year + 1 >= sim.lc.path.shape[0]:
        return empty
    capacity = sim.sc.behaviour.bank_capacity
    if capacity is None:
        room = np.full(sim.n, float(budget_t))
    else:
        room = capacity * np.maximum(pos.expected_t, 0.0) - np.maximum(-pos.current, 0.0)
    qty = np.where(active & (pos.short <= 0), np.floor(np.minimum(room, budget_t)), 0).astype(np.int64)
    who = np.flatnonzero(qty > 0)
    return Orders(who.astype(np.int64), np.ones(who.size, np.int8), np.full(who.size, price, np.int64),
                  qty[who])


def participants(sim, day: int) -> np.ndarray:
    """Who takes part in the session on ``day`` (N,) bool (``behaviour.participation``)."""
    part = sim.sc.behaviour.participation
    if part is None:
        return np.ones(sim.n, dtype=bool)
    return sim.rng.random(sim.n) < participation_share(sim, day)


def replan(sim, day: int) -> None:
    """Set every emitter's abatement rate for the rest of the year from its value."""
    pos = positions(sim, day)
    val = values(sim, pos, day)
    curves = sim.state.curves[pos.year]
    # While auctions are to come an emitter abates no further than the price it expects to
    # buy at; after the last one what it still needs is abated or bought from others.
    cap = val.buy_cap if auctions_to_come(sim, day) > 0 else val.wtp
    value = allowance_value(curves, pos.current, pos.frac_left, cap, val.bank)
    # A price taker abates until its MAC meets the market price: one valuing an allowance
    # below the price abates more and expects to sell the difference.
    value = plan_value(sim, value, val, pos.year)
    sim.state.plan_rate = plan_rate(curves, pos.current, pos.frac_left, value)
    sim.epoch = getattr(sim, "epoch", 0) + 1  # positions kept for the step no longer hold
    sim.last_review = day

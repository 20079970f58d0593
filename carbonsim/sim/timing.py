"""When emitters trade: three frictions that move trading toward the compliance deadlines
(MODEL.md section 5), each off by default. Array functions of a run (``sim``); none schedules.

- **Procrastination** (``behaviour.participation`` with ``rise_days`` = τ): the share of emitters
  taking part in a session is start + (at_deadline − start)·exp(−d/τ), d the days left to the
  last session before the next deadline, so it stays near ``start`` until a few τ before the
  deadline and then rises steeply to ``at_deadline`` (`participation_share`). With
  ``prior_year`` the share applies to the market in the prior year's vintages too
  (`in_prior_market`): an emitter that puts off trading puts off buying what it is short of
  for the year just ended as well.
- **Cost of carry** (``behaviour.carry_rate`` = r_c, a year): an allowance bought for compliance
  year y is needed only at L_y, the last session on or before y's deadline; cash paid for it on
  day t is tied up until then. Buying on day t at p costs p·(1 + r_c)^τ at L_y, τ = (L_y − t)/365
  years, against p_L if it waits (p_L: the price it expects later in the year, the buyer's cap
  without carry). So a buyer pays at most p_L·(1 + r_c)^−τ (`carry_factor`), rounded up to the
  tick as the cap is; a holder of a surplus has no cash tied up in it and sells for no less
  than p_L. While p_L·(1 − (1 + r_c)^−τ) is a tick or more, waiting pays and nothing trades
  between them; buying is deferred to the sessions where it no longer pays to wait. In the
  market in the prior year's vintages a short emitter bids min(wtp, p_L) discounted the same
  way (`prior_year_prices`). With no price expected (``myopic``) the non-compliance cost is
  discounted instead and sellers keep their own values.
- **Emissions uncertainty** (``behaviour.emissions_uncertainty`` = σ,
  ``behaviour.trade_confidence`` = q): an emitter's forecast of the rest of the year's emissions
  has a standard deviation sd = σ·f·E (E its expected emissions of the year, f the share of the
  year left), which shrinks to nothing at the year's end. It trades only what it is sure of with
  probability q: it buys what its schedule wants less z·sd and sells what its schedule spares
  less z·sd, z = Φ⁻¹(q) (`sure_band`, `sure_orders`). Once the year is over the position is
  certain, and so is the prior year's.

With any of them on (`waits`) little trades before the deadline, and four rules keep the thin
market sound: sellers hold out for p_L (as buyers pay no more than it; otherwise one thin
session could sell a final year's surplus for whatever is bid), emitters plan abatement at p_L
as price takers (a buyer that will buy at the deadline does not abate beyond it, a seller that
will sell then abates up to it: `plan_value`), and a short emitter's last session bids its
non-compliance cost only if what is offered at p_L falls short. Positions always count what
the deadline will count: the prior year's obligation after the shortfall cap
(`prior_obligation`) and offsets booked to a year within that year's limit (`sim.offsets`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from statistics import NormalDist
from typing import Callable

import numpy as np

from carbonsim.sim.compliance import capped_obligation
from carbonsim.sim.expectations import CERTAIN, PriceView, later_price
from carbonsim.sim.schedules import Orders

__all__ = ["carry", "carry_factor", "expected_later", "in_prior_market", "participation_share",
           "plan_value", "prior_obligation", "prior_year_prices", "sure_band", "sure_need",
           "sure_orders", "waits"]

#: Days in a year of carry (interest accrues day by day, 365 to the year).
YEAR_DAYS = 365.0


def participation_share(sim, day: int) -> float:
    """The share of emitters taking part in the session on ``day`` (``behaviour.participation``,
    set): linear from the previous deadline (or day 0) to the next one; with ``rise_days``,
    exponential in the days left to the last session before the next deadline, so that
    ``at_deadline`` is the share in that session."""
    part = sim.sc.behaviour.participation
    prev, nxt = sim.schedule.deadline_bracket(day)
    if part.rise_days is None:
        return part.start + (part.at_deadline - part.start) * (day - prev) / max(nxt - prev, 1)
    deadlines = [sim.schedule.day(y, "compliance_deadline") for y in range(sim.years)]
    left = max(sim.schedule.last_session(deadlines.index(nxt)) - day, 0)
    return part.start + (part.at_deadline - part.start) * math.exp(-left / part.rise_days)


def in_prior_market(sim, active: np.ndarray) -> np.ndarray:
    """Who is in the market in the prior year's vintages (N,) bool: the session's participants
    with ``participation.prior_year``, else everyone."""
    part = sim.sc.behaviour.participation
    if part is None or not part.prior_year:
        return np.ones(sim.n, dtype=bool)
    return active


def carry_factor(sim, day: int, year: int) -> float:
    """(1 + r_c)^−τ: what a tonne paid on ``day`` for compliance year ``year`` is worth in cash
    at that year's last session, τ years away (1 without carry or from that session on)."""
    rate = sim.sc.behaviour.carry_rate
    if rate <= 0 or not 0 <= year < sim.years:
        return 1.0
    days = max(sim.schedule.last_session(year) - day, 0)
    return (1.0 + rate) ** (-days / YEAR_DAYS)


def expected_later(sim, c: int) -> float:
    """The price expected later in year ``c`` (currency/t; inf when none is expected)."""
    view = PriceView(min(c, sim.years - 1), np.asarray(sim.closes), sim.lc.price,
                     sim.sc.behaviour.discount_rate)
    return later_price(sim.expect(view))


def waits(sim) -> bool:
    """Whether trading is deferred toward the deadlines (a cost of carry, procrastination or
    emissions uncertainty): then sellers hold out for the price they expect later in the year
    and emitters plan abatement at that price (`plan_value`)."""
    b = sim.sc.behaviour
    part = b.participation
    return (b.carry_rate > 0 or b.emissions_uncertainty > 0
            or (part is not None and part.rise_days is not None))


def prior_obligation(sim, y: int) -> np.ndarray:
    """What emitters owe for year ``y`` once its emissions are final, as positions count it
    (t, (N,) float): verified emissions plus claw-backs not covered, after the shortfall cap
    as at the deadline (without it an emitter the cap binds buys allowances it will not
    surrender)."""
    emitted = sim.state.emitted_t[:, y]
    if sim.sc.compliance.shortfall_cap is None:
        return np.rint(emitted) + sim.owed_t[:, y]
    free = sim.state.free_allocation_t[:, y] + sim.ledger.deducted_t[:, y] + sim.pending_t[:, y]
    return capped_obligation(emitted, free, sim.sc.compliance.shortfall_cap) + sim.owed_t[:, y]


def plan_value(sim, value: np.ndarray, val, c: int) -> np.ndarray:
    """The value (currency/t, (N,)) at which emitters plan abatement for year ``c``, from their
    own ``value``: as price takers, never below the market price (the last close, at most the
    cap ``val.buy_cap``). When trading is deferred (`waits`) the market price is the price
    expected later in the year, p_L, where there is one, and with a certain path (perfect
    foresight) no emitter abates beyond it either (at most the bank value if that is higher):
    little trades before the deadline, so a surplus holder abates for the price it will sell
    at and a buyer for the price it will buy at, instead of each covering its own position."""
    later = expected_later(sim, c) if waits(sim) and c < sim.years else np.inf
    price = later if np.isfinite(later) else sim.reference
    if price is None:
        return value
    value = np.maximum(value, min(price, float(val.buy_cap[0])))
    if np.isfinite(later) and sim.sc.behaviour.expectations in CERTAIN:
        # (an adaptive forecast is no cap: abating only as far as a stale price pays would
        # leave the year short, with nobody to buy from at the deadline)
        value = np.minimum(value, max(later, float(val.bank[0])))
    return value


def carry(sim, val, day: int, year: int):
    """The values a session's (or an auction's) orders use when trading is deferred (`waits`),
    and those of its bids to bank: (orders, banking), both `Values`; ``val`` twice otherwise.

    Orders: buyers capped at p_L·(1 + r_c)^−τ (to the tick above; p_L the price expected later,
    at least the bank value and at most the cap), sellers asking at least p_L: when few trade
    early, one thin session would otherwise sell a final year's surplus for whatever is bid.
    Banking: bids at the banked allowance's worth discounted the same way (it too can be
    bought at the last session). Without an expected price (``myopic``) the cap itself is
    discounted and sellers ask as before.
    """
    if not waits(sim) or not 0 <= year < sim.years:
        return val, val
    d = carry_factor(sim, day, year)
    tick, cap = sim.tick, val.buy_cap
    later = expected_later(sim, year)
    if np.isfinite(later):  # what it expects to pay at the last session (the bank value a floor)
        base = np.minimum(cap, np.maximum(later, val.bank))
        # (sells round up to the tick: a cap at the non-compliance cost need not be on one)
        sell = np.maximum(val.bank, np.minimum(later, np.floor(cap / tick + 1e-9) * tick))
    else:
        base, sell = cap, val.bank
    buy = cap if d >= 1.0 else np.minimum(cap, np.ceil(base * d / tick - 1e-9) * tick)
    orders = replace(val, buy_cap=buy, bank=sell)
    banking = replace(val, buy_cap=buy, bank=np.minimum(val.bank * d, buy))
    return orders, banking


def prior_year_prices(sim, val, value: np.ndarray, short: np.ndarray, surplus: np.ndarray,
                      day: int, c: int):
    """The limits of the market in the prior year's (``c`` − 1) vintages, as
    `carbonsim.sim.session.prior_year_orders` takes them: (wtp, value), (N,) currency/t; each
    emitter ``short`` in that year bids its wtp, each holder of a ``surplus`` asks its value, at
    most its wtp.

    Unchanged unless trading is deferred (`waits`). Then holders ask at least the price expected
    later, p_L, and a short emitter bids min(wtp, p_L)·(1 + r_c)^−τ, to the tick above as in
    the sessions (τ = 0 at that year's last session); at the last session, if what is offered
    at that bid falls short of what is needed, it bids what non-compliance would cost it.
    """
    if not waits(sim):
        return val.wtp, value
    tick, wtp = sim.tick, val.wtp
    later = expected_later(sim, c)
    ask = np.maximum(value, np.minimum(later, wtp)) if np.isfinite(later) else value
    # Bids round down to the tick: a holder valuing an allowance at a short emitter's wtp (itself
    # short in the current year) asks the tick at or below it, so that the two still meet.
    ask = np.minimum(ask, np.floor(wtp / tick + 1e-9) * tick)
    d = carry_factor(sim, day, c - 1)
    base = np.minimum(wtp, later) if np.isfinite(later) else wtp
    bid = np.minimum(wtp, np.ceil(base * d / tick - 1e-9) * tick)
    if day >= sim.schedule.last_session(c - 1):  # the last chance
        offered = surplus[np.ceil(ask / tick - 1e-9) <= np.floor(bid / tick + 1e-9)].sum()
        if short.sum() > offered:
            bid = wtp
    return np.where(short > 0, bid, wtp), ask


def sure_band(sim, pos) -> np.ndarray | None:
    """z·sd (t, (N,)): the part of each emitter's current-year position it is not sure of
    (None without emissions uncertainty or once the year is over)."""
    b = sim.sc.behaviour
    if b.emissions_uncertainty <= 0 or pos.year >= sim.years or pos.frac_left <= 0:
        return None
    z = NormalDist().inv_cdf(b.trade_confidence)
    return z * b.emissions_uncertainty * pos.frac_left * np.maximum(pos.expected_t, 0.0)


def sure_need(sim, pos, need: np.ndarray) -> np.ndarray:
    """What a buyer is sure to need (t, (N,)): ``need`` less its `sure_band`."""
    band = sure_band(sim, pos)
    return need if band is None else need - band


def sure_orders(schedule: Callable[[np.ndarray], Orders], need: np.ndarray,
                band: np.ndarray | None) -> Orders:
    """The buys of ``schedule(need − band)`` and the sells of ``schedule(need + band)``: each
    emitter buys what it surely needs and sells what it can surely spare (``schedule(need)``
    when ``band`` is None). ``schedule`` maps a need (t, (N,)) to truthful orders."""
    if band is None:
        return schedule(need)
    buys, sells = schedule(need - band), schedule(need + band)
    b, s = buys.side > 0, sells.side < 0
    return Orders.concat([Orders(buys.owner[b], buys.side[b], buys.price[b], buys.qty[b]),
                          Orders(sells.owner[s], sells.side[s], sells.price[s], sells.qty[s])])

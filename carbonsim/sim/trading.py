"""A trading session of the run: positions to orders, the market mechanism, settlement.

`session(sim, day)` is the calendar's trading step; `settle` books any set of fills (session,
prior-year call auction) into the accounts, the state and the ledger.
"""

from __future__ import annotations

import numpy as np

from carbonsim.market import call_auction
from carbonsim.sim import periods, timing, traders
from carbonsim.sim.offsets import buy_offsets
from carbonsim.sim.schedules import Orders, allowance_value, schedule_orders, with_prices
from carbonsim.sim.session import (SessionFills, ceiling_order, control_prices, limit_band,
                                   no_trade_reference, prior_year_orders, with_price_controls)
from carbonsim.sim.traders import Position, Values, first_slice

__all__ = ["session", "settle"]


def session(sim, day: int) -> None:
    """Buy offsets, submit schedules, clear, settle, then re-plan abatement."""
    active = traders.participants(sim, day)
    pos = traders.positions(sim, day)
    val = traders.values(sim, pos, day)
    if buy_offsets(sim, pos, val):
        pos = traders.positions(sim, day)
        val = traders.values(sim, pos, day)
    present = timing.in_prior_market(sim, active)
    if (pos.short > 0).any() and _prior_market(sim, pos, val, day, present):
        pos = traders.positions(sim, day)
    current, f, c = pos.current, pos.frac_left, pos.year
    curves = sim.state.curves[min(c, sim.years - 1)]
    # An emitter still short in the prior year could only buy vintages it cannot use for
    # it: it stays out of the main market until that year's deadline.
    short = pos.short > 0
    active = active & ~short
    need = current
    # When trading is deferred, buyers bid the price they expect later (less carry) and
    # sellers ask it (timing.py).
    val, bank_val = timing.carry(sim, val, day, c)
    value = allowance_value(curves, need, f, val.buy_cap, val.bank)
    b = sim.sc.behaviour
    m = sim.sc.market
    ref = sim.reference
    band = limit_band(ref, m.daily_limit)
    # Who does not take part this session submits nothing (no need, nothing to sell).
    need = np.where(active, need, 0.0)
    sellable = np.where(active, sim.acc.held() - pos.keep, 0)
    banking = traders.bank_orders(sim, pos, bank_val, active, int(sellable.sum()))
    unsure = timing.sure_band(sim, pos)  # what emitters are not sure of (None: no uncertainty)
    unsure = None if unsure is None else np.where(active, unsure, 0.0)

    # Emitters also quote at the floor and ceiling prices, where the regulator trades, and at
    # their cap and banking value, where many of their values sit.
    year = sim.controls[min(c, sim.years - 1)]
    key = np.concatenate([control_prices(year), [val.buy_cap[0], val.bank[0]]])

    idx = np.flatnonzero(active)  # only participants' schedules are evaluated

    def build(grid: np.ndarray) -> Orders:
        grid = with_prices(grid, key)
        orders = timing.sure_orders(
            lambda n: schedule_orders(curves, n, f, val.buy_cap, val.bank, sellable, grid, sim.tick,
                                      gap_fraction=b.gap_fraction, min_lot=m.min_lot,
                                      fee_per_t=m.fee_per_t, rows=idx), need, unsure)
        if banking.qty.size:
            orders = Orders.concat([orders, banking])
        return with_price_controls(year, sim.tick, orders)

    finite = value[idx][np.isfinite(value[idx])]
    centre = ref if ref is not None else (float(np.median(finite)) if finite.size else 0.0)
    spread = float(np.quantile(np.abs(finite - centre), 0.9)) if finite.size else 0.0
    half = max(spread, 0.01 * centre, 2 * sim.tick * b.bid_steps)
    fills = sim.mechanism(build, centre, half, b.bid_steps, sim.tick, band, sim.rng)
    settle(sim, fills, pos, day)
    sim.ledger.record_session(day, c, fills, int(active.sum()), band)
    if fills.volume_t > 0:
        sim.closes.append(fills.close)
        sim.reference = fills.close
    else:
        sim.reference = no_trade_reference(fills.orders, ref, band, sim.tick)
    if c < sim.years and day - sim.last_review >= (b.review_days or 0):
        traders.replan(sim, day)


def _prior_market(sim, pos: Position, val: Values, day: int, present: np.ndarray) -> bool:
    """A call auction in the vintages still eligible for the prior year, between the emitters
    ``present`` short in it and those holding a surplus of them; True if anything traded."""
    short = np.where(present, pos.short, 0.0)
    last = periods.last_vintage(sim, pos.year - 1)
    surplus = np.where((pos.short > 0) | ~present, 0, sim.acc.eligible(last) - pos.keep)
    year = sim.controls[min(pos.year, sim.years - 1)]
    if surplus.sum() <= 0 and year.ceiling is None:
        return False
    curves = sim.state.curves[min(pos.year, sim.years - 1)]
    value = allowance_value(curves, pos.current, pos.frac_left, val.buy_cap, val.bank)
    if not sim.sc.compliance.banking and last == pos.year - 1:
        value = np.zeros(sim.n)  # unused old vintages lapse at the (final) deadline
    wtp, value = timing.prior_year_prices(sim, val, value, short, surplus, day, pos.year)
    orders = prior_year_orders(short, surplus, wtp, value, sim.tick)
    # The regulator sells at the ceiling whatever is bid there, in the prior year's vintage.
    regulator = ceiling_order(year, sim.tick, orders)
    if regulator.qty.size:
        orders = Orders.concat([orders, regulator])
    result = call_auction(orders.side, orders.price, orders.qty)
    if result.volume == 0:
        return False
    price = result.price * sim.tick
    fills = SessionFills(orders, result.filled, price, price, int(result.volume),
                         int((result.filled > 0).sum()), result.filled * price)
    settle(sim, fills, pos, day, vintage=pos.year - 1)
    return True


def settle(sim, fills: SessionFills, pos: Position, day: int, vintage: int | None = None) -> None:
    """Book ``fills``: deliveries (regulator legs through the pool, its sales in ``vintage``,
    by default the current year's), cash, fees, the ledger."""
    c = pos.year
    o = fills.orders
    em = o.owner >= 0
    buy, sell = em & (o.side > 0), em & (o.side < 0)
    n = sim.n
    bought = np.bincount(o.owner[buy], weights=fills.filled[buy], minlength=n).astype(np.int64)
    sold = np.bincount(o.owner[sell], weights=fills.filled[sell], minlength=n).astype(np.int64)
    paid = np.bincount(o.owner[buy], weights=fills.buyer_value[buy], minlength=n)
    got = np.bincount(o.owner[sell], weights=fills.buyer_value[sell], minlength=n)
    reg_sold = int(fills.filled[~em & (o.side < 0)].sum())
    reg_bought = int(fills.filled[~em & (o.side > 0)].sum())
    vintage = min(c, sim.years - 1) if vintage is None else vintage
    from_pool = first_slice(bought, reg_sold)
    to_reg = first_slice(sold, reg_bought)
    if reg_sold:
        sim.acc.issue_to_pool(reg_sold, vintage)
        sim.acc.deliver_from_pool(from_pool, vintage)
    if reg_bought:
        sim.acc.retire(to_reg, keep=pos.keep)
    # Prior-year shortages are served first, with the oldest (eligible) vintages.
    sim.acc.deliver(bought - from_pool, sold - to_reg, keep=pos.keep, first=pos.short > 0)
    fee = sim.sc.market.fee_per_t
    sim.acc.move_cash(got - paid, "reserve")  # net of regulator trades; emitters' legs cancel
    if fee:
        sim.acc.pay(fee * (bought + sold), "fees")
    sim.state.record_trades(c, bought, sold, paid, got)
    sim.ledger.record_trades(day, c, o.owner, o.side, fills.filled, fills.buyer_value)

"""The primary-auction step of a run: the pool offered over the year's auction dates, the
emitters' bid schedules (the same truthful schedules as in sessions, after offsets are bought,
plus bids to bank), reserve tranches (CCR/ECR) cleared on the exact bid curve, delivery and
payment."""

from __future__ import annotations

import numpy as np

from carbonsim.sim import timing, traders
from carbonsim.sim.offsets import buy_offsets
from carbonsim.sim.reserves import AuctionOutcome, primary_auction
from carbonsim.sim.schedules import Orders, allowance_value, schedule_orders, with_prices
from carbonsim.sim.session import discover
from carbonsim.sim.traders import first_slice

__all__ = ["auction"]


def auction(sim, y: int) -> None:
    """A primary auction in year ``y``: the pool is offered in equal parts over the year's
    remaining auction dates, oldest vintage first; emitters bid their buy schedules."""
    pool = sim.acc.pool[: y + 1]
    remaining = sum(d >= sim.state.accrued_to for d in sim.schedule.auction_days(y))
    supply = int(pool.sum() // max(remaining, 1))
    if supply <= 0:
        return
    day = sim.state.accrued_to
    # Offsets meet what the market still wants at their price once every auction of the year,
    # this one included, is counted (auction volume at a reserve below their price is cheaper).
    every = traders.positions(sim, day, auction_day=True)
    val = traders.values(sim, every, day, auction=True)
    if buy_offsets(sim, every, val):
        val = traders.values(sim, traders.positions(sim, day, auction_day=True), day, auction=True)
    pos = traders.positions(sim, day, offered_now_t=supply, auction_day=True)
    need, f = timing.sure_need(sim, pos, pos.short + pos.current), pos.frac_left
    _, val = timing.carry(sim, val, day, y)  # bids discounted for carry; no sellers here
    curves = sim.state.curves[y]
    value = allowance_value(curves, need, f, val.buy_cap, val.bank)
    a, year, tick = sim.sc.auctions, sim.controls[y], sim.tick
    reserve = max(a.reserve_price * (1.0 + a.reserve_price_growth) ** y, year.floor or 0.0)
    banking = traders.bank_orders(sim, pos, val, np.ones(sim.n, dtype=bool), supply + sum(sim.ccr_left))
    finite = value[np.isfinite(value) & (value >= reserve)]
    if banking.qty.size and banking.price[0] * tick >= reserve:
        finite = np.append(finite, banking.price[0] * tick)
    top = float(finite.max()) if finite.size else reserve
    start = sim.reference if sim.reference is not None else (reserve + top) / 2
    half = max(abs(top - start), abs(start - reserve), tick)
    reserve_tick = int(np.ceil(reserve / tick - 1e-9))
    sellable = np.zeros(sim.n, np.int64)

    def build(grid: np.ndarray) -> Orders:
        grid = with_prices(grid, [val.buy_cap[0], val.bank[0]])
        orders = schedule_orders(curves, need, f, val.buy_cap, val.bank, sellable, grid, tick)
        return Orders.concat([orders, banking]) if banking.qty.size else orders

    def clear(orders: Orders) -> AuctionOutcome:
        return primary_auction(
            orders.price, orders.qty, supply, reserve_tick, tie=a.tie,
            ccr=[(round(trigger / tick), left) for (trigger, _), left in zip(year.ccr, sim.ccr_left)],
            ecr_trigger=round(year.ecr[0] / tick) if year.ecr is not None else None,
            ecr_left_t=sim.ecr_left)

    def indicative(orders: Orders) -> tuple[int, int]:
        r = clear(orders).result
        return r.price, r.sold

    if finite.size:
        orders, _ = discover(build, indicative, start, half,
                             2 * sim.sc.behaviour.bid_steps, tick, (reserve, np.inf))
    else:  # nobody values an allowance above the reserve price: nothing sells
        orders = Orders(*(np.zeros(0, t) for t in (np.int64, np.int8, np.int64, np.int64)))
    out = clear(orders)
    _book(sim, y, orders, out)


def _book(sim, y: int, orders: Orders, out: AuctionOutcome) -> None:
    """Deliver an auction's allowances from the pool (oldest vintage first), dispose of the
    unsold and withheld volume, collect payment, record."""
    a, tick = sim.sc.auctions, sim.tick
    if out.ccr_released_t:
        sim.acc.issue_to_pool(out.ccr_released_t, y)
        sim.ccr_left = [left - gone for left, gone in zip(sim.ccr_left, out.ccr_tranches)]
    sim.ecr_left -= out.ecr_withheld_t
    r = out.result
    bought = np.bincount(orders.owner, weights=r.filled, minlength=sim.n).astype(np.int64)
    price = r.price * tick if r.sold > 0 else np.nan
    left = bought
    for v in range(y + 1):  # the oldest vintages in the pool go first
        part = first_slice(left, int(sim.acc.pool[v]))
        sim.acc.deliver_from_pool(part, v)
        left = left - part
    unsold = out.offered_t - int(r.sold)
    dispose = out.ecr_withheld_t + (unsold if a.unsold in ("cancel", "reserve") else 0)
    for v in range(y + 1):  # ECR withholding and unsold volume leave the pool
        gone = min(dispose, int(sim.acc.pool[v]))
        sim.acc.cancel_from_pool(gone, v)
        dispose -= gone
    if a.unsold == "reserve":
        sim.acc.msr_t += unsold
    if r.sold > 0:
        sim.closes.append(price)  # a market price too (hotelling expectations look at them)
        sim.acc.pay(bought * price, "auctioneer")
        sim.state.auction_bought_t[:, y] += bought
        sim.state.spent[:, y] += bought * price
    sim.ledger.record_auction(sim.state.accrued_to, y, out, price)

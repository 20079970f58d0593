"""One trading session: price discovery, the emitters' orders, clearing through the matching core.

Market mechanisms register by name (the scenario's ``market.mechanism``). A mechanism takes the
session's order book builder and returns the executed trades; it never touches accounts.

Call auction: before it executes, the session runs a short pre-open (as exchanges' opening
auctions publish an indicative price): participants sample their truthful schedules on a price
grid centred on the last indicative price, the grid narrowing each round, so K bid steps give a
clearing price accurate to a fraction of a percent. Continuous: orders arrive in random order
and trade at the resting order's price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from carbonsim.sim.schedules import Orders, price_grid
from carbonsim.market import call_auction, match_continuous
from carbonsim.registry import Registry

__all__ = ["MECHANISMS", "SessionFills", "ceiling_order", "control_prices", "discover", "limit_band",
           "no_trade_reference", "prior_year_orders", "with_price_controls"]

#: Relative width of the final grid spacing at which the pre-open stops refining.
PRECISION = 0.002
MAX_ROUNDS = 8


@dataclass(frozen=True)
class SessionFills:
    """Executed quantity per order and what each emitter bought and paid (t, currency)."""

    orders: Orders
    filled: np.ndarray
    price: float  # session price: clearing price or volume-weighted mean; NaN if no trade
    close: float  # last traded price; NaN if no trade
    volume_t: int
    trades: int
    buyer_value: np.ndarray  # per order: currency paid (buys) or received (sells)


def limit_band(ref: float | None, daily_limit: float | None) -> tuple[float, float]:
    """Lowest and highest admissible price (currency/t) given the previous close."""
    if ref is None or daily_limit is None or not np.isfinite(ref):
        return 0.0, np.inf
    return ref * (1.0 - daily_limit), ref * (1.0 + daily_limit)


def no_trade_reference(orders: Orders, ref: float | None, band: tuple[float, float],
                       tick: float) -> float | None:
    """The reference price after a session without trades (currency/t).

    As exchanges set a close from the best quotes when nothing trades: a best bid above the
    reference moves it up to that bid, a best ask below it moves it down to that ask, within
    the daily limits. Without this a market at its limit with only buyers (or only sellers)
    could never move.
    """
    if ref is None or orders.qty.shape[0] == 0:
        return ref
    bids, asks = orders.price[orders.side > 0], orders.price[orders.side < 0]
    if bids.size and bids.max() * tick > ref:
        return float(min(bids.max() * tick, band[1]))
    if asks.size and asks.min() * tick < ref:
        return float(max(asks.min() * tick, band[0]))
    return ref


def control_prices(year) -> np.ndarray:
    """The price floor and ceiling (currency/t) set in ``year`` (a `Controls`)."""
    return np.array(year.prices(), dtype=np.float64)


def with_price_controls(year, tick: float, orders: Orders) -> Orders:
    """Add the regulator's standing orders of ``year`` (a `Controls`; owner −1): sell at the
    ceiling whatever is bid, buy at the floor whatever is offered."""
    extra = [ceiling_order(year, tick, orders)]
    if year.floor is not None:
        supply = int(orders.qty[orders.side < 0].sum())
        if supply:
            extra.append(Orders(np.array([-1]), np.array([1], np.int8),
                                np.array([int(year.floor / tick + 1e-9)]),
                                np.array([supply])))
    extra = [e for e in extra if e.qty.size]
    return Orders.concat([orders, *extra]) if extra else orders


def ceiling_order(year, tick: float, orders: Orders) -> Orders:
    """The regulator's sell order at ``year``'s price ceiling for whatever ``orders`` bid
    (owner −1); empty without a ceiling or bids."""
    demand = int(orders.qty[orders.side > 0].sum())
    if year.ceiling is None or not demand:
        return Orders(*(np.zeros(0, t) for t in (np.int64, np.int8, np.int64, np.int64)))
    return Orders(np.array([-1]), np.array([-1], np.int8),
                  np.array([int(np.ceil(year.ceiling / tick - 1e-9))]), np.array([demand]))


def prior_year_orders(short_t: np.ndarray, surplus_t: np.ndarray, wtp: np.ndarray,
                      value: np.ndarray, tick: float) -> Orders:
    """Orders of the market in allowances still eligible for the prior compliance year.

    Emitters short in that year bid for their shortage (whole t, rounded up) at what
    non-compliance would cost them; holders of eligible vintages beyond their own needs
    (``surplus_t``) offer them at what they are worth to them now (``value``).
    """
    buyers, sellers = np.flatnonzero(short_t > 0), np.flatnonzero(surplus_t > 0)
    return Orders(
        owner=np.concatenate([buyers, sellers]),
        side=np.concatenate([np.ones(buyers.size, np.int8), -np.ones(sellers.size, np.int8)]),
        price=np.concatenate([np.floor(wtp[buyers] / tick + 1e-9),
                              np.ceil(np.minimum(value[sellers], wtp[sellers]) / tick - 1e-9)]
                             ).astype(np.int64),
        qty=np.concatenate([np.ceil(short_t[buyers] - 1e-9), surplus_t[sellers]]).astype(np.int64),
    )


OrderBuilder = Callable[[np.ndarray], Orders]


def discover(build: OrderBuilder, clear: Callable[[Orders], tuple[int, int]], ref: float,
             half_width: float, steps: int, tick: float, band: tuple[float, float]
             ) -> tuple[Orders, float | None]:
    """Pre-open price discovery: the orders to execute and their indicative price (or None).

    Participants sample their schedules on a grid of ``steps`` prices around ``ref``; the
    grid re-centres on each round's indicative price and halves, until its spacing is below
    PRECISION of the price (a grid whose edge holds the price moves without narrowing).
    ``clear(orders) -> (price tick, volume)`` is the auction rule that executes.
    """
    lo, hi = band
    for _ in range(MAX_ROUNDS):
        grid = np.unique(np.clip(price_grid(ref, half_width, steps), lo, hi))
        orders = build(grid)
        price_tick, volume = clear(orders)
        if volume == 0:
            return orders, None
        new_ref = price_tick * tick
        spacing = 2.0 * half_width / max(steps - 1, 1)
        at_edge = abs(new_ref - ref) >= half_width * (1.0 - 1.0 / max(steps - 1, 1)) - tick
        if spacing <= max(PRECISION * new_ref, 2 * tick) and not at_edge:
            break
        ref = new_ref
        if not at_edge:
            half_width = half_width / 2.0
    return orders, new_ref


def _call_auction(build: OrderBuilder, ref: float, half_width: float, steps: int, tick: float,
                  band: tuple[float, float], rng: np.random.Generator) -> SessionFills:
    last = []  # the last round's auction: discover returns the orders it cleared

    def clear(orders: Orders) -> tuple[int, int]:
        # No reference price: a range of equally good prices clears at its middle, so whole-
        # tonne granularity does not bias the price toward the previous close.
        last[:] = [call_auction(orders.side, orders.price, orders.qty)]
        return last[0].price, last[0].volume

    orders, _ = discover(build, clear, ref, half_width, steps, tick, band)
    result = last[0]
    filled = result.filled
    price = result.price * tick if result.volume > 0 else np.nan
    value = filled * (price if result.volume > 0 else 0.0)
    return SessionFills(orders, filled, price, price, int(result.volume),
                        int((filled > 0).sum()), value)


def _continuous(build: OrderBuilder, ref: float, half_width: float, steps: int, tick: float,
                band: tuple[float, float], rng: np.random.Generator) -> SessionFills:
    lo, hi = band
    grid = np.unique(np.clip(price_grid(ref, half_width, steps), lo, hi))
    built = build(grid)
    order = rng.permutation(built.qty.shape[0])  # arrival order
    orders = Orders(built.owner[order], built.side[order], built.price[order], built.qty[order])
    kinds = np.zeros(orders.qty.shape[0], dtype=np.int8)
    trades = match_continuous(kinds, orders.side, orders.price, orders.qty,
                              np.zeros_like(orders.qty))
    n = orders.qty.shape[0]
    q = trades.qty
    filled = (np.bincount(trades.taker, weights=q, minlength=n)
              + np.bincount(trades.maker, weights=q, minlength=n)).astype(np.int64)
    paid = trades.price * tick * q
    value = (np.bincount(trades.taker, weights=paid, minlength=n)
             + np.bincount(trades.maker, weights=paid, minlength=n))
    volume = int(q.sum())
    price = float(paid.sum() / volume) if volume else np.nan
    close = float(trades.price[-1] * tick) if volume else np.nan
    return SessionFills(orders, filled, price, close, volume, int(q.shape[0]), value)


MECHANISMS: Registry = Registry("market mechanism")
MECHANISMS.register("call_auction", _call_auction)
MECHANISMS.register("continuous", _continuous)

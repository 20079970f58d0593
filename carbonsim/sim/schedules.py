"""Emitters' decisions as array functions: allowance values, abatement plans, bid/ask schedules.

An emitter's position for the open compliance year(s) is summarised by ``need_t``: the tonnes it
would still have to abate over the rest of the year (fraction ``frac_left`` of a year) to cover
its expected obligation with what it holds and expects to receive. Abating y tonnes over the
rest of the year means an annual rate y / f, at marginal cost MAC(y / f); so its net demand for
allowances at price p is ``need − f·MAC⁻¹(p)`` (MODEL.md section 5), bounded below by the value
of banking (``floor_value``: it never sells below what a banked allowance is worth) and above by
the cost of non-compliance (``wtp``: it never pays more than the penalty would cost).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from carbonsim.economy.mac import MacCurves, abatement_at, marginal_cost

__all__ = [
    "allowance_value",
    "plan_rate",
    "price_grid",
    "Orders",
    "schedule_orders",
    "with_prices",
]


def allowance_value(curves: MacCurves, need_t: np.ndarray, frac_left: float,
                    wtp: np.ndarray, floor_value: np.ndarray | float) -> np.ndarray:
    """Value of one more allowance to each emitter (currency/t), shape (N,).

    The MAC at the abatement rate the emitter would otherwise need, raised to the banking
    value ``floor_value`` and capped at the non-compliance cost ``wtp``. With no time left
    (``frac_left`` 0) a short emitter can no longer abate, so its value is ``wtp``.
    """
    if frac_left > 0:
        mac = marginal_cost(curves, need_t / frac_left)
    else:
        mac = np.where(need_t > 0, np.inf, 0.0)
    return np.minimum(np.maximum(mac, floor_value), wtp)


def plan_rate(curves: MacCurves, need_t: np.ndarray, frac_left: float,
              value: np.ndarray) -> np.ndarray:
    """Annual abatement rate (t a year) each emitter plans for the rest of the year, (N,).

    MAC⁻¹(value); where ``value`` sits on a step technology (a vertical part of the curve) the
    emitter uses just enough of the step to cover its need.
    """
    lower, upper = abatement_at(curves, np.nextafter(value, -np.inf)), abatement_at(curves, value)
    wanted = need_t / frac_left if frac_left > 0 else np.zeros_like(need_t)
    return np.clip(wanted, lower, upper)


def with_prices(grid: np.ndarray, prices) -> np.ndarray:
    """``grid`` (sorted, currency/t) with the given prices added where they fall inside it.

    Schedules sample values at the grid's prices; a price where many values sit (the cap at an
    expected price, a banked allowance's worth, a floor or a ceiling) must be one of them, or
    the tonnes valued there are bid at the grid price below it.
    """
    prices = np.asarray(prices, dtype=np.float64)
    inside = prices[np.isfinite(prices) & (prices >= grid[0]) & (prices <= grid[-1])]
    return np.union1d(grid, inside) if inside.size else grid


def price_grid(ref: float, half_width: float, steps: int) -> np.ndarray:
    """``steps`` evenly spaced prices (currency/t) on [ref − half_width, ref + half_width], >= 0."""
    if steps == 1:
        return np.array([max(ref, 0.0)])
    return np.clip(ref + half_width * np.linspace(-1.0, 1.0, steps), 0.0, None)


@dataclass(frozen=True)
class Orders:
    """Limit orders of a session: owner (emitter index), side (+1/−1), price in ticks, qty in t."""

    owner: np.ndarray
    side: np.ndarray
    price: np.ndarray
    qty: np.ndarray

    @staticmethod
    def concat(parts: list["Orders"]) -> "Orders":
        return Orders(*(np.concatenate([getattr(p, f) for p in parts])
                        for f in ("owner", "side", "price", "qty")))


def schedule_orders(curves: MacCurves, need_t: np.ndarray, frac_left: float | np.ndarray,
                    wtp: np.ndarray, floor_value: np.ndarray, sellable_t: np.ndarray,
                    grid: np.ndarray, tick: float, *, gap_fraction: float = 1.0,
                    min_lot: int = 1, fee_per_t: float = 0.0, owner: np.ndarray | None = None,
                    rows: np.ndarray | None = None, backend: str = "auto") -> Orders:
    """Truthful K-step buy and sell schedules of N emitters on the price ``grid`` (currency/t).

    At each grid price p the emitter's cumulative demand is max(0, need − f·MAC⁻¹(p)) while
    p <= wtp, and its cumulative supply max(0, f·MAC⁻¹(p) − need) while p >= floor_value,
    at most ``sellable_t`` (no short selling); ``frac_left`` (f) is the fraction of the year
    left, one for all or one per emitter. Quantities are ``gap_fraction`` of the schedule in
    the nearest whole lots of ``min_lot`` t: the k-th tonne is valued at the MAC at its
    middle, which for a linear MAC is exactly its average cost. Buy prices round down and sell
    prices up to the tick; a fee per t lowers bids and raises asks. Orders list every buy
    (by emitter, then price step), then every sell; qty > 0. ``rows`` (sorted emitter
    indices), if given, are the only emitters that submit (the others' schedules are not
    evaluated: the same orders as giving them no need and nothing to sell). ``backend``
    "numba" (the default when numba is installed) or "numpy" give identical orders.
    Raises ValueError for an unknown backend.
    """
    n = need_t.shape[0]
    b = SCHEDULE_BACKEND if backend == "auto" else backend
    if b not in ("numpy", "numba"):
        raise ValueError(f"backend must be 'auto', 'numpy' or 'numba'; got {backend!r}")
    rows = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
    args = (curves, rows, np.asarray(need_t, np.float64),
            np.broadcast_to(np.asarray(frac_left, np.float64), (n,)),
            np.broadcast_to(np.asarray(wtp, np.float64), (n,)),
            np.broadcast_to(np.asarray(floor_value, np.float64), (n,)),
            (np.asarray(sellable_t) // min_lot).astype(np.float64), grid, gap_fraction / min_lot,
            np.floor(np.maximum(grid - fee_per_t, 0.0) / tick + 1e-9).astype(np.int64),
            np.ceil((grid + fee_per_t) / tick - 1e-9).astype(np.int64))
    if b == "numba":
        who, side, price, qty = _schedule_numba(*args, min_lot)
    else:
        bo, bt, bq, so, st, sq = _schedule_numpy(*args)
        who = np.concatenate([bo, so])
        side = np.concatenate([np.ones(bo.size, np.int8), -np.ones(so.size, np.int8)])
        price = np.concatenate([bt, st])
        qty = (np.concatenate([bq, sq]) * min_lot).astype(np.int64)
    return Orders(owner=who if owner is None else owner[who], side=side, price=price, qty=qty)


def _schedule_numpy(curves, rows, need, frac, wtp, floor_value, sellable_lots, grid, scale,
                    buy_ticks, sell_ticks):
    """Buys then sells as (owner, tick, lots) arrays; see schedule_orders."""
    if rows.shape[0] < need.shape[0]:
        curves = curves.take(rows)
        need, frac, wtp, floor_value, sellable_lots = (
            a[rows] for a in (need, frac, wtp, floor_value, sellable_lots))
    n, k = need.shape[0], grid.shape[0]
    # Bounds that cut the grid (a bank value above its lowest price, a penalty below its
    # highest) are applied; the common case, where none does, costs nothing.
    cut_low, cut_high = floor_value > grid[0], wtp < grid[-1]
    p_eff = np.broadcast_to(grid, (n, k))
    if cut_low.any() or cut_high.any():
        p_eff = np.minimum(np.maximum(p_eff, floor_value[:, None]), wtp[:, None])
    lots = need[:, None] - frac[:, None] * abatement_at(curves, p_eff)
    lots *= scale
    demand = np.maximum(np.floor(lots + 0.5), 0.0)
    supply = np.maximum(np.floor(0.5 - lots), 0.0)
    if cut_high.any():  # no emitter buys above what non-compliance costs it
        demand[grid[None, :] > wtp[:, None]] = 0.0
    if cut_low.any():  # nor sells below what a banked allowance is worth to it
        supply[grid[None, :] < floor_value[:, None]] = 0.0
    np.minimum(supply, sellable_lots[:, None], out=supply)
    # Cumulative demand falls with the price: the order at grid[j] buys D_j − D_{j+1};
    # cumulative supply rises: the order at grid[j] sells S_j − S_{j−1}.
    demand[:, :-1] -= demand[:, 1:]
    supply[:, 1:] -= supply[:, :-1].copy()
    bi, bj = np.nonzero(demand > 0)
    si, sj = np.nonzero(supply > 0)
    return rows[bi], buy_ticks[bj], demand[bi, bj], rows[si], sell_ticks[sj], supply[si, sj]


def _schedule_numba(curves, *rest):
    from carbonsim.sim._schedule_numba import schedule_kernel

    return schedule_kernel(curves.lo, curves.hi, curves.width_t, *rest)


#: The backend schedule_orders uses by default: compiled when numba is installed.
SCHEDULE_BACKEND = "numba" if importlib.util.find_spec("numba") is not None else "numpy"

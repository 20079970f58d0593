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

from dataclasses import dataclass

import numpy as np

from carbonsim.mac import MacCurves, abatement_at, marginal_cost

__all__ = [
    "allowance_value",
    "plan_rate",
    "price_grid",
    "Orders",
    "schedule_orders",
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
    upper = abatement_at(curves, value)
    lower = abatement_at(curves, np.nextafter(value, -np.inf))
    wanted = need_t / frac_left if frac_left > 0 else np.zeros_like(need_t)
    return np.clip(wanted, lower, upper)


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


def _lots(x: np.ndarray, lot: int) -> np.ndarray:
    """Whole lots nearest to ``x`` t: the k-th tonne is valued at the MAC at its middle, which
    for a linear MAC is exactly its average cost (flooring would undervalue every tonne)."""
    return (np.floor(x / lot + 0.5) * lot).astype(np.int64)


def schedule_orders(curves: MacCurves, need_t: np.ndarray, frac_left: float, wtp: np.ndarray,
                    floor_value: np.ndarray, sellable_t: np.ndarray, grid: np.ndarray,
                    tick: float, *, gap_fraction: float = 1.0, min_lot: int = 1,
                    fee_per_t: float = 0.0, owner: np.ndarray | None = None) -> Orders:
    """Truthful K-step buy and sell schedules of N emitters on the price ``grid`` (currency/t).

    At each grid price p the emitter's cumulative demand is max(0, need − f·MAC⁻¹(p)) while
    p <= wtp, and its cumulative supply max(0, f·MAC⁻¹(p) − need) while p >= floor_value,
    at most ``sellable_t`` (no short selling). Buy prices round down and sell prices up to the
    tick; a fee per t lowers bids and raises asks. Quantities are the nearest whole lots of
    ``min_lot`` t (sales never more than ``sellable_t``),
    ``gap_fraction`` of the schedule. Returns Orders with qty > 0 only.
    """
    n, k = need_t.shape[0], grid.shape[0]
    floor_value = np.broadcast_to(np.asarray(floor_value, np.float64), (n,))
    wtp = np.broadcast_to(np.asarray(wtp, np.float64), (n,))
    if owner is None:
        owner = np.arange(n)
    net = np.empty((n, k))
    for j, p in enumerate(grid):  # K is small (bid steps); the emitters are vectorised
        p_eff = np.minimum(np.maximum(p, floor_value), wtp)
        net[:, j] = need_t - frac_left * abatement_at(curves, p_eff)
    net *= gap_fraction
    demand = np.where(grid[None, :] <= wtp[:, None], np.maximum(net, 0.0), 0.0)
    supply = np.where(grid[None, :] >= floor_value[:, None], np.maximum(-net, 0.0), 0.0)
    demand = _lots(demand, min_lot)
    sellable = (np.asarray(sellable_t) // min_lot * min_lot)[:, None]
    supply = np.minimum(_lots(supply, min_lot), sellable)
    # Cumulative demand falls with the price: the order at grid[j] buys D_j − D_{j+1}.
    buy_q = demand - np.concatenate([demand[:, 1:], np.zeros((n, 1), np.int64)], axis=1)
    # Cumulative supply rises with the price: the order at grid[j] sells S_j − S_{j−1}.
    sell_q = supply - np.concatenate([np.zeros((n, 1), np.int64), supply[:, :-1]], axis=1)
    buy_ticks = np.floor(np.maximum(grid - fee_per_t, 0.0) / tick + 1e-9).astype(np.int64)
    sell_ticks = np.ceil((grid + fee_per_t) / tick - 1e-9).astype(np.int64)
    owners = np.broadcast_to(owner[:, None], (n, k))
    b, s = buy_q > 0, sell_q > 0
    return Orders(
        owner=np.concatenate([owners[b], owners[s]]),
        side=np.concatenate([np.ones(b.sum(), np.int8), -np.ones(s.sum(), np.int8)]),
        price=np.concatenate([np.broadcast_to(buy_ticks, (n, k))[b],
                              np.broadcast_to(sell_ticks, (n, k))[s]]),
        qty=np.concatenate([buy_q[b], sell_q[s]]),
    )

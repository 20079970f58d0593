"""Compiled bid/ask schedules (numba): the same arithmetic as behaviour.schedule_orders, in one
pass over emitters and price steps instead of ~30 array passes. Imported only when numba is
installed (extra ``fast``); tests check that both give identical orders.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["schedule_kernel"]


@njit(cache=True)
def schedule_kernel(lo, hi, width, rows, need, frac, wtp, floor_value, sellable_lots, grid,
                    scale, buy_ticks, sell_ticks):  # pragma: no cover - compiled
    """(owner, side, tick, lots) of every order of the emitters ``rows`` (sorted): all buys
    (emitter, then step order), then all sells. ``scale`` = gap_fraction / min_lot;
    quantities are in lots."""
    s_count = lo.shape[1]
    n = rows.shape[0]
    k = grid.shape[0]
    b_owner = np.empty(n * k, np.int64)
    b_tick = np.empty(n * k, np.int64)
    b_qty = np.empty(n * k, np.float64)
    s_owner = np.empty(n * k, np.int64)
    s_tick = np.empty(n * k, np.int64)
    s_qty = np.empty(n * k, np.float64)
    demand = np.empty(k, np.float64)
    supply = np.empty(k, np.float64)
    nb = 0
    ns = 0
    for r in range(n):
        i = rows[r]
        for j in range(k):
            p = min(max(grid[j], floor_value[i]), wtp[i])
            a = 0.0
            for s in range(s_count):
                w = width[i, s]
                if w > 0.0:
                    span = hi[i, s] - lo[i, s]
                    if span > 0.0:
                        r = (p - lo[i, s]) / span
                        r = min(max(r, 0.0), 1.0)
                        a += w * r
                    elif p >= lo[i, s]:
                        a += w
            lots = (need[i] - frac[i] * a) * scale
            d = max(np.floor(lots + 0.5), 0.0)
            u = max(np.floor(0.5 - lots), 0.0)
            if grid[j] > wtp[i]:
                d = 0.0
            if grid[j] < floor_value[i]:
                u = 0.0
            demand[j] = d
            supply[j] = min(u, sellable_lots[i])
        for j in range(k):
            q = demand[j] - (demand[j + 1] if j + 1 < k else 0.0)
            if q > 0.0:
                b_owner[nb] = i
                b_tick[nb] = buy_ticks[j]
                b_qty[nb] = q
                nb += 1
            q = supply[j] - (supply[j - 1] if j > 0 else 0.0)
            if q > 0.0:
                s_owner[ns] = i
                s_tick[ns] = sell_ticks[j]
                s_qty[ns] = q
                ns += 1
    return (b_owner[:nb], b_tick[:nb], b_qty[:nb], s_owner[:ns], s_tick[:ns], s_qty[:ns])

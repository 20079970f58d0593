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
                    scale, buy_ticks, sell_ticks, min_lot):  # pragma: no cover - compiled
    """(owner, side, tick, qty) of every order of the emitters ``rows`` (sorted): all buys
    (emitter, then step order), then all sells. ``scale`` = gap_fraction / min_lot; schedules
    are in lots, orders in t (lots × ``min_lot``)."""
    s_count = lo.shape[1]
    n = rows.shape[0]
    k = grid.shape[0]
    owner = np.empty(2 * n * k, np.int64)  # buys from the front; sells copied after them
    tick = np.empty(2 * n * k, np.int64)
    qty = np.empty(2 * n * k, np.int64)
    s_owner = np.empty(n * k, np.int64)
    s_tick = np.empty(n * k, np.int64)
    s_qty = np.empty(n * k, np.int64)
    p_eff = np.empty(k, np.float64)
    abated = np.empty(k, np.float64)
    demand = np.empty(k, np.float64)
    supply = np.empty(k, np.float64)
    nb = 0
    ns = 0
    for r in range(n):
        i = rows[r]
        for j in range(k):
            p_eff[j] = min(max(grid[j], floor_value[i]), wtp[i])
            abated[j] = 0.0
        for s in range(s_count):  # segment by segment, each over the grid: the same sums
            w = width[i, s]
            if w > 0.0:
                low = lo[i, s]
                span = hi[i, s] - low
                if span > 0.0:
                    for j in range(k):
                        abated[j] += w * min(max((p_eff[j] - low) / span, 0.0), 1.0)
                else:
                    for j in range(k):
                        if p_eff[j] >= low:
                            abated[j] += w
        for j in range(k):
            lots = (need[i] - frac[i] * abated[j]) * scale
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
                owner[nb] = i
                tick[nb] = buy_ticks[j]
                qty[nb] = np.int64(q * min_lot)
                nb += 1
            q = supply[j] - (supply[j - 1] if j > 0 else 0.0)
            if q > 0.0:
                s_owner[ns] = i
                s_tick[ns] = sell_ticks[j]
                s_qty[ns] = np.int64(q * min_lot)
                ns += 1
    owner[nb:nb + ns] = s_owner[:ns]
    tick[nb:nb + ns] = s_tick[:ns]
    qty[nb:nb + ns] = s_qty[:ns]
    side = np.empty(nb + ns, np.int8)
    side[:nb] = 1
    side[nb:] = -1
    return owner[:nb + ns].copy(), side, tick[:nb + ns].copy(), qty[:nb + ns].copy()

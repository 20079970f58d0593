"""Compiled bid/ask schedules (numba): the same arithmetic as behaviour.schedule_orders, in one
pass over emitters and price steps instead of ~30 array passes. Imported only when numba is
installed (extra ``fast``); tests check that both give identical orders.
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit

__all__ = ["schedule_kernel"]


def schedule_kernel(lo, hi, width, rows, need, frac, wtp, floor_value, sellable_lots, grid,
                    scale, buy_ticks, sell_ticks, min_lot):
    """(owner, side, tick, qty) of every order of the emitters ``rows`` (sorted): all buys
    (emitter, then step order), then all sells. ``scale`` = gap_fraction / min_lot; schedules
    are in lots, orders in t (lots × ``min_lot``). The kernel writes into work buffers kept
    per thread (large fresh ones would cost their page faults every session)."""
    size = rows.shape[0] * grid.shape[0]
    work = getattr(_WORK, "buffers", None)
    if work is None or work.shape[1] < size:
        work = _WORK.buffers = np.empty((6, max(size, 1024)), np.int64)
    nb, ns = _orders_kernel(lo, hi, width, rows, need, frac, wtp, floor_value, sellable_lots,
                            grid, scale, buy_ticks, sell_ticks, min_lot, work)
    owner, tick, qty = (np.concatenate([work[b, :nb], work[b + 3, :ns]]) for b in range(3))
    side = np.empty(nb + ns, np.int8)
    side[:nb] = 1
    side[nb:] = -1
    return owner, side, tick, qty


_WORK = threading.local()


@njit(cache=True)
def _orders_kernel(lo, hi, width, rows, need, frac, wtp, floor_value, sellable_lots, grid,
                   scale, buy_ticks, sell_ticks, min_lot, work):  # pragma: no cover - compiled
    """Buys' (owner, tick, qty) into work rows 0-2 and sells' into rows 3-5; (buys, sells)."""
    s_count = lo.shape[1]
    n = rows.shape[0]
    k = grid.shape[0]
    owner, tick, qty = work[0], work[1], work[2]
    s_owner, s_tick, s_qty = work[3], work[4], work[5]
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
    return nb, ns

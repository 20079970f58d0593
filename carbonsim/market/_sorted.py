"""Call auctions by sorting: for tick ranges too wide for a dense grid, memory O(orders).

Orders are sorted stably by (book, price), so each distinct price (a *level*) keeps its orders
oldest first. With cumulative sums over the sorted orders, a level's S is the sells up to its
end and its D the buys from its start; the ticks strictly between two levels (a *gap*, when not
empty) have the S of the level below and the D of the level above. Segment 2k is level k and
segment 2k + 1 the gap above it; where there is no gap it repeats level k (same D, S and tick),
which keeps the numbering regular. Segment values are computed only where ``_segments``'
binary searches probe them, so after the sort the work is a few passes over the orders.
"""

from __future__ import annotations

import numpy as np

from ._clearing import book_price_key, group_starts, pressure_rule, ration, stable_argsort
from ._segments import choose, settle

__all__ = ["clear_sorted", "ragged_arange"]


def ragged_arange(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ranges [start[i], stop[i]) and the offset where each range begins."""
    length = stop - start
    offsets = np.concatenate(([0], np.cumsum(length)[:-1])).astype(np.intp)
    idx = np.arange(int(length.sum())) - np.repeat(offsets - start, length)
    return idx, offsets


def _range_mask(n: int, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Boolean mask of length n, True on the ranges [start, stop), ordered and disjoint."""
    bounds = np.empty(2 * start.shape[0] + 2, np.int64)
    bounds[0], bounds[-1] = 0, n
    bounds[1:-1:2], bounds[2:-1:2] = start, stop
    inside = np.zeros(bounds.shape[0] - 1, np.bool_)
    inside[1::2] = True
    return np.repeat(inside, np.diff(bounds))


def _marginal_orders(ssell, bounds, lev, sell_side, residual, rationing, sq):
    """Sorted positions of the long side's orders at each marginal level, and their fills."""
    marg, starts = ragged_arange(bounds[lev], bounds[lev + 1])
    group = np.repeat(np.arange(lev.shape[0]), np.diff(np.append(starts, marg.shape[0])))
    keep = ssell[marg] == sell_side[group]
    marg = marg[keep]
    starts = np.searchsorted(group[keep], np.arange(lev.shape[0]))
    return marg, ration(sq[marg], starts, residual, rationing)


def clear_sorted(sell: np.ndarray, qty: np.ndarray, price: np.ndarray,
                 book: np.ndarray | None, n_books: int, col: np.ndarray, width: int,
                 shift: np.ndarray, reference: np.ndarray | None, rationing: str):
    """Clear every book by sorting; returns (price, volume, filled), prices in ticks.

    ``col`` is price − shift[book] (int64) and ``width`` exceeds every ``col``; when
    n_books × width does not fit in int64, prices are replaced by their ranks first.
    All quantities must sum below 2**61.
    """
    n = qty.shape[0]
    key, ranks, width = book_price_key(price, col, book, n_books, width)
    if book is not None and not np.any(book[1:] < book[:-1]):
        perm = np.argsort(key, kind="stable")  # timsort: runs of whole books merge cheaply
    else:
        perm = stable_argsort(key, n_books * width - 1)
    sk, sq, ssell = key[perm], qty[perm], sell[perm]
    # Cumulative sums with a leading zero: index i is the boundary before sorted position i.
    c_all = np.zeros(n + 1, np.int64)
    np.cumsum(sq, out=c_all[1:])
    c_sell = np.zeros(n + 1, np.int64)
    np.cumsum(np.where(ssell, sq, 0), out=c_sell[1:])
    bounds = np.append(group_starts(sk), n)  # level k holds sorted positions bounds[k:k+2]
    n_lev = bounds.shape[0] - 1

    # The books present, their sorted positions and levels.
    if book is None:
        bid = np.zeros(1, np.int64)
        pos_start, pos_end = np.zeros(1, np.int64), np.full(1, n)
    elif n_books <= n:
        edges = np.searchsorted(sk, np.arange(n_books + 1) * width)
        bid = np.flatnonzero(edges[1:] > edges[:-1])
        pos_start, pos_end = edges[bid], edges[bid + 1]
    else:
        bid = np.unique(sk[bounds[:-1]] // width)
        pos_start = np.searchsorted(sk, bid * width)
        pos_end = np.searchsorted(sk, (bid + 1) * width)
    lev_end = np.searchsorted(bounds, pos_end)  # one past each book's last level
    sb, se = 2 * np.searchsorted(bounds, pos_start), 2 * lev_end
    s0 = c_sell[pos_start]
    b1 = c_all[pos_end] - c_sell[pos_end]
    base = bid * width if book is not None else 0

    def tick(k):  # the tick of level k of each book (a level of the next book gives garbage)
        c = lkey[k] - base
        return ranks[np.clip(c, 0, width - 1)] if ranks is not None else shift[bid] + c

    # Per level: sells up to its end, buys before its start, and whether a gap follows it.
    at_sell = c_sell[bounds]
    at_buy = c_all[bounds] - at_sell
    lkey = sk[bounds[:-1]]
    gap_after = np.zeros(n_lev + 1, np.bool_)
    gap_after[:n_lev - 1] = np.diff(lkey if ranks is None else ranks[lkey % width]) > 1
    gap_after[lev_end - 1] = False  # nothing above a book's highest level

    def real_gap(j):  # j: one row of segment indices per book
        return gap_after[j >> 1] & (j & 1).astype(np.bool_)

    def sell_at(j):
        return at_sell[(j >> 1) + 1]

    def buy_below(j):
        return at_buy[(j >> 1) + real_gap(j)]

    ch = choose(sell_at, buy_below, sb, se, s0, b1)
    lo = tick(ch.first >> 1) + real_gap(ch.first)
    hi = np.where(real_gap(ch.last), tick(np.minimum((ch.last >> 1) + 1, n_lev - 1)) - 1,
                  tick(ch.last >> 1))
    ref = None if reference is None else reference[bid]
    price_b = pressure_rule(lo, hi, ch.diff_first, ch.diff_last, ref)
    if ranks is not None:
        pcol = np.searchsorted(ranks, price_b, side="right") - 1
    else:
        pcol = price_b - shift[bid]
    pos = np.searchsorted(sk, base + pcol, side="right") - 1  # last order priced <= clearing
    k = np.searchsorted(bounds, pos, side="right") - 1
    at_level = tick(k) == price_b
    jstar = 2 * k + ~at_level
    buy_long, sell_long, residual = settle(sell_at, buy_below, sb, se, s0, b1, ch, jstar)
    traded = ch.vmax > 0

    # Position ranges: the short side fills from (buys) or up to (sells) the clearing tick, the
    # long side fully beyond its marginal level and rationed inside it.
    lev_b, lev_s = ch.d_to >> 1, ch.s_from >> 1
    short_buy_from = np.where(at_level, bounds[k], bounds[k + 1])
    buy_from = np.where(traded, np.where(buy_long, bounds[lev_b + 1], short_buy_from), pos_end)
    sell_to = np.where(traded, np.where(sell_long, bounds[lev_s], bounds[k + 1]), pos_start)
    long = buy_long | sell_long
    if long.any():
        marg, marg_fill = _marginal_orders(ssell, bounds, np.where(buy_long, lev_b, lev_s)[long],
                                           sell_long[long], residual[long], rationing, sq)
    full = np.where(ssell, _range_mask(n, pos_start, sell_to), _range_mask(n, buy_from, pos_end))
    fill_sorted = np.multiply(sq, full, out=sq)
    if long.any():
        fill_sorted[marg] = marg_fill
    filled = np.empty(n, np.int64)
    filled[perm] = fill_sorted

    out_price = np.full(n_books, -1, np.int64)
    out_volume = np.zeros(n_books, np.int64)
    out_price[bid] = np.where(traded, price_b, -1)
    out_volume[bid] = np.where(traded, ch.vmax, 0)
    return out_price, out_volume, filled

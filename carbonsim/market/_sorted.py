"""Call auctions by sorting: for tick ranges too wide for a dense grid, memory O(orders).

Orders are sorted stably by (book, price, buy-after-sell), so each distinct price (a *level*)
holds its sells, then its buys, each oldest first. With cumulative sums over the sorted orders,
every candidate tick is a *boundary* between two sorted positions: level k's tick sits between
its sells and its buys, and the ticks strictly between levels k and k + 1 (a *gap*, when not
empty) after level k's last order. These boundaries are the segments of ``_segments``.
"""

from __future__ import annotations

import numpy as np

from ._checks import INT64_MAX
from ._clearing import group_starts, pressure_rule, ration, stable_argsort
from ._segments import choose, settle

__all__ = ["clear_sorted", "ragged_arange"]


def ragged_arange(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ranges [start[i], stop[i]) and the offset where each range begins."""
    length = stop - start
    offsets = np.concatenate(([0], np.cumsum(length)[:-1])).astype(np.intp)
    total = int(length.sum())
    idx = np.arange(total) - np.repeat(offsets - start, length)
    return idx, offsets


def _range_mask(n: int, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Boolean mask of length n, True on the ranges [start, stop), ordered and disjoint."""
    bounds = np.empty(2 * start.shape[0] + 2, np.int64)
    bounds[0], bounds[-1] = 0, n
    bounds[1:-1:2], bounds[2:-1:2] = start, stop
    inside = np.zeros(bounds.shape[0] - 1, np.bool_)
    inside[1::2] = True
    return np.repeat(inside, np.diff(bounds))


def clear_sorted(sell: np.ndarray, qty: np.ndarray, price: np.ndarray,
                 book: np.ndarray | None, n_books: int, col: np.ndarray, width: int,
                 shift: np.ndarray, reference: np.ndarray | None, rationing: str):
    """Clear every book by sorting; returns (price, volume, filled), prices in ticks.

    ``col`` is price − shift[book] (int64) and ``width`` exceeds every ``col``; when
    2 × n_books × width does not fit in int64, prices are replaced by their ranks first.
    All quantities must sum below 2**61.
    """
    n = qty.shape[0]
    ranks = None
    if 2 * n_books * width - 1 > INT64_MAX:
        ranks, col = np.unique(price, return_inverse=True)
        width = ranks.shape[0]
    key = col if book is None else book * width + col
    np.left_shift(key, 1, out=key)
    key += ~sell
    if book is not None and not np.any(book[1:] < book[:-1]):
        perm = np.argsort(key, kind="stable")  # timsort: runs of whole books merge cheaply
    else:
        perm = stable_argsort(key, 2 * n_books * width - 1)
    sk, sq = key[perm], qty[perm]
    sbuy = (sk & 1).astype(np.bool_)
    # Cumulative sums with a leading zero: index i is the boundary before sorted position i.
    c_all = np.zeros(n + 1, np.int64)
    np.cumsum(sq, out=c_all[1:])
    c_sell = np.zeros(n + 1, np.int64)
    np.cumsum(np.where(sbuy, 0, sq), out=c_sell[1:])
    n_sell = np.zeros(n + 1, np.int64)
    np.cumsum(~sbuy, out=n_sell[1:])

    lkey_pos = sk >> 1
    lstart = group_starts(lkey_pos)
    n_lev = lstart.shape[0]
    lend = np.append(lstart[1:], n)
    lkey = lkey_pos[lstart]
    lbook = np.zeros(n_lev, np.int64) if book is None else lkey // width
    lcol = lkey if book is None else lkey - lbook * width
    ltick = ranks[lcol] if ranks is not None else shift[lbook] + lcol

    # Segments: every level (its boundary splits its sells from its buys) and every non-empty
    # gap inside a book (after the level's last order). seg[j] = 2 × level + is-gap.
    valid = np.ones(2 * n_lev, np.bool_)
    valid[1:-1:2] = (np.diff(ltick) > 1) & (lbook[1:] == lbook[:-1])
    valid[-1] = False
    seg = np.flatnonzero(valid)
    boundary = np.empty(2 * n_lev, np.int64)
    boundary[0::2] = lstart + (n_sell[lend] - n_sell[lstart])
    boundary[1::2] = lend
    seg_x = boundary[seg]
    sg = c_sell[seg_x]
    bg = c_all[seg_x] - sg

    lb_start = group_starts(lbook)
    lb_end = np.append(lb_start[1:], n_lev)
    bid = lbook[lb_start]
    sb = np.searchsorted(seg, 2 * lb_start)
    se = np.searchsorted(seg, 2 * lb_end)
    pos_start = lstart[lb_start]
    pos_end = lend[lb_end - 1]
    s0 = c_sell[pos_start]
    b1 = c_all[pos_end] - c_sell[pos_end]

    ch = choose(sg, bg, sb, se, s0, b1)
    lev_f, gap_f = seg[ch.first] >> 1, seg[ch.first] & 1
    lev_l, gap_l = seg[ch.last] >> 1, seg[ch.last] & 1
    lo = ltick[lev_f] + gap_f
    hi = np.where(gap_l, ltick[np.minimum(lev_l + 1, n_lev - 1)] - 1, ltick[lev_l])
    ref = None if reference is None else reference[bid]
    price_b = pressure_rule(lo, hi, ch.diff_first, ch.diff_last, ref)
    if ranks is not None:
        pcol = np.searchsorted(ranks, price_b, side="right") - 1
    else:
        pcol = price_b - shift[bid]
    k = np.searchsorted(lkey, pcol if book is None else bid * width + pcol, side="right") - 1
    jstar = np.searchsorted(seg, 2 * k) + (ltick[k] != price_b)
    buy_long, sell_long, residual = settle(sg, bg, sb, se, s0, b1, ch, jstar)
    traded = ch.vmax > 0

    # Position ranges: the short side fills up to the clearing boundary, the long side fully
    # beyond its marginal level and rationed inside it.
    x_star = seg_x[jstar]
    lev_b, lev_s = seg[ch.d_to] >> 1, seg[ch.s_from] >> 1
    buy_from = np.where(traded, np.where(buy_long, lend[lev_b], x_star), pos_end)
    sell_to = np.where(traded, np.where(sell_long, lstart[lev_s], x_star), pos_start)
    long = buy_long | sell_long
    if long.any():
        m0 = np.where(buy_long, seg_x[ch.d_to], lstart[lev_s])[long]
        m1 = np.where(buy_long, lend[lev_b], seg_x[ch.s_from])[long]
        marg, starts_m = ragged_arange(m0, m1)
        marg_fill = ration(sq[marg], starts_m, residual[long], rationing)
    full = np.where(sbuy, _range_mask(n, buy_from, pos_end), _range_mask(n, pos_start, sell_to))
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

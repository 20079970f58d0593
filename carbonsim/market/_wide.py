"""Call auctions with quantities near the int64 limit: exact whatever the totals.

Used when all quantities together reach 2**61, where the global cumulative sums of the fast
paths could overflow. Orders are sorted by (book, price); each distinct price is a *level*.
D and S are constant between adjacent levels, so the candidate ticks of a book are its levels
and the gaps between them: segment 2k is level k, segment 2k + 1 the ticks strictly between
levels k and k + 1 (a placeholder when there are none). Sums run per book in wrapping uint64
arithmetic, exact because every book's total per side fits in int64 (checked before), and the
choice uses segmented reductions (``np.*.reduceat``) rather than global searches.
"""

from __future__ import annotations

import numpy as np

from ._checks import INT64_MAX
from ._clearing import book_price_key, group_starts, pressure_rule, ration, stable_argsort

__all__ = ["clear_wide"]

_U64 = np.uint64


def _within_book_cumsums(x: np.ndarray, bstart: np.ndarray, bcount: np.ndarray):
    """Inclusive and reverse-inclusive cumulative sums of x within each book (int64).

    Sums run in uint64 and may wrap across books; within a book they are exact whenever the
    book's total fits in int64 (checked before).
    """
    xu = x.view(_U64)
    c = np.cumsum(xu)
    base = c[bstart] - xu[bstart]
    end = c[bstart + bcount - 1]
    forward = (c - np.repeat(base, bcount)).view(np.int64)
    backward = (np.repeat(end, bcount) - c + xu).view(np.int64)
    return forward, backward


def select_segments(starts: np.ndarray, counts: np.ndarray, demand: np.ndarray,
                    supply: np.ndarray):
    """Per book: the largest volume and the range of segments that the tie rules keep.

    ``demand``/``supply`` (int64, t) per segment; a segment with demand −1 is a placeholder
    that is never chosen. Returns (vmax, first, last, diff_first, diff_last): ``first`` and
    ``last`` are the first and last segments that maximise volume and, among those, minimise
    |D − S| (they form one contiguous run, as D − S is non-increasing in price), and
    ``diff_*`` is D − S there. Books with vmax == 0 do not trade; their other values are moot.
    """
    volume = np.minimum(demand, supply)
    vmax = np.maximum.reduceat(volume, starts)
    diff = demand - supply
    imbalance = np.abs(diff)
    imbalance = np.where(volume == np.repeat(vmax, counts), imbalance, INT64_MAX)
    imin = np.minimum.reduceat(imbalance, starts)
    kept = np.flatnonzero(imbalance == np.repeat(imin, counts))
    first = kept[np.searchsorted(kept, starts)]
    last = kept[np.searchsorted(kept, starts + counts) - 1]
    return vmax, first, last, diff[first], diff[last]


def clear_wide(sell: np.ndarray, qty: np.ndarray, price: np.ndarray,
                 book: np.ndarray | None, n_books: int, col: np.ndarray, width: int,
                 shift: np.ndarray, reference: np.ndarray | None, rationing: str):
    """Clear every book exactly by sorting; returns (price, volume, filled), prices in ticks.

    ``col`` is price − shift[book] (int64) and ``width`` exceeds every ``col``. When
    n_books × width does not fit in int64, prices are replaced by their ranks first.
    """
    n = qty.shape[0]
    key, ranks, width = book_price_key(price, col, book, n_books, width)
    perm = stable_argsort(key, n_books * width - 1)
    sk, sq, ss = key[perm], qty[perm], sell[perm]

    lstart = group_starts(sk)
    n_lev = lstart.shape[0]
    lcount = np.diff(np.append(lstart, n))
    lkey = sk[lstart]
    lbook = np.zeros(n_lev, np.int64) if book is None else lkey // width
    lcol = lkey - lbook * width
    ltick = ranks[lcol] if ranks is not None else shift[lbook] + lcol
    buy_q = np.where(ss, 0, sq)
    lbuy = np.add.reduceat(buy_q, lstart)
    lsell = np.add.reduceat(sq, lstart) - lbuy

    bstart = group_starts(lbook)
    bcount = np.diff(np.append(bstart, n_lev))
    bid = lbook[bstart]
    supply, _ = _within_book_cumsums(lsell, bstart, bcount)
    _, demand = _within_book_cumsums(lbuy, bstart, bcount)

    seg_d = np.empty(2 * n_lev, np.int64)
    seg_s = np.empty(2 * n_lev, np.int64)
    seg_d[0::2] = demand
    seg_s[0::2] = supply
    seg_s[1::2] = supply
    seg_d[1:-1:2] = np.where(np.diff(ltick) > 1, demand[1:], -1)
    seg_d[2 * (bstart + bcount - 1) + 1] = -1  # no gap after a book's highest level
    vmax, first, last, d_first, d_last = select_segments(2 * bstart, 2 * bcount, seg_d, seg_s)
    lo = ltick[first // 2] + (first & 1)
    hi = np.where(last & 1, ltick[np.minimum(last // 2 + 1, n_lev - 1)] - 1, ltick[last // 2])
    ref = None if reference is None else reference[bid]
    price_b = pressure_rule(lo, hi, d_first, d_last, ref)
    traded = vmax > 0

    # The level at or just below the clearing tick, found in the sorted level keys.
    if ranks is not None:
        pcol = np.searchsorted(ranks, price_b, side="right") - 1
    else:
        pcol = price_b - shift[bid]
    k = np.searchsorted(lkey, pcol if book is None else bid * width + pcol, side="right") - 1
    at = ltick[k] == price_b
    d_star = np.where(at, demand[k], demand[np.minimum(k + 1, n_lev - 1)])
    s_star = supply[k]
    buy_long = traded & (d_star > s_star)
    sell_long = traded & (s_star > d_star)
    bend = bstart + bcount

    buy_from = np.where(traded, k + ~at, n_lev)
    buy_marg = np.full(bid.shape[0], -1)
    sell_to = np.where(traded, k, -1)
    sell_marg = np.full(bid.shape[0], -1)
    residual = np.zeros(bid.shape[0], np.int64)
    vrep = np.repeat(vmax, bcount)
    if buy_long.any():
        mb = bstart + np.add.reduceat(demand >= vrep, bstart, dtype=np.intp) - 1
        above = np.where(mb + 1 < bend, demand[np.minimum(mb + 1, n_lev - 1)], 0)
        buy_from = np.where(buy_long, mb + 1, buy_from)
        buy_marg = np.where(buy_long, mb, -1)
        residual = np.where(buy_long, vmax - above, residual)
    if sell_long.any():
        ms = bstart + np.add.reduceat(supply < vrep, bstart, dtype=np.intp)
        below = np.where(ms > bstart, supply[np.maximum(ms - 1, 0)], 0)
        sell_to = np.where(sell_long, ms - 1, sell_to)
        sell_marg = np.where(sell_long, ms, -1)
        residual = np.where(sell_long, vmax - below, residual)

    lev = np.arange(n_lev)
    code = np.empty((n_lev, 2), np.uint8)  # 0 nothing, 1 full fill, 2 rationed
    code[:, 0] = np.where(lev == np.repeat(buy_marg, bcount), 2,
                          lev >= np.repeat(buy_from, bcount))
    code[:, 1] = np.where(lev == np.repeat(sell_marg, bcount), 2,
                          lev <= np.repeat(sell_to, bcount))
    lev_of_pos = np.repeat(lev, lcount)
    pos_code = code.ravel()[2 * lev_of_pos + ss]
    fill_sorted = sq * (pos_code == 1)
    marg = np.flatnonzero(pos_code == 2)  # grouped by level, oldest first (stable sort)
    if marg.size:
        mlev = lev_of_pos[marg]
        starts_m = group_starts(mlev)
        book_of_lev = np.repeat(np.arange(bid.shape[0]), bcount)
        fill_sorted[marg] = ration(sq[marg], starts_m, residual[book_of_lev[mlev[starts_m]]],
                                   rationing)
    filled = np.empty(n, np.int64)
    filled[perm] = fill_sorted

    out_price = np.full(n_books, -1, np.int64)
    out_volume = np.zeros(n_books, np.int64)
    out_price[bid] = np.where(traded, price_b, -1)
    out_volume[bid] = np.where(traded, vmax, 0)
    return out_price, out_volume, filled

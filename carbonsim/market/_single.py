"""One call auction on its own: level sums, every candidate tick at once, and a price window.

The multi-book kernels search each book with rounds of probes; one book needs none of that. The
quantity bid and offered at each price (a *level*) comes from a histogram over the tick range
when that range is small next to the number of orders, else from one sort of packed keys
(price, side and index in one int64: numpy's fast sort, stable here because the index is in
the key). D and S of every level, and of the gap of ticks between two levels, are then compared
at once: a fixed, small number of array operations whatever the book. Fills need no
permutation: the orders that fill are selected by price thresholds, in input (time) order.

Large books first try a *window*: a sample of the orders estimates where D and S cross, and
only the orders priced in [a, b] around it are sorted; the others enter as two totals, the sells
priced below a (s0) and the buys priced above b (d1). Outside the window the volume is at most
s0 (below a) or d1 (above b), so if the window's largest volume exceeds both, every tick of
largest volume, hence every tie rule, lies inside it and the window's result is the book's.
Otherwise the whole book is cleared. Either way the result is exact; the sample only decides
the speed. Exact for any quantities whose total per side fits in int64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._checks import INT64_MAX
from ._clearing import group_starts, ration

__all__ = ["WINDOW_MIN", "clear_one"]

#: Books (and windows) with at least this many orders try a window first.
WINDOW_MIN = 1 << 15
#: Orders sampled to place the window, in blocks of BLOCK consecutive orders. The window
#: reaches 3·√(sample) + 32 sampled orders either side of the sampled crossing, about four
#: standard deviations of where the book's crossing falls among them.
SAMPLE, BLOCK = 1 << 14, 1 << 7
#: The window's pass over the book runs in chunks this long, so its temporaries stay in cache.
CHUNK = 1 << 15
#: A histogram over the tick range is used while the range is at most this × orders (+ 64).
DENSE_RATIO = 2

_U64 = np.uint64
_ONE_GROUP = np.zeros(1, np.intp)


@dataclass(frozen=True)
class Levels:
    """Candidate ticks in ascending order with the quantity bid and offered at each (int64);
    ``dense`` when they are every tick of the range (no gaps between them)."""

    ticks: np.ndarray
    buy_t: np.ndarray
    sell_t: np.ndarray
    dense: bool


def levels(price: np.ndarray, sell: np.ndarray, qty: np.ndarray) -> Levels:
    """The levels of a non-empty book (``sell`` a bool per order). Sums are exact."""
    n = price.shape[0]
    pmin = int(price.min())
    span = int(price.max()) - pmin
    if span < DENSE_RATIO * n + 64:  # histogram: cell 2 × tick + side
        key = price - pmin
        key <<= 1
        key |= sell
        hist = np.zeros(2 * span + 2, np.int64)
        np.add.at(hist, key, qty)
        ticks = np.arange(pmin, pmin + span + 1, dtype=np.int64)
        return Levels(ticks, hist[0::2], hist[1::2], True)
    ib = max(n - 1, 1).bit_length()
    if span.bit_length() + 1 + ib <= 63:
        # Price, side and index packed in one key: once sorted, the index finds the quantity.
        key = price - pmin
        key <<= 1
        key |= sell
        key <<= ib
        key |= np.arange(n)
        key.sort()
        level = key >> (ib + 1)
        sq = qty[key & ((1 << ib) - 1)]
        is_sell = (key >> ib) & 1
    else:  # ranges near 2**63: an argsort (the order within a level does not matter)
        perm = price.argsort()
        level = price[perm]
        sq = qty[perm]
        is_sell = sell[perm]
        pmin = 0
    starts = group_starts(level)
    sell_t = np.add.reduceat(np.multiply(sq, is_sell, dtype=np.int64), starts)
    both = np.add.reduceat(sq.view(_U64), starts)  # may wrap; the difference is exact
    return Levels(level[starts] + pmin, (both - sell_t.view(_U64)).view(np.int64), sell_t,
                  False)


@dataclass(frozen=True)
class Clearing:
    """The outcome of one book: ``price`` (ticks, −1 if no trade) and ``volume`` (t).

    Buys priced at or above ``buy_from`` fill in full, and sells at or below ``sell_to``; the
    long side's orders priced ``marginal`` (None if neither side is long) share ``residual`` t,
    ``marginal_sell`` saying which side that is.
    """

    price: int
    volume: int
    buy_from: int = 0
    sell_to: int = -1
    marginal: int | None = None
    marginal_sell: bool = False
    residual: int = 0


NO_TRADE = Clearing(-1, 0, INT64_MAX, -1)


def choose(lv: Levels, reference: int | None, s0: int = 0, d1: int = 0) -> Clearing | None:
    """The clearing of levels ``lv`` with ``s0`` t more offered below them and ``d1`` t more
    bid above them; None if the largest volume could as well be reached outside them."""
    ticks = lv.ticks
    n_lev = ticks.shape[0]
    supply = lv.sell_t.cumsum()
    demand = lv.buy_t[::-1].cumsum()[::-1]
    if s0 or d1:
        supply += s0
        demand += d1
    # A gap (the ticks strictly between two levels) never has more volume than the level
    # below it, so the largest volume is a level's.
    volume = np.minimum(demand, supply)
    vmax = int(volume.max())
    if vmax <= max(s0, d1) and (s0 or d1):
        return None
    if vmax <= 0:
        return NO_TRADE
    if lv.dense:  # every tick a level
        diff = demand - supply
    else:  # segment 2k is level k, 2k + 1 the gap above it (one tick range, maybe empty)
        d_seg = demand.repeat(2)[1:]
        s_seg = supply.repeat(2)[:-1]
        volume = np.minimum(d_seg, s_seg)
        volume[1::2][ticks[1:] - ticks[:-1] == 1] = -1  # no ticks in between
        diff = d_seg - s_seg
    # The segments of largest volume are contiguous (volume rises, then falls), and so are
    # those of them with the smallest |D − S| (D − S falls)
    # (an empty gap among them has volume -1 and is skipped).
    top = np.flatnonzero(volume == vmax)
    i0, i1 = int(top[0]), int(top[-1]) + 1
    imbalance = np.abs(diff[i0:i1])
    if i1 - i0 > top.shape[0]:
        imbalance[volume[i0:i1] != vmax] = INT64_MAX
    kept = np.flatnonzero(imbalance == imbalance.min())
    first, last = i0 + int(kept[0]), i0 + int(kept[-1])
    if lv.dense:
        lo, hi = int(ticks[first]), int(ticks[last])
    else:
        lo = int(ticks[first >> 1]) + (first & 1)
        hi = int(ticks[(last >> 1) + 1]) - 1 if last & 1 else int(ticks[last >> 1])
    if diff[last] > 0:  # excess demand at every kept tick
        price = hi
    elif diff[first] < 0:  # excess supply
        price = lo
    elif reference is None:
        price = lo + (hi - lo) // 2
    else:
        price = min(max(reference, lo), hi)

    k = int(ticks.searchsorted(price, side="right")) - 1  # the level at or below
    s_star = int(supply[k])
    d_star = int(demand[k] if ticks[k] == price else demand[k + 1])
    if d_star > s_star:  # buys long: best prices first, the marginal level rationed
        m = int(np.count_nonzero(demand >= vmax)) - 1
        above = int(demand[m + 1]) if m + 1 < n_lev else d1
        tick = int(ticks[m])
        return Clearing(price, vmax, tick + 1, price, tick, False, vmax - above)
    if s_star > d_star:
        m = int(np.count_nonzero(supply < vmax))
        below = int(supply[m - 1]) if m > 0 else s0
        tick = int(ticks[m])
        return Clearing(price, vmax, price, tick - 1, tick, True, vmax - below)
    return Clearing(price, vmax, price, price)


def _ration_one(qty: np.ndarray, residual: int, rule: str) -> np.ndarray:
    """Share ``residual`` t among one level's orders (oldest first), as ``ration`` does."""
    if rule == "time":
        before = qty.cumsum()
        before -= qty
        return np.minimum(np.maximum(residual - before, 0), qty)
    return ration(qty, _ONE_GROUP, np.array([residual]), rule)


def fill(c: Clearing, sell: np.ndarray, price: np.ndarray, qty: np.ndarray,
         rationing: str) -> np.ndarray:
    """The fills (int64 t, input order) of the orders under ``c``."""
    if c.volume == 0:
        return np.zeros(qty.shape[0], np.int64)
    full = price <= c.sell_to
    full &= sell
    if c.buy_from <= INT64_MAX:  # else (2**63) no buy fills in full
        buys = price >= c.buy_from
        buys &= ~sell
        full |= buys
    out = np.multiply(qty, full, dtype=np.int64)
    if c.marginal is not None:
        at = price == c.marginal
        at &= sell if c.marginal_sell else ~sell
        marg = np.flatnonzero(at)
        out[marg] = _ration_one(qty[marg], c.residual, rationing)
    return out


def _sorted_sample(sell, price, qty):
    """A sample of the orders sorted by price: (price, sell, qty) arrays."""
    n = price.shape[0]
    blocks = min(SAMPLE // BLOCK, n // BLOCK)
    if blocks < 2 or blocks * BLOCK * 2 >= n:
        sp, ss, sq = price, sell, qty
    else:  # blocks of consecutive orders spread evenly: cheap to read
        start = (np.arange(blocks) * ((n - BLOCK) // (blocks - 1)))[:, None]
        pick = (start + np.arange(BLOCK)).ravel()
        sp, ss, sq = price[pick], sell[pick], qty[pick]
    m = sp.shape[0]
    low = int(sp.min())
    ib = max(m - 1, 1).bit_length()
    if (int(sp.max()) - low).bit_length() + ib <= 63:
        key = sp - low
        key <<= ib
        key |= np.arange(m)
        key.sort()
        order = key & ((1 << ib) - 1)
        key >>= ib
        key += low
        return key, ss[order], sq[order]
    order = sp.argsort()
    return sp[order], ss[order], sq[order]


def _window(sell, price, qty, half: int | None, s0: int, d1: int):
    """(a, b): a price range around where D and S of a sample cross (with ``s0`` t offered
    below the orders and ``d1`` t bid above them), or None if it would hold every order."""
    sp, ss, sq = _sorted_sample(sell, price, qty)
    m = sp.shape[0]
    offered = np.multiply(sq, ss, dtype=np.int64)
    excess = sq - offered
    excess = excess[::-1].cumsum()[::-1]
    excess -= offered.cumsum()  # the sample's D − S at each sampled price
    # The first sampled price where D <= S, the totals outside scaled to the sample.
    cross = int((excess <= (s0 - d1) * m / price.shape[0]).searchsorted(True))
    if half is None:
        half = 3 * math.isqrt(m) + 32
    lo, hi = min(max(cross - half, 0), m - 1), min(cross + half, m - 1)
    if lo == 0 and hi == m - 1:
        return None
    return int(sp[lo]), int(sp[hi])


def _split(sell, price, qty, a: int, b: int, fills: bool):
    """One pass in chunks: (s0, d1, inside, filled): the quantity offered below ``a`` and bid
    above ``b``, the indices of the orders priced in [a, b] and, if ``fills``, each order's
    quantity if it is one of those sells or buys (0 otherwise), else None."""
    n = price.shape[0]
    filled = np.empty(n, np.int64) if fills else None
    s0 = both = 0
    inside = []
    for lo in range(0, n, CHUNK):
        hi = min(lo + CHUNK, n)
        p, s, q = price[lo:hi], sell[lo:hi], qty[lo:hi]
        f = filled[lo:hi] if fills else np.empty(hi - lo, np.int64)
        ge_a, le_b = p >= a, p <= b
        out = s & ~ge_a  # sells below a
        np.multiply(q, out, out=f)
        s0 += int(f.sum())
        out |= ~(s | le_b)  # and buys above b
        np.multiply(q, out, out=f)
        both += int(f.sum(dtype=_U64))  # each side's total fits in int64, both in uint64
        idx = np.flatnonzero(ge_a & le_b)
        idx += lo
        inside.append(idx)
    return s0, both - s0, np.concatenate(inside), filled


def _clearing(sell, price, qty, reference, s0, d1, window_min, half) -> Clearing | None:
    """The clearing of these orders with ``s0``/``d1`` t outside them (None as ``choose``);
    from ``window_min`` orders, a window of them first."""
    if price.shape[0] >= window_min:
        ab = _window(sell, price, qty, half, s0, d1)
        if ab is not None:
            s0w, d1w, inside, _ = _split(sell, price, qty, *ab, fills=False)
            if inside.shape[0] < price.shape[0]:
                c = _clearing(sell[inside], price[inside], qty[inside], reference, s0 + s0w,
                              d1 + d1w, window_min, half)
                if c is not None:
                    return c
    return choose(levels(price, sell, qty), reference, s0, d1)


def clear_one(side: np.ndarray, price: np.ndarray, qty: np.ndarray, reference: int | None,
              rationing: str, window_min: int = WINDOW_MIN, half: int | None = None):
    """Clear one non-empty book: (price, volume, filled), prices in ticks, quantities in t.

    Books (and windows) of at least ``window_min`` orders try a window; ``half`` is its
    half-width in sampled orders (None: from the sample's size). The result does not depend
    on them.
    """
    sell = side < 0
    n = price.shape[0]
    if n >= window_min:
        ab = _window(sell, price, qty, half, 0, 0)
        if ab is not None:
            s0, d1, inside, filled = _split(sell, price, qty, *ab, fills=True)
            if inside.shape[0] < n:
                wsell, wprice, wqty = sell[inside], price[inside], qty[inside]
                c = _clearing(wsell, wprice, wqty, reference, s0, d1, window_min, half)
                if c is not None:
                    if c.volume == 0:
                        filled[:] = 0
                    else:
                        filled[inside] = fill(c, wsell, wprice, wqty, rationing)
                    return c.price, c.volume, filled
    c = choose(levels(price, sell, qty), reference)
    return c.price, c.volume, fill(c, sell, price, qty, rationing)

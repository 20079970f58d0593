"""Per-book price choice by binary search over cumulative sums.

Every candidate tick of a book lies in a *segment* (a run of ticks with the same demand and
supply); segments are numbered book after book, in ascending price, book b owning [sb, se).
Two functions of segment indices (arrays with one row per book) describe them: ``sell_at(j)``,
the sell quantity of all earlier books plus this book's sells at or below segment j, and
``buy_below(j)``, the buy quantity of all earlier books plus this book's buys strictly below
segment j (both non-decreasing within a book). With ``s0`` the sells of earlier books and
``b1`` the buys of books up to this one, S = sell_at − s0, D = b1 − buy_below and
D − S = (b1 + s0) − (sell_at + buy_below) are monotone, so every tie-rule boundary is one
search per book: O(books · log) work and no pass over the segments. Needs all quantities to sum
below 2**61 (``FAST_LIMIT``) so that no threshold overflows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FAST_LIMIT", "Choice", "choose", "settle"]

#: The per-book searches are exact while all quantities together stay below this.
FAST_LIMIT = 1 << 61


def _bisect(value, thr: np.ndarray, lo: np.ndarray, hi: np.ndarray, strict: bool):
    """Per book, the first j in [lo, hi) with value(j) >= thr (> thr if strict), else hi.

    ``value`` maps segment indices (an array of shape (books, k)) to a quantity non-decreasing
    on each book's [lo, hi). A k-ary search: each round probes k points per book; k is large
    when there are few books, so that rounds (and Python overhead) stay few, and 1 (binary
    search, the least work) from about a thousand books: O(books · log) work.
    """
    k = max(1, min(64, 1024 // max(lo.shape[0], 1)))
    steps = np.arange(1, k + 1)
    start = lo[:, None]  # a valid segment of each (non-empty) book, probed by settled searches
    lo, hi, thr = lo.copy(), hi.copy(), thr[:, None]
    while True:
        open_ = lo < hi
        if not open_.any():
            return lo
        probe = np.where(open_[:, None], lo[:, None] + ((hi - lo)[:, None] * steps) // (k + 1),
                         start)
        v = value(probe)
        first = k - np.count_nonzero((v > thr) if strict else (v >= thr), axis=1)
        if k == 1:
            at = before = probe[:, 0]
        else:
            at = np.take_along_axis(probe, np.minimum(first, k - 1)[:, None], 1)[:, 0]
            before = np.take_along_axis(probe, np.maximum(first - 1, 0)[:, None], 1)[:, 0]
        hi = np.where(open_ & (first < k), at, hi)
        lo = np.where(open_ & (first > 0), before + 1, lo)


@dataclass(frozen=True)
class Choice:
    """Per book: the largest volume and the segment range kept by the tie rules."""

    vmax: np.ndarray  # int64 t; 0 means no trade
    first: np.ndarray  # first kept segment
    last: np.ndarray  # last kept segment
    diff_first: np.ndarray  # D − S there
    diff_last: np.ndarray
    s_from: np.ndarray  # first segment with S >= vmax (the long sell side's marginal level)
    d_to: np.ndarray  # last segment with D >= vmax (the long buy side's marginal level)


def choose(sell_at, buy_below, sb, se, s0, b1) -> Choice:
    """Maximise volume, then minimise |D − S|, per book over segments [sb, se)."""
    def h(j):
        return sell_at(j) + buy_below(j)

    c = b1 + s0  # D − S = c − h
    last_seg = se - 1
    kstar = _bisect(h, c, sb, se, False)  # first segment with D <= S
    left = np.where(kstar > sb, sell_at(np.maximum(kstar - 1, sb)) - s0, 0)  # V = S before
    right = np.where(kstar < se, b1 - buy_below(np.minimum(kstar, last_seg)), 0)  # V = D from
    vmax = np.maximum(left, right)
    s_from = np.minimum(_bisect(sell_at, s0 + vmax, sb, se, False), last_seg)
    d_to = np.maximum(_bisect(buy_below, b1 - vmax, sb, se, True) - 1, sb)
    # On [s_from, d_to] volume is vmax; |D − S| is smallest next to where D − S turns <= 0.
    cc = np.clip(kstar, s_from, d_to + 1)
    big = np.iinfo(np.int64).max
    below = np.where(cc - 1 >= s_from, c - h(np.maximum(cc - 1, sb)), big)
    above = np.where(cc <= d_to, h(np.minimum(cc, last_seg)) - c, big)
    imin = np.minimum(below, above)
    imin = np.where(imin == big, 0, imin)  # only for books that do not trade
    first = np.clip(np.maximum(s_from, _bisect(h, c - imin, sb, se, False)), sb, last_seg)
    last = np.clip(np.minimum(d_to, _bisect(h, c + imin + 1, sb, se, False) - 1), sb, last_seg)
    return Choice(vmax, first, last, c - h(first), c - h(last), s_from, d_to)


def settle(sell_at, buy_below, sb, se, s0, b1, choice: Choice, jstar: np.ndarray):
    """Which side is long at the clearing segment ``jstar``, and the residual to ration.

    Returns (buy_long, sell_long, residual): the long buy side rations ``residual`` at segment
    ``choice.d_to``, the long sell side at ``choice.s_from``.
    """
    vmax = choice.vmax
    traded = vmax > 0
    d_star = b1 - buy_below(jstar)
    s_star = sell_at(jstar) - s0
    buy_long = traded & (d_star > s_star)
    sell_long = traded & (s_star > d_star)
    nxt = choice.d_to + 1
    d_above = np.where(nxt < se, b1 - buy_below(np.minimum(nxt, se - 1)), 0)
    prv = choice.s_from - 1
    s_below = np.where(prv >= sb, sell_at(np.maximum(prv, sb)) - s0, 0)
    residual = np.where(buy_long, vmax - d_above, np.where(sell_long, vmax - s_below, 0))
    return buy_long, sell_long, residual

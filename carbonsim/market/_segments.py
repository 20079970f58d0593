"""Per-book price choice by binary search over global cumulative sums.

Every candidate tick of a book lies in a *segment* (a run of ticks with the same demand and
supply); segments are numbered globally, book after book, in ascending price. Two global,
non-decreasing arrays describe them: ``sg[j]``, the sell quantity of all earlier books plus this
book's sells at or below segment j, and ``bg[j]``, the buy quantity of all earlier books plus
this book's buys strictly below segment j. With ``s0`` the sells of earlier books and ``b1`` the
buys of books up to this one, a book's S = sg − s0, D = b1 − bg and D − S = (b1 + s0) − (sg + bg)
are monotone, so every tie-rule boundary is one ``np.searchsorted`` per book: O(books · log)
work after the cumulative sums, whatever the number of segments. Needs all quantities to sum
to less than 2**61 (``FAST_LIMIT``) so that no threshold overflows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FAST_LIMIT", "Choice", "choose", "settle"]

#: The per-book searches are exact while all quantities together stay below this.
FAST_LIMIT = 1 << 61


def _first_at_least(arr: np.ndarray, thr: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """First j in [lo, hi) with arr[j] >= thr, else hi (``arr`` non-decreasing)."""
    return np.clip(np.searchsorted(arr, thr, side="left"), lo, hi)


def _first_above(arr: np.ndarray, thr: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """First j in [lo, hi) with arr[j] > thr, else hi (``arr`` non-decreasing)."""
    return np.clip(np.searchsorted(arr, thr, side="right"), lo, hi)


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


def choose(sg, bg, sb, se, s0, b1) -> Choice:
    """Maximise volume, then minimise |D − S|, per book over segments [sb, se)."""
    h = sg + bg
    c = b1 + s0  # D − S = c − h
    last_seg = se - 1
    kstar = _first_at_least(h, c, sb, se)  # first segment with D <= S
    left = np.where(kstar > sb, sg[np.maximum(kstar - 1, sb)] - s0, 0)  # V = S before it
    right = np.where(kstar < se, b1 - bg[np.minimum(kstar, last_seg)], 0)  # V = D from it
    vmax = np.maximum(left, right)
    s_from = np.minimum(_first_at_least(sg, s0 + vmax, sb, se), last_seg)
    d_to = np.maximum(_first_above(bg, b1 - vmax, sb, se) - 1, sb)
    # On [s_from, d_to] volume is vmax; |D − S| is smallest next to where D − S turns <= 0.
    cc = np.clip(kstar, s_from, d_to + 1)
    big = np.iinfo(np.int64).max
    below = np.where(cc - 1 >= s_from, c - h[np.maximum(cc - 1, sb)], big)
    above = np.where(cc <= d_to, h[np.minimum(cc, last_seg)] - c, big)
    imin = np.minimum(below, above)
    imin = np.where(imin == big, 0, imin)  # only for books that do not trade
    first = np.clip(np.maximum(s_from, _first_at_least(h, c - imin, sb, se)), sb, last_seg)
    last = np.clip(np.minimum(d_to, _first_at_least(h, c + imin + 1, sb, se) - 1), sb, last_seg)
    return Choice(vmax, first, last, c - h[first], c - h[last], s_from, d_to)


def settle(sg, bg, sb, se, s0, b1, choice: Choice, jstar: np.ndarray):
    """Which side is long at the clearing segment ``jstar``, and the residual to ration.

    Returns (buy_long, sell_long, residual): the long buy side rations ``residual`` at segment
    ``choice.d_to``, the long sell side at ``choice.s_from``.
    """
    vmax = choice.vmax
    traded = vmax > 0
    d_star = b1 - bg[jstar]
    s_star = sg[jstar] - s0
    buy_long = traded & (d_star > s_star)
    sell_long = traded & (s_star > d_star)
    nxt = choice.d_to + 1
    d_above = np.where(nxt < se, b1 - bg[np.minimum(nxt, se - 1)], 0)
    prv = choice.s_from - 1
    s_below = np.where(prv >= sb, sg[np.maximum(prv, sb)] - s0, 0)
    residual = np.where(buy_long, vmax - d_above, np.where(sell_long, vmax - s_below, 0))
    return buy_long, sell_long, residual

"""Array pieces shared by the auction kernels: the market-pressure rule, rationing, sorting."""

from __future__ import annotations

import numpy as np

from ._checks import INT64_MAX

__all__ = ["pressure_rule", "ration", "stable_argsort", "group_starts"]

_U64 = np.uint64


def book_price_key(price, col, book, n_books: int, width: int):
    """(sort key, price ranks or None, width): book × width + col, the key that orders orders
    by book then price; when that does not fit in int64, prices are replaced by their ranks."""
    ranks = None
    if n_books * width - 1 > INT64_MAX:
        ranks, col = np.unique(price, return_inverse=True)
        width = ranks.shape[0]
    return (col if book is None else book * width + col), ranks, width


def stable_argsort(key: np.ndarray, max_key: int) -> np.ndarray:
    """Stable argsort of non-negative int64 keys <= ``max_key``.

    Up to 48 bits, an LSD radix sort over 16-bit digits: numpy sorts uint16 (and uint8) keys
    stably by counting, several times faster than its comparison sort of int64 keys.
    """
    bits = int(max_key).bit_length()
    if bits > 48:
        return np.argsort(key, kind="stable")
    perm = None
    for shift in range(0, max(bits, 1), 16):
        digit = key >> shift if perm is None else key[perm] >> shift
        digit = digit.astype(np.uint8 if bits - shift <= 8 else np.uint16)  # keeps low bits
        order = np.argsort(digit, kind="stable")
        perm = order if perm is None else perm[order]
    return perm


def group_starts(sorted_ids: np.ndarray) -> np.ndarray:
    """Start offsets of the runs of equal values in a sorted (or grouped) id array."""
    if sorted_ids.shape[0] == 0:
        return np.zeros(0, np.intp)
    change = np.flatnonzero(sorted_ids[1:] != sorted_ids[:-1]) + 1
    return np.concatenate(([0], change))


def pressure_rule(lo: np.ndarray, hi: np.ndarray, diff_lo: np.ndarray, diff_hi: np.ndarray,
                  reference: np.ndarray | None) -> np.ndarray:
    """The clearing tick in [lo, hi] per book by market pressure, then reference or middle.

    Excess demand at every kept tick (D − S > 0 at the highest) gives ``hi``; excess supply at
    every kept tick (D − S < 0 at the lowest) gives ``lo``; otherwise the tick nearest to
    ``reference`` (int64 per book) or, without one, lo + (hi − lo) // 2.
    """
    if reference is None:
        middle = lo + (hi - lo) // 2
    else:
        middle = np.clip(reference, lo, hi)
    return np.where(diff_hi > 0, hi, np.where(diff_lo < 0, lo, middle))


def _repeat_groups(values: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    return np.repeat(values, np.diff(np.append(starts, n)))


def ration(qty: np.ndarray, starts: np.ndarray, residual: np.ndarray, rule: str) -> np.ndarray:
    """Share ``residual[g]`` tonnes among the orders of each group g, in time order.

    ``qty`` (int64 t) holds the orders of group g at ``starts[g]:starts[g+1]``, oldest first;
    0 <= residual[g] <= the group's total. "time": oldest first; "pro_rata": the floor of each
    order's proportional share, then the leftover tonnes one each to the oldest orders.
    Returns the fills (int64 t). Exact for any quantities whose group totals fit in int64.
    """
    n = qty.shape[0]
    if n == 0:
        return np.zeros(0, np.int64)
    res = _repeat_groups(residual, starts, n)
    if rule == "time":
        # Cumulative sums wrap in uint64; differences within a group are exact.
        cum = np.cumsum(qty.view(_U64))
        before = (cum - qty.view(_U64)) - _repeat_groups(cum[starts] - qty[starts].view(_U64),
                                                         starts, n)
        return np.clip(res - before.view(np.int64), 0, qty)
    total = np.add.reduceat(qty, starts)
    tot = _repeat_groups(total, starts, n)
    if np.all(qty <= INT64_MAX // np.maximum(res, 1)):
        share = qty * res // tot
    else:  # products beyond int64: exact Python integers for this (rare) level
        share = (qty.astype(object) * res.astype(object) // tot.astype(object)).astype(np.int64)
    leftover = residual - np.add.reduceat(share, starts)
    rank = np.arange(n) - _repeat_groups(starts, starts, n)
    return share + (rank < _repeat_groups(leftover, starts, n))

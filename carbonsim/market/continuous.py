"""Continuous double auction: price-time priority over a stream of limit orders and cancels.

Two backends give identical trades: a pure-Python one (a FIFO deque per price level, a heap of
the non-empty levels per side, cancelled orders dropped lazily when they reach the head of their
queue) and an optional numba one (``_continuous_numba``, the same algorithm on arrays), chosen
automatically when numba imports. ``BACKEND`` names the automatic choice.
"""

from __future__ import annotations

import importlib.util
from collections import deque
from heapq import heappop, heappush

import numpy as np

from ._levels import price_levels

from ._checks import (
    check_choice,
    check_nonnegative,
    check_positive,
    check_side,
    int_array,
    same_length,
)
from .results import Trades

__all__ = ["match_continuous", "BACKEND", "BACKENDS"]

BACKENDS = ("auto", "python", "numba")
#: The backend that ``backend="auto"`` uses: "numba" when numba is installed, else "python".
BACKEND = "numba" if importlib.util.find_spec("numba") is not None else "python"


def _validate(kind, side, price, qty, target):
    kind = int_array("kind", kind, dtype=np.int8)
    side = int_array("side", side, dtype=np.int8)
    price = int_array("price", price)
    qty = int_array("qty", qty)
    target = int_array("target", target)
    same_length(kind=kind, side=side, price=price, qty=qty, target=target)
    if kind.size and (kind.min() < 0 or kind.max() > 1):
        i = int(np.flatnonzero((kind != 0) & (kind != 1))[0])
        raise ValueError(f"kind must be 0 (limit order) or 1 (cancel); got {kind[i]} at index {i}")
    limit = kind == 0
    check_side("side", side, limit)
    check_nonnegative("price", price, limit)
    check_positive("qty", qty, limit)
    cancel = np.flatnonzero(~limit)
    t = target[cancel]
    bad = (t < 0) | (t > cancel)
    if bad.any():
        i = int(cancel[np.flatnonzero(bad)[0]])
        raise ValueError(f"target of the cancel at index {i} must be an earlier event in "
                         f"[0, {i}]; got {target[i]}")
    return kind, side, price, qty, target


def _match_python(kind, side, price, qty, target):
    """The pure-Python matching loop; returns (taker, maker, price, qty, remaining) arrays."""
    n = kind.shape[0]
    cancel = kind != 0
    lvl, n_lev = price_levels(price, ~cancel)
    # One signed quantity per event (+buy, −sell, 0 cancel) and its level, or a cancel's target.
    signed = np.where(cancel, 0, qty * side)
    where = np.where(cancel, target, lvl)
    rem = np.where(cancel, 0, qty).tolist()  # what each order has left once it has arrived
    bids: list = [None] * n_lev  # level -> FIFO of order indices (cancelled ones linger)
    asks = [None] * n_lev
    bid_heap: list[int] = []  # non-empty levels, negated
    ask_heap: list[int] = []
    mk: list[int] = []  # makers, each taker's run of trades preceded by ~taker
    qs: list[int] = []
    put_m = mk.append
    put_q = qs.append
    inf = 1 << 63
    best_ask, best_bid = inf, -1
    for i, p, q in zip(range(n), where.tolist(), signed.tolist()):
        if q > 0:
            if best_ask <= p:
                put_m(~i)
                while True:
                    level = asks[best_ask]
                    while level:
                        m = level[0]
                        r = rem[m]
                        if r > q:
                            rem[m] = r - q
                            put_m(m)
                            put_q(q)
                            q = 0
                            break
                        level.popleft()
                        if r:
                            rem[m] = 0
                            put_m(m)
                            put_q(r)
                            q -= r
                            if not q:
                                break
                    if not level:
                        heappop(ask_heap)
                        best_ask = ask_heap[0] if ask_heap else inf
                    if not q or best_ask > p:
                        break
                if not q:
                    rem[i] = 0
                    continue
                rem[i] = q
            level = bids[p]
            if level:
                level.append(i)
            else:
                if level is None:
                    bids[p] = deque((i,))
                else:
                    level.append(i)
                heappush(bid_heap, -p)
                if p > best_bid:
                    best_bid = p
        elif q < 0:
            q = -q
            if best_bid >= p:
                put_m(~i)
                while True:
                    level = bids[best_bid]
                    while level:
                        m = level[0]
                        r = rem[m]
                        if r > q:
                            rem[m] = r - q
                            put_m(m)
                            put_q(q)
                            q = 0
                            break
                        level.popleft()
                        if r:
                            rem[m] = 0
                            put_m(m)
                            put_q(r)
                            q -= r
                            if not q:
                                break
                    if not level:
                        heappop(bid_heap)
                        best_bid = -bid_heap[0] if bid_heap else -1
                    if not q or best_bid < p:
                        break
                if not q:
                    rem[i] = 0
                    continue
                rem[i] = q
            level = asks[p]
            if level:
                level.append(i)
            else:
                if level is None:
                    asks[p] = deque((i,))
                else:
                    level.append(i)
                heappush(ask_heap, p)
                if p < best_ask:
                    best_ask = p
        else:
            rem[p] = 0  # a cancel: p is its target; the order is skipped when reached
    m = np.array(mk, dtype=np.int64)
    marker = m < 0
    last = np.maximum.accumulate(np.where(marker, np.arange(m.shape[0]), 0))
    trade = ~marker
    taker = ~m[last[trade]]
    maker = m[trade]
    return taker, maker, price[maker], np.array(qs, dtype=np.int64), np.array(rem, dtype=np.int64)


def _numba_kernel(required: bool):
    """The numba backend's entry point; None if numba does not import and it is optional."""
    try:
        from ._continuous_numba import match_arrays
    except ImportError:
        if required:
            raise
        return None
    return match_arrays


def match_continuous(kind, side, price, qty, target, *, backend="auto") -> Trades:
    """Run a continuous double auction over events in arrival order.

    Units: ``price`` in integer ticks, ``qty`` in integer tonnes, ``side`` +1 buy / −1 sell.
    ``kind`` 0 is a limit order, 1 a cancel of the earlier event ``target`` (its side, price
    and qty are ignored; cancelling an order with nothing left, or itself, does nothing);
    ``target`` is ignored for limit orders. Trades execute at the resting (maker) price, best
    price then oldest first. ``backend`` "python" or "numba" forces one ("auto": ``BACKEND``).
    Raises ValueError naming the argument for unequal lengths, non-integer dtypes, kind not 0/1,
    and, on limit orders, side not ±1, qty <= 0 or negative price; for a cancel whose target is
    out of range or later than the cancel; for an unknown backend; ImportError if "numba" is
    forced without numba installed.
    """
    check_choice("backend", backend, BACKENDS)
    kind, side, price, qty, target = _validate(kind, side, price, qty, target)
    run = _match_python
    if backend == "numba" or (backend == "auto" and BACKEND == "numba"):
        run = _numba_kernel(required=backend == "numba") or _match_python
    return Trades(*run(kind, side, price, qty, target))

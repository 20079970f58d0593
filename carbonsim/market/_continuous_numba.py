"""The numba backend of ``match_continuous``: the Python backend's algorithm on arrays.

Prices become level ids (offsets from the lowest price, or ranks for very wide ranges); each
level of each side is a FIFO linked through ``nxt``; non-empty levels sit in a binary heap (bids
keyed by −level); cancelled orders are skipped lazily at the head of their queue. Imported only
when the numba backend is used; compiled functions are cached on disk.
"""

from __future__ import annotations

import numba
import numpy as np

from ._levels import price_levels

__all__ = ["match_arrays"]


@numba.njit(cache=True, nogil=True)
def _push(heap, size, value):
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if heap[parent] <= value:
            break
        heap[i] = heap[parent]
        i = parent
    heap[i] = value
    return size + 1


@numba.njit(cache=True, nogil=True)
def _pop(heap, size):
    size -= 1
    value = heap[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap[child + 1] < heap[child]:
            child += 1
        if heap[child] >= value:
            break
        heap[i] = heap[child]
        i = child
    if size > 0:
        heap[i] = value
    return size


@numba.njit(cache=True, nogil=True)
def _match(kind, side, lvl, qty, target, n_levels, capacity):
    n = kind.shape[0]
    rem = np.zeros(n, np.int64)
    nxt = np.full(n, -1, np.int64)
    # Side s (0 bids, 1 asks) uses entries [s × n_levels, (s + 1) × n_levels).
    head = np.full(2 * n_levels, -1, np.int64)
    tail = np.full(2 * n_levels, -1, np.int64)
    heap_b = np.empty(n_levels, np.int64)  # bids keyed by −level (a min-heap)
    heap_a = np.empty(n_levels, np.int64)
    size_b = 0
    size_a = 0
    t_taker = np.empty(capacity, np.int64)
    t_maker = np.empty(capacity, np.int64)
    t_qty = np.empty(capacity, np.int64)
    nt = 0
    for i in range(n):
        if kind[i] != 0:
            rem[target[i]] = 0
            continue
        q = qty[i]
        lv = lvl[i]
        buy = side[i] > 0
        while q > 0:
            if buy:
                if size_a == 0 or heap_a[0] > lv:
                    break
                best = n_levels + heap_a[0]
            else:
                if size_b == 0 or -heap_b[0] < lv:
                    break
                best = -heap_b[0]
            o = head[best]
            while o != -1:
                r = rem[o]
                if r > 0:
                    x = r if r < q else q
                    t_taker[nt] = i
                    t_maker[nt] = o
                    t_qty[nt] = x
                    nt += 1
                    rem[o] = r - x
                    q -= x
                    if r > x:
                        break
                o = nxt[o]
                if q == 0:
                    break
            head[best] = o
            if o == -1:
                tail[best] = -1
                if buy:
                    size_a = _pop(heap_a, size_a)
                else:
                    size_b = _pop(heap_b, size_b)
        if q > 0:
            rem[i] = q
            slot = lv if buy else n_levels + lv
            if head[slot] == -1:
                head[slot] = i
                if buy:
                    size_b = _push(heap_b, size_b, -lv)
                else:
                    size_a = _push(heap_a, size_a, lv)
            else:
                nxt[tail[slot]] = i
            tail[slot] = i
    return t_taker[:nt], t_maker[:nt], t_qty[:nt], rem


def match_arrays(kind, side, price, qty, target):
    """Match validated event arrays; returns (taker, maker, price, qty, remaining), int64."""
    limit = kind == 0
    lvl, n_levels = price_levels(price, limit)
    # Each trade exhausts its taker or its maker: at most two trades per limit order. Pages of
    # the unused capacity are never touched (the results are views of these buffers).
    capacity = 2 * kind.shape[0] + 1
    taker, maker, q, rem = _match(kind, side, lvl, qty, target, n_levels, capacity)
    return taker, maker, price[maker], q, rem

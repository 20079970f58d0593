"""Compiled positions (numba): positions._position's elementwise arithmetic in one pass over the
emitters instead of some twenty array passes. Imported only when numba is installed (extra
``fast``); with every-event checks on (the test suite) each position is also computed by the
numpy code and must be identical.

Every operation is numpy's in the same order; minimum and maximum as numpy's (of two equal
numbers the second, so that signed zeros come out alike).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["position_kernel"]


@njit(cache=True, inline="always")
def _minimum(a, b):  # pragma: no cover - compiled
    return a if a < b else b


@njit(cache=True, inline="always")
def _maximum(a, b):  # pragma: no cover - compiled
    return a if a > b else b


@njit(cache=True)
def position_kernel(held_t, pending, offsets, holdings, last, prior, obligation, obligation_cap,
                    earmarked, prior_pending, borrow, interim, to_issue, current, owed_cap,
                    base):  # pragma: no cover - compiled
    """(short, current before the supply still to come (or −held), keep) of each emitter."""
    n = held_t.shape[0]
    short = np.zeros(n)
    keep = np.zeros(n, np.int64)
    out = np.empty(n)
    for i in range(n):
        held = np.float64(held_t[i]) + pending[i]
        off = np.float64(offsets[i])
        if prior:
            el = 0
            for v in range(last + 1):
                el += holdings[i, v]
            eligible = np.float64(el)
            used = _minimum(_minimum(off, np.float64(earmarked[i])), obligation_cap[i])
            gap = obligation[i] - eligible - used - prior_pending[i] - borrow[i]
            if interim:
                gap = gap - to_issue[i]
            s = gap if gap >= 0.5 else 0.0
            short[i] = s
            held = held - (obligation[i] - used) + s
            off = off - used
            keep[i] = np.int64(_minimum(_maximum(obligation[i] - used, 0.0), eligible))
        if current:
            out[i] = base[i] - held - _minimum(off, owed_cap[i])
        else:
            out[i] = -held
    return short, out, keep

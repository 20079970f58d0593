"""Compiled MAC curve evaluations (numba): the arithmetic of economy.mac's numpy functions in one
pass over each emitter's segments instead of a dozen array passes per segment column. Imported
only when numba is installed (extra ``fast``); tests check that both give identical floats.

Each kernel performs the numpy version's floating-point operations in the same order (segments
cheapest first; a sum over segments left to right from 0.0, as numpy sums fewer than eight
terms), so the results are equal to the last bit for finite inputs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["abatement_kernel", "cost_kernel", "marginal_kernel"]


@njit(cache=True)
def abatement_kernel(lo, hi, width, price):  # pragma: no cover - compiled
    """MAC⁻¹: tonnes a year abated at each of the (N, K) ``price``s, (N, K)."""
    n, s_count = lo.shape
    k = price.shape[1]
    out = np.empty((n, k))
    for i in range(n):
        for j in range(k):
            p = price[i, j]
            a = 0.0
            for s in range(s_count):
                w = width[i, s]
                if w > 0.0:
                    span = hi[i, s] - lo[i, s]
                    if span > 0.0:
                        a += w * min(max((p - lo[i, s]) / span, 0.0), 1.0)
                    elif p >= lo[i, s]:
                        a += w
            out[i, j] = a
    return out


@njit(cache=True)
def marginal_kernel(lo, hi, width, abatement):  # pragma: no cover - compiled
    """MAC at ``abatement`` (N,) t a year: 0 at or below 0, inf beyond the curve, (N,)."""
    n, s_count = lo.shape
    out = np.zeros(n)
    for i in range(n):
        left = abatement[i]
        if not left > 0.0:
            continue
        price = np.inf
        for s in range(s_count):
            w = width[i, s]
            if w > 0.0:
                if left <= w:
                    if hi[i, s] - lo[i, s] > 0.0:
                        price = lo[i, s] + (hi[i, s] - lo[i, s]) * min(max(left / w, 0.0), 1.0)
                    else:
                        price = lo[i, s]
                    break
                left = left - w
        out[i] = price
    return out


@njit(cache=True)
def cost_kernel(lo, hi, width, cum, abatement):  # pragma: no cover - compiled
    """Area under the MAC up to ``abatement`` (N,) t a year, cheapest segments first, (N,)."""
    n, s_count = lo.shape
    out = np.empty(n)
    for i in range(n):
        a = abatement[i]
        total = 0.0
        for s in range(s_count):
            w = width[i, s]
            x = min(max(a - (cum[i, s] - w), 0.0), w)
            ramp = (hi[i, s] - lo[i, s]) * x * x / (2.0 * w) if w > 0.0 else 0.0
            low = lo[i, s] if np.isfinite(lo[i, s]) else 0.0
            total += x * low + ramp
        out[i] = total
    return out

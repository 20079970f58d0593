"""Price levels of a continuous book, shared by the Python and the compiled matcher."""

from __future__ import annotations

import numpy as np

__all__ = ["price_levels"]


def price_levels(price: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, int]:
    """Level id of each limit order's price (any id elsewhere) and the number of levels.

    Offsets from the lowest price when the range is at most 4 × events (+65536), else ranks of
    the distinct prices, so level tables stay O(events).
    """
    n = price.shape[0]
    small = 4 * n + (1 << 16)
    if n == 0 or not limit.any():
        return np.zeros(n, np.int64), 1
    lo, hi = int(price.min()), int(price.max())  # cancels' prices may widen this harmlessly
    if hi - lo > small:
        lp = price[limit]
        lo, hi = int(lp.min()), int(lp.max())
        if hi - lo > small:
            ranks, inv = np.unique(np.where(limit, price, lo), return_inverse=True)
            return inv.astype(np.int64), ranks.shape[0]
        return np.where(limit, price - lo, 0), hi - lo + 1
    return price - lo, hi - lo + 1

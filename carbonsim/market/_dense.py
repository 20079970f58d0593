"""Call auctions on a dense tick grid: histograms and cumulative sums instead of sorting.

Used when each book's tick range is small next to the number of orders. Book b occupies row b
of a (books × width) grid whose column c is the tick ``shift[b] + c``; every column is one
segment (see ``_segments``). Columns past a book's highest order price have no demand, hence
no volume, and are never chosen.
"""

from __future__ import annotations

import numpy as np

from ._clearing import group_starts, pressure_rule, ration
from ._segments import choose, settle

__all__ = ["clear_dense"]


def clear_dense(sell: np.ndarray, qty: np.ndarray, col: np.ndarray, book: np.ndarray | None,
                n_books: int, width: int, shift: np.ndarray, reference: np.ndarray | None,
                rationing: str):
    """Clear every book on the grid; returns (price, volume, filled), prices in ticks.

    ``sell`` (bool), ``qty`` (int64 t) and ``col`` (int64 column) per order, ``book`` (int64,
    or None for a single book), ``shift`` (int64 tick of column 0 per book). ``col`` is used
    as scratch space and becomes ``filled``. All quantities must sum below 2**61.
    """
    nb, w = n_books, width
    cells = nb * w
    # Bins: [0, buys of every cell, 0, sells of every cell]; cell = row × width + column. The
    # leading zeros turn in-place cumulative sums into "below" and "up to" sums.
    key = col
    if book is not None:
        key += book * w
    key += 1
    key += sell * (cells + 1)
    hist = np.zeros(2 * cells + 2, np.int64)
    np.add.at(hist, key, qty)  # exact int64 sums, unlike a float-weighted bincount
    below = np.cumsum(hist[:cells + 1], out=hist[:cells + 1])  # buys in cells < j
    upto = np.cumsum(hist[cells + 1:], out=hist[cells + 1:])  # sells in cells < j, at j + 1
    sb = np.arange(nb) * w
    se = sb + w
    s0 = upto[sb]
    b1 = below[se]

    def sell_at(j):
        return upto[j + 1]

    ch = choose(sell_at, below.take, sb, se, s0, b1)
    price = pressure_rule(shift + (ch.first - sb), shift + (ch.last - sb), ch.diff_first,
                          ch.diff_last, reference)
    jstar = sb + (price - shift)
    buy_long, sell_long, residual = settle(sell_at, below.take, sb, se, s0, b1, ch, jstar)
    traded = ch.vmax > 0

    # Columns: short side fills at the clearing column or better; the long side fully beyond
    # its marginal column, rationed at it.
    j = jstar - sb
    mb, ms = ch.d_to - sb, ch.s_from - sb
    buy_from = np.where(traded, np.where(buy_long, mb + 1, j), w)
    sell_to = np.where(traded, np.where(sell_long, ms - 1, j), -1)
    cols = np.arange(w)
    code = np.zeros((2, cells + 1), np.uint8)  # 0 nothing, 1 full fill, 2 rationed
    buy_code = code[0, 1:].reshape(nb, w)
    sell_code = code[1, 1:].reshape(nb, w)
    buy_code[...] = cols >= buy_from[:, None]
    sell_code[...] = cols <= sell_to[:, None]
    if buy_long.any():
        buy_code[np.flatnonzero(buy_long), mb[buy_long]] = 2
    if sell_long.any():
        sell_code[np.flatnonzero(sell_long), ms[sell_long]] = 2
    order_code = code.ravel()[key]
    marg = np.flatnonzero(order_code == 2)
    filled = np.multiply(qty, order_code == 1, out=key)
    if marg.size:
        if book is None:
            starts_m = np.zeros(1, np.intp)
            res_m = residual
        else:
            mbook = book[marg]
            if np.any(mbook[1:] < mbook[:-1]):
                order = np.argsort(mbook, kind="stable")
                marg, mbook = marg[order], mbook[order]
            starts_m = group_starts(mbook)
            res_m = residual[mbook[starts_m]]
        filled[marg] = ration(qty[marg], starts_m, res_m, rationing)
    return np.where(traded, price, -1), np.where(traded, ch.vmax, 0), filled

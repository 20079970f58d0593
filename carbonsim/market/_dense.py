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
    # Bin of an order: 2 × (row × width + column) + is-sell; np.add.at stays exact in int64.
    key = col
    if book is not None:
        key += book * w
    np.left_shift(key, 1, out=key)
    key += sell
    hist = np.zeros(2 * nb * w, np.int64)
    np.add.at(hist, key, qty)
    buys, sells = hist[0::2], hist[1::2]
    sg = np.cumsum(sells)
    bg = np.cumsum(buys)
    bg -= buys
    sb = np.arange(nb) * w
    se = sb + w
    s0 = sg[sb] - sells[sb]
    b1 = bg[se - 1] + buys[se - 1]

    ch = choose(sg, bg, sb, se, s0, b1)
    price = pressure_rule(shift + (ch.first - sb), shift + (ch.last - sb), ch.diff_first,
                          ch.diff_last, reference)
    jstar = sb + (price - shift)
    buy_long, sell_long, residual = settle(sg, bg, sb, se, s0, b1, ch, jstar)
    traded = ch.vmax > 0

    # Columns: short side fills at the clearing column or better; the long side fully beyond
    # its marginal column, rationed at it.
    j = jstar - sb
    mb, ms = ch.d_to - sb, ch.s_from - sb
    buy_from = np.where(traded, np.where(buy_long, mb + 1, j), w)
    sell_to = np.where(traded, np.where(sell_long, ms - 1, j), -1)
    cols = np.arange(w)
    code = np.empty((nb, w, 2), np.uint8)  # 0 nothing, 1 full fill, 2 rationed
    code[:, :, 0] = cols >= buy_from[:, None]
    code[:, :, 1] = cols <= sell_to[:, None]
    if buy_long.any():
        code[np.flatnonzero(buy_long), mb[buy_long], 0] = 2
    if sell_long.any():
        code[np.flatnonzero(sell_long), ms[sell_long], 1] = 2
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

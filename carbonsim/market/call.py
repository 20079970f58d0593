"""Uniform-price call auctions (periodic batch auctions), one book or many at once.

D(p) is the quantity bid at p or above, S(p) the quantity offered at p or below; the clearing
tick maximises min(D, S) over every tick between the lowest and highest order price, then the
tie rules of MARKET.md apply (smallest |D − S|, market pressure, reference or middle). The short
side fills completely; the long side by price priority, the marginal level by time or pro rata.

Exact paths give identical results. For many books: "dense" (histograms and cumulative sums
over the tick range, used while the range is at most about four times the number of orders),
"sparse" (sorting by price, memory O(orders) for any range) and "wide" (sorting with per-book
sums that stay exact when all quantities together reach 2**61; chosen automatically then). One
book (``call_auction``) is cleared by "levels" (one sort, every level at once), from
WINDOW_MIN orders by "window" (only the orders priced near a sampled crossing sorted; see
``_single``); the multi-book paths stay available there by name.
"""

from __future__ import annotations

import numpy as np

from ._checks import (
    INT64_MAX,
    check_choice,
    check_group_totals,
    check_nonnegative,
    check_positive,
    check_side,
    exact_total,
    int_array,
    int_scalar,
    same_length,
)
from ._dense import clear_dense
from ._segments import FAST_LIMIT
from ._single import WINDOW_MIN, clear_one
from ._sorted import clear_sorted
from ._wide import clear_wide
from .results import AuctionResult, AuctionsResult

__all__ = ["call_auction", "call_auctions"]

RATIONING = ("time", "pro_rata")
METHODS = ("auto", "dense", "sparse", "wide")
ONE_BOOK_METHODS = METHODS + ("levels", "window")
#: The dense grid is used while it has at most 4 × orders + this many cells per side.
DENSE_SLACK = 1 << 16


def _orders(side, price, qty, **more):
    side = int_array("side", side, dtype=None)
    price = int_array("price", price)
    qty = int_array("qty", qty)
    arrays = {"side": side, "price": price, "qty": qty}
    arrays.update(more)
    same_length(**arrays)
    check_side("side", side)
    check_nonnegative("price", price)
    check_positive("qty", qty)
    return side, price, qty


def _fast(side, qty, book, n_books) -> bool:
    """Whether all quantities sum below FAST_LIMIT. Raises ValueError if a side's total
    (per book) exceeds int64."""
    n = qty.shape[0]
    if int(qty.max()) * n < FAST_LIMIT:  # the cheap sufficient test first
        return True
    sell = side < 0
    groups = sell.view(np.int8) if book is None else book * 2 + sell
    check_group_totals(qty, groups, 2 * n_books, lambda g: (
        f"total {'sell' if g % 2 else 'buy'} quantity"
        + ("" if book is None else f" of book {g // 2}")))
    return exact_total(qty) < FAST_LIMIT


def _clear(side, price, qty, book, n_books, reference, rationing, method):
    n = qty.shape[0]
    if n == 0:
        return np.full(n_books, -1, np.int64), np.zeros(n_books, np.int64), np.zeros(0, np.int64)
    fast = _fast(side, qty, book, n_books)
    if book is None and method in ("auto", "levels", "window"):
        window_min = {"auto": WINDOW_MIN, "levels": n + 1, "window": 1}[method]
        ref = None if reference is None else int(reference[0])
        p, v, filled = clear_one(side, price, qty, ref, rationing, window_min)
        return np.array([p], np.int64), np.array([v], np.int64), filled
    sell = side < 0
    if book is None:
        pmin = int(price.min())
        shift = np.array([pmin], np.int64)
        col = price - pmin
        width = int(price.max()) - pmin + 1
    else:
        low = np.full(n_books, INT64_MAX, np.int64)
        np.minimum.at(low, book, price)
        shift = np.where(low == INT64_MAX, 0, low)
        col = price - shift[book]
        width = int(col.max()) + 1
    if method == "wide" or not fast:
        return clear_wide(sell, qty, price, book, n_books, col, width, shift, reference,
                          rationing)
    if method == "dense" or (method == "auto" and n_books * width <= 4 * n + DENSE_SLACK):
        return clear_dense(sell, qty, col, book, n_books, width, shift, reference, rationing)
    return clear_sorted(sell, qty, price, book, n_books, col, width, shift, reference,
                        rationing)


def call_auction(side, price, qty, *, reference=None, rationing="time",
                 method="auto") -> AuctionResult:
    """Clear one uniform-price call auction.

    Units: ``price`` and ``reference`` in integer ticks, ``qty`` in integer tonnes, ``side``
    +1 buy / −1 sell; an order's index is its time priority. ``method`` ("auto", "levels",
    "window", "dense", "sparse", "wide") only picks the algorithm; results are identical.
    Returns the clearing price (−1 and volume 0 if nothing can trade) and fills per order.
    Raises ValueError naming the argument for unequal lengths, non-integer dtypes, side not ±1,
    qty <= 0, negative price or reference, unknown ``rationing``/``method``, or a side's total
    quantity beyond int64.
    """
    check_choice("rationing", rationing, RATIONING)
    check_choice("method", method, ONE_BOOK_METHODS)
    side, price, qty = _orders(side, price, qty)
    ref = None if reference is None else np.array([int_scalar("reference", reference)])
    p, v, filled = _clear(side, price, qty, None, 1, ref, rationing, method)
    return AuctionResult(int(p[0]), int(v[0]), filled)


def call_auctions(book, side, price, qty, *, reference=None, rationing="time", n_books=None,
                  method="auto") -> AuctionsResult:
    """Clear many independent call auctions in one vectorised pass.

    Units as ``call_auction``; ``book`` holds auction ids 0..B−1 in any order, where B is
    ``n_books``, else len(reference), else max(book) + 1. ``reference`` is None, one tick for
    all books, or an int array of length B. A book without orders gets price −1, volume 0.
    Raises ValueError as ``call_auction`` does, and for book ids out of range, a negative or
    non-integer ``n_books``, or a ``reference`` of the wrong length.
    """
    check_choice("rationing", rationing, RATIONING)
    check_choice("method", method, METHODS)
    book = int_array("book", book)
    side, price, qty = _orders(side, price, qty, book=book)
    ref = None
    if reference is not None and np.ndim(reference) == 0:
        ref_scalar = int_scalar("reference", reference)
    else:
        ref_scalar = None
        if reference is not None:
            ref = int_array("reference", reference)
            check_nonnegative("reference", ref)
    source = ""
    if n_books is not None:
        n_books = int_scalar("n_books", n_books)
        source = " (n_books)"
    elif ref is not None:
        n_books = ref.shape[0]
        source = " (the length of reference)"
    else:
        n_books = int(book.max()) + 1 if book.size else 0
    if ref is not None and ref.shape[0] != n_books:
        raise ValueError(f"reference has length {ref.shape[0]} but there are {n_books} books")
    if book.size and (book.min() < 0 or book.max() >= n_books):
        bad = book[(book < 0) | (book >= n_books)][0]
        raise ValueError(f"book ids must be in [0, {n_books}){source}; got {bad}")
    if ref_scalar is not None:
        ref = np.full(n_books, ref_scalar, np.int64)
    p, v, filled = _clear(side, price, qty, book, n_books, ref, rationing, method)
    return AuctionsResult(p, v, filled)

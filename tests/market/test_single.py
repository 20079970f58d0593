"""carbonsim.market._single: one book by level sums, and large books through a price window."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonsim.market import call_auction
from carbonsim.market import reference as ref
from carbonsim.market._single import WINDOW_MIN, _clearing, _split, _window, clear_one, levels

INT64_MAX = np.iinfo(np.int64).max
FAST = settings(max_examples=200, deadline=None)
RATIONING = st.sampled_from(["time", "pro_rata"])


def orders(side, price, qty):
    return (np.array(side, np.int8), np.array(price, np.int64), np.array(qty, np.int64))


def assert_same(got, want):
    price, volume, filled = got
    assert (price, volume) == (want.price, want.volume)
    np.testing.assert_array_equal(filled, want.filled)


@st.composite
def books(draw, max_orders=14, max_range=400, qty_max=None):
    """Books whose range is often wide next to their size, so levels come from sorting."""
    n = draw(st.integers(1, max_orders))
    lo = draw(st.sampled_from([0, 7, 10**9, INT64_MAX - 500]))
    width = draw(st.integers(1, max_range))
    if qty_max is None:
        qty_max = draw(st.sampled_from([3, 1000, 2**62 // n]))
    side = draw(st.lists(st.sampled_from([1, -1]), min_size=n, max_size=n))
    price = draw(st.lists(st.integers(lo, lo + width - 1), min_size=n, max_size=n))
    qty = draw(st.lists(st.integers(1, qty_max), min_size=n, max_size=n))
    reference = draw(st.one_of(st.none(), st.integers(max(lo - 5, 0), lo + width + 5)))
    return orders(side, price, qty), reference


@FAST
@given(books(), RATIONING, st.sampled_from(["auto", "levels", "window"]))
def test_sorted_levels_match_reference(book, rationing, method):
    (side, price, qty), reference = book
    res = call_auction(side, price, qty, reference=reference, rationing=rationing,
                       method=method)
    assert_same((res.price, res.volume, res.filled),
                ref.call_auction(side, price, qty, reference=reference, rationing=rationing))


@FAST
@given(books(max_orders=24, max_range=40), RATIONING, st.integers(0, 4))
def test_every_window_gives_the_books_result(book, rationing, half):
    # Windows of a few sampled orders, nested until they stop shrinking: narrow enough that
    # many miss the ticks of largest volume and the whole book is cleared instead.
    (side, price, qty), reference = book
    got = clear_one(side, price, qty, reference, rationing, window_min=1, half=half)
    assert_same(got, ref.call_auction(side, price, qty, reference=reference,
                                      rationing=rationing))


def test_an_empty_gap_between_two_levels_of_largest_volume_is_no_candidate():
    # Ticks 10 and 11 both clear 3 t with |D − S| = 2; "between" them (no tick) D − S would
    # be 0. A buy at 0 and a sell at 1000 make the range wide, so levels come from sorting.
    side, price, qty = orders([1, 1, -1, -1, 1, -1], [11, 10, 10, 11, 0, 1000],
                              [3, 2, 3, 2, 1, 1])
    for reference, expected in ((None, 10), (11, 11), (10, 10)):
        res = call_auction(side, price, qty, reference=reference, method="levels")
        assert (res.price, res.volume) == (expected, 3)


@settings(max_examples=60, deadline=None)
@given(st.data(), RATIONING)
def test_ranges_near_two_to_the_63(data, rationing):
    # Prices too far apart to pack with the index in an int64: argsorts instead.
    n = data.draw(st.integers(1, 30))
    anchors = [0, 2**61, 3 * 2**61, INT64_MAX - 10]
    side = np.array(data.draw(st.lists(st.sampled_from([1, -1]), min_size=n, max_size=n)),
                    np.int8)
    price = np.array([data.draw(st.sampled_from(anchors)) + data.draw(st.integers(0, 3))
                      for _ in range(n)])
    qty = np.array(data.draw(st.lists(st.integers(1, 9), min_size=n, max_size=n)))
    want = call_auction(side, price, qty, rationing=rationing, method="sparse")
    for half in (0, 1, None):
        assert_same(clear_one(side, price, qty, None, rationing, window_min=1, half=half), want)


def engine_like(n_emitters, steps, seed):
    """Books shaped like a trading session's: each emitter's K buys then K sells on one grid."""
    rng = np.random.default_rng(seed)
    grid = np.sort(rng.choice(np.arange(3000, 5000), steps, replace=False))
    side = np.tile(np.repeat(np.array([1, -1], np.int8), steps), n_emitters)
    price = np.tile(np.concatenate([grid, grid]), n_emitters)
    qty = rng.integers(1, 5000, side.shape[0])
    qty[rng.random(side.shape[0]) < 0.4] = 1  # many tiny increments
    return side, price, qty


def wide(n, seed):
    rng = np.random.default_rng(seed)
    side = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    price = rng.choice(2**33, n, replace=False).astype(np.int64)
    return side, price, rng.integers(1, 1001, n)


@pytest.mark.parametrize("book", [
    pytest.param(lambda: wide(200_000, 1), id="all prices distinct, 2**33 range"),
    pytest.param(lambda: engine_like(5000, 8, 2), id="8 price levels, per-emitter runs"),
    pytest.param(lambda: wide(3 * WINDOW_MIN, 3), id="three windows' worth"),
])
@pytest.mark.parametrize("rationing", ["time", "pro_rata"])
def test_large_books_agree_on_every_path(book, rationing):
    side, price, qty = book()
    want = call_auction(side, price, qty, rationing=rationing, method="sparse")
    assert want.volume > 0
    for method in ("auto", "levels", "window"):
        res = call_auction(side, price, qty, rationing=rationing, method=method)
        assert_same((res.price, res.volume, res.filled), want)


def test_a_large_book_clears_in_its_window():
    side, price, qty = wide(200_000, 4)
    sell = side < 0
    a, b = _window(sell, price, qty, None, 0, 0)
    s0, d1, inside, filled = _split(sell, price, qty, a, b, fills=True)
    assert inside.shape[0] < price.shape[0] // 10  # a small share of the book is sorted
    assert s0 == qty[sell & (price < a)].sum() and d1 == qty[~sell & (price > b)].sum()
    np.testing.assert_array_equal(inside, np.flatnonzero((price >= a) & (price <= b)))
    c = _clearing(sell[inside], price[inside], qty[inside], None, s0, d1, WINDOW_MIN, None)
    assert c is not None and c.price == call_auction(side, price, qty, method="levels").price


def test_levels_are_exact_beyond_two_to_the_53():
    side, price, qty = orders([1, -1, 1, -1], [5, 5, 900, 5], [2**62, 2**62 - 1, 1, 3])
    for p, s, q in ((price, side < 0, qty), (price[:2], side[:2] < 0, qty[:2])):
        lv = levels(p, s, q)
        got = {int(t): (int(b), int(v)) for t, b, v in zip(lv.ticks, lv.buy_t, lv.sell_t)
               if b or v}
        want = {}
        for t, sl, qq in zip(p.tolist(), s.tolist(), q.tolist()):
            b, v = want.get(t, (0, 0))
            want[t] = (b, v + qq) if sl else (b + qq, v)
        assert got == want

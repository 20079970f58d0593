"""carbonsim.market.call: uniform-price call auctions, one book or many."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonsim.market import AuctionResult, AuctionsResult, call_auction, call_auctions
from carbonsim.market import reference as ref

INT64_MAX = np.iinfo(np.int64).max
BATCH_METHODS = ["auto", "dense", "sparse", "wide"]  # call_auctions
METHODS = BATCH_METHODS + ["levels", "window"]  # call_auction: and the one-book paths
NOT_DENSE = [m for m in METHODS if m != "dense"]  # the paths for any range
FAST = settings(max_examples=150, deadline=None)


def orders(side, price, qty):
    return (np.array(side, np.int8), np.array(price, np.int64), np.array(qty, np.int64))


def assert_same(got, want):
    assert got.price == want.price
    assert got.volume == want.volume
    np.testing.assert_array_equal(got.filled, want.filled)


def assert_invariants(side, price, qty, res):
    buys, sells = side > 0, side < 0
    assert res.filled[buys].sum() == res.filled[sells].sum() == res.volume
    assert np.all((res.filled >= 0) & (res.filled <= qty))
    if res.volume == 0:
        assert res.price == -1 and not res.filled.any()
    else:  # nobody trades at a price worse than their limit
        assert not res.filled[buys & (price < res.price)].any()
        assert not res.filled[sells & (price > res.price)].any()


# ---- hand-worked examples -------------------------------------------------------------------

def test_worked_example_long_buy_side():
    # buys 100@12, 50@11; sells 80@10, 60@11. D = 150, 150, 100 and S = 80, 140, 140 at ticks
    # 10, 11, 12: V = 80, 140, 100, so 11 clears 140 t. Sells (short) fill in full; buys by
    # price: 100 t at 12, then 40 of the 50 at 11.
    res = call_auction(*orders([1, 1, -1, -1], [12, 11, 10, 11], [100, 50, 80, 60]))
    assert (res.price, res.volume) == (11, 140)
    assert res.filled.tolist() == [100, 40, 80, 60]


@pytest.mark.parametrize("buy, sell, expected", [
    (20, 10, 12),  # D > S at every kept tick: the highest
    (10, 20, 8),  # D < S everywhere: the lowest price that keeps the volume
    (10, 10, 10),  # balanced: the middle of 8..12
])
def test_market_pressure(buy, sell, expected):
    res = call_auction(*orders([1, -1], [12, 8], [buy, sell]))
    assert res.price == expected
    assert res.volume == min(buy, sell)


@pytest.mark.parametrize("reference, expected", [(11, 11), (20, 12), (3, 8), (10, 10)])
def test_reference_price_breaks_balanced_ties(reference, expected):
    res = call_auction(*orders([1, -1], [12, 8], [10, 10]), reference=reference)
    assert res.price == expected


def test_no_cross_gives_no_trade():
    res = call_auction(*orders([1, -1], [5, 6], [10, 10]))
    assert (res.price, res.volume) == (-1, 0)
    assert res.filled.tolist() == [0, 0]


def test_rationing_at_the_marginal_level():
    # One buy of 10 t and three sells at 10 of 7, 5 and 3 t: the sells are long by 5 t.
    side, price, qty = orders([1, -1, -1, -1], [10, 10, 10, 10], [10, 7, 5, 3])
    # time: oldest first
    assert call_auction(side, price, qty).filled.tolist() == [10, 7, 3, 0]
    # pro rata: floors of 70/15, 50/15, 30/15 = 4, 3, 2; the leftover tonne to the oldest
    res = call_auction(side, price, qty, rationing="pro_rata")
    assert res.filled.tolist() == [10, 5, 3, 2]


def test_better_priced_orders_fill_before_the_marginal_level():
    # Sells 5@9 (better) and 5@10, 5@10 against a buy of 8 at 10: 9 fills, 3 t rationed at 10.
    res = call_auction(*orders([-1, -1, -1, 1], [10, 9, 10, 10], [5, 5, 5, 8]))
    assert (res.price, res.volume) == (10, 8)
    assert res.filled.tolist() == [3, 5, 0, 8]


def test_clearing_price_in_a_gap_between_order_prices():
    # Balanced book with nothing between 0 and 10**12: the middle tick, on the sorting path.
    side, price, qty = orders([1, -1], [10**12, 0], [4, 4])
    for method in NOT_DENSE:
        res = call_auction(side, price, qty, method=method)
        assert (res.price, res.volume) == (5 * 10**11, 4)
    assert call_auction(side, price, qty, reference=7).price == 7


def test_empty_and_one_sided_books():
    empty = call_auction([], [], [])
    assert (empty.price, empty.volume, empty.filled.shape) == (-1, 0, (0,))
    assert empty.filled.dtype == np.int64
    for side in ([1, 1], [-1, -1]):
        res = call_auction(*orders(side, [5, 7], [3, 4]))
        assert (res.price, res.volume) == (-1, 0)


def test_results_are_frozen():
    res = call_auction(*orders([1, -1], [5, 5], [1, 1]))
    assert isinstance(res, AuctionResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.price = 3
    with pytest.raises(ValueError):
        res.filled[0] = 2


# ---- random books against the reference ------------------------------------------------------

@st.composite
def books(draw, max_orders=24, max_range=25):
    n = draw(st.integers(0, max_orders))
    lo = draw(st.sampled_from([0, 1, 10**6, INT64_MAX - 100]))
    width = draw(st.integers(1, max_range))
    big = draw(st.booleans())
    qty_max = draw(st.sampled_from([1, 3, 1000, 2**60 // max(n, 1)])) if big else 5
    side = draw(st.lists(st.sampled_from([1, -1]), min_size=n, max_size=n))
    price = draw(st.lists(st.integers(lo, lo + width - 1), min_size=n, max_size=n))
    qty = draw(st.lists(st.integers(1, qty_max), min_size=n, max_size=n))
    reference = draw(st.one_of(st.none(), st.integers(max(lo - 5, 0), lo + width + 5)))
    return orders(side, price, qty), reference


EDGE_CASES = {
    "one buy": ([1], [7], [3]),
    "one sell": ([-1], [7], [3]),
    "all at one price": ([1, -1, 1, -1, -1], [4, 4, 4, 4, 4], [2, 3, 5, 1, 1]),
    "no sells": ([1, 1, 1], [1, 5, 9], [1, 1, 1]),
    "no cross": ([1, 1, -1, -1], [3, 4, 5, 9], [5, 5, 5, 5]),
    "touching": ([1, -1], [5, 5], [2, 7]),
    "flat volume with gaps": ([1, 1, -1, -1], [20, 9, 0, 11], [5, 5, 5, 5]),
}


@pytest.mark.parametrize("case", EDGE_CASES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("rationing", ["time", "pro_rata"])
@pytest.mark.parametrize("reference", [None, 0, 6, 30])
def test_edge_cases_match_reference(case, method, rationing, reference):
    side, price, qty = orders(*EDGE_CASES[case])
    res = call_auction(side, price, qty, reference=reference, rationing=rationing, method=method)
    assert_same(res, ref.call_auction(side, price, qty, reference=reference,
                                      rationing=rationing))
    assert_invariants(side, price, qty, res)


@FAST
@given(books(), st.sampled_from(["time", "pro_rata"]), st.sampled_from(METHODS))
def test_matches_reference(book, rationing, method):
    (side, price, qty), reference = book
    res = call_auction(side, price, qty, reference=reference, rationing=rationing,
                       method=method)
    assert_same(res, ref.call_auction(side, price, qty, reference=reference,
                                      rationing=rationing))
    assert_invariants(side, price, qty, res)


@FAST
@given(st.integers(1, 12), st.sampled_from(["time", "pro_rata"]), st.sampled_from(METHODS),
       st.data())
def test_quantities_near_the_int64_limit(n, rationing, method, data):
    # Sums beyond 2**53 (where float64 bincounts go wrong) and beyond the fast paths' 2**61.
    side = np.array(data.draw(st.lists(st.sampled_from([1, -1]), min_size=n, max_size=n)),
                    np.int8)
    price = np.array(data.draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)))
    qty = np.array(data.draw(st.lists(st.integers(2**52, INT64_MAX // 12), min_size=n,
                                      max_size=n)))
    res = call_auction(side, price, qty, rationing=rationing, method=method)
    assert_same(res, ref.call_auction(side, price, qty, rationing=rationing))


def test_total_quantity_beyond_int64_is_an_error():
    side, price, qty = orders([1, 1, -1], [5, 5, 5], [INT64_MAX, 1, 3])
    for method in METHODS:
        with pytest.raises(ValueError, match="total buy quantity exceeds int64"):
            call_auction(side, price, qty, method=method)
    with pytest.raises(ValueError, match="total sell quantity of book 1 exceeds int64"):
        call_auctions([0, 1, 1], [1, -1, -1], [5, 5, 5], [3, INT64_MAX, 2])


def test_exact_above_two_to_the_53():
    # 2**53 + 1 is not a float64; totals like this must stay exact.
    q = 2**53 + 1
    side, price, qty = orders([1, 1, -1], [5, 6, 5], [q, q, 2 * q + 2])
    res = call_auction(side, price, qty)
    assert (res.price, res.volume) == (5, 2 * q)
    assert res.filled.tolist() == [q, q, 2 * q]


@pytest.mark.parametrize("bits", [1, 8, 9, 16, 17, 30, 48, 49, 63])
def test_radix_argsort_is_a_stable_argsort(bits):
    from carbonsim.market._clearing import stable_argsort

    key = np.random.default_rng(bits).integers(0, 2**bits, 3000)
    np.testing.assert_array_equal(stable_argsort(key, 2**bits - 1),
                                  np.argsort(key, kind="stable"))


def test_dense_and_sorting_paths_agree_on_a_realistic_book():
    rng = np.random.default_rng(7)
    n = 5000
    side = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    price = np.rint(rng.normal(10_000, 300, n)).astype(np.int64)
    qty = rng.integers(1, 1001, n)
    for rationing in ("time", "pro_rata"):
        results = [call_auction(side, price, qty, rationing=rationing, method=m) for m in METHODS]
        for other in results[1:]:
            assert_same(other, results[0])
        assert_invariants(side, price, qty, results[0])


# ---- many books -------------------------------------------------------------------------------

@st.composite
def batches(draw):
    n_books = draw(st.integers(1, 5))
    n = draw(st.integers(0, 40))
    book = draw(st.lists(st.integers(0, n_books - 1), min_size=n, max_size=n))
    mid = draw(st.lists(st.integers(0, 40), min_size=n_books, max_size=n_books))
    side = draw(st.lists(st.sampled_from([1, -1]), min_size=n, max_size=n))
    offset = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))
    qty = draw(st.lists(st.integers(1, 6), min_size=n, max_size=n))
    reference = draw(st.one_of(st.none(), st.lists(st.integers(0, 60), min_size=n_books,
                                                   max_size=n_books)))
    price = [mid[b] + o for b, o in zip(book, offset)]
    return n_books, np.array(book, np.int64), orders(side, price, qty), reference


@FAST
@given(batches(), st.sampled_from(["time", "pro_rata"]), st.sampled_from(BATCH_METHODS))
def test_many_books_match_reference(batch, rationing, method):
    n_books, book, (side, price, qty), reference = batch
    ref_arr = None if reference is None else np.array(reference, np.int64)
    res = call_auctions(book, side, price, qty, reference=ref_arr, rationing=rationing,
                        n_books=n_books, method=method)
    want = ref.call_auctions(book, side, price, qty, reference=ref_arr, rationing=rationing,
                             n_books=n_books)
    np.testing.assert_array_equal(res.price, want.price)
    np.testing.assert_array_equal(res.volume, want.volume)
    np.testing.assert_array_equal(res.filled, want.filled)


def test_many_books_equal_one_auction_per_book():
    rng = np.random.default_rng(3)
    n, n_books = 20_000, 40
    book = rng.integers(0, n_books, n)
    side = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    # spreads of 3,000 ticks: the sorting path needs a two-digit radix sort of the ids
    price = np.abs(np.rint(rng.normal(1000 + 50 * book, 3000))).astype(np.int64)
    qty = rng.integers(1, 1001, n)
    for method in BATCH_METHODS:
        res = call_auctions(book, side, price, qty, rationing="pro_rata", method=method)
        assert isinstance(res, AuctionsResult)
        for b in range(n_books):
            one = call_auction(side[book == b], price[book == b], qty[book == b],
                               rationing="pro_rata")
            assert (res.price[b], res.volume[b]) == (one.price, one.volume)
            np.testing.assert_array_equal(res.filled[book == b], one.filled)


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(["time", "pro_rata"]), st.sampled_from(["auto", "sparse", "wide"]))
def test_books_spanning_most_of_int64(data, rationing, method):
    # Ranges so wide that book × range overflows int64: prices are ranked first.
    n = data.draw(st.integers(1, 30))
    anchors = [0, 2**61, 3 * 2**61, INT64_MAX - 10]
    book = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    side = np.array(data.draw(st.lists(st.sampled_from([1, -1]), min_size=n, max_size=n)),
                    np.int8)
    price = np.array([data.draw(st.sampled_from(anchors)) + data.draw(st.integers(0, 3))
                      for _ in range(n)])
    qty = np.array(data.draw(st.lists(st.integers(1, 9), min_size=n, max_size=n)))
    res = call_auctions(book, side, price, qty, rationing=rationing, n_books=3, method=method)
    for b in range(3):
        sel = book == b
        one = call_auction(side[sel], price[sel], qty[sel], rationing=rationing)
        assert (res.price[b], res.volume[b]) == (one.price, one.volume)
        np.testing.assert_array_equal(res.filled[sel], one.filled)


def test_middle_of_a_gap_several_books_wide():
    # Book 0: sell 4 @ 0, buy 4 @ X = 3 × 2**61, buy 1 @ 0. D = S = 4 on [1, X], so the kept
    # ticks start inside the gap: the middle is 1 + (X − 1) // 2 = 3 × 2**60. Book 1: D > S.
    x = 3 * 2**61
    for method in ["auto", "sparse", "wide"]:
        res = call_auctions([0, 0, 0, 1, 1], [-1, 1, 1, 1, -1], [0, x, 0, 10, 5],
                            [4, 4, 1, 2, 1], method=method)
        assert res.price.tolist() == [3 * 2**60, 10]
        assert res.volume.tolist() == [4, 1]
        assert res.filled.tolist() == [4, 4, 0, 1, 1]


@pytest.mark.parametrize("method", BATCH_METHODS)
def test_empty_books_and_n_books(method):
    res = call_auctions([2, 2], [1, -1], [5, 5], [3, 3], n_books=4, method=method)
    assert res.price.tolist() == [-1, -1, 5, -1]
    assert res.volume.tolist() == [0, 0, 3, 0]
    res = call_auctions([], [], [], [], reference=np.array([4, 4]), method=method)
    assert res.price.tolist() == [-1, -1] and res.filled.shape == (0,)
    # a scalar reference applies to every book
    res = call_auctions([0, 0, 1, 1], [1, -1, 1, -1], [12, 8, 12, 8], [1, 1, 1, 1], reference=9,
                        method=method)
    assert res.price.tolist() == [9, 9]


# ---- bad input --------------------------------------------------------------------------------

GOOD = dict(side=[1, -1], price=[5, 5], qty=[1, 1])


@pytest.mark.parametrize("field, value, message", [
    ("side", [1, 0], "side must be"),
    ("side", [1, 2], "side must be"),
    ("side", [1.0, -1.0], "side must have an integer dtype"),
    ("side", [True, False], "side must have an integer dtype"),
    ("price", [5, -1], "price must be >= 0"),
    ("price", [5.0, 5.0], "price must have an integer dtype"),
    ("qty", [1, 0], "qty must be > 0"),
    ("qty", [1, -3], "qty must be > 0"),
    ("qty", np.array([1.0, 2.0]), "qty must have an integer dtype"),
    ("qty", [1, 2, 3], "qty has length 3 but side has length 2"),
    ("price", [[5, 5]], "price must be a 1-D array"),
])
def test_bad_orders(field, value, message):
    args = dict(GOOD, **{field: value})
    with pytest.raises(ValueError, match=message):
        call_auction(**args)
    with pytest.raises(ValueError, match=message):
        call_auctions([0, 0], **args)


@pytest.mark.parametrize("kwargs, message", [
    (dict(reference=-1), "reference must be an integer in"),
    (dict(reference=5.0), "reference must be an integer"),
    (dict(reference=True), "reference must be an integer"),
    (dict(rationing="fifo"), "rationing must be one of 'time', 'pro_rata'"),
    (dict(method="fast"), "method must be one of"),
])
def test_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        call_auction(**GOOD, **kwargs)


@pytest.mark.parametrize("book, kwargs, message", [
    ([0, 2], dict(n_books=2), r"book ids must be in \[0, 2\) \(n_books\); got 2"),
    ([0, -1], {}, r"book ids must be in"),
    ([0.0, 1.0], {}, "book must have an integer dtype"),
    ([0], {}, "book has length 1 but side has length 2"),
    ([0, 1], dict(reference=np.array([5, 5, 5]), n_books=2),
     "reference has length 3 but there are 2 books"),
    ([0, 1], dict(reference=np.array([5])), r"book ids must be in \[0, 1\) \(the length of "
                                            r"reference\); got 1"),
    ([0, 1], dict(reference=np.array([5, -5])), "reference must be >= 0"),
    ([0, 1], dict(reference=np.array([5.0, 5.0])), "reference must have an integer dtype"),
    ([0, 1], dict(n_books=-1), "n_books must be an integer in"),
    ([0, 1], dict(rationing="x"), "rationing must be one of"),
    ([0, 1], dict(method="levels"), "method must be one of 'auto', 'dense', 'sparse', 'wide'"),
])
def test_bad_books(book, kwargs, message):
    with pytest.raises(ValueError, match=message):
        call_auctions(book, **GOOD, **kwargs)

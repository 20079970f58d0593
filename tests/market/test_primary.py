"""carbonsim.market.primary: sealed-bid uniform-price allowance auctions."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonsim.market import PrimaryResult, allowance_auction
from carbonsim.market import reference as ref

INT64_MAX = np.iinfo(np.int64).max
# price, qty: the last bid is below the reserve price of 46
BIDS = (np.array([50, 48, 48, 45]), np.array([40, 30, 30, 50]))


def test_worked_example_oversubscribed():
    # Valid bids: 40 @ 50, 30 + 30 @ 48 = 100 t for 80 t: cover 1.25. 50 fills 40 t; the 40 t
    # left go to the level at 48, which sets the price: by time 30 + 10, pro rata 20 + 20.
    res = allowance_auction(*BIDS, 80, 46)
    assert isinstance(res, PrimaryResult)
    assert (res.price, res.sold, res.unsold, res.cover_ratio) == (48, 80, 0, 1.25)
    assert res.filled.tolist() == [40, 30, 10, 0]
    assert allowance_auction(*BIDS, 80, 46, tie="pro_rata").filled.tolist() == [40, 20, 20, 0]


def test_worked_example_undersubscribed():
    # 100 valid tonnes for 200: everything valid fills; the lowest accepted bid is 48.
    res = allowance_auction(*BIDS, 200, 46)
    assert (res.price, res.sold, res.unsold, res.cover_ratio) == (48, 100, 100, 0.5)
    assert res.filled.tolist() == [40, 30, 30, 0]


def test_supply_exactly_covered_above_a_level():
    # 40 t @ 50 cover 40 t of supply: the bids at 48 get nothing and the price is 50.
    res = allowance_auction(*BIDS, 40, 0)
    assert (res.price, res.sold, res.unsold) == (50, 40, 0)
    assert res.filled.tolist() == [40, 0, 0, 0]
    assert res.cover_ratio == 150 / 40


def test_nothing_valid_or_nothing_to_sell():
    res = allowance_auction(*BIDS, 80, 51)
    assert (res.price, res.sold, res.unsold, res.cover_ratio) == (-1, 0, 80, 0.0)
    res = allowance_auction(*BIDS, 0, 46)
    assert (res.price, res.sold, res.unsold) == (-1, 0, 0)
    assert math.isinf(res.cover_ratio)
    res = allowance_auction([], [], 0, 0)
    assert (res.price, res.sold, res.unsold, res.cover_ratio) == (-1, 0, 0, 0.0)
    assert res.filled.shape == (0,)


def test_result_is_frozen():
    res = allowance_auction(*BIDS, 80, 46)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.sold = 1
    with pytest.raises(ValueError):
        res.filled[0] = 1


@st.composite
def auctions(draw):
    n = draw(st.integers(0, 20))
    price = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))
    qmax = draw(st.sampled_from([1, 5, 100, 2**58]))
    qty = draw(st.lists(st.integers(1, qmax), min_size=n, max_size=n))
    supply = draw(st.integers(0, max(1, qmax * n)))
    return np.array(price), np.array(qty), supply, draw(st.integers(0, 13))


@settings(max_examples=300, deadline=None)
@given(auctions(), st.sampled_from(["time", "pro_rata"]))
def test_matches_reference(auction, tie):
    price, qty, supply, reserve = auction
    res = allowance_auction(price, qty, supply, reserve, tie=tie)
    want = ref.allowance_auction(price, qty, supply, reserve, tie=tie)
    assert (res.price, res.sold, res.unsold, res.cover_ratio) == (
        want.price, want.sold, want.unsold, want.cover_ratio)
    np.testing.assert_array_equal(res.filled, want.filled)
    assert res.filled.sum() == res.sold == supply - res.unsold
    assert np.all(res.filled <= qty)
    assert not res.filled[price < max(reserve, res.price)].any()


def test_total_valid_quantity_beyond_int64():
    with pytest.raises(ValueError, match="total valid bid quantity exceeds int64"):
        allowance_auction([5, 5], [INT64_MAX, 1], 10, 0)
    # the invalid bid does not count
    res = allowance_auction([5, 1], [INT64_MAX, 1], 10, 2)
    assert (res.price, res.sold) == (5, 10)


@pytest.mark.parametrize("args, kwargs, message", [
    (([5, -1], [1, 1], 1, 0), {}, "bid_price must be >= 0"),
    (([5.0, 1.0], [1, 1], 1, 0), {}, "bid_price must have an integer dtype"),
    (([5, 1], [1, 0], 1, 0), {}, "bid_qty must be > 0"),
    (([5, 1], [True, True], 1, 0), {}, "bid_qty must have an integer dtype"),
    (([5, 1], [1, 1, 1], 1, 0), {}, "bid_qty has length 3 but bid_price has length 2"),
    (([5, 1], [1, 1], -1, 0), {}, "supply must be an integer in"),
    (([5, 1], [1, 1], 1.0, 0), {}, "supply must be an integer"),
    (([5, 1], [1, 1], 1, -2), {}, "reserve_price must be an integer in"),
    (([5, 1], [1, 1], 1, 2.5), {}, "reserve_price must be an integer"),
    (([5, 1], [1, 1], 1, 0), dict(tie="random"), "tie must be one of 'time', 'pro_rata'"),
])
def test_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        allowance_auction(*args, **kwargs)

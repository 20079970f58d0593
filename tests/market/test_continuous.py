"""carbonsim.market.continuous: the continuous double auction, both backends."""

import importlib.util
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonsim.market import BACKEND, Trades, match_continuous
from carbonsim.market import reference as ref

HAVE_NUMBA = importlib.util.find_spec("numba") is not None
AVAILABLE = ["python", "numba"] if HAVE_NUMBA else ["python"]
BACKENDS = ["python", pytest.param("numba", marks=pytest.mark.skipif(
    not HAVE_NUMBA, reason="numba (the 'fast' extra) is not installed"))]
BACKENDS_2 = ["python", "numba"]
FIELDS = ["taker", "maker", "price", "qty", "remaining"]


def stream(rows):
    """Events from (kind, side, price, qty, target) rows."""
    cols = list(zip(*rows)) if rows else [()] * 5
    dtypes = [np.int8, np.int8, np.int64, np.int64, np.int64]
    return [np.array(c, d) for c, d in zip(cols, dtypes)]


def assert_same(a, b):
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
        assert getattr(a, f).dtype == np.int64


# ---- hand-worked examples -------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_worked_example(backend):
    events = stream([
        (0, -1, 101, 10, 0),  # 0: sell 10 @ 101 rests
        (0, -1, 100, 5, 0),  # 1: sell 5 @ 100 rests (new best ask)
        (0, 1, 101, 12, 0),  # 2: buy 12 @ 101: 5 @ 100 from 1, then 7 @ 101 from 0
        (1, 0, 0, 0, 0),  # 3: cancel 0 (3 t left)
        (0, 1, 105, 5, 0),  # 4: buy 5 @ 105: no asks left, rests
        (0, -1, 99, 2, 0),  # 5: sell 2 @ 99 trades at the maker's 105
    ])
    tr = match_continuous(*events, backend=backend)
    assert tr.taker.tolist() == [2, 2, 5]
    assert tr.maker.tolist() == [1, 0, 4]
    assert tr.price.tolist() == [100, 101, 105]
    assert tr.qty.tolist() == [5, 7, 2]
    assert tr.remaining.tolist() == [0, 0, 0, 0, 3, 0]
    assert len(tr) == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_time_priority_within_a_level_and_partial_fills(backend):
    events = stream([
        (0, 1, 50, 4, 0),
        (0, 1, 50, 4, 0),
        (0, 1, 51, 1, 0),
        (0, -1, 50, 7, 0),  # best price first (51), then 0 before 1
    ])
    tr = match_continuous(*events, backend=backend)
    assert tr.maker.tolist() == [2, 0, 1]
    assert tr.qty.tolist() == [1, 4, 2]
    assert tr.price.tolist() == [51, 50, 50]
    assert tr.remaining.tolist() == [0, 2, 0, 0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancels_that_do_nothing(backend):
    events = stream([
        (0, 1, 10, 3, 0),
        (0, -1, 10, 3, 0),  # fills 0 completely
        (1, 0, 0, 0, 0),  # cancel of an order with nothing left
        (1, 0, 0, 0, 2),  # cancel of a cancel
        (1, 0, 0, 0, 4),  # its own index
        (0, -1, 12, 1, 99),  # a limit order's target is ignored
    ])
    tr = match_continuous(*events, backend=backend)
    assert tr.qty.tolist() == [3]
    assert tr.remaining.tolist() == [0, 0, 0, 0, 0, 1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancelled_orders_are_skipped(backend):
    events = stream([
        (0, -1, 10, 3, 0),
        (0, -1, 10, 3, 0),
        (1, 9, -5, -1, 0),  # side, price and qty of a cancel are ignored
        (0, 1, 11, 5, 0),
    ])
    tr = match_continuous(*events, backend=backend)
    assert tr.maker.tolist() == [1]
    assert tr.qty.tolist() == [3]
    assert tr.remaining.tolist() == [0, 0, 0, 2]


def test_empty_stream_and_backend_choice():
    for backend in ["auto"] + AVAILABLE:
        tr = match_continuous(*stream([]), backend=backend)
        assert isinstance(tr, Trades) and len(tr) == 0 and tr.remaining.shape == (0,)
    assert BACKEND == ("numba" if HAVE_NUMBA else "python")


# ---- random streams: reference, backends, invariants -----------------------------------------

@st.composite
def streams(draw, max_events=40):
    n = draw(st.integers(0, max_events))
    lo = draw(st.sampled_from([0, 10**15]))
    width = draw(st.integers(1, 12))
    rows = []
    for i in range(n):
        if i and draw(st.integers(0, 4)) == 0:
            rows.append((1, 0, 0, 0, draw(st.integers(0, i))))
        else:
            rows.append((0, draw(st.sampled_from([1, -1])), lo + draw(st.integers(0, width - 1)),
                         draw(st.integers(1, draw(st.sampled_from([2, 20, 2**62])))), 0))
    return stream(rows)


def assert_book_never_crossed(events, tr):
    """Replay the events with the trades; after each one no live bid may reach a live ask."""
    kind, side, price, qty, target = events
    left = np.zeros(kind.shape[0], np.int64)
    t = 0
    for i in range(kind.shape[0]):
        if kind[i]:
            left[target[i]] = 0 if target[i] != i else left[i]
            continue
        left[i] = qty[i]
        while t < len(tr) and tr.taker[t] == i:
            m = tr.maker[t]
            assert side[m] == -side[i] and tr.price[t] == price[m]
            assert (price[i] >= price[m]) if side[i] > 0 else (price[i] <= price[m])
            assert 0 < tr.qty[t] <= min(left[m], left[i])
            left[m] -= tr.qty[t]
            left[i] -= tr.qty[t]
            t += 1
        live = (left > 0) & (kind == 0)
        bids, asks = price[live & (side > 0)], price[live & (side < 0)]
        if bids.size and asks.size:
            assert bids.max() < asks.min()
    assert t == len(tr)
    np.testing.assert_array_equal(left, tr.remaining)


@settings(max_examples=200, deadline=None)
@given(streams())
def test_backends_match_reference_and_keep_the_book_uncrossed(events):
    want = ref.match_continuous(*events)
    for backend in AVAILABLE:
        tr = match_continuous(*events, backend=backend)
        assert_same(tr, want)
    assert_book_never_crossed(events, want)
    kind, _, _, qty, _ = events
    traded = np.zeros(kind.shape[0], np.int64)  # exact: no float-weighted bincount
    np.add.at(traded, want.taker, want.qty)
    np.add.at(traded, want.maker, want.qty)
    assert np.all(traded + want.remaining <= np.where(kind == 0, qty, 0))


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba (the 'fast' extra) is not installed")
def test_backends_agree_on_a_long_realistic_stream():
    rng = np.random.default_rng(11)
    n = 50_000
    kind = (rng.random(n) < 0.1).astype(np.int8)
    kind[0] = 0
    side = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    price = np.rint(rng.normal(10_000, 300, n)).astype(np.int64)
    qty = rng.integers(1, 1001, n)
    target = np.maximum(np.arange(n) - 1 - rng.integers(0, 1000, n), 0)
    a, b = (match_continuous(kind, side, price, qty, target, backend=x) for x in BACKENDS_2)
    assert_same(a, b)
    assert len(a) > 10_000
    # a price range far wider than the stream uses ranks instead of offsets
    wide = price * 10**9
    c, d = (match_continuous(kind, side, wide, qty, target, backend=x) for x in BACKENDS_2)
    assert_same(c, d)
    np.testing.assert_array_equal(c.qty, a.qty)
    np.testing.assert_array_equal(c.price, a.price * 10**9)


# ---- bad input --------------------------------------------------------------------------------

def good():
    return dict(kind=[0, 0, 1], side=[1, -1, 0], price=[5, 6, 0], qty=[1, 2, 0],
                target=[0, 0, 1])


@pytest.mark.parametrize("field, value, message", [
    ("kind", [0, 2, 1], "kind must be 0 .limit order. or 1 .cancel.; got 2 at index 1"),
    ("kind", [0.0, 0.0, 1.0], "kind must have an integer dtype"),
    ("side", [1, 0, 0], "side must be"),
    ("side", [True, False, False], "side must have an integer dtype"),
    ("price", [5, -6, 0], "price must be >= 0"),
    ("price", [5.0, 6.0, 0.0], "price must have an integer dtype"),
    ("qty", [1, 0, 0], "qty must be > 0"),
    ("qty", [1.5, 2.0, 0.0], "qty must have an integer dtype"),
    ("target", [0, 0, 3], r"target of the cancel at index 2 must be an earlier event in \[0, 2\]"),
    ("target", [0, 0, -1], "target of the cancel at index 2"),
    ("target", [0, 0, 7], "target of the cancel at index 2"),
    ("target", [0.0, 0.0, 1.0], "target must have an integer dtype"),
    ("target", [0, 0], "target has length 2 but kind has length 3"),
])
@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_input(field, value, message, backend):
    args = dict(good(), **{field: value})
    with pytest.raises(ValueError, match=message):
        match_continuous(**args, backend=backend)


def test_auto_backend_falls_back_to_python_when_numba_does_not_import(monkeypatch):
    events = stream([(0, 1, 5, 2, 0), (0, -1, 4, 1, 0)])
    monkeypatch.setitem(sys.modules, "carbonsim.market._continuous_numba", None)
    tr = match_continuous(*events, backend="auto")
    assert tr.qty.tolist() == [1] and tr.price.tolist() == [5]
    with pytest.raises(ImportError):
        match_continuous(*events, backend="numba")


def test_bad_backend():
    with pytest.raises(ValueError, match="backend must be one of"):
        match_continuous(**good(), backend="cython")

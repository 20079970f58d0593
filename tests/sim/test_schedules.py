"""Allowance values, abatement plans and truthful bid/ask schedules."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from carbonsim.sim.schedules import allowance_value, plan_rate, price_grid, schedule_orders
from carbonsim.economy.mac import MacCurves, abatement_at, linear_curves, step_curves

TWO = linear_curves(np.array([100.0, 300.0]), np.array([100.0, 100.0]))  # slopes 1 and 3


def test_value_is_mac_at_needed_rate_bounded_by_bank_value_and_penalty():
    v = allowance_value(TWO, np.array([30.0, 30.0]), 1.0, np.array([1000.0, 60.0]), 0.0)
    assert v.tolist() == [30.0, 60.0]  # B's MAC 90 is capped by its penalty 60
    v = allowance_value(TWO, np.array([30.0, 30.0]), 0.5, np.full(2, 1e3), np.array([70.0, 0.0]))
    assert v.tolist() == [70.0, 180.0]  # half a year left: rate 60 t/yr
    v = allowance_value(TWO, np.array([5.0, -5.0]), 0.0, np.full(2, 1e3), 0.0)
    assert v.tolist() == [1e3, 0.0]  # no time left: short pays the penalty, long worth 0


def test_plan_covers_the_need_even_on_a_step():
    steps = step_curves(np.array([[40.0, 120.0]]), np.array([[10.0, 10.0]]))
    rate = plan_rate(steps, np.array([4.0]), 0.5, np.array([40.0]))
    assert rate.tolist() == [8.0]  # 4 t over half a year, inside the 40-per-t step
    rate = plan_rate(steps, np.array([4.0]), 0.5, np.array([120.0]))  # banking raises the value
    assert rate.tolist() == [10.0]  # the 40 step in full; indifferent about the 120 step
    rate = plan_rate(steps, np.array([4.0]), 0.5, np.array([130.0]))
    assert rate.tolist() == [20.0]


def test_textbook_schedules_cross_at_the_montgomery_price():
    grid = price_grid(60.0, 30.0, 9)  # 30, 37.5, ..., 90
    orders = schedule_orders(TWO, np.array([30.0, 30.0]), 1.0, np.full(2, 1e3), np.zeros(2),
                             np.array([70, 70]), grid, 0.01)
    at45 = orders.price == 4500
    assert orders.qty[at45 & (orders.side < 0)].sum() == 7  # A: 15 t by 45, 8 of them by 37.5
    sells = orders.qty[(orders.side < 0) & (orders.price <= 4500)].sum()
    buys = orders.qty[(orders.side > 0) & (orders.price >= 4500)].sum()
    assert sells == 15 and buys == 15


@settings(max_examples=80, deadline=None)
@given(need=st.lists(st.floats(-500, 500), min_size=1, max_size=8),
       frac=st.floats(0.0, 1.0), ref=st.floats(0, 300), half=st.floats(0.01, 300),
       k=st.integers(1, 12), wtp=st.floats(1, 500), bank=st.floats(0, 100),
       lot=st.integers(1, 5))
def test_schedules_are_truthful_and_feasible(need, frac, ref, half, k, wtp, bank, lot):
    n = len(need)
    rng = np.random.default_rng(len(need))
    curves = linear_curves(rng.uniform(10, 400, n), rng.uniform(1, 200, n))
    need = np.array(need)
    sellable = rng.integers(0, 300, n)
    grid = price_grid(ref, half, k)
    o = schedule_orders(curves, need, frac, np.full(n, wtp), np.full(n, bank), sellable, grid,
                        0.01, min_lot=lot)
    assert (o.qty > 0).all() and (o.qty % lot == 0).all()
    sold = np.bincount(o.owner[o.side < 0], weights=o.qty[o.side < 0], minlength=n)
    assert (sold <= sellable).all()  # no short selling
    assert (o.price[o.side > 0] * 0.01 <= wtp + 1e-9).all()  # never bids above the penalty
    assert (o.price[o.side < 0] * 0.01 >= bank - 0.01).all()  # never asks below bank value
    # Cumulative demand at each grid price is the truthful demand there to the nearest lot.
    ticks = np.floor(grid / 0.01 + 1e-9)
    for j, p in enumerate(grid):
        if p > wtp or (ticks[j + 1:] == ticks[j]).any():
            continue  # a grid price sharing its tick with a higher one is bid at that one too
        truthful = np.maximum(need - frac * abatement_at(curves, np.clip(p, bank, wtp)), 0)
        buy = (o.side > 0) & (o.price * 0.01 >= np.floor(p / 0.01 + 1e-9) * 0.01 - 1e-12)
        got = np.bincount(o.owner[buy], weights=o.qty[buy], minlength=n)
        assert (got <= truthful + lot / 2 + 1e-6).all()


def _mixed_curves(rng, n: int) -> MacCurves:
    """``n`` random MAC curves: the first half linear, the rest of three steps."""
    half = n // 2
    return MacCurves.concat([
        linear_curves(rng.uniform(1, 300, half), rng.uniform(0, 500, half)),
        step_curves(rng.integers(0, 300, (n - half, 3)).astype(float),
                    rng.uniform(0, 100, (n - half, 3)))])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 10), lot=st.integers(1, 4),
       gap=st.floats(0.1, 1.0), fee=st.sampled_from([0.0, 0.5]))
def test_compiled_and_numpy_schedules_are_identical(seed, k, lot, gap, fee):
    pytest.importorskip("numba")
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    curves = _mixed_curves(rng, n)
    args = (curves, rng.normal(0, 200, n), rng.uniform(0, 1, n), rng.uniform(1, 400, n),
            rng.uniform(0, 150, n), rng.integers(0, 500, n),
            price_grid(float(rng.uniform(0, 200)), float(rng.uniform(0.1, 200)), k), 0.01)
    kw = dict(gap_fraction=gap, min_lot=lot, fee_per_t=fee)
    a = schedule_orders(*args, backend="numpy", **kw)
    b = schedule_orders(*args, backend="numba", **kw)
    for field in ("owner", "side", "price", "qty"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 10), share=st.floats(0.0, 1.0),
       backend=st.sampled_from(["numpy", "numba"]))
def test_scheduling_only_some_rows_is_scheduling_everyone_with_the_others_idle(seed, k, share,
                                                                               backend):
    """Sessions evaluate only the participants' schedules (``rows``); the slow reference gives
    every emitter a schedule, the others with no need and nothing to sell (as before)."""
    if backend == "numba":
        pytest.importorskip("numba")
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    curves = _mixed_curves(rng, n)
    active = rng.random(n) < share
    need, sellable = rng.normal(0, 200, n), rng.integers(0, 500, n)
    rest = (rng.uniform(0, 1, n), rng.uniform(1, 400, n), rng.uniform(0, 150, n))
    grid = price_grid(float(rng.uniform(0, 200)), float(rng.uniform(0.1, 200)), k)
    slow = schedule_orders(curves, np.where(active, need, 0.0), rest[0], rest[1], rest[2],
                           np.where(active, sellable, 0), grid, 0.01, backend=backend)
    fast = schedule_orders(curves, need, *rest, sellable, grid, 0.01, backend=backend,
                           rows=np.flatnonzero(active))
    for field in ("owner", "side", "price", "qty"):
        assert np.array_equal(getattr(slow, field), getattr(fast, field)), field


def test_compiled_schedules_in_threads_match_the_numpy_ones():
    """The compiled kernel's work buffers are per thread: schedules built in several threads
    at once are each the numpy schedule (threads of a batch run may build them together)."""
    pytest.importorskip("numba")
    from concurrent.futures import ThreadPoolExecutor

    def case(seed):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(50, 400))
        curves = linear_curves(rng.uniform(1, 300, n), rng.uniform(0, 500, n))
        args = (curves, rng.normal(0, 200, n), 0.5, np.full(n, 400.0), np.zeros(n),
                rng.integers(0, 500, n), price_grid(100.0, 90.0, int(rng.integers(2, 12))), 0.01)
        return args, schedule_orders(*args, backend="numpy")

    cases = [case(seed) for seed in range(16)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda c: schedule_orders(*c[0], backend="numba"), cases))
    for (_, want), o in zip(cases, got):
        for field in ("owner", "side", "price", "qty"):
            assert np.array_equal(getattr(o, field), getattr(want, field)), field

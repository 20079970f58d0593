"""MAC curves: abatement at a price, its inverse and the cost (area under the curve)."""

import numpy as np
from hypothesis import given, settings, strategies as st

from carbonsim.economy.mac import MacCurves, abatement_at, abatement_cost, linear_curves, marginal_cost, step_curves


def mixed(rng, n):
    lin = linear_curves(rng.uniform(1, 300, n), rng.uniform(1, 100, n))
    stp = step_curves(rng.uniform(0, 300, (n, 3)), rng.uniform(0, 30, (n, 3)))
    return MacCurves.concat([lin, stp])


def test_linear_textbook_values():
    c = linear_curves(np.array([100.0, 300.0]), np.array([100.0, 100.0]))
    assert abatement_at(c, 45.0).tolist() == [45.0, 15.0]
    assert marginal_cost(c, np.array([45.0, 15.0])).tolist() == [45.0, 45.0]
    assert abatement_cost(c, np.array([45.0, 15.0])).tolist() == [1012.5, 337.5]
    assert marginal_cost(c, np.array([0.0, 101.0])).tolist() == [0.0, np.inf]


def test_steps_are_used_cheapest_first():
    c = step_curves(np.array([[120.0, 40.0, 400.0]]), np.array([[10.0, 5.0, 10.0]]))
    assert marginal_cost(c, np.array([5.0])).tolist() == [40.0]
    assert marginal_cost(c, np.array([5.5])).tolist() == [120.0]
    assert abatement_cost(c, np.array([15.0])).tolist() == [5 * 40 + 10 * 120]
    assert abatement_at(c, 119.99).tolist() == [5.0]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), frac=st.floats(0, 1.2))
def test_inverse_and_cost_agree_with_a_numeric_reference(seed, frac):
    rng = np.random.default_rng(seed)
    c = mixed(rng, 5)
    a = frac * c.max_abatement_t
    p = marginal_cost(c, a)
    inside = a <= c.max_abatement_t
    # MAC(a) is the smallest price at which abatement reaches a.
    assert (abatement_at(c.take(inside), p[inside]) >= a[inside] - 1e-9).all()
    lower = np.nextafter(p[inside], -np.inf)
    assert (abatement_at(c.take(inside), lower) <= a[inside] + 1e-9).all()
    cost = abatement_cost(c, np.minimum(a, c.max_abatement_t))
    for i in np.flatnonzero(inside):
        assert abs(reference_cost(c, i, a[i]) - cost[i]) <= 1e-9 * (1 + cost[i])
        # and the cost is the integral of the MAC (midpoint rule; steps make it approximate)
        grid = np.linspace(0, a[i], 4001)
        mid = (grid[1:] + grid[:-1]) / 2
        numeric = (marginal_cost(c.take(np.full(mid.size, i)), mid) * np.diff(grid)).sum()
        assert abs(numeric - cost[i]) <= 1e-2 * (1 + numeric)


def reference_cost(c, i, a):
    """Walk emitter i's segments cheapest first, paying for each tonne taken."""
    total, left = 0.0, a
    for lo, hi, w in sorted(zip(c.lo[i], c.hi[i], c.width_t[i])):
        if w <= 0 or left <= 0:
            continue
        x = min(left, w)
        total += x * lo + (hi - lo) * x * x / (2 * w)
        left -= x
    return total


def _random_curves(rng, n: int, steps: int) -> MacCurves:
    """Linear, stepped and mixed curves, some with zero-width padding and repeated costs."""
    third = max(n // 3, 1)
    parts = [linear_curves(rng.uniform(1, 300, third), rng.uniform(0, 100, third)),
             step_curves(rng.integers(0, 50, (third, steps)).astype(float) * 5.0,
                         rng.uniform(0, 30, (third, steps)) * (rng.random((third, steps)) < 0.8))]
    lo = np.sort(rng.uniform(0, 300, (third, steps)), axis=1)
    hi = np.minimum(lo + rng.uniform(0, 50, lo.shape) * (rng.random(lo.shape) < 0.7),
                    np.append(lo[:, 1:], np.full((third, 1), np.inf), axis=1))
    parts.append(MacCurves(lo, hi, rng.uniform(0, 40, lo.shape)))
    return MacCurves.concat(parts)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 9), k=st.integers(1, 6))
def test_compiled_and_numpy_curves_give_identical_floats(seed, steps, k):
    """The compiled kernels (the default with numba) against the numpy reference, to the bit:
    abatement at scalar, (N,) and (N, K) prices (including the curves' own costs, 0 and inf),
    marginal costs at any abatement (negative, inside, beyond the curve) and costs."""
    import pytest

    pytest.importorskip("numba")
    from carbonsim.economy import mac

    rng = np.random.default_rng(seed)
    curves = _random_curves(rng, int(rng.integers(1, 60)), steps)
    n = curves.lo.shape[0]
    own = np.where(np.isfinite(curves.lo), curves.lo, 0.0)[np.arange(n), rng.integers(0, steps, n)]
    prices = [float(rng.uniform(0, 400)), rng.uniform(-10, 400, n), own, np.full(n, np.inf),
              np.column_stack([rng.uniform(0, 400, (n, k)), own, np.nextafter(own, -np.inf)])]
    for p in prices:
        p = np.asarray(p, dtype=np.float64)
        want = mac._abatement_at_numpy(curves, np.broadcast_to(p, (n,)) if p.ndim < 2 else p)
        assert np.array_equal(abatement_at(curves, p), want)
    top = curves.max_abatement_t
    for a in (rng.uniform(-5, 1.2, n) * top, top, curves.cum_t[:, 0], np.zeros(n)):
        assert np.array_equal(marginal_cost(curves, a), mac._marginal_cost_numpy(curves, a))
        inside = np.minimum(np.maximum(a, 0.0), top)
        assert np.array_equal(abatement_cost(curves, inside), mac._abatement_cost_numpy(curves, inside))

def test_subnormal_segments_raise_no_overflow():
    """A segment 1e-309 t wide and 1e-309 currency/t tall (an extreme BAU in a valid file):
    one tonne is beyond it (MAC inf), a price of 1 uses it whole; no overflow warning."""
    c = linear_curves(np.array([1e-309]), np.array([1e-309]))
    with np.errstate(all="raise"):
        assert marginal_cost(c, np.array([1.0]))[0] == np.inf
        assert abatement_at(c, 1.0)[0] == 1e-309

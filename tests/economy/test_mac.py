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


def test_subnormal_segments_raise_no_overflow():
    """A segment 1e-309 t wide and 1e-309 currency/t tall (an extreme BAU in a valid file):
    one tonne is beyond it (MAC inf), a price of 1 uses it whole; no overflow warning."""
    c = linear_curves(np.array([1e-309]), np.array([1e-309]))
    with np.errstate(all="raise"):
        assert marginal_cost(c, np.array([1.0]))[0] == np.inf
        assert abatement_at(c, 1.0)[0] == 1e-309

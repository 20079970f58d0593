"""Tests of the least-cost benchmark (carbonsim.economy.equilibrium)."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from carbonsim.economy.equilibrium import intertemporal_equilibrium, static_equilibrium
from carbonsim.economy.mac import MacCurves, abatement_at, abatement_cost, linear_curves, step_curves

TWO_FIRMS = linear_curves(np.array([100.0, 300.0]), np.array([100.0, 100.0]))  # slopes 1 and 3
# A: 20 t at 10 and 20 t at 30; B: 10 t at 20 and 10 t at 30. Aggregate: 20 t at 10, 30 at 20,
# 60 at 30.
STEPS = step_curves(np.array([[10.0, 30.0], [20.0, 30.0]]), np.array([[20.0, 20.0], [10.0, 10.0]]))


def test_montgomery_two_firms():
    eq = static_equilibrium(TWO_FIRMS, 200 - 140)
    assert eq.price == pytest.approx(45.0)
    np.testing.assert_allclose(eq.abatement_t, [45.0, 15.0])
    np.testing.assert_allclose(200 / 2 - eq.abatement_t, [55.0, 85.0])  # emissions
    assert eq.cost == pytest.approx(0.5 * 45**2 + 0.5 * 3 * 15**2)  # 1012.5 + 337.5 = 1350
    assert eq.ceiling_t == 0.0


def test_hotelling_banking():
    eq = intertemporal_equilibrium(
        [TWO_FIRMS] * 3, np.full(3, 200.0), np.array([160.0, 140.0, 120.0]), discount_rate=0.05
    )
    # A(p) = p + p/3; 4/3·λ·(1 + 1.05 + 1.05²) = 40 + 60 + 80 -> λ = 135 / 3.1525 = 42.823
    np.testing.assert_allclose(eq.price, [42.82, 44.96, 47.21], atol=0.01)
    np.testing.assert_allclose(eq.bank_t, [17.10, 17.05, 0.00], atol=0.01)
    assert eq.abatement_t.shape == (3, 2)
    np.testing.assert_allclose(eq.emissions_t, 200 - eq.abatement_t.sum(axis=1))
    assert eq.pv_cost == pytest.approx((eq.cost / 1.05 ** np.arange(3)).sum())
    # 30 t banked before: 4/3·λ·3.1525 = 150 -> λ = 35.69
    eq = intertemporal_equilibrium(
        [TWO_FIRMS] * 3,
        np.full(3, 200.0),
        np.array([160.0, 140.0, 120.0]),
        discount_rate=0.05,
        initial_bank_t=30.0,
    )
    np.testing.assert_allclose(eq.price, 112.5 / 3.1525 * 1.05 ** np.arange(3))
    assert eq.bank_t[-1] == 0.0


@pytest.mark.parametrize(
    "required, price, abatement, cost",
    [
        (20.0, 10.0, [20.0, 0.0], 200.0),  # exactly fills the first step
        (25.0, 20.0, [20.0, 5.0], 300.0),  # between 20 and 30 t: the next step's cost
        (30.0, 20.0, [20.0, 10.0], 400.0),
        (45.0, 30.0, [30.0, 15.0], 850.0),  # inside the 30-currency jump, pro rata 15 / 30
        (60.0, 30.0, [40.0, 20.0], 1300.0),
    ],
)
def test_steps(required, price, abatement, cost):
    eq = static_equilibrium(STEPS, required)
    assert eq.price == price  # exactly the step's cost
    np.testing.assert_allclose(eq.abatement_t, abatement)
    assert eq.cost == pytest.approx(cost)


def test_step_beside_linear():
    # A linear 0..100 over 100 t; B 40 t at 50. Below 50 only A abates; 50..90 t is B's step.
    curves = MacCurves.concat(
        [linear_curves(np.array([100.0]), np.array([100.0])), step_curves([[50.0]], [[40.0]])]
    )
    assert static_equilibrium(curves, 30).price == pytest.approx(30.0)
    eq = static_equilibrium(curves, 60)
    assert eq.price == 50.0
    np.testing.assert_allclose(eq.abatement_t, [50.0, 10.0])
    assert static_equilibrium(curves, 95).price == pytest.approx(55.0)


def test_nothing_required_gives_price_zero():
    for required in (0.0, -40.0):
        eq = static_equilibrium(TWO_FIRMS, required)
        assert (eq.price, eq.cost, eq.ceiling_t) == (0.0, 0.0, 0.0)
        np.testing.assert_array_equal(eq.abatement_t, [0.0, 0.0])
    eq = intertemporal_equilibrium(
        [TWO_FIRMS] * 2, np.full(2, 200.0), np.full(2, 230.0), discount_rate=0.05
    )
    np.testing.assert_array_equal(eq.price, [0.0, 0.0])
    np.testing.assert_allclose(eq.bank_t, [30.0, 60.0])  # cap above BAU: the surplus carries


def test_ceiling_below_equilibrium_price():
    eq = static_equilibrium(TWO_FIRMS, 60, ceiling=30)
    assert eq.price == 30.0
    np.testing.assert_allclose(eq.abatement_t, [30.0, 10.0])
    assert eq.ceiling_t == pytest.approx(20.0)  # shortfall 60 - 40
    assert eq.cost == pytest.approx(0.5 * 30**2 + 0.5 * 3 * 10**2)  # 450 + 150
    assert static_equilibrium(TWO_FIRMS, 60, ceiling=50).price == pytest.approx(45.0)
    assert static_equilibrium(STEPS, 25, ceiling=20).ceiling_t == 0.0  # the step at 20 covers it
    assert static_equilibrium(STEPS, 45, ceiling=20).ceiling_t == pytest.approx(15.0)
    assert static_equilibrium(TWO_FIRMS, 250, ceiling=400).ceiling_t == pytest.approx(50.0)


def test_infeasible_without_ceiling_raises():
    with pytest.raises(ValueError, match="exceeds the most the emitters can abate, 200 t"):
        static_equilibrium(TWO_FIRMS, 250)
    with pytest.raises(ValueError, match="years 0.. "):
        intertemporal_equilibrium(
            [TWO_FIRMS] * 2, np.full(2, 200.0), np.array([100.0, -150.0]), discount_rate=0.0
        )
    with pytest.raises(ValueError, match="one value per year"):
        intertemporal_equilibrium([TWO_FIRMS], np.ones(2), np.ones(2), discount_rate=0.0)
    with pytest.raises(ValueError, match="price >= 0"):
        static_equilibrium(step_curves([[-5.0]], [[1.0]]), 1.0)


def test_intertemporal_ceiling_binds_in_last_year():
    # Uncapped path 42.82, 44.96, 47.21; at a ceiling of 46 the last year buys at 46, so the
    # path is 46 / 1.05^(2 - t) and the bank runs out in the last year with 4.62 t bought.
    eq = intertemporal_equilibrium(
        [TWO_FIRMS] * 3,
        np.full(3, 200.0),
        np.array([160.0, 140.0, 120.0]),
        discount_rate=0.05,
        ceiling=46.0,
    )
    np.testing.assert_allclose(eq.price, [46 / 1.05**2, 46 / 1.05, 46.0])  # 41.72, 43.81, 46
    np.testing.assert_allclose(eq.ceiling_t, [0.0, 0.0, 180 - 4 / 3 * 46 * 3.1525 / 1.05**2])
    np.testing.assert_allclose(eq.bank_t, [15.63, 14.04, 0.0], atol=0.01)


def test_ties_on_a_step():
    # Year 0 needs its whole 10 t step at 10; year 1 has 5 t spare and nothing cheap to abate.
    # Ending the block in year 1 would borrow; it ends in year 0 and year 1 is worth nothing.
    step, dear = step_curves([[10.0]], [[10.0]]), step_curves([[1000.0]], [[1.0]])
    bau = np.full(2, 100.0)
    eq = intertemporal_equilibrium([step, dear], bau, np.array([90.0, 105.0]), discount_rate=0.05)
    np.testing.assert_array_equal(eq.price, [10.0, 0.0])
    np.testing.assert_allclose(eq.bank_t, [0.0, 5.0])
    # Year 0 needs half its step, year 1 needs 5 t more: year 0 abates 10 and banks 5.
    eq = intertemporal_equilibrium([step, dear], bau, np.array([95.0, 95.0]), discount_rate=0.05)
    np.testing.assert_allclose(eq.price, [10.0, 10.5])
    np.testing.assert_allclose(eq.bank_t, [5.0, 0.0])
    np.testing.assert_allclose(eq.cost, [100.0, 0.0])
    # A free step in year 0 is banked for year 1, which would otherwise pay 0.5.
    free, ramp = step_curves([[0.0]], [[1.0]]), linear_curves(np.array([1.0]), np.array([1.0]))
    eq = intertemporal_equilibrium([free, ramp], bau, np.array([100.0, 99.5]), discount_rate=0.0)
    np.testing.assert_array_equal(eq.price, [0.0, 0.0])
    np.testing.assert_allclose(eq.bank_t, [0.5, 0.0])


def test_population_changes_and_no_banking_is_static_per_year():
    one = linear_curves(np.array([100.0]), np.array([100.0]))
    curves = [TWO_FIRMS, one]
    eq = intertemporal_equilibrium(
        curves,
        np.array([200.0, 100.0]),
        np.array([140.0, 80.0]),
        discount_rate=0.1,
        banking=False,
    )
    assert isinstance(eq.abatement_t, list) and [a.shape for a in eq.abatement_t] == [(2,), (1,)]
    np.testing.assert_allclose(eq.price, [45.0, 20.0])
    np.testing.assert_array_equal(eq.bank_t, [0.0, 0.0])
    assert eq.pv_cost == pytest.approx(1350 + 200 / 1.1)


# Random populations: linear, two-ramp and step curves (integer step costs, so ties occur).
linear = st.tuples(st.floats(1, 500), st.floats(1, 200)).map(
    lambda t: linear_curves(np.array([t[0]]), np.array([t[1]]))
)
ramps = st.lists(st.floats(0.5, 50), min_size=5, max_size=5).map(
    lambda v: MacCurves(
        np.array([[v[0], v[0] + v[1] + v[2]]]),
        np.array([[v[0] + v[1], v[0] + v[1] + v[2] + v[3]]]),
        np.array([[v[4], 2 * v[4]]]),
    )
)
steps = st.lists(st.tuples(st.integers(0, 60), st.floats(0.5, 100)), min_size=1, max_size=4).map(
    lambda s: step_curves(np.array([[c for c, _ in s]], float), np.array([[w for _, w in s]]))
)
population = st.lists(st.one_of(linear, ramps, steps), min_size=1, max_size=8).map(MacCurves.concat)


def reference(curves: MacCurves, required: float) -> tuple[float, float]:
    """Price and total cost by bisection on the price with abatement_at (slow, obviously right)."""
    if abatement_at(curves, 0.0).sum() >= required:
        return 0.0, 0.0  # met by zero-cost steps
    lo, hi = 0.0, float(curves.hi[np.isfinite(curves.hi)].max())
    while True:
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (lo, mid) if abatement_at(curves, mid).sum() >= required else (mid, hi)
    below = abatement_at(curves, lo)  # the marginal tonnes cost the price
    return hi, abatement_cost(curves, below).sum() + hi * (required - below.sum())


@settings(max_examples=300, deadline=None)
@given(population, st.floats(0.001, 1.0))
def test_matches_bisection_reference(curves, share):
    required = share * curves.max_abatement_t.sum()
    eq = static_equilibrium(curves, required)
    price, cost = reference(curves, required)
    assert eq.price == pytest.approx(price, rel=1e-6, abs=1e-9)
    assert eq.cost == pytest.approx(cost, rel=1e-6, abs=1e-9)
    assert eq.abatement_t.sum() == pytest.approx(required, rel=1e-9)
    # Every emitter is on its MAC at the price: between its abatement just below and at it.
    assert np.all(eq.abatement_t <= abatement_at(curves, eq.price) + 1e-9 * required)
    assert np.all(
        eq.abatement_t >= abatement_at(curves, eq.price * (1 - 1e-9) - 1e-9) - 1e-6 * required
    )


@settings(max_examples=200, deadline=None)
@given(population, st.floats(0.001, 1.5), st.floats(0, 80))
def test_ceiling_caps_price_and_covers_rest(curves, share, ceiling):
    required = share * curves.max_abatement_t.sum()
    eq = static_equilibrium(curves, required, ceiling=ceiling)
    assert eq.price <= ceiling
    assert eq.abatement_t.sum() + eq.ceiling_t == pytest.approx(required, rel=1e-9)
    if eq.ceiling_t > 0:
        assert eq.price == ceiling
        np.testing.assert_allclose(eq.abatement_t, abatement_at(curves, ceiling))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(population, st.floats(-0.5, 1.3)), min_size=1, max_size=5),
    st.floats(0, 0.15),
    st.one_of(st.just(np.inf), st.floats(1, 80)),
)
def test_banking_never_worse_and_hotelling_inside_blocks(years, rate, ceiling):
    curves = [c for c, _ in years]
    bau = np.full(len(years), 1000.0)
    share = np.array([u if np.isfinite(ceiling) else min(u, 0.95) for _, u in years])
    need = bau - (bau - share * [c.max_abatement_t.sum() for c in curves])  # as rounded
    kw = {"discount_rate": rate, "ceiling": ceiling}
    with_bank = intertemporal_equilibrium(curves, bau, bau - need, **kw)
    without = intertemporal_equilibrium(curves, bau, bau - need, banking=False, **kw)

    def pv_total(eq):  # abatement plus ceiling allowances, in present value
        return ((1 + rate) ** -np.arange(len(years)) * (eq.cost + eq.price * eq.ceiling_t)).sum()

    assert pv_total(with_bank) <= pv_total(without) * (1 + 1e-9) + 1e-9
    if np.isinf(ceiling):
        assert with_bank.pv_cost <= without.pv_cost * (1 + 1e-9) + 1e-9
    bank, price, bought = with_bank.bank_t, with_bank.price, with_bank.ceiling_t
    assert np.all(bank >= 0) and np.all(price <= ceiling)
    tol = 1e-7 * (1 + np.abs(need).sum())
    np.testing.assert_allclose(
        bank, np.cumsum(bau - need + bought - with_bank.emissions_t), atol=tol
    )
    assert np.all(price[bought > tol] == pytest.approx(ceiling))
    for t in range(len(years) - 1):
        assert price[t + 1] <= price[t] * (1 + rate) * (1 + 1e-9)  # no gain from banking more
        if bank[t] > tol:
            assert price[t + 1] == pytest.approx(price[t] * (1 + rate), rel=1e-12)
    if bank[-1] > tol:
        assert price[-1] == 0.0
    for c, a, p in zip(curves, with_bank.abatement_t, price):  # each emitter on its MAC
        assert np.all(a <= abatement_at(c, p * (1 + 1e-9)) + tol)
        assert np.all(a >= abatement_at(c, p * (1 - 1e-9) - 1e-9) - tol)
    single = intertemporal_equilibrium(curves[:1], bau[:1], bau[:1] - need[:1], **kw)
    assert single.price[0] == pytest.approx(
        static_equilibrium(curves[0], need[0], ceiling=ceiling).price
    )


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 1.2))
def test_the_aggregate_mac_price_is_the_static_equilibrium_price(seed, share):
    """AggregateMac.price (prepared once, asked many times) = static_equilibrium's price."""
    from carbonsim.economy.equilibrium import AggregateMac

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    lin = linear_curves(rng.uniform(1, 100, n), rng.uniform(10, 1000, n))
    steps = step_curves(rng.uniform(0, 150, (n, 3)).round(0), rng.uniform(0, 50, (n, 3)))
    curves = MacCurves.concat([lin, steps])
    required = share * float(curves.width_t.sum())
    assume(abs(share - 1.0) > 1e-6)  # at the most they can abate the two round either way
    expected = static_equilibrium(curves, required, ceiling=500.0).price
    assert AggregateMac(curves).price(required, ceiling=500.0) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_without_banking_a_control_period_is_one_pool_and_lapses_at_its_end():
    # Two firms (A(p) = p + p/3 = 4p/3), BAU 200 t a year, r = 0, two 2-year periods.
    # Caps 250, 170 | 170, 130. Year by year the requirements are −50, 30, 30, 70 t: prices 0,
    # 22.5, 22.5, 52.5. Pooled, the first period needs −50 + 30 = −20 t: nothing is worth
    # abating (p = 0), year 1 banks 50 t, year 2 uses 30 and the 20 t left lapse at the period's
    # end. The second period needs 30 + 70 = 100 t at one price: 2·(4/3)p = 100 -> p = 37.5,
    # 50 t a year; year 3 banks 170 − 150 = 20 t and year 4 uses them. Had the 20 t crossed the
    # period's end, the second period would need 80 t (p = 30); banking throughout gives one
    # price for the 80 t of the horizon: 4·(4/3)p = 80 -> p = 15.
    caps = np.array([250.0, 170.0, 170.0, 130.0])
    bau = np.full(4, 200.0)
    annual = intertemporal_equilibrium([TWO_FIRMS] * 4, bau, caps, discount_rate=0.0, banking=False)
    np.testing.assert_allclose(annual.price, [0.0, 22.5, 22.5, 52.5])
    eq = intertemporal_equilibrium([TWO_FIRMS] * 4, bau, caps, discount_rate=0.0, banking=False,
                                   period_years=2)
    np.testing.assert_allclose(eq.price, [0.0, 0.0, 37.5, 37.5])
    np.testing.assert_allclose(eq.abatement_t.sum(axis=1), [0.0, 0.0, 50.0, 50.0])
    np.testing.assert_allclose(eq.bank_t, [50.0, 0.0, 20.0, 0.0])
    banked = intertemporal_equilibrium([TWO_FIRMS] * 4, bau, caps, discount_rate=0.0)
    np.testing.assert_allclose(banked.price, 15.0)
    np.testing.assert_allclose(banked.bank_t, [70.0, 60.0, 50.0, 0.0])  # 20 t abated a year
    # A period as long as the horizon pools all of it: the banking path.
    pooled = intertemporal_equilibrium([TWO_FIRMS] * 4, bau, caps, discount_rate=0.0,
                                       banking=False, period_years=4)
    np.testing.assert_allclose(pooled.price, banked.price)
    np.testing.assert_allclose(pooled.bank_t, banked.bank_t)
    # With r = 5% the period's price rises at r: caps 170, 130 need 100 t,
    # (4/3)·λ·(1 + 1.05) = 100 -> λ = 75 / 2.05 = 36.59, then 38.41.
    eq = intertemporal_equilibrium([TWO_FIRMS] * 2, bau[:2], caps[2:], discount_rate=0.05,
                                   banking=False, period_years=3)
    np.testing.assert_allclose(eq.price, [75 / 2.05, 75 / 2.05 * 1.05])

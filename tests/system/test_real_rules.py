"""Real-system rules (MODEL.md sections 7, 8, 8b) against hand-derived economics: an opening
bank, reserve tranches whose triggers grow, APCR-style tiers, and foresight beyond the run.

The economy is the one of test_forward_market.py: four emitters of 100,000 t BAU with linear
MACs, abating A(p) = 2083.3 p t at a price p; a cap of 300,000 t needs 100,000 t abated
(p* = 48.00 without anything else). Static cases within 2%, intertemporal ones within 3%.
"""

from __future__ import annotations

import numpy as np
import pytest

import carbonsim
from carbonsim.economy.controls import controls
from carbonsim.economy.population import build_population
from _economies import A_PER_PRICE, four_firms



def test_an_opening_bank_is_shared_pro_rata_unless_emitters_give_their_own():
    s = four_firms(opening_bank_t=20_001, emitter_extra={4: {"opening_bank_t": 5_000}})
    bank = build_population(s, np.random.default_rng(0)).opening_bank_t
    assert bank[3] == 5_000  # its own
    assert bank.sum() == 20_001  # the rest, 15,001 t, split pro rata to last year's emissions
    assert bank[:3].tolist() == [5_001, 5_000, 5_000]


def test_an_opening_bank_lowers_the_price_by_what_it_covers():
    """20,000 t banked before the start cover part of the 100,000 t: A(p) = 80,000 t, so
    p = 80,000 / 2083.3 = 38.40 in every auction and on the least-cost path."""
    r = carbonsim.run(four_firms(opening_bank_t=20_000, banking=True))
    expected = 80_000 / A_PER_PRICE
    assert r.summary["least_cost_price"].iloc[0] == pytest.approx(expected, rel=0.005)
    assert r.auctions["price"].to_numpy() == pytest.approx(np.full(4, expected), rel=0.02)
    assert r.summary["opening_bank_t"].iloc[0] == 20_000
    assert r.summary["fulfillment_entities"].iloc[0] == 1.0


def test_triggers_floor_and_ceiling_grow_each_year():
    s = four_firms(reserves={"price_floor": 10.0, "price_floor_growth": 0.05, "price_ceiling": 100.0,
                          "price_ceiling_growth": 0.10,
                          "ccr": [{"trigger_price": 50.0, "volume_t": 1000, "trigger_growth": 0.07},
                                  {"trigger_price": 40.0, "volume_t": 2000}],
                          "ecr": {"trigger_price": 6.0, "volume_t": 500, "trigger_growth": 0.07}})
    year2 = controls(s.reserves, 2)
    assert year2.floor == pytest.approx(10.0 * 1.05**2) and year2.ceiling == pytest.approx(121.0)
    assert year2.ccr == ((40.0, 2000), (pytest.approx(50.0 * 1.07**2), 1000))  # lowest first
    assert year2.ecr == (pytest.approx(6.0 * 1.07**2), 500)


def test_a_ccr_trigger_that_grows_pins_the_price_at_that_years_trigger():
    """Two years, caps 300,000 t, no banking; a CCR of 50,000 t a year triggered at 40 growing
    10% a year: year 1 pins at 40 (16,667 t released), year 2 at 44 (8,333 t released)."""
    r = carbonsim.run(four_firms(years=2, reserves={"ccr": {"trigger_price": 40.0, "volume_t": 50_000,
                                                          "trigger_growth": 0.10}}))
    a = r.auctions
    assert a[a.year == 2030]["price"].to_numpy() == pytest.approx(np.full(4, 40.0), rel=0.02)
    assert a[a.year == 2031]["price"].to_numpy() == pytest.approx(np.full(4, 44.0), rel=0.02)
    assert r.summary["least_cost_price"].to_numpy() == pytest.approx([40.0, 44.0], rel=1e-6)


def test_apcr_tiers_release_in_order_of_their_triggers():
    """Tier 1 (5,000 t at 40) is not enough: at 44, A = 91,667 t plus 5,000 t leaves 3,333 t
    for tier 2 (50,000 t at 44), which pins the price at 44."""
    r = carbonsim.run(four_firms(reserves={"ccr": [{"trigger_price": 40.0, "volume_t": 5_000},
                                                {"trigger_price": 44.0, "volume_t": 50_000}]}))
    a = r.auctions
    assert a["price"].to_numpy() == pytest.approx(np.full(4, 44.0), rel=0.02)
    assert a["ccr_released_t"].sum() == pytest.approx(100_000 - 44 * A_PER_PRICE, rel=0.02)
    assert r.summary["least_cost_price"].iloc[0] == pytest.approx(44.0, rel=1e-6)


def test_foresight_years_keep_allowances_valuable_after_the_run():
    """One simulated year of a three-year path (caps 330,000 / 300,000 / 270,000 t) seen with
    two foresight years: the price is the Hotelling path's first, λ = 45.68 (not the one-year
    price of p = 70,000 / 2083.3 = 33.6), and the year banks what the path banks, 25,166 t."""
    cap = {"start": 330_000, "annual_reduction": 30_000 / 330_000}
    r = carbonsim.run(four_firms(cap=cap, banking=True, behaviour={"foresight_years": 2}))
    lam = 300_000 / (A_PER_PRICE * (1 + 1.05 + 1.05**2))
    assert r.summary["least_cost_price"].iloc[0] == pytest.approx(lam, rel=0.01)
    assert r.auctions["price"].to_numpy() == pytest.approx(np.full(4, lam), rel=0.03)
    assert r.summary["bank_t"].iloc[0] == pytest.approx(330_000 - (400_000 - lam * A_PER_PRICE), rel=0.03)


def test_rolling_horizons_value_allowances_only_within_the_horizon():
    """Three years (caps 330,000 / 300,000 / 270,000 t, banking). With a horizon of one year
    each year is solved alone: p_t = (400,000 − cap_t) / 2083.3 = 33.6 / 48.0 / 62.4 and nothing
    is banked. With a horizon of three years the first solve is the whole Hotelling path
    (λ = 45.68) and the first year banks 25,166 t, as under perfect foresight."""
    caps = [330_000, 300_000, 270_000]
    short = carbonsim.run(four_firms(years=3, cap=caps, banking=True,
                                  behaviour={"expectations": "rolling", "horizon_years": 1}))
    expected = [(400_000 - c) / A_PER_PRICE for c in caps]
    a = short.auctions
    for year, price in zip((2030, 2031, 2032), expected):
        assert a[a.year == year]["price"].to_numpy() == pytest.approx(np.full(4, price), rel=0.03)
    assert short.summary["bank_t"].iloc[0] == pytest.approx(0, abs=1000)
    long = carbonsim.run(four_firms(years=3, cap=caps, banking=True,
                                 behaviour={"expectations": "rolling", "horizon_years": 3}))
    lam = 300_000 / (A_PER_PRICE * (1 + 1.05 + 1.05**2))
    assert long.auctions[long.auctions.year == 2030]["price"].to_numpy() == pytest.approx(np.full(4, lam), rel=0.03)
    assert long.summary["bank_t"].iloc[0] == pytest.approx(330_000 - (400_000 - lam * A_PER_PRICE), rel=0.03)


@pytest.mark.parametrize("period", [{"period_years": 2, "interim_share": 0.0},
                                    {"period_years": 3, "interim_share": 0.5}])
def test_rolling_horizons_count_what_a_control_period_carries(period):
    """The one-year-horizon case above with multi-year control periods: each year is still
    solved alone, p_t = 33.6 / 48.0 / 62.4. With two-year periods and no interim share, 2030's
    whole 330,000 t is carried to the deadline of 2031 (April 2032). At the start of 2032 the
    emitters hold 630,000 t of the 2030-31 vintages against 630,000 t owed, so 2032 starts from
    a bank of 0. Counting only the years whose deadline is still to come (2031, 300,000 t) would
    see a bank of 330,000 t, more than 2032's 130,000 t gap, and plan at a price of 0."""
    caps = [330_000, 300_000, 270_000]
    r = carbonsim.run(four_firms(years=3, cap=caps, banking=True, compliance=period,
                                 behaviour={"expectations": "rolling", "horizon_years": 1}))
    a = r.auctions
    for year, cap in zip((2030, 2031, 2032), caps):
        price = (400_000 - cap) / A_PER_PRICE
        assert a[a.year == year]["price"].to_numpy() == pytest.approx(np.full(4, price), rel=0.01)
    assert r.summary["fulfillment_entities"].tolist() == [1.0, 1.0, 1.0]


def test_rolling_expectations_need_a_horizon():
    from carbonsim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="horizon_years"):
        four_firms(behaviour={"expectations": "rolling"})


ROLLING_2 = {"expectations": "rolling", "horizon_years": 2}


def _year_price(result, year: int) -> np.ndarray:
    a = result.auctions
    return a[a.year == year]["price"].to_numpy()


@pytest.mark.parametrize("growth", [0.0, [0.0, 0.9], None])
def test_rolling_horizons_plan_on_the_expected_bau_and_learn_the_true_one(growth):
    """Two years, caps 330,000 / 270,000 t, banking, a two-year horizon; each emitter's BAU is
    100,000 t in 2030 and 90,000 t in 2031 (the curves narrow with it: A_2031(p) = 0.9 A(p)).
    With ``expected_bau_growth: 0`` the 2030 re-solve sees 2031 as 2030's BAU, 400,000 t on
    A(p): λ (1 + 1.05) A = 800,000 − 600,000, p_2030 = 46.83, and 2030 banks
    330,000 − (400,000 − 46.83 A) = 27,561 t. In 2031 the true BAU is seen: 0.9 A p_2031 =
    360,000 − 270,000 − K_2030, p_2031 = 33.30. On the true BAU (null, the default) 2030 solves
    λ (1 + 0.9 × 1.05) A = 160,000, p_2030 = 39.47, banking 12,230 t; p_2031 = 41.44. A list
    gives the rate of each year's re-solves: [0, 0.9] is 0 for 2030's (2031's sees no later
    year), the same run."""
    feature = growth is not None
    r = carbonsim.run(four_firms(years=2, cap=[330_000, 270_000], banking=True,
                                 emitter_extra={k: {"output": [100_000, 90_000]} for k in (1, 2, 3, 4)},
                                 behaviour={**ROLLING_2, "expected_bau_growth": growth}))
    if feature:
        p1 = 200_000 / (A_PER_PRICE * 2.05)
    else:
        p1 = 160_000 / (A_PER_PRICE * (1 + 0.9 * 1.05))
    bank = 330_000 - (400_000 - p1 * A_PER_PRICE)
    assert _year_price(r, 2030) == pytest.approx(np.full(4, p1), rel=0.03)
    assert r.summary["bank_t"].iloc[0] == pytest.approx(bank, rel=0.05)
    p2 = (90_000 - r.summary["bank_t"].iloc[0]) / (0.9 * A_PER_PRICE)
    assert _year_price(r, 2031) == pytest.approx(np.full(4, p2), rel=0.03)
    assert p2 == pytest.approx(33.30 if feature else 41.44, rel=0.03)


@pytest.mark.parametrize("feature", [True, False])
def test_a_cap_cut_announced_in_the_second_year_is_planned_on_from_then(feature):
    """Two years, caps 330,000 / 240,000 t, BAU 400,000 t a year, banking, a two-year horizon.
    With ``supply_expected: {cap: [330,000, 270,000], until_year: 2031}`` the 2030 re-solve
    plans on the old 2031 cap: λ (1 + 1.05) A = 800,000 − 600,000, p_2030 = 46.83, banking
    27,561 t; in 2031 the cut is known: A p_2031 = 400,000 − 240,000 − K_2030, p_2031 = 63.57.
    Known from the start (no key), 2030 solves λ 2.05 A = 230,000, p_2030 = 53.85, banking
    42,187 t, and p_2031 = 56.54 = 1.05 p_2030."""
    told = {"supply_expected": {"cap": [330_000, 270_000], "until_year": 2031}} if feature else {}
    r = carbonsim.run(four_firms(years=2, cap=[330_000, 240_000], banking=True,
                                 behaviour={**ROLLING_2, **told}))
    p1 = (200_000 if feature else 230_000) / (A_PER_PRICE * 2.05)
    assert _year_price(r, 2030) == pytest.approx(np.full(4, p1), rel=0.03)
    assert r.summary["bank_t"].iloc[0] == pytest.approx(330_000 - (400_000 - p1 * A_PER_PRICE), rel=0.05)
    p2 = (160_000 - r.summary["bank_t"].iloc[0]) / A_PER_PRICE
    assert _year_price(r, 2031) == pytest.approx(np.full(4, p2), rel=0.03)
    assert p2 == pytest.approx(63.57 if feature else 56.54, rel=0.03)


def test_make_good_is_priced_at_the_planned_path_under_rolling_horizons():
    """With make-good and a penalty of 1, an allowance missing in 2030 costs 1 plus next year's
    price. The emitters plan on caps 330,000 / 240,000 t until 2031 (true: 300,000 in 2031), so
    their 2030 plan is λ 2.05 A = 230,000 t: p_2030 = 53.85 and p_2031 = 56.54, while the true
    least-cost path has 41.80 for 2031. Anchored to that path, buyers would stop at 42.80 and
    the 2030 auctions clear there, below the price they plan on. Anchored to their own plan,
    the auctions clear at 53.85. In 2031 the true cap is known: A p = 100,000 − K_2030."""
    r = carbonsim.run(four_firms(years=2, cap=[330_000, 300_000], banking=True,
                                 compliance={"penalty_per_t": 1.0, "make_good": True},
                                 behaviour={**ROLLING_2, "supply_expected": {
                                     "cap": [330_000, 240_000], "until_year": 2031}}))
    assert _year_price(r, 2030) == pytest.approx(np.full(4, 230_000 / (2.05 * A_PER_PRICE)), rel=0.01)
    p2 = (100_000 - r.summary["bank_t"].iloc[0]) / A_PER_PRICE
    assert _year_price(r, 2031) == pytest.approx(np.full(4, p2), rel=0.01)
    assert r.summary["fulfillment_volume"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("told, message", [
    ({"cap": [330_000], "until_year": 2031}, "supply_expected.cap.*expected 2 values"),
    ({"cap": [330_000, 270_000], "until_year": 2030}, "supply_expected.until_year.*2031-2031"),
    ({"cap": [330_000, 270_000], "until_year": 2040}, "supply_expected.until_year.*got 2040"),
    (None, "expected_bau_growth.*expected 2 values"),
])
def test_the_expectations_have_a_value_a_year_and_are_announced_within_the_run(told, message):
    from carbonsim.scenario import ScenarioError

    keys = {"supply_expected": told} if told else {"expected_bau_growth": [0.01, 0.01, 0.01]}
    with pytest.raises(ScenarioError, match=message):
        four_firms(years=2, banking=True, behaviour={**ROLLING_2, **keys})

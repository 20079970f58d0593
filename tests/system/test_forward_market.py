"""The forward-looking market (MODEL.md sections 5, 7, 8) against hand-derived economics.

The economy: four emitters of 100,000 t BAU each with linear MACs MAC_i(a) = k_i · a / 1000
(k = 1, 2, 3, 4: ``cost_at_max`` 100·k at the whole of BAU), so at a price p emitter i abates
a_i(p) = 1000 p / k_i and the four together A(p) = 1000 p (1 + 1/2 + 1/3 + 1/4) = 2083.3 p t.
A cap of 300,000 t needs 100,000 t abated: the static equilibrium is p* = 100,000 / 2083.3 =
48.00 (Montgomery). Everything is auctioned (no free allocation), over the year's auction dates.
Static cases must land within 2%, intertemporal ones within 3% (the issue's tolerances).
"""

from __future__ import annotations

import numpy as np
import pytest

import carbonsim
from _economies import A_PER_PRICE, MONTHS, QUARTERS, four_firms



def run(scenario):
    return carbonsim.run(scenario)


@pytest.mark.parametrize("dates", [QUARTERS, MONTHS], ids=["4 auctions", "12 auctions"])
@pytest.mark.parametrize("expectations", ["hotelling", "perfect_foresight"])
def test_a_year_sold_in_many_auctions_clears_each_at_the_static_equilibrium(dates, expectations):
    """Each emitter counts its share of the auctions still to come, so the first auction faces
    only the demand that is left after them: every auction clears at p* = 48.00 and the whole
    cap is sold (with one auction on 1 January it is the textbook call auction)."""
    r = run(four_firms(dates, expectations=expectations))
    a = r.auctions
    assert len(a) == len(dates)
    assert a["price"].to_numpy() == pytest.approx(np.full(len(dates), 48.0), rel=0.02)
    assert a["sold_t"].sum() == 300_000
    assert r.summary["fulfillment_entities"].iloc[0] == 1.0
    assert r.summary["efficiency"].iloc[0] == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize("unsold", ["cancel", "carry_forward"])
def test_a_reserve_price_above_the_equilibrium_sets_every_auction_price(unsold):
    """With a reserve price of 60 > p*, nobody pays less: each emitter abates 1000·60/k_i, in
    all A(60) = 125,000 t, so 275,000 t are bought at 60 and 25,000 t stay unsold (cancelled,
    or carried to the next auction and unsold again at the year's end)."""
    r = run(four_firms(auctions={"reserve_price": 60.0, "unsold": unsold}))
    a = r.auctions
    sold = a["price"].dropna()
    assert sold.to_numpy() == pytest.approx(np.full(len(sold), 60.0), rel=0.02)
    assert a["sold_t"].sum() == pytest.approx(400_000 - 60 * A_PER_PRICE, rel=0.02)
    assert r.summary["least_cost_price"].iloc[0] == pytest.approx(60.0, rel=1e-6)
    if unsold == "carry_forward":  # what the first auctions leave is offered again later
        assert (a["offered_t"].to_numpy()[1:] > 75_000).all()
    else:
        assert (a["offered_t"] == 75_000).all()


def test_offsets_with_a_binding_limit_lift_the_price_above_their_own():
    """Offsets at 30 up to 5% of the obligation: abatement A and offsets 0.05 (400,000 − A)
    cover the 100,000 t, so A = 80,000 / 0.95 = 84,211 t at p = A / 2083.3 = 40.42 > 30: the
    limit binds and the offsets used are 0.05 × 315,789 = 15,789 t."""
    r = run(four_firms(compliance={"offsets": {"price": 30.0, "limit": 0.05}}))
    expected_price = (80_000 / 0.95) / A_PER_PRICE
    assert r.auctions["price"].to_numpy() == pytest.approx(np.full(4, expected_price), rel=0.02)
    assert r.compliance["offsets_t"].sum() == pytest.approx(0.05 * (400_000 - 80_000 / 0.95), rel=0.02)
    assert r.summary["least_cost_price"].iloc[0] == pytest.approx(expected_price, rel=0.005)


def test_offsets_with_a_slack_limit_set_the_price_at_their_own():
    """Offsets at 30 up to half of the obligation: the market buys offsets until an allowance
    is worth no more than one, so p = 30, A(30) = 62,500 t, and 37,500 t of offsets, not more
    (each emitter buying for its own gap would buy a third more and sink the price)."""
    r = run(four_firms(compliance={"offsets": {"price": 30.0, "limit": 0.5}}))
    assert r.auctions["price"].to_numpy() == pytest.approx(np.full(4, 30.0), rel=0.02)
    assert r.compliance["offsets_t"].sum() == pytest.approx(100_000 - 30 * A_PER_PRICE, rel=0.02)
    assert r.summary["fulfillment_entities"].iloc[0] == 1.0


def test_a_ccr_below_the_equilibrium_is_released_in_part_and_pins_its_trigger():
    """A CCR of 50,000 t triggered at 40 < p*: at 40 the emitters abate 83,333 t, so only
    16,667 t of the reserve are needed and the price stays at the trigger, 40."""
    r = run(four_firms(reserves={"ccr": {"trigger_price": 40.0, "volume_t": 50_000}}))
    a = r.auctions
    assert a["price"].to_numpy() == pytest.approx(np.full(4, 40.0), rel=0.02)
    # What is released is the difference of two large numbers: check the total it makes.
    assert a["sold_t"].sum() == pytest.approx(400_000 - 40 * A_PER_PRICE, rel=0.005)
    assert 0 < a["ccr_released_t"].sum() < 50_000
    assert r.summary["least_cost_price"].iloc[0] == pytest.approx(40.0, rel=1e-6)


def test_an_ecr_above_the_equilibrium_withholds_in_part_and_pins_its_trigger():
    """An ECR of 50,000 t triggered at 55 > p*: at 55 the emitters abate 114,583 t and need
    285,417 t, so 14,583 t are withheld and the price holds at the trigger, 55."""
    r = run(four_firms(reserves={"ecr": {"trigger_price": 55.0, "volume_t": 50_000}}))
    a = r.auctions
    assert a["price"].to_numpy() == pytest.approx(np.full(4, 55.0), rel=0.02)
    assert a["sold_t"].sum() == pytest.approx(400_000 - 55 * A_PER_PRICE, rel=0.005)
    assert 0 < a["ecr_withheld_t"].sum() < 50_000
    assert r.summary["least_cost_price"].iloc[0] == pytest.approx(55.0, rel=1e-6)


def test_a_binding_borrowing_limit_is_planned_for():
    """Caps 300,000 then 380,000 t; 5% of an obligation may be borrowed from next year. The
    first year borrows the most it may: E1 = 300,000 / 0.95 = 315,789 t, so A1 = 84,211 t and
    p1 = 40.42; the second year repays it: E2 = 380,000 − 15,789 = 364,211 t, A2 = 35,789 t,
    p2 = 17.18. The limit binds: p1 > p2 / 1.05 (without it p1 would be 48.00)."""
    r = run(four_firms(years=2, cap=[300_000, 380_000], banking=True,
                    compliance={"borrowing": 0.05}))
    e1 = 300_000 / 0.95
    p1, p2 = (400_000 - e1) / A_PER_PRICE, (400_000 - (380_000 - 0.05 * e1)) / A_PER_PRICE
    s = r.summary
    assert s["least_cost_price"].to_numpy() == pytest.approx([p1, p2], rel=0.03)
    a = r.auctions
    assert a[a.year == 2030]["price"].to_numpy() == pytest.approx(np.full(4, p1), rel=0.03)
    assert a[a.year == 2031]["price"].to_numpy() == pytest.approx(np.full(4, p2), rel=0.03)
    assert s["emissions_t"].iloc[0] == pytest.approx(e1, rel=0.03)


def test_full_auctioning_with_banking_follows_hotelling_and_banks_what_the_path_banks():
    """Caps 330,000 / 300,000 / 270,000 t, banking at r = 5% under perfect foresight. While
    the bank is positive the price grows at r: p_t = λ 1.05^t with A(λ)(1 + 1.05 + 1.1025) =
    300,000 t, so λ = 45.68 and the years abate 95,166 / 99,924 / 104,920 t; the first year
    banks 330,000 − 304,834 = 25,166 t, bought in its auctions (cover at least 1)."""
    r = run(four_firms(years=3, cap=[330_000, 300_000, 270_000], banking=True))
    lam = 300_000 / (A_PER_PRICE * (1 + 1.05 + 1.05**2))
    path = lam * 1.05 ** np.arange(3)
    a = r.auctions
    for t, year in enumerate((2030, 2031, 2032)):
        prices = a[a.year == year]["price"].to_numpy()
        assert prices == pytest.approx(np.full(4, path[t]), rel=0.03)
    assert (a["cover_ratio"] >= 1).all()
    assert a[a.year == 2030]["sold_t"].sum() == 330_000
    s = r.summary
    assert s["bank_t"].iloc[0] == pytest.approx(330_000 - (400_000 - lam * A_PER_PRICE), rel=0.03)
    assert s["efficiency"].iloc[0] == pytest.approx(1.0, abs=0.03)


def test_efficiency_is_the_horizons_and_the_yearly_ratio_is_its_own_column():
    """With banking one year's cost moves to another: the headline efficiency is least-cost
    over simulated cost over the whole horizon, discounted, the same in every row."""
    r = run(four_firms(years=3, cap=[330_000, 300_000, 270_000], banking=True))
    s = r.summary
    assert s["efficiency"].nunique() == 1
    lc = s["least_cost_abatement_cost"].to_numpy() / 1.05 ** np.arange(3)
    sim = s["abatement_cost"].to_numpy() / 1.05 ** np.arange(3)
    assert s["efficiency"].iloc[0] == pytest.approx(lc.sum() / sim.sum(), rel=1e-9)
    assert "efficiency_year" in s


def auction_against_market(result) -> "list[tuple[str, float, float, float]]":
    """(date, auction price, the week's volume-weighted secondary price or NaN, least-cost
    price) for every auction that sold."""
    prices, lc = result.prices, result.summary.set_index("year")["least_cost_price"]
    dates = prices["date"].to_numpy(dtype="datetime64[D]")
    rows = []
    for a in result.auctions.itertuples():
        if not a.sold_t:
            continue
        day = np.datetime64(a.date, "D")
        week = (dates >= day) & (dates < day + 7) & (prices["volume_t"].to_numpy() > 0)
        v = prices["volume_t"].to_numpy()[week]
        secondary = float((prices["price"].to_numpy()[week] * v).sum() / v.sum()) if v.sum() else np.nan
        rows.append((str(day), float(a.price), secondary, float(lc[a.year])))
    return rows


@pytest.mark.parametrize("rel", ["rggi.yaml", "eu-ets-2024.yaml"])
def test_real_calendars_clear_every_auction_at_the_market_and_least_cost_price(rel):
    """RGGI on its real quarterly calendar and the EU with monthly auctions, expecting the
    least-cost path: each auction within 5% of the same week's secondary price (where both
    trade) and of the least-cost price. (rggi.yaml itself plans on rolling horizons.)"""
    from _economies import SCENARIOS
    from carbonsim.scenario import load_scenario, load_scenario_dict, scenario_dict

    data = scenario_dict(load_scenario(SCENARIOS / rel))
    data["behaviour"].update(expectations="perfect_foresight", horizon_years=None)  # the path itself
    rows = auction_against_market(run(load_scenario_dict(data)))
    assert len(rows) >= 12
    for day, auction, secondary, least_cost in rows:
        assert auction == pytest.approx(least_cost, rel=0.05), day
        if np.isfinite(secondary):
            assert auction == pytest.approx(secondary, rel=0.05), day

"""Policy instruments in whole runs: auctions, reserves, price controls, offsets, frictions.

Each test changes the textbook two-firm economy (BAU 100 t each, MAC slopes 1 and 3, cap 140,
least-cost price 45) in one respect and checks the instrument's effect against hand economics.
The engine checks its accounting invariants after every event, so every run here also checks
that no allowance, offset or unit of cash is created or lost.
"""

import numpy as np
import pytest

import carbonsim
from carbonsim.scenario import load_scenario, scenario_dict
from carbonsim.scenario.loader import load_scenario_dict
from _economies import SCENARIOS, textbook, two_firms


def test_continuous_market_reaches_the_montgomery_outcome():
    r = carbonsim.run(textbook(market={"mechanism": "continuous"}))
    e = r.compliance.set_index("id")["emissions_t"]
    assert e["A"] == pytest.approx(55, abs=1.5) and e["B"] == pytest.approx(85, abs=1.5)
    traded = r.prices[r.prices.volume_t > 0]
    assert ((traded.price > 40) & (traded.price < 50)).all()
    assert r.summary.fulfillment_entities.iloc[0] == 1.0


def test_a_price_ceiling_sells_allowances_at_the_ceiling():
    r = carbonsim.run(textbook(emitters=two_firms(100, 40), reserves={"price_ceiling": 40.0}))
    s = r.summary.iloc[0]
    assert s.least_cost_price == pytest.approx(40.0)
    assert r.prices.price.max() <= 40.0 + 1e-9
    # B buys beyond the cap at the ceiling: emissions exceed the cap, everyone complies.
    assert s.emissions_t > 140.5 and s.fulfillment_entities == 1.0
    abated = r.compliance.set_index("id")["abatement_t"]
    assert abated["A"] == pytest.approx(40, abs=1.5) and abated["B"] == pytest.approx(40 / 3, abs=1.5)


def test_a_price_floor_buys_back_surplus_allowances():
    r = carbonsim.run(textbook(cap=250, emitters=two_firms(125, 125), reserves={"price_floor": 10.0}))
    traded = r.prices[r.prices.volume_t > 0]
    assert len(traded) > 0 and (traded.price >= 10.0 - 1e-9).all()
    # With allowances bought back at 10, each emitter abates up to MAC = 10.
    abated = r.compliance.set_index("id")["abatement_t"]
    assert abated["A"] == pytest.approx(10, abs=1.5) and abated["B"] == pytest.approx(10 / 3, abs=1.5)


def test_floor_buy_backs_leave_the_allowances_of_an_open_year_with_their_owners():
    # Banking off, two years: in 2022, before the 2021 deadline, the emitters sell their
    # surplus to the regulator at the floor; they must keep the 2021 vintage they owe.
    r = carbonsim.run(textbook(years=2, cap=240, emitters=two_firms(120, 120),
                               compliance={"banking": False}, reserves={"price_floor": 10.0}))
    assert r.summary.volume_t.sum() > 0  # the floor did buy
    assert (r.summary.fulfillment_entities == 1.0).all()
    assert r.summary.penalties.sum() == 0.0 and r.compliance.shortfall_t.sum() == 0


def auction_economy(**reserves):
    changes = dict(emitters=two_firms(35, 35), allocation={"industry": {"rule": "fixed"}, "auction_share": 0.5},
                   calendar={"auctions": ["01-01"]}, auctions={"reserve_price": 5.0})
    if reserves:
        changes["reserves"] = reserves
    return textbook(**changes)


def test_primary_auction_sells_the_auction_share_near_the_equilibrium_price():
    r = carbonsim.run(auction_economy())
    a = r.auctions.iloc[0]
    assert a.offered_t == 70 and a.sold_t == 70
    assert a.price == pytest.approx(45.0, rel=0.05)
    e = r.compliance.set_index("id")["emissions_t"]
    assert e["A"] == pytest.approx(55, abs=1.5) and e["B"] == pytest.approx(85, abs=1.5)


def test_cost_containment_reserve_releases_volume_above_its_trigger():
    r = carbonsim.run(auction_economy(ccr={"trigger_price": 30.0, "volume_t": 10}))
    a = r.auctions.iloc[0]
    assert a.ccr_released_t == 10 and a.offered_t == 80 and a.sold_t == 80
    assert r.summary.emissions_t.iloc[0] == pytest.approx(150, abs=1)
    assert a.price < 45.0


def test_emissions_containment_reserve_withholds_volume_below_its_trigger():
    r = carbonsim.run(auction_economy(ecr={"trigger_price": 60.0, "volume_t": 10}))
    a = r.auctions.iloc[0]
    assert a.ecr_withheld_t == 10 and a.offered_t == 60
    assert r.summary.emissions_t.iloc[0] == pytest.approx(130, abs=1)


def test_cheap_offsets_replace_abatement_up_to_their_limit():
    r = carbonsim.run(textbook(compliance={"offsets": {"limit": 0.1, "price": 10.0}}))
    c = r.compliance.set_index("id")
    assert c.offsets_t.sum() >= 13  # about 10% of each obligation
    assert r.summary.least_cost_price.iloc[0] < 45.0
    assert r.summary.price_close.iloc[0] < 45.0
    assert r.summary.fulfillment_entities.iloc[0] == 1.0


def test_make_good_deducts_a_shortfall_from_next_years_allocation():
    sc = textbook(years=2, cap=[140, 140], emitters=two_firms([100, 100], [40, 40]),
                  compliance={"penalty_per_t": 30, "make_good": True, "banking": False})
    r = carbonsim.run(sc)
    c = r.compliance.set_index(["id", "year"])
    short = c.loc[("B", 2021), "shortfall_t"]
    # A's price cap (penalty + next year's price) is far above 45, so B buys rather than pays.
    assert short == 0
    sc = textbook(emitters=two_firms(70, 0), compliance={"penalty_per_t": 0, "make_good": False})
    r = carbonsim.run(sc)
    assert r.compliance.set_index("id").loc["B", "shortfall_t"] > 0  # no penalty: no compliance


def test_daily_limit_keeps_every_price_inside_the_band():
    sc = load_scenario(SCENARIOS / "hotelling-banking.yaml")
    data = scenario_dict(sc)
    data["market"]["daily_limit"] = 0.02
    r = carbonsim.run(load_scenario_dict(data))
    p = r.prices.dropna(subset=["price", "limit_low"])
    assert len(p) > 0
    assert ((p.price >= p.limit_low - 0.011) & (p.price <= p.limit_high + 0.011)).all()


@pytest.mark.parametrize("change", [
    {"behaviour": {"participation": {"start": 0.3, "at_deadline": 1.0}}},
    {"market": {"fee_per_t": 1.0, "min_lot": 5}},
    {"behaviour": {"gap_fraction": 0.3, "output_uncertainty": 0.05, "review_days": 20}},
    {"compliance": {"borrowing": 0.1, "shortfall_cap": 0.2}},
])
def test_frictions_run_and_keep_the_books(change):
    data = scenario_dict(load_scenario(SCENARIOS / "hotelling-banking.yaml"))
    for key, value in change.items():
        data[key] = {**data[key], **value}
    r = carbonsim.run(load_scenario_dict(data))
    s = r.summary
    assert (s.fulfillment_volume > 0.9).all()
    c = r.compliance
    assert (c.surrendered_t + c.shortfall_t == c.obligation_t).all()
    assert np.isfinite(s.abatement_cost).all()


def test_market_stability_reserve_takes_in_a_share_of_a_large_surplus():
    data = scenario_dict(load_scenario(SCENARIOS / "hotelling-banking.yaml"))
    data.update(cap=[300, 300, 300], emitters=two_firms([120] * 3, [120] * 3))  # BAU 200 t
    data["allocation"] = {"industry": {"rule": "fixed"}, "auction_share": 0.2}
    data["calendar"]["auctions"] = ["02-01"]
    data["auctions"] = {"reserve_price": 1.0, "unsold": "reserve"}
    data["reserves"] = {"msr": {"upper_threshold_t": 20, "lower_threshold_t": 5,
                                "intake_rate": 0.24, "release_t": 10}}
    r = carbonsim.run(load_scenario_dict(data))
    msr = r.msr.set_index("year")
    first = msr.loc[2021]
    assert first.tnac_t > 20 and first.intake_t == int(0.24 * first.tnac_t)
    offered = r.auctions.set_index("year").offered_t
    # next year's auction shrinks by the intake (unsold volume goes to the reserve too)
    assert offered[2022] == 60 - first.intake_t + first.release_t
    assert (msr.held_t >= 0).all()

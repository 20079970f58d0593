"""Tests of the supply balance (carbonsim.sim.supply): it closes to the tonne for every bundled
scenario, its lines agree with the tables they come from and with the registry's own counts."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from _economies import textbook, two_firms
import _library as library  # one run per bundled scenario, shared with the library tests

import carbonsim
from carbonsim.sim.calendar import Schedule
from carbonsim.sim.supply import BALANCE_COLUMNS, regulator_trades

INTEGER = ["opening_bank_t", "reserve_sold_t", "ceiling_sold_t", "floor_bought_t", "offsets_t",
           "cancelled_t", "emissions_owed_t", "shortfall_t", "bank_change_t"]


def carried_sold_before_last_deadline(scenario, result) -> np.ndarray:
    """Per year y: unsold auction volume carried into year y+1 and sold at its auctions on or
    before year y's deadline, t. bank_t, counted at that deadline, already holds it; the
    balance books it to year y+1, the year of its auction."""
    years = scenario.years
    out = np.zeros(years, dtype=np.int64)
    if scenario.auctions is None or scenario.auctions.unsold != "carry_forward" or result.auctions.empty:
        return out
    schedule = Schedule(scenario.calendar, scenario.start_year, years)
    origin = dt.date(scenario.start_year, 1, 1)
    auctions = result.auctions.sort_values("date", kind="stable")
    for y in range(years - 1):
        this = auctions[auctions.year == scenario.start_year + y]
        carried = int(this.offered_t.iloc[-1] - this.sold_t.iloc[-1]) if len(this) else 0
        deadline = np.datetime64(origin + dt.timedelta(days=schedule.day(y, "compliance_deadline")))
        for row in auctions[auctions.year == scenario.start_year + y + 1].itertuples():
            if carried <= 0 or np.datetime64(row.date, "D") > deadline:
                break
            sold = min(carried, int(row.sold_t))
            out[y] += sold
            carried -= sold
    return out


@pytest.mark.parametrize("rel", library.IDS)
def test_the_supply_balance_of_every_bundled_scenario_closes_to_the_tonne(rel):
    scenario, result, _ = library.run_of(rel)
    s = result.summary.astype({"allocated_t": np.int64, "auctioned_t": np.int64})
    assert list(s.columns[-len(BALANCE_COLUMNS):]) == BALANCE_COLUMNS
    for col in INTEGER:
        assert s[col].dtype.kind == "i", col
    supply = (s.opening_bank_t + s.allocated_t + s.auctioned_t + s.ceiling_sold_t
              - s.floor_bought_t + s.offsets_t)
    used = s.cancelled_t + s.emissions_owed_t - s.shortfall_t
    assert (supply - used - s.bank_change_t == 0).all()
    # Each line is its own table's total ...
    comp = result.compliance.groupby("year")
    assert (s.offsets_t.to_numpy() == comp.offsets_t.sum().to_numpy()).all()
    assert (s.shortfall_t.to_numpy() == comp.shortfall_t.sum().to_numpy()).all()
    covered = comp.surrendered_t.sum().to_numpy()  # allowances, offsets, borrowing
    owed_extra = comp.obligation_t.sum().to_numpy() - s.emissions_owed_t.to_numpy()
    assert (owed_extra >= 0).all()  # claw-backs the holdings could not cover
    assert (s.emissions_owed_t - s.shortfall_t + owed_extra == covered).all()
    rounded = np.rint(result.compliance.emissions_t).groupby(result.compliance.year).sum()
    if scenario.compliance.shortfall_cap is None:
        # Each deadline takes what is due there: within a control period (RGGI, California) an
        # interim deadline takes a share of its year's emissions and the final one the rest, so
        # the lines add up to the emissions over each period (each year with one-year periods).
        period = np.arange(len(s)) // scenario.compliance.period_years
        owed = s.emissions_owed_t.groupby(period).sum().to_numpy()
        assert (owed == rounded.groupby(period).sum().to_numpy()).all()
    # ... and the running balance is the bank: after the last year exactly the allowances the
    # registry says the emitters hold, and each year bank_t but for the carried auction volume
    # sold before that year's deadline.
    assert int(s.bank_change_t.sum()) == result.extras["held_t"] == int(s.bank_t.iloc[-1])
    early = carried_sold_before_last_deadline(scenario, result)
    np.testing.assert_array_equal(s.bank_change_t.cumsum().to_numpy() + early, s.bank_t.to_numpy())
    # The cap side: what was neither given free nor sold from the cap (finite caps only).
    cap = np.isfinite(s.cap_t)
    lhs = s.allocated_t[cap] + s.auctioned_t[cap]
    np.testing.assert_allclose(lhs, s.cap_t[cap] - s.cap_not_sold_t[cap] + s.reserve_sold_t[cap])
    assert s.cap_not_sold_t[~cap].isna().all()


@pytest.mark.parametrize("rel", library.IDS)
def test_government_revenue_is_what_the_registry_collected(rel):
    _, result, _ = library.run_of(rel)
    s, cash = result.summary, result.extras["party_cash"]
    auctioneer, reserve, penalties = cash["auctioneer"], cash["reserve"], cash["penalties"]
    traded = float((result.trades.qty_t * result.trades.price).sum())  # its float dust nets out
    scale = max(1.0, abs(auctioneer) + abs(reserve) + abs(penalties) + traded)
    assert s.auction_revenue.sum() == pytest.approx(auctioneer, abs=1e-9 * scale)
    assert s.government_revenue.sum() == pytest.approx(auctioneer + reserve + penalties,
                                                       abs=1e-9 * scale)


def test_sales_at_the_ceiling_are_booked_and_priced_at_the_ceiling():
    # The textbook economy (least-cost price 45) under a ceiling of 30: the regulator sells
    # whatever is bid at 30, so emissions exceed the cap by what it sold.
    result = carbonsim.run(textbook(reserves={"price_ceiling": 30.0}))
    s = result.summary
    assert s.ceiling_sold_t.iloc[0] > 0 and s.floor_bought_t.sum() == 0
    assert s.emissions_owed_t.iloc[0] == s.cap_t.iloc[0] + s.ceiling_sold_t.iloc[0] - s.bank_change_t.iloc[0]
    reg = regulator_trades(result.trades, int(s.year.iloc[0]), 1)
    days = result.trades.assign(t=result.trades.side * result.trades.qty_t).groupby("date").t.sum()
    at_ceiling = result.trades[result.trades.date.isin(days[days > 0].index)]
    assert (at_ceiling.price == 30.0).all()
    assert reg.ceiling_revenue.iloc[0] == pytest.approx(30.0 * s.ceiling_sold_t.iloc[0])


def test_floor_purchases_are_booked_at_the_floor():
    # A slack cap with a floor: the regulator buys what is offered at the floor and cancels it.
    r = carbonsim.run(textbook(cap=250, emitters=two_firms(125, 125), reserves={"price_floor": 10.0}))
    s = r.summary
    assert s.floor_bought_t.sum() > 0 and s.ceiling_sold_t.sum() == 0
    assert s.bank_change_t.sum() == r.extras["held_t"]
    reg = regulator_trades(r.trades, int(s.year.iloc[0]), len(s))
    assert reg.floor_spending.sum() == pytest.approx(10.0 * s.floor_bought_t.sum())
    assert r.extras["party_cash"]["reserve"] == pytest.approx(-reg.floor_spending.sum())
    assert s.government_revenue.sum() == pytest.approx(-reg.floor_spending.sum())


def test_without_banking_what_is_left_at_the_deadline_lapses():
    r = carbonsim.run(textbook(cap=250, emitters=two_firms(125, 125)))  # banking: false
    s = r.summary
    assert s.cancelled_t.iloc[0] > 0 and s.bank_t.iloc[0] == 0 and s.bank_change_t.iloc[0] == 0


def test_regulator_trades_net_each_session():
    trades = pd.DataFrame({
        "date": pd.to_datetime(["2021-01-04"] * 3 + ["2021-02-01"] * 2 + ["2022-07-01"] * 2),
        "year": [2021, 2021, 2021, 2021, 2021, 2023, 2023],
        "id": list("ABCABAB"), "side": np.array([1, 1, -1, -1, 1, 1, -1], dtype="int8"),
        "qty_t": [5, 3, 4, 10, 10, 2, 7], "price": [50.0, 50.0, 50.0, 20.0, 20.0, 9.0, 9.0]})
    reg = regulator_trades(trades, 2021, 2)  # 2023 is after the last year: booked to 2022
    assert reg.ceiling_sold_t.tolist() == [4, 0] and reg.floor_bought_t.tolist() == [0, 5]
    assert reg.ceiling_revenue.tolist() == [200.0, 0.0] and reg.floor_spending.tolist() == [0.0, 45.0]

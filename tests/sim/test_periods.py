"""Multi-year compliance periods (carbonsim.sim.periods): the index arithmetic, then whole runs
whose deadlines, penalties and prices follow by hand."""

from types import SimpleNamespace

import numpy as np
import pytest
from _economies import SCENARIOS

import carbonsim
from carbonsim.scenario import load_scenario, load_scenario_dict, scenario_dict
from carbonsim.sim import periods


def fake_run(period_years: int, interim_share: float, years: int, closed=(), carried=None):
    """What the period functions read of a run: the rules, the years, the closed deadlines."""
    comp = SimpleNamespace(period_years=period_years, interim_share=interim_share)
    shut = np.zeros(years, dtype=bool)
    shut[list(closed)] = True
    carried = np.zeros((2, years), np.int64) if carried is None else np.asarray(carried, np.int64)
    return SimpleNamespace(sc=SimpleNamespace(compliance=comp), years=years, closed=shut,
                           ledger=SimpleNamespace(carried_t=carried))


def test_periods_count_from_the_first_year_and_the_run_closes_the_last():
    # 7 years in 3-year periods: years 0-2, 3-5 and 6 (the run ends: year 6 closes its period).
    sim = fake_run(3, 0.5, 7)
    assert [periods.period_end(y, 3, 7) for y in range(7)] == [2, 2, 2, 5, 5, 5, 6]
    assert [periods.final(sim, y) for y in range(7)] == [False, False, True, False, False, True, True]
    # At an interim deadline (in the next calendar year) that year's vintage counts too.
    assert [periods.last_vintage(sim, y) for y in range(7)] == [1, 2, 2, 4, 5, 5, 6]
    assert periods.same_period(sim, 1, 2) and not periods.same_period(sim, 2, 3)
    assert not periods.same_period(sim, 6, 7)  # no year after the run
    annual = fake_run(1, 0.0, 3)
    assert all(periods.final(annual, y) and periods.last_vintage(annual, y) == y for y in range(3))
    assert not periods.same_period(annual, 0, 1)


def test_an_interim_deadline_takes_its_share_and_the_final_one_the_rest():
    sim = fake_run(3, 0.5, 3)
    # Half of 57 t is 28.5: 29 t due (halves round up), 28 t carried; half of 84 t is 42.
    due, carried = periods.due_split(sim, 0, np.array([57, 84]))
    assert due.tolist() == [29, 42] and carried.tolist() == [28, 42]
    # The final deadline takes the year's emissions and what the earlier years carried.
    due, carried = periods.due_split(sim, 2, np.array([50, 80]), np.array([55, 85]))
    assert due.tolist() == [105, 165] and carried.tolist() == [0, 0]
    # One-year periods: every deadline takes the year's emissions, nothing is carried.
    emissions = np.array([57.0, 84.0])
    due, carried = periods.due_split(fake_run(1, 0.0, 3), 0, emissions)
    assert due is emissions and carried == 0


def test_outstanding_obligations_are_those_of_open_periods_only():
    # Period 0-2 closed (its final deadline passed), period 3-5 past its first interim deadline.
    carried = [[5, 6, 0, 7, 0, 0], [1, 1, 0, 2, 0, 0]]
    sim = fake_run(3, 0.5, 6, closed=[0, 1, 2, 3], carried=carried)
    assert periods.outstanding_t(sim).tolist() == [7, 2]
    sim = fake_run(3, 0.5, 6, closed=[0, 1], carried=carried)
    assert periods.outstanding_t(sim).tolist() == [11, 2]
    assert periods.outstanding_t(fake_run(1, 0.0, 6, closed=[0, 1])) == 0


def test_free_allocation_counts_for_an_interim_deadline_only_if_issued_before_it():
    # Allocation on day 150 of each year, deadlines on day 180 of the next: at 2021's interim
    # deadline (day 365 + 180) the 2022 allocation (day 365 + 150) is in time. Its ex-ante part
    # counts while it is still to come, less make-good debt; a true-up comes after the deadline.
    sim = fake_run(3, 0.5, 3)
    days = {"allocation": 150, "compliance_deadline": 180}
    sim.schedule = SimpleNamespace(day=lambda y, event: 365 * (y + (event != "allocation")) + days[event])
    sim.pending_t = np.array([[0.0, 50.0, 0.0], [0.0, 20.0, 0.0]])  # expected: ex ante + true-up
    sim.allocations = [SimpleNamespace(ex_ante_t=np.array([40, 15]))] * 3
    sim.makegood_t = np.array([5, 30])
    assert periods.to_issue_t(sim, 0, 365 + 20).tolist() == [35.0, 0.0]  # 40 − 5; 15 − 30 < 0
    assert periods.to_issue_t(sim, 0, 365 + 150) == 0  # issued: already held
    assert periods.to_issue_t(sim, 2, 2 * 365 + 20) == 0  # a final deadline: not eligible
    days["allocation"] = 200  # issued after the deadline
    assert periods.to_issue_t(sim, 0, 365 + 20) == 0


def test_a_periods_total_is_spread_over_its_years_by_weight():
    # 3-year periods: 90 t over weights 1, 2, 3 -> 15, 30, 45; the last period (one year) keeps
    # its own; a period of zero weights is shared evenly.
    spread = periods.spread(np.array([10.0, 0.0, 80.0, 7.0]), np.array([1.0, 2.0, 3.0, 5.0]), 3)
    np.testing.assert_allclose(spread, [15.0, 30.0, 45.0, 7.0])
    np.testing.assert_allclose(periods.spread(np.array([0.0, 6.0]), np.zeros(2), 2), [3.0, 3.0])
    values = np.array([1, 2, 3])
    assert periods.spread(values, np.ones(3), 1) is values


# --- whole runs -------------------------------------------------------------------------------

def hotelling(**compliance):
    """The bundled banking economy (two firms, caps 160, 140, 120, perfect foresight, r = 5%)
    with ``compliance`` keys changed."""
    data = scenario_dict(load_scenario(SCENARIOS / "hotelling-banking.yaml"))
    data["compliance"].update(compliance)
    return load_scenario_dict(data)


def lone_emitter(free_allocation: list[int], *, banking: bool, period_years: int,
                 interim_share: float):
    """One emitter of 100 t a year that cannot abate (its only technology costs 5000/t, above
    the 100/t penalty) and has nobody to trade with: its holdings are its free allocation."""
    return load_scenario_dict({
        "name": "lone", "start_year": 2021, "years": len(free_allocation), "seed": 1,
        "calendar": {"sessions": 12, "allocation": "01-01", "verification": "03-31",
                     "compliance_deadline": "06-30"},
        "emitters": [{"id": "A", "sector": "s", "output": 100, "intensity": 1.0,
                      "mac": {"kind": "steps", "steps": [[5000, 1.0]]},
                      "free_allocation": free_allocation}],
        "allocation": {"s": {"rule": "fixed"}},
        "market": {"mechanism": "call_auction"},
        "compliance": {"penalty_per_t": 100, "make_good": False, "banking": banking,
                       "period_years": period_years, "interim_share": interim_share},
    })


def test_a_three_year_period_owes_half_at_each_interim_deadline_and_the_rest_at_the_end():
    r = carbonsim.run(hotelling(period_years=3, interim_share=0.5))
    c = r.compliance.sort_values(["id", "year"])
    for _, rows in c.groupby("id"):
        emitted = np.rint(rows.emissions_t.to_numpy()).astype(np.int64)
        # 2021 and 2022: half of the year's verified emissions, rounded (halves up) ...
        half = np.floor(0.5 * emitted[:2] + 0.5).astype(np.int64)
        # ... 2023: the period's three years of emissions less what those deadlines took.
        want = [half[0], half[1], emitted.sum() - half.sum()]
        assert rows.obligation_t.tolist() == want
        assert rows.surrendered_t.tolist() == want and (rows.shortfall_t == 0).all()
    s = r.summary
    assert (s.fulfillment_entities == 1.0).all() and (s.fulfillment_volume == 1.0).all()
    # The bank after an interim deadline counts the allowances of vintages up to the year still
    # held, those kept for the rest of the period included: of the 160 t of vintage 2021, all
    # but what 2021's deadline took (the least-cost bank, 17.1 t, is what no deadline will take).
    surrendered = c.groupby("year").surrendered_t.sum()
    assert s.bank_t.iloc[0] == 160 - surrendered[2021]
    assert s.bank_t.iloc[-1] == 0


def test_with_banking_a_control_period_leaves_the_annual_price_path():
    # With banking a period only moves deadlines: the least-cost path is the annual one
    # (Hotelling, 42.82, 44.96, 47.21), and the emitters plan each year's whole emissions as
    # under annual compliance, so the market prices, abates and trades the same.
    annual = carbonsim.run(hotelling()).summary
    for share in (0.5, 0.0):
        period = carbonsim.run(hotelling(period_years=3, interim_share=share)).summary
        for col in ("least_cost_price", "price_mean", "price_close", "emissions_t", "abatement_t",
                    "volume_t", "abatement_cost", "efficiency"):
            np.testing.assert_allclose(period[col], annual[col], rtol=1e-12, err_msg=col)
    np.testing.assert_allclose(annual.least_cost_price, [42.82, 44.96, 47.21], atol=0.01)


def test_short_at_an_interim_deadline_pays_the_penalty_on_the_interim_shortfall_only():
    # 100 t a year, 20 t free a year, no abatement, no trades, penalty 100/t, no make-good.
    # 2021's interim deadline (June 2022) owes 50 t and may use vintages 2021 and 2022: 40 t,
    # 10 t short, penalty 1000 (annual compliance: 80 t short, 8000). 2022's owes 50 t, with
    # vintage 2023 (20 t) left: 30 t short, 3000. The final deadline owes 300 − 50 − 50 = 200 t
    # with nothing left: 200 t short, 20000. Over the period 240 t short = 300 − 60 issued.
    r = carbonsim.run(lone_emitter([20, 20, 20], banking=True, period_years=3, interim_share=0.5))
    c = r.compliance
    assert c.obligation_t.tolist() == [50, 50, 200]
    assert c.surrendered_t.tolist() == [40, 20, 0]
    assert c.shortfall_t.tolist() == [10, 30, 200]
    assert c.penalty.tolist() == [1000.0, 3000.0, 20000.0]
    assert r.summary.fulfillment_volume.tolist() == [0.8, 0.4, 0.0]
    annual = carbonsim.run(lone_emitter([20, 20, 20], banking=True, period_years=1, interim_share=0))
    assert annual.compliance.shortfall_t.tolist() == [80, 80, 80]


def test_without_banking_a_surplus_keeps_within_its_period_and_lapses_at_its_end():
    # 100 t a year, no abatement, free 160, 100, 70 in the first 3-year period and 100, 100, 70
    # in the second. First period: 330 t for 300 t of emissions; 2021's 60 t surplus covers
    # 2023's 30 t gap (interim deadlines take 50 t each, the final one 200 t of the 230 t left),
    # and the 30 t still left lapse at the final deadline. Second period: 270 t for 300 t, 30 t
    # short at its final deadline: penalty 3000.
    free = [160, 100, 70, 100, 100, 70]
    r = carbonsim.run(lone_emitter(free, banking=False, period_years=3, interim_share=0.5))
    c = r.compliance
    assert c.obligation_t.tolist() == [50, 50, 200, 50, 50, 200]
    assert c.shortfall_t.tolist() == [0, 0, 0, 0, 0, 30]
    assert c.penalty.tolist() == [0.0] * 5 + [3000.0]
    assert r.summary.cancelled_t.tolist() == [0, 0, 30, 0, 0, 0]
    # Nothing lapses at an interim deadline: 160 − 50 = 110 t of vintage 2021 are kept.
    assert c.banked_t.tolist()[:3] == [110, 160, 0]
    # Annual compliance without banking: 2021's surplus lapses and 2023 is 30 t short.
    annual = carbonsim.run(lone_emitter(free, banking=False, period_years=1, interim_share=0))
    assert annual.compliance.shortfall_t.tolist() == [0, 0, 30, 0, 0, 30]
    # With banking the first period's 30 t carry over and cover the second period.
    banked = carbonsim.run(lone_emitter(free, banking=True, period_years=3, interim_share=0.5))
    assert banked.compliance.shortfall_t.sum() == 0


def test_without_banking_a_period_is_one_pool_for_the_market_and_the_least_cost_path():
    # One 3-year period over the whole run: without banking the years still bank into each
    # other, so run and least-cost path are those of the banking economy (Hotelling).
    banked = carbonsim.run(hotelling(period_years=3, interim_share=0.5)).summary
    pooled = carbonsim.run(hotelling(period_years=3, interim_share=0.5, banking=False)).summary
    for col in ("least_cost_price", "least_cost_bank_t", "price_mean", "emissions_t", "bank_t"):
        np.testing.assert_allclose(pooled[col], banked[col], rtol=1e-12, err_msg=col)
    annual = carbonsim.run(hotelling(banking=False)).summary  # year by year: 30, 45, 60
    np.testing.assert_allclose(annual.least_cost_price, [30.0, 45.0, 60.0])
    assert pooled.least_cost_price.tolist() == pytest.approx([42.82, 44.96, 47.21], abs=0.01)

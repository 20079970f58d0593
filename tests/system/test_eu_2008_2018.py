"""scenarios/eu-ets-2008-2018.yaml: the EU ETS 2008-2018 on rolling horizons with what the emitters
expected (BAU growing as before the crisis, the supply before the 2018 reform), against perfect
foresight on the same file (Quemin and Trotignon, "Emissions trading with rolling horizons", J.
Econ. Dyn. Control 125, 2021: rolling horizons to deal with uncertainty).

Derivation of the facts checked (B_y BAU, S_y the year's supply, the file's ``cap``, a_y
abatement, K_y the bank after year y, r = 5%, H = 10 the horizon, g = 1.5% the growth expected
before the reform, d = 3.1% the BAU decline after it):

- The supply is backed out of the published balance, S_y = E_y + TNAC_y - TNAC_{y-1} (E_y the
  verified emissions), so K_y - TNAC_y = sum_{k<=y} (a_k - a*_k) with a*_k the abatement at the
  real price: a run's bank differs from the real TNAC only by the abatement its prices make
  beyond (or short of) the real ones; a run priced near the real prices holds the TNAC.
- Rolling horizons: at the start of year c the emitters solve years c..c+H-1 from the bank they
  hold, allowances being worthless after, on B_c (1 + g)^k for year c+k (k >= 1) and, before
  2018, the pre-reform supply for 2019-2030. In 2009 the window 2009-2018 holds more
  allowances than its true BAU (K_2008 + sum S > sum B: the recession and the Kyoto credits), so
  on the true BAU its price would be 0; on the expected BAU, B_2009 sum_k (1.015)^k, it is short
  and the price is positive. From 2018 the reform's supply (MSR intake, invalidation) is known
  and BAU is expected to fall d a year, the path that then comes: the 2018 price jumps.
- Perfect foresight knows the true BAU and supply of 2008-2030: with a positive bank the price
  grows at r (Hotelling, p_t = p_0 (1 + r)^t) from 2009, with no fall and no jump.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import carbonsim
from carbonsim.scenario import load_scenario, load_scenario_dict, scenario_dict

from _library import SCENARIOS

FILE = SCENARIOS / "eu-ets-2008-2018.yaml"
YEARS = list(range(2008, 2019))


def _tool():
    sys.path.insert(0, str(SCENARIOS / "tools"))
    try:
        import eu_2008_2018 as tool
    finally:
        sys.path.pop(0)
    return tool


def _run(expectations: str, **behaviour):
    data = scenario_dict(load_scenario(FILE))
    data["behaviour"] = {**data["behaviour"], "expectations": expectations, **behaviour}
    return carbonsim.run(load_scenario_dict(data, file=str(FILE)))


@pytest.fixture(scope="module")
def runs():
    return {"rolling": _run("rolling"), "perfect_foresight": _run("perfect_foresight")}


def price(result) -> np.ndarray:
    """Mean auction clearing price of each year 2008-2018 (EUR/t; every year has sales)."""
    a = result.auctions
    return a[a.sold_t > 0].groupby("year").price.mean().reindex(YEARS).to_numpy()


def bank(result) -> np.ndarray:
    """The TNAC after each year 2008-2018: the running sum of the supply balance (t)."""
    return result.summary.set_index("year").bank_change_t.cumsum().reindex(YEARS).to_numpy()


def test_the_file_is_what_its_tool_writes():
    tool, scenario = _tool(), load_scenario(FILE)
    assert list(scenario.cap) == tool.cap_t()
    made = tool.emitters(1.0)
    assert [e.id for e in scenario.emitters] == [e["id"] for e in made]
    for e, m in zip(scenario.emitters, made):
        assert list(e.output) == m["output"] and e.mac.cost_at_max == m["mac"]["cost_at_max"]
        assert list(e.free_allocation or []) == m.get("free_allocation", list(e.free_allocation or []))
    b, expected = scenario.behaviour, tool.expectations()
    assert list(b.expected_bau_growth) == expected["expected_bau_growth"]
    assert list(b.supply_expected.cap) == expected["supply_expected"]["cap"]
    assert b.supply_expected.until_year == expected["supply_expected"]["until_year"] == 2018


def test_the_supply_holds_the_published_tnac_at_the_verified_emissions():
    tool = _tool()
    supply = np.array(tool.cap_t()[:len(YEARS)], dtype=float)
    emitted = np.array(tool.EMISSIONS, dtype=float) * 1e6
    np.testing.assert_allclose(np.cumsum(supply - emitted) / 1e6, tool.TNAC, atol=1.0)


def test_the_2009_window_is_long_on_the_true_bau_and_short_on_the_expected_one(runs):
    tool, scenario = _tool(), load_scenario(FILE)
    h, g = scenario.behaviour.horizon_years, scenario.behaviour.expected_bau_growth[1]
    made = tool.emitters(1.0)
    true_bau = sum(sum(m["output"][1:1 + h]) for m in made)
    expected_bau = sum(m["output"][1] for m in made) * sum((1 + g) ** k for k in range(h))
    held = bank(runs["rolling"])[0] + sum(scenario.behaviour.supply_expected.cap[1:1 + h])
    assert true_bau < held < expected_bau
    assert price(runs["rolling"])[1] > 5.0


def test_no_year_2009_2018_is_priced_at_zero(runs):
    assert (price(runs["rolling"])[1:] > 4.0).all()


def test_the_bank_builds_up_over_2009_2013_and_holds_the_real_tnac(runs):
    tool = _tool()
    b = bank(runs["rolling"]) / 1e9
    assert 0 < b[1] < b[3] < b[4] < b[5]  # 2009 < 2011 < 2012 < 2013
    np.testing.assert_allclose(b[3:] * 1e3, tool.TNAC[3:], rtol=0.1)  # 2011-2018


def test_the_2018_price_is_clearly_above_2013_2017_and_near_the_real_one(runs):
    p = price(runs["rolling"])
    assert p[10] > 1.5 * p[5:10].mean()
    assert p[10] == pytest.approx(15.9, rel=0.1)  # the calibration target, the real 2018 mean


def test_the_rolling_price_falls_after_phase_2_and_jumps_in_2018_unlike_perfect_foresight(runs):
    """The real U: 13-14 EUR/t in 2009-11, 4.5-8 in 2012-17, 15.9 in 2018."""
    p, f = price(runs["rolling"]), price(runs["perfect_foresight"])
    assert p[1:4].mean() > 1.3 * p[4:10].mean() and p[10] > 1.5 * p[4:10].mean()
    assert (np.diff(f[1:]) > 0).all()  # perfect foresight only rises


def test_without_either_expectation_the_u_breaks():
    """Expecting the true BAU, the 2009-2012 windows foresee the recession (price 0); knowing
    the reform from the start, 2013-2017 price it (and bank for it) years before 2018."""
    base = price(_run("rolling"))
    no_growth = price(_run("rolling", expected_bau_growth=None))
    assert (no_growth[1:5] < 0.01).all()
    told = price(_run("rolling", supply_expected=None))
    assert told[5:10].mean() > 2 * base[5:10].mean()


def test_perfect_foresight_follows_hotelling_while_it_banks(runs):
    p = price(runs["perfect_foresight"])
    assert (bank(runs["perfect_foresight"])[1:] > 0).all()
    np.testing.assert_allclose(p[2:] / p[1:-1], 1.05, atol=0.005)  # 2009-2018

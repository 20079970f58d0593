"""scenarios/eu-ets-2008-2018.yaml: the EU ETS bank build-up of 2009-2017 and the price rise to
2018 on rolling horizons, against perfect foresight on the same file (Quemin and Trotignon,
"Emissions trading with rolling horizons", J. Econ. Dyn. Control 125, 2021).

Derivation of the facts checked (B_y BAU, S_y the year's supply, the file's ``cap``, a_y
abatement, K_y the bank after year y, r = 5%, H = 8 the horizon):

- The supply is backed out of the published balance, S_y = E_y + TNAC_y - TNAC_{y-1} (E_y the
  verified emissions), so K_y - TNAC_y = sum_{k<=y} (a_k - a*_k) with a*_k the abatement at the
  real price: a run's bank differs from the real TNAC only by the abatement its prices make
  beyond (or short of) the real ones. A bank builds whenever S_y + a_y > B_y, as in 2009-2012
  (the recession and 1 Gt of Kyoto credits) whatever the prices.
- Rolling horizons: at the start of year c the emitters solve the least-cost problem of years
  c..c+H-1 from the bank they hold, allowances being worthless after. In 2009 that window
  (2009-2016) holds more allowances than its BAU (K_2008 + sum S > sum B), so its price is 0:
  nobody abates, and the bank grows by S_y - B_y only. The reform years (2019-2023, the MSR
  intake taken out of supply) enter the window one a year from 2012, so the price rises from
  2013 to 2018, where the window 2018-2025 is short of allowances.
- Perfect foresight sees 2008-2030 at once: with a positive bank the price grows at r
  (Hotelling, p_t = p_0 (1 + r)^t), positive from 2009, so the emitters abate more early and
  bank more than on rolling horizons (Quemin and Trotignon's point: finite horizons bank less).
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


def _run(expectations: str):
    data = scenario_dict(load_scenario(FILE))
    data["behaviour"]["expectations"] = expectations
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


def test_the_supply_holds_the_published_tnac_at_the_verified_emissions():
    tool = _tool()
    supply = np.array(tool.cap_t()[:len(YEARS)], dtype=float)
    emitted = np.array(tool.EMISSIONS, dtype=float) * 1e6
    np.testing.assert_allclose(np.cumsum(supply - emitted) / 1e6, tool.TNAC, atol=1.0)


def test_rolling_price_is_zero_in_2009_because_its_window_has_a_surplus(runs):
    tool, scenario = _tool(), load_scenario(FILE)
    h = scenario.behaviour.horizon_years
    bau = sum(sum(m["output"][1:1 + h]) for m in tool.emitters(1.0))
    supply = sum(tool.cap_t()[1:1 + h])
    opening = bank(runs["rolling"])[0]
    assert opening + supply > bau  # the window 2009-2016 is long in allowances
    assert price(runs["rolling"])[1] < 0.01


def test_the_bank_builds_up_over_2009_2017(runs):
    b = bank(runs["rolling"]) / 1e9
    assert 0 < b[1] < b[3] < b[4] < b[5]  # 2009 < 2011 < 2012 < 2013
    assert (b[4:10] > 1.0).all()  # above 1 Gt from 2012 to 2017 (real TNAC 1.65-2.1 Gt)


def test_the_2018_price_is_clearly_above_2013_2017_and_near_the_real_one(runs):
    p = price(runs["rolling"])
    assert p[10] > 1.5 * p[5:10].mean()
    assert p[10] == pytest.approx(15.9, rel=0.1)  # the calibration target, the real 2018 mean


def test_rolling_horizons_bank_less_and_price_lower_early_than_perfect_foresight(runs):
    rolling, foresight = runs["rolling"], runs["perfect_foresight"]
    assert (bank(rolling)[1:10] < bank(foresight)[1:10]).all()  # 2009-2017
    assert (price(rolling)[1:6] < price(foresight)[1:6] - 1.0).all()  # 2009-2013


def test_perfect_foresight_follows_hotelling_while_it_banks(runs):
    p = price(runs["perfect_foresight"])
    assert (bank(runs["perfect_foresight"])[1:] > 0).all()
    np.testing.assert_allclose(p[2:] / p[1:-1], 1.05, atol=0.005)  # 2009-2018

"""China's national ETS 2021-2023 (scenarios/china-national-2021.yaml): the real compliance
calendar and the tighter 2023 in the emitters' foresight, against hand-derived economics.

The derivation. Every MAC of the file is linear up to its ``max_share`` of BAU, so at a price p
below every ``cost_at_max`` emitter i abates a_i(p) = p * max_share_i * BAU_i / cost_at_max_i
a year, and all of them together A_t(p) = p * K_t with K_t = sum_i max_share_i * BAU_it /
cost_at_max_i. With perfect foresight and a positive bank the price grows at the discount rate r
(Hotelling): p_t = p_0 (1 + r)^t. Over the years the run sees, emissions are covered by the free
allocation, the offsets used and the bank left at the end:

    sum_t (BAU_t - p_0 (1 + r)^t K_t) = sum_t F_t + O - B_end,
    so  p_0 = (sum_t (BAU_t - F_t) - O + B_end) / sum_t (1 + r)^t K_t

(the shortfall cap, obligation <= free allocation + 20%, trims about 1 Mt of obligation over the
run, 0.2% of the abatement, inside the 1% tolerance).

The coal benchmarks fall 2% a year, so each year's gap BAU_t - F_t is wider than the last. Seen
over 2021-22 only, the price is p_0 for those two years' gaps; with 2023 in view its wider gap is
in the numerator with a weight (1 + r)^2 K_2023 in the denominator that the gap outweighs (the
2023 gap per unit of K is above the average of 2021-22's), so every price rises: the 2022 price
with the tighter 2023 in view is above that of the same run without it.
"""

from __future__ import annotations

import numpy as np
import pytest

import carbonsim
from carbonsim.economy.population import build_population
from carbonsim.scenario import load_scenario, load_scenario_dict, scenario_dict

from _library import SCENARIOS

FILE = SCENARIOS / "china-national-2021.yaml"
_RUNS: dict[int, tuple] = {}


def _run(years: int):
    """(scenario, result) of the file cut to its first ``years`` years (the same population)."""
    if years not in _RUNS:
        data = scenario_dict(load_scenario(FILE))
        data["years"] = years
        scenario = load_scenario_dict(data)
        _RUNS[years] = (scenario, carbonsim.run(scenario))
    return _RUNS[years]


def _hotelling_prices(scenario, result) -> np.ndarray:
    """p_0 (1 + r)^t from the derivation above, with the run's free allocation, offsets used and
    final bank (quantities, not prices) and K_t from its population's MACs."""
    stream = np.random.SeedSequence(scenario.seed).spawn(2)[0]
    pop = build_population(scenario, np.random.default_rng(stream))
    sectors = scenario.emitters.generate
    per_price = np.array([sectors[s].mac.max_share / sectors[s].mac.cost_at_max for s in pop.sector])
    k = (per_price[:, None] * pop.bau_t).sum(axis=0)  # K_t, t per (CNY/t)
    comp, s = result.compliance, result.summary
    gap = pop.bau_t.sum(axis=0) - comp.groupby("year").free_allocation_t.sum().to_numpy()
    growth = (1.0 + scenario.behaviour.discount_rate) ** np.arange(scenario.years)
    p0 = (gap.sum() - s.offsets_t.sum() + s.bank_t.iloc[-1]) / (growth * k).sum()
    return p0 * growth


@pytest.mark.slow
def test_the_2021_22_vintages_are_due_together_at_the_end_of_2023_and_2023_a_year_later():
    _, r = _run(3)
    comp = r.compliance
    # each year's obligation: its emissions, at most its free allocation + 20% (shortfall cap)
    capped = np.minimum(np.rint(comp.emissions_t), np.floor(1.2 * comp.free_allocation_t))
    due = capped.groupby(comp.year).sum()
    owed = comp.groupby("year").obligation_t.sum()
    assert owed[2021] == 0  # nothing due at the end of 2022
    # the end-2023 deadline takes both years' obligations; 2023's is due at the end of 2024
    assert owed[2022] == pytest.approx(due[2021] + due[2022], abs=comp.id.nunique())
    assert owed[2023] == pytest.approx(due[2023], abs=comp.id.nunique())
    assert (r.summary.fulfillment_volume == 1.0).all()


@pytest.mark.slow
@pytest.mark.parametrize("years", [2, 3])
def test_prices_are_the_hotelling_path_that_covers_the_years_in_view(years):
    scenario, r = _run(years)
    want = _hotelling_prices(scenario, r)
    assert (want < 128).all()  # below every cost_at_max: the linear part of every MAC
    np.testing.assert_allclose(r.summary.price_mean.to_numpy(), want, rtol=0.01)
    np.testing.assert_allclose(r.summary.least_cost_price.to_numpy(), want, rtol=0.01)


@pytest.mark.slow
def test_the_tighter_2023_in_view_raises_the_2022_price():
    (_, two), (_, three) = _run(2), _run(3)
    without = two.summary.set_index("year").price_mean[2022]
    with_2023 = three.summary.set_index("year").price_mean[2022]
    # 38.3 without the 2023 year, 53.3 with it: emitters abate more in 2021-22 and bank for 2023
    assert with_2023 > 1.2 * without
    assert three.summary.set_index("year").bank_t[2022] > 5e7
    assert two.summary.bank_t.iloc[-1] < 1e-3 * two.summary.emissions_t.iloc[-1]

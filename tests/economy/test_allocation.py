"""Allocation: the contract every registered rule meets, caps, correction, rounding, true-up."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from carbonsim.economy.allocation import (
    RULES,
    unregister_rule,
    RuleParams,
    allocate,
    cap_path,
    expected_final,
    register_rule,
    round_exact,
    true_up,
    whole_tonnes,
)
from carbonsim.economy.population import build_population
from carbonsim.scenario import (
    ScenarioError,
    load_scenario,
    load_scenario_dict,
    scenario_dict,
)

ROOT = Path(__file__).resolve().parents[2]
TEXTBOOK = load_scenario(ROOT / "scenarios" / "textbook-two-firms.yaml")
GENERATED = load_scenario(ROOT / "scenarios" / "sectors-generated.yaml")


def inline_emitters():
    """Six emitters in two sectors: per-year lists, fractional allocations, overrides, shocks."""
    mac = {"kind": "linear", "slope": 2.0}
    return [
        {"id": "a", "sector": "x", "output": 100.3, "intensity": 0.71, "growth": 0.02, "growth_sd": 0.05,
         "mac": mac, "free_allocation": 70.4},
        {"id": "b", "sector": "x", "output": [50, 55, 61], "intensity": 1.3, "mac": mac,
         "free_allocation": [10.5, 10.5, 0]},
        {"id": "c", "sector": "x", "output": 0, "intensity": 1.0, "mac": mac, "historical_emissions": 12.2},
        {"id": "d", "sector": "y", "output": 1234.5, "intensity": 0.33, "growth": -0.1, "growth_sd": 0.2,
         "mac": {"kind": "steps", "steps": [[5, 0.1], [50, 0.2]]}, "free_allocation": 333.3},
        {"id": "e", "sector": "y", "output": 7.7, "intensity": [2, 2, 2], "mac": mac, "free_allocation": 1.6},
        {"id": "f", "sector": "y", "output": 900, "intensity": 0.5, "intensity_decline": 0.1, "mac": mac},
    ]


def scenario_with(rule: str, params: dict, cap, *, inline: bool, auction_share=0.05, correction="auto"):
    base = scenario_dict(GENERATED)
    if inline:
        base["emitters"] = inline_emitters()
        base["years"] = 3
    sectors = ["x", "y"] if inline else list(base["emitters"]["generate"])
    base["cap"] = cap
    base["allocation"] = {s: {"rule": rule, **params} for s in sectors}
    base["allocation"].update(auction_share=auction_share if cap is not None else 0, correction=correction)
    return load_scenario_dict(base)


CAPS = {
    "binding": {"generated": {"start": 1.0e8, "annual_reduction": 0.02}, "inline": [500, 480, 460]},
    "loose": {"generated": 1.0e12, "inline": 1.0e6},
    "none": {"generated": None, "inline": None},
}


@pytest.mark.parametrize("inline", [False, True], ids=["generated", "inline"])
@pytest.mark.parametrize("name", RULES.names())
def test_rule_contract(name, inline):
    """Every registered rule: shapes, dtype, non-negative, deterministic, rounding keeps totals."""
    rule = RULES.get(name)
    params = rule.params.model_validate({"rule": name, **rule.example})
    s = scenario_with(name, rule.example, None, inline=inline)
    pop = build_population(s, np.random.default_rng(7))
    for y in range(s.years):
        for sector in pop.sector_names:
            mask = pop.sector_mask(sector)
            got = {}
            for which in ("ex_ante", "final", "expected"):
                values = getattr(rule, which)(pop, mask, y, params)
                again = getattr(rule, which)(pop, mask, y, params)
                assert isinstance(values, np.ndarray) and values.dtype == np.float64, which
                assert values.shape == (int(mask.sum()),), which
                assert np.all(np.isfinite(values)) and np.all(values >= 0), which
                assert np.array_equal(values, again), which
                rounded = round_exact(values)
                assert rounded.dtype == np.int64
                assert int(rounded.sum()) == whole_tonnes(float(values.sum()))
                assert np.all(np.abs(rounded - values) < 1)
                got[which] = values
            if not rule.output_based:
                assert np.array_equal(got["final"], got["ex_ante"])
                assert np.array_equal(got["expected"], got["ex_ante"])
            assert np.all(got["ex_ante"] <= got["expected"] + 1e-9)


@pytest.mark.parametrize("correction", ["auto", "none"])
@pytest.mark.parametrize("cap_kind", list(CAPS))
@pytest.mark.parametrize("inline", [False, True], ids=["generated", "inline"])
@pytest.mark.parametrize("name", RULES.names())
def test_rule_contract_in_a_scenario(name, inline, cap_kind, correction):
    """allocate/true_up with every rule: integer tonnes, never above the cap, deterministic."""
    rule = RULES.get(name)
    cap = CAPS[cap_kind]["inline" if inline else "generated"]
    s = scenario_with(name, rule.example, cap, inline=inline, correction=correction)
    pop = build_population(s, np.random.default_rng(3))
    caps = cap_path(s)
    for y in range(s.years):
        a = allocate(s, pop, y)
        assert a.ex_ante_t.dtype == np.int64 and a.ex_ante_t.shape == (pop.n,)
        assert (a.ex_ante_t >= 0).all()
        assert np.array_equal(a.ex_ante_t, allocate(s, pop, y).ex_ante_t)
        adjust = true_up(s, pop, y, a.ex_ante_t)
        assert adjust.dtype == np.int64 and adjust.shape == (pop.n,)
        final = a.ex_ante_t + adjust
        assert (final >= 0).all()
        if not rule.output_based:
            assert not adjust.any()
        if cap is None:
            assert np.isnan(a.cap_t) and a.auction_t == 0 and a.correction_factor == 1.0
            continue
        assert a.cap_t == caps[y]
        assert a.auction_t == int(np.floor(s.allocation.auction_share * caps[y] + 0.5))
        if correction == "auto":
            assert a.free_t + a.auction_t <= whole_tonnes(caps[y])
            assert int(final.sum()) + a.auction_t <= whole_tonnes(caps[y])
            assert 0 < a.correction_factor <= 1
        else:
            assert a.correction_factor == 1.0


def test_textbook_fixed_allocation():
    pop = build_population(TEXTBOOK, np.random.default_rng(0))
    a = allocate(TEXTBOOK, pop, 0)
    assert list(a.ex_ante_t) == [70, 70] and a.auction_t == 0 and a.correction_factor == 1.0
    assert a.cap_t == 140 and a.unallocated_t == 0
    assert not true_up(TEXTBOOK, pop, 0, a.ex_ante_t).any()
    assert np.array_equal(expected_final(TEXTBOOK, pop, 0), [70.0, 70.0])


def test_cap_paths():
    data = scenario_dict(TEXTBOOK)
    data["years"] = 4
    data["emitters"] = [dict(e, free_allocation=70) for e in data["emitters"]]

    def path(cap):
        return cap_path(load_scenario_dict(dict(data, cap=cap)))

    assert np.array_equal(path(140), [140.0] * 4)
    assert np.array_equal(path([4, 3, 2, 1]), [4.0, 3.0, 2.0, 1.0])
    assert np.allclose(path({"start": 100, "annual_reduction": 0.3}), [100, 70, 40, 10])
    assert np.allclose(path({"start": 100, "annual_reduction": 0.5}), [100, 50, 0, 0])  # floored
    assert np.isnan(path(None)).all()
    assert cap_path(GENERATED).dtype == np.float64


def test_binding_correction_issues_exactly_the_cap():
    s = scenario_with("grandfathering", {"decline": 0.0}, [500, 480, 460], inline=True, auction_share=0.1)
    pop = build_population(s, np.random.default_rng(1))
    for y in range(3):
        a = allocate(s, pop, y)
        assert a.correction_factor < 1
        assert a.auction_t == round(0.1 * [500, 480, 460][y])
        assert a.free_t + a.auction_t == [500, 480, 460][y]
        assert a.unallocated_t == 0


def test_loose_cap_leaves_free_allocation_to_the_rule():
    s = scenario_with("fixed", {}, 1.0e6, inline=True, auction_share=0.0)
    pop = build_population(s, np.random.default_rng(1))
    a = allocate(s, pop, 0)
    assert a.correction_factor == 1.0
    assert a.free_t == whole_tonnes(pop.free_allocation_t[:, 0].sum())  # 70.4+10.5+333.3+1.6 -> 415
    assert a.free_t == 415 and a.unallocated_t == 1_000_000 - 415


def test_correction_none_does_not_scale():
    s = scenario_with("fixed", {}, [100, 100, 100], inline=True, auction_share=0.0, correction="none")
    pop = build_population(s, np.random.default_rng(1))
    assert allocate(s, pop, 0).free_t == 415


def test_benchmark_ex_ante_and_true_up_by_hand():
    params = {"benchmark": 0.8, "ex_ante_share": 0.7, "correction": 1.05, "decline": 0.1}
    s = scenario_with("benchmark", params, None, inline=True)
    pop = build_population(s, np.random.default_rng(2))
    for y in range(3):
        factor = 0.8 * 1.05 * 0.9**y
        a = allocate(s, pop, y)
        assert np.all(np.abs(a.ex_ante_t - 0.7 * factor * pop.expected_output[:, y]) < 1)
        final = a.ex_ante_t + true_up(s, pop, y, a.ex_ante_t)
        assert np.all(np.abs(final - factor * pop.output[:, y]) < 1)  # intensity system: follows output
        assert np.allclose(expected_final(s, pop, y), factor * pop.expected_output[:, y])


def test_historical_intensity_by_hand():
    params = {"base_years": 2, "decline": 0.05, "ex_ante_share": 1.0}
    s = scenario_with("historical_intensity", params, None, inline=True)
    pop = build_population(s, np.random.default_rng(4))
    hi = pop.hist_emissions_t[:, -2:].sum(1) / np.where(pop.hist_output[:, -2:].sum(1) > 0,
                                                         pop.hist_output[:, -2:].sum(1), np.nan)
    hi = np.where(np.isnan(hi), pop.intensity[:, 0], hi)
    a = allocate(s, pop, 1)
    assert np.all(np.abs(a.ex_ante_t - hi * pop.expected_output[:, 1] * 0.95**2) < 1)
    final = a.ex_ante_t + true_up(s, pop, 1, a.ex_ante_t)
    assert np.all(np.abs(final - hi * pop.output[:, 1] * 0.95**2) < 1)


def test_grandfathering_by_hand():
    s = scenario_with("grandfathering", {"base_years": 3, "decline": 0.02}, None, inline=True)
    pop = build_population(s, np.random.default_rng(4))
    c = list(pop.id).index("c")  # historical_emissions 12.2 in every base year
    for y, want in enumerate([12.2 * 0.98, 12.2 * 0.98**2, 12.2 * 0.98**3]):
        assert abs(allocate(s, pop, y).ex_ante_t[c] - want) < 1


def test_auction_rule_gives_nothing_free():
    s = scenario_with("auction", {}, [500, 480, 460], inline=True, auction_share=0.3)
    pop = build_population(s, np.random.default_rng(4))
    a = allocate(s, pop, 0)
    assert a.free_t == 0 and a.auction_t == 150 and a.unallocated_t == 350


def test_round_exact_examples_and_errors():
    assert list(round_exact(np.array([0.5, 0.5, 1.0]))) == [1, 0, 1]  # ties go to the earlier index
    assert list(round_exact(np.array([0.2, 0.7, 0.1]), total=1)) == [0, 1, 0]
    assert round_exact(np.array([])).dtype == np.int64
    with pytest.raises(ValueError):
        round_exact(np.array([-1.0]))
    with pytest.raises(ValueError):
        round_exact(np.array([1.5, 1.5]), total=5)
    with pytest.raises(ValueError):
        round_exact(np.array([np.nan]))


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(0, 60), elements=st.floats(0, 1e7, allow_nan=False)))
def test_round_exact_never_creates_allowances(values):
    out = round_exact(values)
    assert out.dtype == np.int64
    assert int(out.sum()) == whole_tonnes(float(values.sum()))
    assert int(out.sum()) <= values.sum() + 1e-9 * max(1.0, values.sum())
    assert np.all((out == np.floor(values)) | (out == np.ceil(values)))


def test_a_new_rule_is_usable_from_a_scenario_and_checked_by_name():
    class HalfParams(RuleParams):
        """`half_fixed`: half of each emitter's free_allocation."""

    def half(pop, mask, y, p):
        return 0.5 * pop.free_allocation_t[mask, y]

    register_rule("half_fixed", HalfParams, half)
    try:
        s = scenario_with("half_fixed", {}, None, inline=True)
        pop = build_population(s, np.random.default_rng(0))
        assert allocate(s, pop, 0).free_t == whole_tonnes(0.5 * pop.free_allocation_t[:, 0].sum())
        with pytest.raises(ScenarioError, match="half_fixed"):
            scenario_with("halffixed", {}, None, inline=True)
    finally:
        unregister_rule("half_fixed")


def test_absurd_allocation_is_a_run_error():
    from carbonsim.errors import RunError

    es = inline_emitters()
    es[2] = dict(es[2], output=[1e-200, 1.0, 1.0], historical_emissions=1.0)
    data = scenario_dict(scenario_with("historical_intensity", {}, None, inline=True))
    data["emitters"] = es
    s = load_scenario_dict(data)
    pop = build_population(s, np.random.default_rng(0))
    with pytest.raises(RunError, match="allocation of emitter 'c'"):
        allocate(s, pop, 1)

"""Population: the field table, determinism, growth maths, generation, MAC curves."""

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest

from carbonsim.economy.mac import abatement_at, marginal_cost
from carbonsim.economy.population import (
    FIELDS,
    HIST_YEARS,
    Population,
    build_population,
    fields_table,
)
from carbonsim.scenario import load_scenario, load_scenario_dict, scenario_dict

ROOT = Path(__file__).resolve().parents[2]
TEXTBOOK = load_scenario(ROOT / "scenarios" / "textbook-two-firms.yaml")
GENERATED = load_scenario(ROOT / "scenarios" / "sectors-generated.yaml")


def with_emitters(emitters, years=3, **top):
    data = scenario_dict(TEXTBOOK)
    data.update(years=years, cap=None, emitters=emitters, **top)
    data["allocation"] = {s: {"rule": "fixed"} for s in dict.fromkeys(e["sector"] for e in emitters)}
    return load_scenario_dict(data)


def emitter(i="A", sector="s", **kw):
    return {"id": i, "sector": sector, "output": 100.0, "intensity": 1.0,
            "mac": {"kind": "linear", "slope": 1.0}, **kw}


def build(scenario, seed=0):
    return build_population(scenario, np.random.default_rng(seed))


def test_field_table_matches_the_arrays():
    pop = build(GENERATED)
    n, y = pop.n, pop.years
    sizes = {"N": n, "Y": y, "H": HIST_YEARS, "K": 3}
    names = {f.name for f in dataclasses.fields(Population)}
    for f in FIELDS:
        assert f.name in names
        arr = getattr(pop, f.name)
        shape = tuple(sizes[s.strip()] for s in f.shape.strip("()").split(",") if s.strip())
        assert arr.dtype == np.dtype(f.dtype) and arr.shape == shape, f.name
        assert not arr.flags.writeable
        assert f"`{f.name}`" in fields_table()
    assert set(pop.arrays()) == {f.name for f in FIELDS}
    assert names - {f.name for f in FIELDS} == {"sector_names", "start_year"}


def test_population_checks_shapes():
    pop = build(TEXTBOOK)
    with pytest.raises(ValueError, match="Population.bau_t"):
        dataclasses.replace(pop, bau_t=np.zeros((3, 1)))


def test_textbook_population_and_macs():
    pop = build(TEXTBOOK)
    assert list(pop.id) == ["A", "B"] and pop.sector_names == ("industry",)
    assert np.array_equal(pop.bau_t, [[100.0], [100.0]])
    assert np.array_equal(pop.free_allocation_t, [[70.0], [70.0]])
    curves = pop.mac_curves(0)
    assert np.allclose(abatement_at(curves, 45.0), [45.0, 15.0])  # Montgomery: A 55 t, B 85 t
    assert np.allclose(marginal_cost(curves, np.array([45.0, 15.0])), [45.0, 45.0])


def test_determinism_by_seed():
    a, b, c = build(GENERATED, 3), build(GENERATED, 3), build(GENERATED, 4)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name), err_msg=f.name)
    assert not np.array_equal(a.output, c.output)


def test_growth_maths_on_a_hand_case():
    s = with_emitters([emitter(growth=0.1, growth_sd=0.2, intensity_decline=0.05)], years=3)
    pop = build(s, seed=11)
    eps = np.random.default_rng(11).standard_normal((1, 2))[0]
    q1 = 100 * (1 + 0.1 + 0.2 * eps[0])
    q2 = q1 * (1 + 0.1 + 0.2 * eps[1])
    assert np.allclose(pop.output[0], [100, q1, q2])
    assert np.allclose(pop.expected_output[0], [100, 110, q1 * 1.1])
    assert np.allclose(pop.intensity[0], [1, 0.95, 0.95**2])
    assert np.allclose(pop.bau_t, pop.output * pop.intensity)
    k = np.arange(HIST_YEARS, 0, -1)
    assert np.allclose(pop.hist_output[0], 100 / 1.1**k)
    assert np.allclose(pop.hist_emissions_t[0], 100 / 1.1**k / 0.95**k)
    assert np.isclose(pop.hist_output[0, -1], 100 / 1.1)  # the year just before start


def test_sector_shock_is_shared_within_a_sector():
    es = [emitter("A", "s", growth_sd=0.1), emitter("B", "s", growth_sd=0.1, output=50.0),
          emitter("C", "t", growth_sd=0.1)]
    pop = build(with_emitters(es, years=4), seed=5)
    rel = pop.output[:, 1:] / pop.output[:, :-1]
    assert np.allclose(rel[0], rel[1])
    assert not np.allclose(rel[0], rel[2])
    assert list(pop.sector_index) == [0, 0, 1] and pop.sector_names == ("s", "t")
    assert np.array_equal(pop.sector_mask("t"), [False, False, True])
    with pytest.raises(KeyError, match="sectors: s, t"):
        pop.sector_mask("u")


def test_output_never_negative():
    pop = build(with_emitters([emitter(growth_sd=1.0)], years=30), seed=1)  # shocks below -100%
    assert (pop.output >= 0).all()


def test_per_year_lists_and_historical_override():
    es = [emitter("A", output=[100, 80, 120], intensity=[1.0, 0.9, 0.8], growth=0.5,
                  free_allocation=[1, 2, 3], historical_emissions=77.0), emitter("B", growth=0.5)]
    pop = build(with_emitters(es), seed=2)
    assert np.array_equal(pop.output[0], [100, 80, 120])
    assert np.array_equal(pop.expected_output[0], [100, 80, 120])
    assert np.array_equal(pop.intensity[0], [1.0, 0.9, 0.8])
    assert np.array_equal(pop.free_allocation_t[0], [1, 2, 3])
    assert np.array_equal(pop.hist_emissions_t[0], [77.0] * HIST_YEARS)
    assert np.array_equal(pop.output[1], [100, 150, 225])  # no shock without growth_sd
    assert np.array_equal(pop.free_allocation_t[1], [0, 0, 0])


def test_generated_sectors_ids_counts_and_distributions():
    data = scenario_dict(GENERATED)
    gen = data["emitters"]["generate"]
    gen["power"]["count"] = 20000
    gen["steel"]["output"] = {"dist": "uniform", "low": 2.0, "high": 4.0}
    gen["steel"]["intensity"] = {"dist": "fixed", "value": 1.5}
    gen["buildings"]["intensity"] = {"dist": "normal", "mean": 1.0, "sd": 2.0}
    pop = build(load_scenario_dict(data), seed=9)
    power = pop.sector_mask("power")
    assert power.sum() == 20000 and pop.n == 20000 + 40 + 200
    assert pop.id[0] == "power-0000" and pop.id[19999] == "power-19999" and pop.id[20000] == "steel-0000"
    out0 = pop.output[power, 0]
    assert np.median(out0) == pytest.approx(3.0e6, rel=0.03)
    assert np.std(np.log(out0)) == pytest.approx(0.6, rel=0.03)
    assert pop.intensity[power, 0].mean() == pytest.approx(0.85, rel=0.01)
    steel = pop.sector_mask("steel")
    assert ((pop.output[steel, 0] >= 2) & (pop.output[steel, 0] < 4)).all()
    assert (pop.intensity[steel, 0] == 1.5).all()
    b = pop.sector_mask("buildings")
    assert pop.intensity[b, 0].min() >= 0.01  # normal draws are raised to 1% of the mean
    assert (pop.growth[power] == 0.02).all() and (pop.growth_sd[power] == 0.03).all()
    assert (pop.mac_kind[steel] == "steps").all() and np.isnan(pop.mac_slope[power]).all()
    assert (pop.mac_cost_at_max[power] == 300).all() and (pop.mac_max_share[power] == 0.25).all()


def test_mac_curves_of_mixed_population():
    pop = build(GENERATED, seed=1)
    y = 2
    curves = pop.mac_curves(y)
    bau = pop.bau_t[:, y]
    power, steel = pop.sector_mask("power"), pop.sector_mask("steel")
    assert curves.lo.shape == (pop.n, 3)
    assert np.allclose(curves.hi[power, 0], 300) and np.allclose(curves.width_t[power, 0], 0.25 * bau[power])
    assert np.allclose(curves.max_abatement_t[steel], 0.25 * bau[steel])
    assert np.allclose(curves.lo[steel], [40, 120, 400])
    assert np.isinf(curves.lo[power, 1:]).all() and (curves.width_t[power, 1:] == 0).all()
    assert np.allclose(abatement_at(curves, 120.0)[steel], 0.15 * bau[steel])


def test_slope_scales_with_the_year_bau():
    s = with_emitters([emitter(growth=0.5, mac={"kind": "linear", "slope": 2.0, "max_share": 0.5})])
    pop = build(s)
    for y in range(3):
        c = pop.mac_curves(y)
        assert c.hi[0, 0] == pytest.approx(2.0 * 0.5 * pop.bau_t[0, y])
        assert marginal_cost(c, np.array([10.0]))[0] == pytest.approx(20.0)


def test_ten_thousand_emitters_build_fast():
    data = scenario_dict(GENERATED)
    data["emitters"]["generate"]["power"]["count"] = 10_000
    scenario = load_scenario_dict(data)
    start = time.perf_counter()
    pop = build(scenario)
    assert time.perf_counter() - start < 0.5
    assert pop.n == 10_240

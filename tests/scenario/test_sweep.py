"""sweep: grid expansion, each point valid, bad keys and values reported."""

from pathlib import Path

import pytest

from carbonsim.scenario import (
    ScenarioError,
    expand_sweep,
    load_scenario,
    load_scenario_text,
    validate_files,
)

ROOT = Path(__file__).resolve().parents[2]
GENERATED = (ROOT / "scenarios" / "sectors-generated.yaml").read_text()
SWEEP = """
sweep:
  compliance.penalty_per_t: [50, 100, 200]
  allocation.auction_share: [0, 0.1]
"""


def test_no_sweep_is_one_point():
    s = load_scenario(ROOT / "scenarios" / "textbook-two-firms.yaml")
    (point,) = expand_sweep(s)
    assert point.scenario is s and point.values == {} and point.index == 0


def test_grid_size_order_and_values():
    s = load_scenario_text(GENERATED + SWEEP)
    points = expand_sweep(s)
    assert len(points) == 6
    assert [p.index for p in points] == list(range(6))
    assert [tuple(p.values.values()) for p in points] == [
        (50, 0), (50, 0.1), (100, 0), (100, 0.1), (200, 0), (200, 0.1)]
    for p in points:
        assert p.scenario.sweep is None
        assert p.scenario.compliance.penalty_per_t == p.values["compliance.penalty_per_t"]
        assert p.scenario.allocation.auction_share == p.values["allocation.auction_share"]
        assert p.scenario.name == s.name and p.scenario.seed == s.seed
        assert p.scenario.compliance.fixed_fine == 50000  # everything else kept
        assert expand_sweep(p.scenario)[0].scenario is p.scenario


def test_sweep_into_sector_parameters_defaults_and_whole_values():
    text = GENERATED + """
sweep:
  allocation.power.benchmark: [0.7, 0.9]
  reserves.price_floor: [10]
  cap: [1.0e8, {start: 1.0e8, annual_reduction: 0.03}]
"""
    points = expand_sweep(load_scenario_text(text))
    assert len(points) == 4
    assert points[0].scenario.allocation.sectors["power"].benchmark == 0.7
    assert points[0].scenario.reserves.price_floor == 10
    assert points[0].scenario.cap == 1.0e8 and points[1].scenario.cap.annual_reduction == 0.03


def test_bad_sweep_key_is_a_scenario_error_with_a_hint(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GENERATED + "sweep:\n  compliance.penalty_per: [1, 2]\n  market.nope.deeper: [1]\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    found = {p.path: p for p in info.value.problems}
    hint = found["sweep.compliance.penalty_per"]
    assert "did you mean 'compliance.penalty_per_t'?" in hint.message
    assert hint.line == GENERATED.count("\n") + 2
    assert "sweep.market.nope.deeper" in found


def test_sweep_of_a_missing_sector_is_refused():
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(GENERATED + "sweep:\n  allocation.cement.benchmark: [1]\n")
    assert info.value.problems[0].path == "sweep.allocation.cement.benchmark"


def test_bad_values_are_reported_once_per_message_with_the_point(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GENERATED + "sweep:\n  compliance.penalty_per_t: [-1, 100]\n  seed: [1, 2]\n")
    s = load_scenario(path)  # keys are fine; values are checked when expanding
    with pytest.raises(ScenarioError) as info:
        expand_sweep(s)
    (p,) = info.value.problems
    assert p.path == "compliance.penalty_per_t" and p.line == GENERATED.count("\n") + 2
    assert "expected a number >= 0; got -1" in p.message
    assert "(sweep point compliance.penalty_per_t=-1, seed=1 and 1 more)" in p.message
    assert validate_files([path]) == [p]


def test_sweep_values_must_be_non_empty_lists():
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(GENERATED + "sweep:\n  seed: []\n")
    assert info.value.problems[0].path == "sweep.seed"


def test_sweep_key_into_a_number_is_reported():
    s = load_scenario_text(GENERATED.replace("cap: {start: 1.0e8, annual_reduction: 0.02}", "cap: 1.0e8")
                           + "sweep:\n  cap.start: [1.0e8]\n")
    with pytest.raises(ScenarioError) as info:
        expand_sweep(s)
    assert "expected a key inside a mapping" in info.value.problems[0].message


def test_grid_size_is_limited():
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(GENERATED + f"sweep:\n  seed: {list(range(200))}\n"
                           f"  compliance.penalty_per_t: {list(range(100))}\n")
    assert "at most 10000 points; got 20000" in str(info.value)

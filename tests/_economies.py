"""Shared economies of the whole-run tests: the bundled scenarios' folder and the textbook
two-firm economy (BAU 100 t each, MAC slopes 1 and 3)."""

from pathlib import Path

from carbonsim.scenario import load_scenario, load_scenario_dict, scenario_dict

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def two_firms(free_a: int, free_b: int) -> list[dict]:
    return [{"id": "A", "sector": "industry", "output": 100, "intensity": 1.0,
             "mac": {"kind": "linear", "slope": 1.0}, "free_allocation": free_a},
            {"id": "B", "sector": "industry", "output": 100, "intensity": 1.0,
             "mac": {"kind": "linear", "slope": 3.0}, "free_allocation": free_b}]


def textbook(**changes):
    data = scenario_dict(load_scenario(SCENARIOS / "textbook-two-firms.yaml"))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return load_scenario_dict(data)

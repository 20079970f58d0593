"""Benchmark populations of whole runs: ``small`` and ``large`` and a grid for the scaling curve."""

from __future__ import annotations

from pathlib import Path

from carbonsim.scenario import Scenario, load_scenario, scenario_dict
from carbonsim.scenario.loader import load_scenario_dict

HERE = Path(__file__).resolve().parent / "scenarios"
SHARES = {"power": 0.2, "steel": 0.1333, "buildings": 0.6667}  # the large population's mix


def case(name: str) -> Scenario:
    """The bundled benchmark scenario ``small`` (300 emitters, 5 years) or ``large``."""
    return load_scenario(HERE / f"{name}.yaml")


def scaled(emitters: int, sessions: int | str, years: int) -> Scenario:
    """The large population's mix with ``emitters`` emitters and the cap scaled to match."""
    data = scenario_dict(case("large"))
    factor = emitters / 10_000
    for sector, spec in data["emitters"]["generate"].items():
        spec["count"] = max(1, round(SHARES[sector] * emitters))
    data["cap"]["start"] = data["cap"]["start"] * factor
    data.update(years=years, name=f"scale-{emitters}-{sessions}")
    data["calendar"]["sessions"] = sessions
    return load_scenario_dict(data)

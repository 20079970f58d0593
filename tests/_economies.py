"""Shared economies of the whole-run tests: the bundled scenarios' folder and the textbook
two-firm economy (BAU 100 t each, MAC slopes 1 and 3)."""

from pathlib import Path

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def two_firms(free_a: int, free_b: int) -> list[dict]:
    return [{"id": "A", "sector": "industry", "output": 100, "intensity": 1.0,
             "mac": {"kind": "linear", "slope": 1.0}, "free_allocation": free_a},
            {"id": "B", "sector": "industry", "output": 100, "intensity": 1.0,
             "mac": {"kind": "linear", "slope": 3.0}, "free_allocation": free_b}]

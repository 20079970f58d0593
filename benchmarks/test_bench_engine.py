"""Whole-run benchmarks (pytest-benchmark): run with ``pytest benchmarks --benchmark-enable``.

Targets on the 2-core development machine: ``large`` (10,000 emitters, 10 years, business-day
sessions, 8 bid steps) in under 20 s (goal 10 s) and under 2 GB peak memory.
"""

import pytest

import carbonsim
from engine_cases import case


@pytest.mark.parametrize("name", ["small", "large"])
def test_whole_run(benchmark, name):
    scenario = case(name)
    rounds = 3 if name == "small" else 1
    result = benchmark.pedantic(carbonsim.run, args=(scenario,), rounds=rounds, iterations=1)
    assert len(result.summary) == scenario.years

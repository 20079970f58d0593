"""Small scenario files for the batch tests (each run takes well under a second)."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

# Hotelling banking with random participation (so replicates differ), swept over the penalty.
SWEEP = """\
extends: hotelling-banking.yaml
name: hb-sweep
description: Banking <with> random participation & a penalty sweep
behaviour:
  expectations: perfect_foresight
  discount_rate: 0.05
  participation: {start: 0.3, at_deadline: 1.0}
sweep:
  compliance.penalty_per_t: [40, 1000]
"""


def write_cases(folder: Path) -> dict[str, Path]:
    """Write sweep.yaml (2 points), textbook.yaml, fail.yaml (every run fails in the engine)
    and bad.yaml (invalid) into ``folder``; return their paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SCENARIOS / "hotelling-banking.yaml", folder / "hotelling-banking.yaml")
    textbook = (SCENARIOS / "textbook-two-firms.yaml").read_text()
    paths = {"sweep": folder / "sweep.yaml", "textbook": folder / "textbook.yaml",
             "fail": folder / "fail.yaml", "bad": folder / "bad.yaml"}
    paths["sweep"].write_text(SWEEP)
    paths["textbook"].write_text(textbook)
    # Valid, but A's history (1e6 t from 1e-9 units of output) makes a historical intensity of
    # 1e15 t a unit: its 2022 allocation is beyond what the engine counts.
    paths["fail"].write_text(
        textbook.replace("name: textbook-two-firms", "name: absurd").replace("years: 1", "years: 2")
        .replace("cap: 140 ", "cap: 280 ").replace("{rule: fixed}", "{rule: historical_intensity}")
        .replace("output: 100, intensity: 1.0, mac: {kind: linear, slope: 1.0}, free_allocation: 70}",
                 "output: [1.0e-9, 1.0e6], intensity: 1.0, mac: {kind: linear, slope: 1.0}, "
                 "historical_emissions: 1.0e6}"))
    paths["bad"].write_text(textbook.replace("cap: 140", "cap: -140").replace("years: 1", "yeers: 1"))
    return paths


def crashing(spec):
    """A copy of a RunSpec whose worker process dies (os._exit) as it reads the scenario."""
    from dataclasses import asdict

    return _Crash(**asdict(spec))


def _make_crash_class():
    import os
    from dataclasses import dataclass

    from carbonsim.batch.plan import RunSpec

    @dataclass(frozen=True)
    class Crash(RunSpec):
        def __getattribute__(self, name):
            if name == "scenario":
                os._exit(3)  # like a segfault or the OOM killer: no exception, no cleanup
            return super().__getattribute__(name)

    Crash.__qualname__ = Crash.__name__ = "_Crash"
    return Crash


_Crash = _make_crash_class()

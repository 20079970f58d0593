"""The bundled scenario library for the tests: every file, a reduced variant of the large ones
(so CI stays fast), and one run per file shared by every test module that asks for it."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

import carbonsim
from carbonsim.economy.population import build_population
from carbonsim.scenario import load_scenario, load_scenario_dict, scenario_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
GOLDEN = ROOT / "tests" / "system" / "golden"
FILES = sorted(SCENARIOS.rglob("*.yaml"))
IDS = [p.relative_to(SCENARIOS).as_posix() for p in FILES]

WORK_LIMIT = 400_000  # emitter-sessions a run may take in CI
GOLDEN_LIMIT = 200_000  # runs up to this size keep a golden summary
REGENERATE = os.environ.get("CARBONSIM_REGENERATE_GOLDEN") == "1"
BUSINESS_DAYS = 261


# --- reduced variants ---------------------------------------------------------------------

def sessions_per_year(data: dict) -> int:
    s = data["calendar"]["sessions"]
    return BUSINESS_DAYS if s == "business_days" else int(s)


def emitter_count(data: dict) -> int:
    em = data["emitters"]
    if isinstance(em, dict) and "generate" in em:
        return sum(int(g["count"]) for g in em["generate"].values())
    return len(em)


def work(data: dict) -> int:
    """Emitter-sessions of a run: the measure of its cost."""
    return emitter_count(data) * sessions_per_year(data) * int(data["years"])


def first_year_bau(scenario) -> float:
    """Total BAU of the first year (t) of the population the run draws (the seed's first stream)."""
    stream = np.random.SeedSequence(scenario.seed).spawn(2)[0]
    return float(build_population(scenario, np.random.default_rng(stream)).bau_t[:, 0].sum())


def _cut_years(value, years: int):
    return value[:years] if isinstance(value, list) else value


def _scale_tonnages(data: dict, ratio: float) -> None:
    """Scale the cap and the other tonnages a year by ``ratio`` (the reduced share of BAU)."""
    cap = data["cap"]
    if isinstance(cap, list):
        data["cap"] = [c * ratio for c in cap]
    elif isinstance(cap, dict):
        cap["start"] *= ratio
    elif cap is not None:
        data["cap"] = cap * ratio
    offsets = data["compliance"].get("offsets")
    if offsets and offsets.get("supply_t") is not None:
        offsets["supply_t"] *= ratio
    res = data.get("reserves") or {}
    for key in ("ccr", "ecr"):
        if res.get(key):
            res[key]["volume_t"] *= ratio
    if res.get("msr"):
        for key in ("upper_threshold_t", "lower_threshold_t", "release_t", "cancel_above_t"):
            if res["msr"].get(key) is not None:
                res["msr"][key] *= ratio


def reduced(scenario, limit: int = WORK_LIMIT):
    """The scenario itself if it fits ``limit``; else a smaller variant and what was changed."""
    data = scenario_dict(scenario)
    if work(data) <= limit:
        return scenario, []
    changes = []
    if sessions_per_year(data) > 52:
        data["calendar"]["sessions"] = 52
        changes.append("52 sessions a year")
    years = int(data["years"])
    if work(data) > limit and years > 2:
        keep = max(2, limit // (emitter_count(data) * sessions_per_year(data)))
        if keep < years:
            data["years"] = keep
            data["cap"] = _cut_years(data["cap"], keep)
            if isinstance(data["emitters"], list):
                for e in data["emitters"]:
                    for key in ("output", "intensity", "free_allocation"):
                        e[key] = _cut_years(e[key], keep)
            changes.append(f"{keep} of {years} years")
    if work(data) > limit:
        share = limit / work(data)
        em = data["emitters"]
        if isinstance(em, dict):
            for g in em["generate"].values():
                g["count"] = max(1, math.floor(g["count"] * share))
        else:
            step = math.ceil(1 / share)
            data["emitters"] = em[::step]
        ratio = first_year_bau(load_scenario_dict(data)) / first_year_bau(scenario)
        _scale_tonnages(data, ratio)
        changes.append(f"{emitter_count(data)} emitters, tonnages x {ratio:.3f}")
    return load_scenario_dict(data, file=f"<reduced {scenario.name}>"), changes


# --- one run per file, shared by the tests --------------------------------------------------

_RUNS: dict[str, tuple] = {}


def run_of(rel: str):
    """(scenario run, result, changes made to it) for scenarios/<rel>, computed once."""
    if rel not in _RUNS:
        scenario, changes = reduced(load_scenario(SCENARIOS / rel))
        _RUNS[rel] = (scenario, carbonsim.run(scenario), changes)
    return _RUNS[rel]

"""Cap paths, the registry of allocation rules, and the yearly free allocation (integer tonnes).

A rule is a params model (pydantic, validated from the scenario) and pure functions of the
population, a boolean mask of the sector's emitters, the year index y and the params, each
returning float64 tonnes for the masked emitters:

- ``ex_ante``: issued at the allocation date (output-based rules: on expected output, times
  ``ex_ante_share``);
- ``final``: the allocation after the true-up at verification, on actual output (equal to
  ex_ante for rules not based on output);
- ``expected``: the full allocation expected before the year (final on expected output), used
  for the cross-sectoral correction factor.

To add a rule: ``register_rule("name", Params, ex_ante, final=..., expected=...,
example={...})``; the contract test in tests/economy/test_allocation.py then checks it with no new code.

Totals: with an absolute cap and ``correction: auto``, the correction factor
cf = min(1, (cap - auctioned) / sum(expected)) scales every free allocation (EU style), so the
ex-ante free allocation plus the auctioned volume never exceeds the cap, and equals it when the
correction binds with ex_ante_share 1. Without a cap (an intensity system) free allocation follows
output. Rounding to whole tonnes is largest-remainder and never creates allowances.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carbonsim.economy.population import Population
from carbonsim.errors import RunError
from carbonsim.registry import Registry
from carbonsim.scenario.emitters import EmitterSpec  # noqa: F401  (re-exported for plug-ins)
from carbonsim.scenario.models import CapLinear, Scenario
from carbonsim.scenario.rules import (
    HIST_YEARS,
    RULE_PARAMS,
    AuctionParams,
    BenchmarkParams,
    FixedParams,
    GrandfatheringParams,
    HistoricalIntensityParams,
    RuleParams,
)

__all__ = [
    "RULES",
    "AuctionParams",
    "BenchmarkParams",
    "FixedParams",
    "GrandfatheringParams",
    "HistoricalIntensityParams",
    "Rule",
    "RuleParams",
    "YearAllocation",
    "allocate",
    "cap_path",
    "expected_final",
    "register_rule",
    "round_exact",
    "unregister_rule",
    "true_up",
    "whole_tonnes",
    "output_based",
]

MAX_TONNES = 2.0**53  # whole tonnes are exact in float64 below this

RuleFn = Callable[[Population, np.ndarray, int, Any], np.ndarray]


@dataclass(frozen=True)
class Rule:
    """A registered allocation rule (see the module docstring)."""

    name: str
    params: type[RuleParams]
    ex_ante: RuleFn
    final: RuleFn
    expected: RuleFn
    output_based: bool
    example: dict = field(default_factory=dict)
    doc: str = ""


RULES: Registry[Rule] = Registry("allocation rule")


def register_rule(
    name: str,
    params: type[RuleParams],
    ex_ante: RuleFn,
    *,
    final: RuleFn | None = None,
    expected: RuleFn | None = None,
    example: dict | None = None,
    doc: str = "",
) -> Rule:
    """Register an allocation rule; ``final``/``expected`` default to ``ex_ante`` (not output based).

    ``example`` holds parameters the contract test uses (besides ``rule``). The params model is
    added to the scenario format's `RULE_PARAMS` unless it is already there under ``name``.
    Raises ValueError if the name is taken, or if ``final`` is given (the rule is trued up) and
    ``params.trued_up`` says otherwise.
    """
    if (final is not None) != params.trued_up:
        raise ValueError(f"rule {name!r}: params.trued_up must be {final is not None} "
                         "(a rule with a final allocation is trued up at verification)")
    if name in RULES:
        raise ValueError(f"allocation rule {name!r} is already registered")
    if name not in RULE_PARAMS or RULE_PARAMS.get(name) is not params:
        RULE_PARAMS.register(name, params)
    rule = Rule(
        name=name, params=params, ex_ante=ex_ante, final=final or ex_ante,
        expected=expected or final or ex_ante, output_based=final is not None,
        example=dict(example or {}), doc=doc or (ex_ante.__doc__ or "").strip(),
    )
    return RULES.register(name, rule)


def unregister_rule(name: str) -> None:
    """Remove a rule and its params model (plug-ins in tests)."""
    RULES.unregister(name)
    RULE_PARAMS.unregister(name)


# --- the rules ------------------------------------------------------------------------------

def _fixed(pop: Population, mask: np.ndarray, y: int, p: FixedParams) -> np.ndarray:
    """Each emitter's given free_allocation (t)."""
    return np.array(pop.free_allocation_t[mask, y], dtype=np.float64)


def _grandfathering(pop: Population, mask: np.ndarray, y: int, p: GrandfatheringParams) -> np.ndarray:
    """Mean historical emissions over the base years x (1 - decline)^(y+1) (t)."""
    base = pop.hist_emissions_t[mask, HIST_YEARS - p.base_years:].mean(axis=1)
    return base * (1.0 - p.decline) ** (y + 1)


def _hist_intensity(pop: Population, mask: np.ndarray, p: HistoricalIntensityParams) -> np.ndarray:
    """Historical t per unit over the base years (first-year intensity where output was 0)."""
    em = pop.hist_emissions_t[mask, HIST_YEARS - p.base_years:].sum(axis=1)
    out = pop.hist_output[mask, HIST_YEARS - p.base_years:].sum(axis=1)
    with np.errstate(over="ignore"):  # a tiny output under a given history: no usable ratio
        ratio = np.divide(em, out, out=np.full_like(em, np.inf), where=out > 0)
    return np.where(np.isfinite(ratio), ratio, pop.intensity[mask, 0])


def _hi_on(output: np.ndarray, pop: Population, mask: np.ndarray, y: int, p: Any) -> np.ndarray:
    return _hist_intensity(pop, mask, p) * output * (1.0 - p.decline) ** (y + 1)


def _hi_ex_ante(pop: Population, mask: np.ndarray, y: int, p: HistoricalIntensityParams) -> np.ndarray:
    """Historical intensity x expected output x decline factor x ex_ante_share (t)."""
    return p.ex_ante_share * _hi_on(pop.expected_output[mask, y], pop, mask, y, p)


def _hi_final(pop: Population, mask: np.ndarray, y: int, p: HistoricalIntensityParams) -> np.ndarray:
    return _hi_on(pop.output[mask, y], pop, mask, y, p)


def _hi_expected(pop: Population, mask: np.ndarray, y: int, p: HistoricalIntensityParams) -> np.ndarray:
    return _hi_on(pop.expected_output[mask, y], pop, mask, y, p)


def _bm_on(output: np.ndarray, y: int, p: BenchmarkParams) -> np.ndarray:
    return p.benchmark * p.correction * output * (1.0 - p.decline) ** y


def _bm_ex_ante(pop: Population, mask: np.ndarray, y: int, p: BenchmarkParams) -> np.ndarray:
    """Benchmark x correction x expected output x (1 - decline)^y x ex_ante_share (t)."""
    return p.ex_ante_share * _bm_on(pop.expected_output[mask, y], y, p)


def _bm_final(pop: Population, mask: np.ndarray, y: int, p: BenchmarkParams) -> np.ndarray:
    return _bm_on(pop.output[mask, y], y, p)


def _bm_expected(pop: Population, mask: np.ndarray, y: int, p: BenchmarkParams) -> np.ndarray:
    return _bm_on(pop.expected_output[mask, y], y, p)


def _auction(pop: Population, mask: np.ndarray, y: int, p: AuctionParams) -> np.ndarray:
    """No free allocation (t)."""
    return np.zeros(int(mask.sum()))


register_rule("fixed", FixedParams, _fixed)
register_rule("grandfathering", GrandfatheringParams, _grandfathering, example={"decline": 0.02})
register_rule(
    "historical_intensity", HistoricalIntensityParams, _hi_ex_ante, final=_hi_final,
    expected=_hi_expected, example={"decline": 0.01, "ex_ante_share": 0.7},
)
register_rule(
    "benchmark", BenchmarkParams, _bm_ex_ante, final=_bm_final, expected=_bm_expected,
    example={"benchmark": 0.8, "ex_ante_share": 0.7, "correction": 1.05},
)
register_rule("auction", AuctionParams, _auction)


# --- caps, rounding, the year's allocation -------------------------------------------------


def cap_path(scenario: Scenario, years: int | None = None) -> np.ndarray:
    """Cap of each year (t), shape (years,) float64 (default: the scenario's years); NaN where
    there is no absolute cap. Past the scenario's years a linear cap keeps its reduction and a
    list keeps its last value (the foresight years of MODEL.md section 5)."""
    years = scenario.years if years is None else years
    cap = scenario.cap
    if cap is None:
        return np.full(years, np.nan)
    if isinstance(cap, CapLinear):
        return np.maximum(cap.start * (1.0 - cap.annual_reduction * np.arange(years)), 0.0)
    if isinstance(cap, tuple):
        listed = np.array(cap, dtype=np.float64)
        return np.concatenate([listed, np.full(max(years - listed.size, 0), listed[-1])])[:years]
    return np.full(years, float(cap))


def whole_tonnes(x: float) -> int:
    """Largest whole number of tonnes not above ``x``, forgiving float noise (1e-12 relative)."""
    return math.floor(x + min(1e-12 * max(1.0, abs(x)), 1e-3))


def round_exact(values: np.ndarray, total: int | None = None) -> np.ndarray:
    """Largest-remainder rounding of non-negative ``values`` to int64 summing to ``total``.

    ``total`` defaults to the whole tonnes of the sum, so rounding never creates allowances.
    Every result is the floor or the ceiling of its value; ties go to the earlier index.
    Raises ValueError for negative or non-finite values or an unreachable total.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size and (not np.all(np.isfinite(v)) or v.min() < 0):
        raise ValueError("round_exact needs finite, non-negative values")
    base = np.floor(v)
    out = base.astype(np.int64)
    frac = v - base
    if total is None:
        total = min(whole_tonnes(float(v.sum())), int(out.sum()) + int(np.count_nonzero(frac > 0)))
    extra = int(total) - int(out.sum())
    if extra < 0 or extra > int(np.count_nonzero(frac > 0)):
        raise ValueError(f"round_exact: total {total} is out of reach of values summing to {v.sum():g}")
    if extra:
        order = np.argsort(-frac, kind="stable")
        out[order[:extra]] += 1
    return out


@dataclass(frozen=True)
class YearAllocation:
    """Allocation of one compliance year: free ex ante per emitter, auctioned volume, factors."""

    ex_ante_t: np.ndarray  # (N,) int64, t issued free at the allocation date
    auction_t: int  # t sold in the year's primary auctions, round(auction_share * cap)
    correction_factor: float  # cross-sectoral correction (1 = none)
    cap_t: float  # the year's cap (NaN if none)

    @property
    def free_t(self) -> int:
        """Total free allocation issued ex ante (t)."""
        return int(self.ex_ante_t.sum())

    @property
    def unallocated_t(self) -> int:
        """Whole tonnes of the cap neither given free ex ante nor auctioned (0 without a cap)."""
        if not np.isfinite(self.cap_t):
            return 0
        return max(whole_tonnes(self.cap_t) - self.free_t - self.auction_t, 0)


def _rule_values(scenario: Scenario, pop: Population, y: int, which: str) -> np.ndarray:
    """The rules' ``which`` function ("ex_ante", "final", "expected") for every emitter (t)."""
    out = np.zeros(pop.n)
    for name, params in scenario.allocation.sectors.items():
        if name not in pop.sector_names:
            continue
        mask = pop.sector_mask(name)
        rule = RULES.get(params.rule)
        out[mask] = getattr(rule, which)(pop, mask, y, params)
    bad = ~(np.isfinite(out) & (out >= 0) & (out < MAX_TONNES))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise RunError(
            f"allocation of emitter {pop.id[i]!r} ({pop.sector[i]}) in year {pop.start_year + y} "
            f"is {out[i]:g} t: expected 0 to {MAX_TONNES:.0e} t (check its output and history)"
        )
    return out


def output_based(scenario: Scenario, pop: Population) -> np.ndarray:
    """Boolean (N,): emitters whose rule is trued up on actual output."""
    ob = np.zeros(pop.n, dtype=bool)
    for name, params in scenario.allocation.sectors.items():
        if name in pop.sector_names and RULES.get(params.rule).output_based:
            ob |= pop.sector_mask(name)
    return ob


def _budget(scenario: Scenario, y: int) -> tuple[float, int, int | None]:
    """(cap, auctioned t, whole tonnes left for free allocation or None when unbounded)."""
    cap = float(cap_path(scenario)[y])
    if not np.isfinite(cap):
        return cap, 0, None
    cap_whole = whole_tonnes(cap)
    auction = min(math.floor(scenario.allocation.auction_share * cap + 0.5), cap_whole)
    bounded = scenario.allocation.correction == "auto"
    return cap, auction, (cap_whole - auction) if bounded else None


def _correction(scenario: Scenario, pop: Population, y: int, budget: int | None) -> float:
    if budget is None:
        return 1.0
    total = float(_rule_values(scenario, pop, y, "expected").sum())
    return budget / total if total > budget else 1.0


def allocate(scenario: Scenario, pop: Population, y: int) -> YearAllocation:
    """Free allocation issued ex ante in compliance year index ``y`` and the auctioned volume.

    Ex-ante free allocation (whole t) plus auctioned volume never exceed the cap (with
    ``correction: auto``); the free total is the whole tonnes of the corrected rules' total.
    Raises RunError if a rule gives an allocation that is not a finite tonnage below 2**53.
    """
    cap, auction, budget = _budget(scenario, y)
    cf = _correction(scenario, pop, y, budget)
    values = cf * _rule_values(scenario, pop, y, "ex_ante")
    total = whole_tonnes(float(values.sum()))
    if budget is not None:
        total = min(total, budget)
    return YearAllocation(round_exact(values, total), auction, cf, cap)


def expected_final(scenario: Scenario, pop: Population, y: int) -> np.ndarray:
    """Free allocation each emitter expects for year ``y`` after the true-up (t, float64 (N,)).

    The rules' final allocation on expected output, times the year's correction factor: what
    ex ante plus true-up give when output turns out as expected.
    """
    _, _, budget = _budget(scenario, y)
    return _correction(scenario, pop, y, budget) * _rule_values(scenario, pop, y, "expected")


def true_up(scenario: Scenario, pop: Population, y: int, issued_t: np.ndarray) -> np.ndarray:
    """Adjustment at verification (t, int64 (N,)): final allocation on actual output - issued.

    Negative values are claw-backs. Only output-based rules change; the correction factor is the
    one used ex ante, further scaled down only if actual output would push the final free
    allocation above cap - auctioned. ``issued_t`` is ``allocate(...).ex_ante_t``.
    """
    issued = np.asarray(issued_t, dtype=np.int64)
    ob = output_based(scenario, pop)
    adjust = np.zeros(pop.n, dtype=np.int64)
    if not ob.any():
        return adjust
    _, _, budget = _budget(scenario, y)
    cf = _correction(scenario, pop, y, budget)
    final = cf * _rule_values(scenario, pop, y, "final")[ob]
    total = whole_tonnes(float(final.sum()))
    if budget is not None:
        room = max(budget - int(issued[~ob].sum()), 0)
        if final.sum() > room:
            final = final * (room / final.sum())
        total = min(whole_tonnes(float(final.sum())), room)
    adjust[ob] = round_exact(final, total) - issued[ob]
    return adjust

"""The least-cost benchmark of a scenario: its inputs gathered and passed to the solver.

Supply each year is the cap (or, in an intensity system without one, the expected free
allocation plus the auctioned volume); offsets enter as a technology at their price up to
their limit; a penalty without make-good, or a price ceiling, caps the price.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carbonsim.economy.equilibrium import intertemporal_equilibrium
from carbonsim.economy.mac import MacCurves, step_curves

__all__ = ["LeastCost", "least_cost", "price_cap"]


@dataclass(frozen=True)
class LeastCost:
    """Least-cost path by compliance year: price (currency/t), cost (currency), tonnes."""

    price: np.ndarray
    abatement_cost: np.ndarray  # abatement only
    abatement_t: np.ndarray
    bank_t: np.ndarray
    supply_t: np.ndarray
    offset_cost: np.ndarray  # offsets bought on the least-cost path, at their price


def price_cap(scenario, curves: list[MacCurves]) -> float:
    """The highest price the market can reach (currency/t).

    A price ceiling; the penalty without make-good; with make-good, non-compliance costs the
    penalty plus the make-good allowance, which no emitter values above its costliest
    abatement, so the penalty plus the highest MAC in the scenario bounds the price (it binds
    only when the cap cannot be met by abatement at all).
    """
    cap = np.inf
    reserves = scenario.reserves
    if reserves is not None and reserves.price_ceiling is not None:
        cap = reserves.price_ceiling
    penalty = scenario.compliance.penalty_per_t
    if not scenario.compliance.make_good:
        return float(min(cap, penalty))
    top = max((float(c.hi[np.isfinite(c.hi)].max(initial=0.0)) for c in curves), default=0.0)
    return float(min(cap, penalty + top))


def least_cost(scenario, population, curves: list[MacCurves], supply_t: np.ndarray) -> LeastCost:
    """Solve the competitive least-cost path for ``supply_t`` (Y,) allowances a year."""
    bau = population.bau_t.sum(axis=0)
    offsets = scenario.compliance.offsets
    by_year = []
    for y, c in enumerate(curves):
        if offsets is not None and offsets.limit > 0:
            width = offsets.limit * bau[y]
            if offsets.supply_t is not None:
                width = min(width, offsets.supply_t)
            c = MacCurves.concat([c, step_curves(np.array([[offsets.price]]), np.array([[width]]))])
        by_year.append(c)
    eq = intertemporal_equilibrium(by_year, bau, supply_t.astype(np.float64),
                                   discount_rate=scenario.behaviour.discount_rate,
                                   banking=scenario.compliance.banking,
                                   ceiling=price_cap(scenario, by_year))
    n = population.bau_t.shape[0]
    abatement = np.array([a[:n].sum() for a in eq.abatement_t])
    offset_cost = np.array([a[n:].sum() for a in eq.abatement_t]) * (offsets.price if offsets else 0.0)
    return LeastCost(eq.price, eq.cost - offset_cost, abatement, eq.bank_t, supply_t, offset_cost)

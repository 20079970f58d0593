"""Issuance steps of a run: the year's auction pool, ex-ante free allocation less make-good
deductions, and the ex-post true-up at verification (amounts from `carbonsim.economy.allocation`).
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from carbonsim.economy import allocation as alloc_mod

__all__ = ["IssuancePlan", "allocate", "plan", "verify", "year_start"]


@dataclass
class IssuancePlan:
    """What a run will issue: each year's allocation, what emitters still expect, the volumes."""

    allocations: list  # YearAllocation per year
    pending_t: np.ndarray  # (N, Y) free allocation still expected, t (float)
    output_based: np.ndarray  # (N,) bool: the emitter's rule is trued up
    auction_t: np.ndarray  # (Y,) int64 auction volume (changed by the MSR)
    cap_t: np.ndarray  # (Y,) float, NaN without an absolute cap
    supply_t: np.ndarray  # (Y,) allowances a year for the least-cost path


def plan(scenario, population) -> IssuancePlan:
    """The issuance of every year of ``scenario`` for ``population``."""
    years = population.bau_t.shape[1]
    allocations = [alloc_mod.allocate(scenario, population, y) for y in range(years)]
    expected = np.column_stack([alloc_mod.expected_final(scenario, population, y)
                                for y in range(years)])
    auction_t = np.array([a.auction_t for a in allocations], dtype=np.int64)
    cap_t = np.array([a.cap_t for a in allocations], dtype=np.float64)
    supply = np.where(np.isfinite(cap_t), cap_t, expected.sum(axis=0) + auction_t)
    return IssuancePlan(allocations, expected.astype(np.float64),
                        alloc_mod.output_based(scenario, population), auction_t, cap_t, supply)


def year_start(sim, y: int) -> None:
    """Issue the year's auction volume to the regulator's pool; refill the reserves. Before the
    first year, the opening bank: allowances already in circulation, issued to their holders
    as the first vintage (every vintage up to a year counts for it, so it is bankable as a
    vintage before the start would be)."""
    if y == 0 and sim.pop.opening_bank_t.any():
        sim.acc.issue(sim.pop.opening_bank_t.astype(np.int64), 0)
    if sim.auction_t[y] > 0:
        sim.acc.issue_to_pool(int(sim.auction_t[y]), y)
    year = sim.controls[y]
    sim.ccr_left = [volume for _, volume in year.ccr]
    sim.ecr_left = year.ecr[1] if year.ecr is not None else 0


def allocate(sim, y: int) -> None:
    """Issue the ex-ante free allocation of year ``y``, less make-good deductions."""
    ex_ante = sim.allocations[y].ex_ante_t
    deducted = np.minimum(ex_ante, sim.makegood_t)
    sim.makegood_t -= deducted
    issued = ex_ante - deducted
    sim.acc.issue(issued, y)
    sim.state.free_allocation_t[:, y] += issued
    # What is still to come is the true-up of output-based rules, in whole tonnes (a
    # fraction of the expected allocation is never issued, so nobody counts on it).
    rest = np.floor(sim.pending_t[:, y] - ex_ante + 1e-9)
    sim.pending_t[:, y] = np.where(sim.output_based, rest, 0.0)
    sim.ledger.deducted_t[:, y] += deducted


def verify(sim, y: int) -> None:
    """Verify year ``y``'s emissions and true up output-based allocation on actual output."""
    issued = sim.state.free_allocation_t[:, y] + sim.ledger.deducted_t[:, y]
    adjust = alloc_mod.true_up(sim.sc, sim.pop, y, issued)
    sim.acc.issue(np.maximum(adjust, 0), y)
    sim.owed_t[:, y] += sim.acc.claw_back(np.maximum(-adjust, 0))
    sim.state.free_allocation_t[:, y] += adjust
    sim.pending_t[:, y] = 0.0

"""Compliance at a deadline as array arithmetic: surrender, offsets, borrowing, penalties.

All quantities are integer tonnes (int64, shape (N,)); penalties are currency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carbonsim.sim import periods

__all__ = ["Surrender", "capped_obligation", "deadline", "settle"]


@dataclass(frozen=True)
class Surrender:
    """What each emitter surrenders for one compliance year and what it owes for the rest."""

    obligation_t: np.ndarray
    allowances_t: np.ndarray
    offsets_t: np.ndarray
    borrowed_t: np.ndarray
    shortfall_t: np.ndarray
    penalty: np.ndarray

    @property
    def surrendered_t(self) -> np.ndarray:
        """Units surrendered in all (allowances, offsets and borrowed allowances), t."""
        return self.allowances_t + self.offsets_t + self.borrowed_t


def capped_obligation(emissions_t: np.ndarray, free_allocation_t: np.ndarray,
                      shortfall_cap: float | None) -> np.ndarray:
    """Verified emissions as an obligation (t), capped at free allocation × (1 + cap) if set.

    China's national ETS caps an emitter's obligation so that its shortfall against its free
    allocation is at most ``shortfall_cap`` (20%) of that allocation.
    """
    obligation = np.rint(emissions_t).astype(np.int64)
    if shortfall_cap is None:
        return obligation
    cap = np.floor(free_allocation_t * (1.0 + shortfall_cap)).astype(np.int64)
    return np.minimum(obligation, cap)


def settle(obligation_t: np.ndarray, eligible_t: np.ndarray, offsets_held_t: np.ndarray,
           next_vintage_t: np.ndarray, *, offset_limit: float, borrowing: float,
           penalty_per_t: float, fixed_fine: float) -> Surrender:
    """Surrender min(eligible, obligation): offsets first up to ``offset_limit`` × obligation,
    then eligible allowances, then next year's allowances up to ``borrowing`` × obligation.

    Shortfall = obligation − surrendered; penalty = shortfall × penalty_per_t + a fixed fine
    for each emitter with a shortfall.
    """
    offsets = np.minimum(offsets_held_t, np.floor(offset_limit * obligation_t).astype(np.int64))
    allowances = np.minimum(eligible_t, obligation_t - offsets)
    borrow_room = np.floor(borrowing * obligation_t).astype(np.int64)
    borrowed = np.minimum(np.minimum(next_vintage_t, borrow_room), obligation_t - offsets - allowances)
    shortfall = obligation_t - offsets - allowances - borrowed
    penalty = shortfall * penalty_per_t + np.where(shortfall > 0, fixed_fine, 0.0)
    return Surrender(obligation_t, allowances, offsets, borrowed, shortfall, penalty)


def deadline(sim, y: int) -> None:
    """The compliance deadline of year ``y`` in a run: offsets, allowances, borrowing;
    penalties and make-good; without banking, unused vintages lapse at a period's final deadline.

    Within a control period (`carbonsim.sim.periods`) an interim deadline takes its share of the
    year's emissions, in every vintage of the period issued so far, and carries the rest to
    the final one; borrowing is from the vintage after the period's.
    """
    comp = sim.sc.compliance
    emissions = capped_obligation(sim.state.emitted_t[:, y], sim.state.free_allocation_t[:, y]
                                  + sim.ledger.deducted_t[:, y], comp.shortfall_cap)
    obligation, carried = periods.due_split(sim, y, emissions, periods.outstanding_t(sim))
    obligation = obligation + sim.owed_t[:, y]
    last = periods.last_vintage(sim, y)
    nxt = sim.acc.holdings[:, y + 1] if last == y and y + 1 < sim.years else np.zeros(sim.n, np.int64)
    # Offsets bought against a later year stay for it (the offset supply is per compliance year).
    led = sim.ledger
    earmarked = led.offsets_bought_t[:, : y + 1].sum(axis=1) - led.offsets_t[:, :y].sum(axis=1)
    usable = np.minimum(sim.acc.offsets, np.maximum(earmarked, 0))
    result = settle(obligation, sim.acc.eligible(last), usable, nxt,
                    offset_limit=sim.offset_limit,
                    borrowing=comp.borrowing, penalty_per_t=comp.penalty_per_t,
                    fixed_fine=comp.fixed_fine)
    sim.acc.surrender(result.allowances_t, result.offsets_t, last, result.borrowed_t)
    sim.acc.pay(result.penalty, "penalties")
    if comp.make_good:
        sim.makegood_t += result.shortfall_t
    if not comp.banking and last == y:
        sim.acc.cancel_vintages_up_to(y)
    sim.closed[y] = True
    led.carried_t[:, y] = carried
    sim.ledger.record_compliance(y, result, sim.acc.eligible(y))

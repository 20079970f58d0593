"""Multi-year compliance (control) periods as index arithmetic (MODEL.md section 8b).

A control period is ``compliance.period_years`` compliance years counted from ``start_year``
(RGGI and WCI: 3); the run's last year closes the period it falls in. Each year before a period's
last owes ``compliance.interim_share`` of its verified emissions (whole t) at its own deadline
(an interim deadline); the rest of the period's obligation, its emissions less what the interim
deadlines took, is due at the deadline after the period's last year (the final deadline). What
an interim deadline took is what was due there: a shortfall at it is settled by its penalty (and
make-good), as at any deadline, not owed again. A claw-back the holdings could not cover (a
negative true-up) is owed in full at its own year's deadline. At any deadline of a period every
vintage of the period already issued may be surrendered: at an interim deadline, the vintage of
the year the deadline falls in counts too. With one-year periods (the default) every deadline
is final and nothing is carried.

Functions take the run (``sim``) and return indices or (N,) arrays in t; none changes it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["due_split", "final", "last_vintage", "open_t", "outstanding_t", "period_end",
           "same_period", "spread", "to_issue_t"]


def period_end(y: int, period_years: int, years: int) -> int:
    """Index of the last year of year ``y``'s control period (at most the run's last, ``years`` − 1)."""
    return min((y // period_years + 1) * period_years, years) - 1


def final(sim, y: int) -> bool:
    """Whether year ``y``'s deadline is its period's final one."""
    return y == period_end(y, sim.sc.compliance.period_years, sim.years)


def same_period(sim, a: int, b: int) -> bool:
    """Whether simulated years ``a`` and ``b`` belong to one control period."""
    p = sim.sc.compliance.period_years
    return p > 1 and 0 <= b < sim.years and a // p == b // p


def last_vintage(sim, y: int) -> int:
    """The newest vintage that may be surrendered at year ``y``'s deadline: ``y`` at a final
    deadline, ``y`` + 1 (issued in the year the deadline falls in) at an interim one."""
    return y if final(sim, y) else y + 1


def due_split(sim, y: int, emissions_t: np.ndarray, outstanding: np.ndarray | int = 0):
    """What year ``y``'s whole-tonne emissions (N,) oblige each emitter to surrender at its
    deadline, and what they leave for the period's final deadline, as ``(due, carried)``.

    At a final deadline ``outstanding`` (the earlier years' carried obligations,
    `outstanding_t`) is due too and nothing is carried; at an interim one ``interim_share`` of
    the emissions is due (rounded to whole t, halves up) and the rest is carried.
    """
    comp = sim.sc.compliance
    if comp.period_years == 1:
        return emissions_t, 0
    if final(sim, y):
        return emissions_t + outstanding, np.zeros_like(emissions_t)
    due = np.floor(comp.interim_share * emissions_t + 0.5).astype(emissions_t.dtype)
    return due, emissions_t - due


def outstanding_t(sim) -> np.ndarray | int:
    """Obligations carried to a final deadline still to come, per emitter (N,) t: what each year
    past its interim deadline left (``ledger.carried_t``) while its period is open; 0 with
    one-year periods."""
    p = sim.sc.compliance.period_years
    if p == 1:
        return 0
    years = np.arange(sim.years)
    ends = np.minimum((years // p + 1) * p, sim.years) - 1
    open_ = sim.closed & ~sim.closed[ends]
    return np.einsum("ij->i", sim.ledger.carried_t[:, open_])


def open_t(sim, before: int) -> float:
    """Obligations of the years before ``before`` not yet surrendered (t): the emissions (whole
    t) and uncovered claw-backs of years whose deadline is still to come, and what years past an
    interim deadline carried to their period's final one."""
    st = sim.state
    due = sum(float(np.rint(st.emitted_t[:, y]).sum() + sim.owed_t[:, y].sum())
              for y in range(min(before, sim.years)) if not sim.closed[y])
    return due + float(np.sum(outstanding_t(sim)))


def to_issue_t(sim, y: int, day: int) -> np.ndarray | int:
    """Free allocation of a vintage newer than ``y`` but eligible at ``y``'s (interim) deadline
    that each emitter will still receive before it, seen on ``day`` (N,) t: the ex-ante
    allocation of the next year, less make-good deductions, while its date is still to come
    and falls before the deadline (a true-up comes after it); 0 at a final deadline."""
    v = last_vintage(sim, y)
    if v == y or v >= sim.years:
        return 0
    issue = sim.schedule.day(v, "allocation")
    if not day < issue <= sim.schedule.day(y, "compliance_deadline"):
        return 0
    ex_ante = np.minimum(sim.pending_t[:, v], sim.allocations[v].ex_ante_t)
    return np.maximum(ex_ante - sim.makegood_t, 0.0)


def spread(values: np.ndarray, weights: np.ndarray, period_years: int) -> np.ndarray:
    """Each control period's total of ``values`` (Y,) shared among its years in proportion to
    ``weights`` (Y,), evenly where they sum to 0: what a period's deadlines took, per year of
    emissions (with one-year periods, ``values`` themselves)."""
    if period_years == 1:
        return values
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    out = np.empty_like(values)
    for start in range(0, values.shape[0], period_years):
        block = slice(start, start + period_years)
        w, total = weights[block], weights[block].sum()
        share = w / total if total > 0 else np.full(w.shape, 1.0 / w.shape[0])
        out[block] = values[block].sum() * share
    return out

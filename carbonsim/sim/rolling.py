"""Rolling-horizon expectations (``behaviour.expectations: rolling``, MODEL.md section 5).

At each year start and each verification the emitters re-solve the least-cost problem from the
current state over ``behaviour.horizon_years`` years (the current one included), beyond which
allowances have no value (Quemin and Trotignon, "Emissions trading with rolling horizons", J.
Econ. Dyn. Control 125, 2021). The state is the bank: allowances of the vintages already due,
less the obligations still open, those a control period carries to its final deadline included
(a debt beyond the bank is taken from the window's first year); the years of the window keep
their whole supply, emissions and rules (the part of the current year already emitted is in
its BAU).

Two keys change what a re-solve sees of the years after the current one (only under rolling:
perfect foresight knows the true path). ``behaviour.expected_bau_growth``: their BAU is the
current year's grown at that rate (a list: the rate of the calendar year re-solving), not the
true one (`economy.foresight.expected_bau`), so a recession is not foreseen but learnt as it
comes. ``behaviour.supply_expected``: before its ``until_year`` the window's supply is its
``cap`` (the auctioned share of each year kept), the supply believed in before a rule is
announced; from that calendar year on, the real one. The years after the run
(``foresight_years``) keep the scenario's own supply.
"""

from __future__ import annotations

import numpy as np

from carbonsim.economy.foresight import expected_bau
from carbonsim.economy.least_cost import least_cost
from carbonsim.sim.periods import open_t

__all__ = ["revise"]


def revise(sim) -> None:
    """Re-solve the path the emitters plan on from the current calendar year (rolling only)."""
    b = sim.sc.behaviour
    if b.expectations != "rolling":
        return
    c = sim.state.year_of(sim.state.accrued_to)
    total = sim.lc.path.shape[0]  # the run's years and the foresight years
    first, stop = min(c, total - 1), min(c + b.horizon_years, total)
    pop, curves = sim.pop, sim.state.curves
    if b.expected_bau_growth is not None and first < sim.years:
        g = b.expected_bau_growth
        rate = g[min(c, sim.years - 1)] if isinstance(g, tuple) else g
        pop, curves = expected_bau(pop, curves, first, float(rate))
    supply, auction = _supply_seen(sim, sim.sc.start_year + c)
    opening, supply = _starting_point(sim, first, supply)
    lc = least_cost(sim.sc, pop, curves, supply, auction, window=(first, stop), opening_t=opening)
    path = np.full(total, np.nan)
    path[first:stop] = lc.path
    sim.plan_path = path


def _supply_seen(sim, year: int) -> tuple[np.ndarray, np.ndarray]:
    """The run's supply and its auctioned part (Y,) t as a re-solve in calendar ``year`` sees
    them: ``behaviour.supply_expected``'s before its ``until_year``, else the real ones."""
    told = sim.sc.behaviour.supply_expected
    if told is None or year >= told.until_year:
        return sim.supply_t, sim.auction_t
    believed = np.asarray(told.cap, dtype=np.float64)
    real = np.asarray(sim.supply_t, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(real > 0, sim.auction_t / real, 0.0)
    return believed, share * believed


def _starting_point(sim, first: int, supply_t: np.ndarray) -> tuple[float, np.ndarray]:
    """The bank the window starts from and the supply (Y,) t to solve it with (``supply_t``,
    the supply the re-solve sees).

    The bank is the allowances of the vintages before ``first`` less the obligations still open
    on them (the opening bank at the first year). A debt, obligations beyond those allowances,
    is taken from year ``first``'s supply instead: those years' emitters must buy it there.
    """
    if first == 0:
        return float(sim.pop.opening_bank_t.sum()), supply_t
    bank = float(sim.acc.eligible(first - 1).sum()) - open_t(sim, first)
    if bank >= 0 or first >= sim.years:
        return max(bank, 0.0), supply_t
    supply = np.array(supply_t, dtype=np.float64)  # a copy: the run's own stays
    supply[first] += bank
    return 0.0, supply

"""Rolling-horizon expectations (``behaviour.expectations: rolling``, MODEL.md section 5).

At each year start and each verification the emitters re-solve the least-cost problem from the
current state over ``behaviour.horizon_years`` years (the current one included), beyond which
allowances have no value (Quemin and Trotignon, "Emissions trading with rolling horizons", J.
Econ. Dyn. Control 125, 2021). The state is the bank: allowances of the vintages already due,
less the obligations still open; the years of the window keep their whole supply, emissions
and rules (the part of the current year already emitted is in its BAU).
"""

from __future__ import annotations

import numpy as np

from carbonsim.economy.least_cost import least_cost

__all__ = ["revise"]


def revise(sim) -> None:
    """Re-solve the path the emitters plan on from the current calendar year (rolling only)."""
    b = sim.sc.behaviour
    if b.expectations != "rolling":
        return
    c = sim.state.year_of(sim.state.accrued_to)
    total = sim.lc.path.shape[0]  # the run's years and the foresight years
    first, stop = min(c, total - 1), min(c + b.horizon_years, total)
    st = sim.state
    open_t = sum(float(np.rint(st.emitted_t[:, y]).sum() + sim.owed_t[:, y].sum())
                 for y in range(min(first, sim.years)) if not sim.closed[y])
    bank = float(sim.acc.eligible(first - 1).sum()) - open_t if first > 0 else float(sim.pop.opening_bank_t.sum())
    lc = least_cost(sim.sc, sim.pop, st.curves, sim.supply_t, sim.auction_t, window=(first, stop),
                    opening_t=bank)
    path = np.full(total, np.nan)
    path[first:stop] = lc.path
    sim.plan_path = path

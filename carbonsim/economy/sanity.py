"""Warnings about valid scenarios that describe a market unlikely to be the one meant.

A warning does not stop a run: ``carbonsim validate`` and ``carbonsim run`` print it and go on.
Today one is given: a cap below what the emitters emit even when they abate all they can, so
that every emitter is short whatever the price (a collapsed market: the price goes to the
penalty and fulfillment falls).
"""

from __future__ import annotations

import numpy as np

from carbonsim.economy.allocation import cap_path
from carbonsim.economy.population import build_population
from carbonsim.scenario.errors import Problem
from carbonsim.scenario.limits import amount
from carbonsim.scenario.translate import lookup_mark

__all__ = ["TOLERANCE", "scenario_warnings"]

#: Share of the need by which supply may fall short before the cap is called too low.
TOLERANCE = 0.005


def scenario_warnings(scenario, file: str | None = None) -> list[Problem]:
    """Warnings about a loaded scenario (each a Problem at the key it is about).

    Draws the population as a run with the scenario's seed does (generated emitters change
    with the seed: the warning is about that seed's population).
    """
    if scenario.cap is None:
        return []
    res = scenario.reserves
    if res is not None and res.price_ceiling is not None:
        return []  # any amount is sold at the ceiling: the cap does not bind emissions
    population_stream, _ = np.random.SeedSequence(scenario.seed).spawn(2)
    pop = build_population(scenario, np.random.default_rng(population_stream))
    years = scenario.years
    bau = pop.bau_t.sum(axis=0)
    least = np.array([float((pop.bau_t[:, y] - pop.mac_curves(y).max_abatement_t).clip(0).sum())
                      for y in range(years)])
    offsets = scenario.compliance.offsets
    usable = np.zeros(years)
    if offsets is not None and offsets.limit > 0:
        usable = offsets.limit * least
        if offsets.supply_t is not None:
            usable = np.minimum(usable, offsets.supply_t)
    supply = cap_path(scenario).copy()
    if res is not None and res.ccr is not None:
        supply += res.ccr.volume_t
    need = least - usable
    if scenario.compliance.banking:  # a surplus of early years covers later ones
        short = np.cumsum(need) - np.cumsum(supply) > TOLERANCE * np.cumsum(need)
    else:
        short = need - supply > TOLERANCE * need
    if not short.any():
        return []
    y = int(np.argmax(short))
    where, line = lookup_mark(scenario._marks, ("cap",), file or scenario.source_path or "<scenario>")
    message = (
        f"the cap is below what the emitters emit even abating all they can: in "
        f"{scenario.start_year + y}, {amount(supply[y])} t against at least {amount(least[y])} t "
        f"(BAU {amount(bau[y])} t, of which at most {amount(bau[y] - least[y])} t can be abated); "
        "every emitter will be short whatever the price, which goes to the penalty (raise the "
        "cap, or check the emitters' output, intensity and the MACs' max_share)")
    return [Problem(where, line, "cap", message)]


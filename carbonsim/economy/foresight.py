"""The years after a run that expectations see (``behaviour.foresight_years``, MODEL.md 5).

The cap and the emitters continue by their own rules: a linear cap keeps its reduction, a
per-year list keeps its last value; each emitter's BAU keeps its expected output growth and
intensity decline, and its MAC curve keeps its shape (the last year's, widened with BAU). The
auctioned share of the supply stays the last year's.

``expected_bau`` is the other view of years to come a rolling re-solve may take
(``behaviour.expected_bau_growth``): the years after the current one as its BAU grown at a
rate, the MAC curves keeping the current year's shape, widened with BAU as above.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from carbonsim.economy.allocation import cap_path
from carbonsim.economy.mac import MacCurves

__all__ = ["expected_bau", "extend"]


def extend(scenario, population, curves: list[MacCurves], supply_t: np.ndarray,
           auction_t: np.ndarray, extra: int):
    """(emitters' BAU (N, Y+extra), curves, supply (Y+extra,), auction (Y+extra,)) in t."""
    bau = np.asarray(population.bau_t, dtype=np.float64)
    supply = np.asarray(supply_t, dtype=np.float64)
    auction = np.asarray(auction_t, dtype=np.float64)
    if extra <= 0:
        return bau, list(curves), supply, auction
    years = bau.shape[1]
    k = np.arange(1, extra + 1)
    factor = ((1.0 + population.growth)[:, None] ** k) * ((1.0 - population.intensity_decline)[:, None] ** k)
    last = bau[:, -1:]
    bau_more = last * factor
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(last > 0, bau_more / last, 0.0)
    tail = curves[-1]
    curves_more = [MacCurves(tail.lo, tail.hi, tail.width_t * ratio[:, j:j + 1]) for j in range(extra)]
    caps = cap_path(scenario, years + extra)[years:]
    supply_more = np.where(np.isfinite(caps), caps, supply[-1])
    share = auction[-1] / supply[-1] if supply[-1] > 0 else 0.0
    return (np.hstack([bau, bau_more]), list(curves) + curves_more,
            np.concatenate([supply, supply_more]), np.concatenate([auction, share * supply_more]))


def expected_bau(population, curves: list[MacCurves], year: int, rate: float):
    """(population, curves) with the BAU of the years after ``year`` expected as year's grown
    at ``rate`` a year, B_(year+k) = B_year (1 + rate)^k, and their curves year's widened by
    (1 + rate)^k; earlier years and ``year`` itself as they are. The years after the run
    (`extend`) continue at ``rate`` too: the population's growth is ``rate``, with no
    intensity decline. Curves are in tonnes of a year's BAU, so a wider BAU widens them."""
    bau = np.array(population.bau_t, dtype=np.float64)
    n, years = bau.shape
    factor = (1.0 + rate) ** np.arange(1, years - year)
    bau[:, year + 1:] = bau[:, year:year + 1] * factor
    seen = list(curves[:year + 1]) + [curves[year].scaled(f) for f in factor]
    return replace(population, bau_t=bau, growth=np.full(n, float(rate)),
                   intensity_decline=np.zeros(n)), seen

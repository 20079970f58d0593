"""Expectation models: the price an emitter expects for the current compliance year and each
later one (currency/t), from which the run derives the one price per vintage (MODEL.md section 5).

Each model registers by name (the scenario's ``behaviour.expectations``) and maps a `PriceView`
to a path: element k is the price expected for compliance year ``view.year + k`` (NaN where the
model expects nothing). Two numbers follow from a path (`later_price`, `bank_value`):
- the price expected later in the current year: nobody pays more for an allowance now;
- next year's price discounted one year: nobody sells below it, and below it emitters bank.
Models:
- ``myopic``: no price expected at all (a friction, not a forecast: emitters buy what they need
  now and banking has no value).
- ``hotelling``: adaptive; the mean of the recent session prices, growing at the discount rate
  (nothing is expected before the first trade).
- ``perfect_foresight``: the least-cost intertemporal path of the whole scenario, every rule of
  MODEL.md section 8 in it, solved once. Its path is certain (``CERTAIN``): the price expected
  later in the year holds in every session, not only while primary auctions are to come.
- ``rolling``: the least-cost path re-solved from the current state at each year start and
  verification over ``behaviour.horizon_years`` (`carbonsim.sim.rolling`); the view carries it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carbonsim.registry import Registry

__all__ = ["CERTAIN", "EXPECTATIONS", "PriceView", "bank_value", "later_price"]

#: Sessions averaged by the hotelling model.
HOTELLING_WINDOW = 20


@dataclass(frozen=True)
class PriceView:
    """What an expectation model may look at: recent closes and the least-cost path."""

    year: int  # current compliance year (index); the path starts there
    recent_closes: np.ndarray
    least_cost_price: np.ndarray  # (Y,) currency/t
    discount_rate: float


def _myopic(view: PriceView) -> np.ndarray:
    return np.full(max(view.least_cost_price.shape[0] - view.year, 0), np.nan)


def _hotelling(view: PriceView) -> np.ndarray:
    k = np.arange(max(view.least_cost_price.shape[0] - view.year, 0))
    closes = view.recent_closes[-HOTELLING_WINDOW:]
    now = float(closes.mean()) if closes.size else np.nan
    return now * (1.0 + view.discount_rate) ** k


def _perfect_foresight(view: PriceView) -> np.ndarray:
    return np.asarray(view.least_cost_price[view.year:], dtype=np.float64)


def later_price(path: np.ndarray) -> float:
    """The price expected later in the current year (currency/t; inf when none is expected)."""
    return float(path[0]) if path.size and np.isfinite(path[0]) else np.inf


def bank_value(path: np.ndarray, discount_rate: float) -> float:
    """What a banked allowance is worth today: next year's expected price discounted (0 if none)."""
    if path.size < 2 or not np.isfinite(path[1]):
        return 0.0
    return float(path[1] / (1.0 + discount_rate))


EXPECTATIONS: Registry = Registry("expectation model")
EXPECTATIONS.register("myopic", _myopic)
EXPECTATIONS.register("hotelling", _hotelling)
EXPECTATIONS.register("perfect_foresight", _perfect_foresight)
EXPECTATIONS.register("rolling", _perfect_foresight)  # on the re-solved path the view carries

#: Models whose path is known for certain: a session never pays above it, auctions to come or not
#: (an adaptive forecast caps only while auctions bring supply later, or a rising market could
#: never rise).
CERTAIN = frozenset({"perfect_foresight", "rolling"})

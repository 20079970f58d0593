"""Expectation models: what a banked allowance is worth to an emitter today (currency/t).

Each model registers by name (the scenario's ``behaviour.expectations``) and is a function of a
``BankingView``; it is only asked when banking is allowed and a later compliance year exists.
- ``myopic``: banking has no value.
- ``hotelling``: the expected price grows at the discount rate, so a banked allowance is worth
  today's price: the mean of the recent session prices.
- ``perfect_foresight``: next year's price on the least-cost intertemporal path, discounted
  one year (MODEL.md section 8).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carbonsim.registry import Registry

__all__ = ["BankingView", "EXPECTATIONS"]

#: Sessions averaged by the hotelling model.
HOTELLING_WINDOW = 20


@dataclass(frozen=True)
class BankingView:
    """What an expectation model may look at: recent closes and the least-cost path."""

    year: int
    recent_closes: np.ndarray
    least_cost_price: np.ndarray  # (Y,) currency/t
    discount_rate: float


def _myopic(view: BankingView) -> float:
    return 0.0


def _hotelling(view: BankingView) -> float:
    closes = view.recent_closes[-HOTELLING_WINDOW:]
    return float(closes.mean()) if closes.size else 0.0


def _perfect_foresight(view: BankingView) -> float:
    return float(view.least_cost_price[view.year + 1] / (1.0 + view.discount_rate))


EXPECTATIONS: Registry = Registry("expectation model")
EXPECTATIONS.register("myopic", _myopic)
EXPECTATIONS.register("hotelling", _hotelling)
EXPECTATIONS.register("perfect_foresight", _perfect_foresight)

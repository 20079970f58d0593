"""Primary allowance auctions: sealed bids, one uniform clearing price (EU, WCI, RGGI style).

Bids below the reserve price are rejected; the rest are accepted from the highest price down
until the supply is covered. The clearing price is the lowest accepted bid's price; bids at that
price share what is left by time or pro rata. Unsold allowances are reported, not disposed of.
"""

from __future__ import annotations

import numpy as np

from ._checks import (
    check_choice,
    check_group_totals,
    check_nonnegative,
    check_positive,
    int_array,
    int_scalar,
    same_length,
)
from ._clearing import ration
from .results import PrimaryResult

__all__ = ["allowance_auction"]

TIES = ("time", "pro_rata")


def allowance_auction(bid_price, bid_qty, supply, reserve_price, *,
                      tie="time") -> PrimaryResult:
    """Clear a primary sealed-bid uniform-price auction of ``supply`` allowances.

    Units: ``bid_price`` and ``reserve_price`` in integer ticks, ``bid_qty`` and ``supply`` in
    integer tonnes; a bid's index is its time priority (used by ``tie="time"``). Price −1 and
    nothing sold when no valid bid is accepted (none at or above the reserve, or supply 0).
    ``cover_ratio`` = valid bid quantity / supply; with supply 0 it is ``inf`` if there are
    valid bids and 0.0 otherwise.
    Raises ValueError naming the argument for unequal lengths, non-integer dtypes or values,
    bid_qty <= 0, negative prices or supply, an unknown ``tie``, or valid bids totalling more
    than int64.
    """
    check_choice("tie", tie, TIES)
    price = int_array("bid_price", bid_price)
    qty = int_array("bid_qty", bid_qty)
    same_length(bid_price=price, bid_qty=qty)
    check_nonnegative("bid_price", price)
    check_positive("bid_qty", qty)
    supply = int_scalar("supply", supply)
    reserve = int_scalar("reserve_price", reserve_price)

    valid = np.flatnonzero(price >= reserve)
    vq = qty[valid]
    check_group_totals(vq, None, 1, lambda g: "total valid bid quantity")
    total = int(vq.sum())
    if supply > 0:
        cover = total / supply
    else:
        cover = float("inf") if total > 0 else 0.0
    filled = np.zeros(price.shape[0], np.int64)
    if total == 0 or supply == 0:
        return PrimaryResult(-1, 0, supply, cover, filled)
    # Highest price first, oldest first within a price (stable sort of the negated price).
    order = valid[np.argsort(-price[valid], kind="stable")]
    q = qty[order]
    cum = np.cumsum(q)
    if total <= supply:
        filled[order] = q
        return PrimaryResult(int(price[order[-1]]), total, supply - total, cover, filled)
    marginal = int(price[order[int(np.searchsorted(cum, supply))]])  # first cum >= supply
    sp = price[order]
    above = int(np.searchsorted(-sp, -marginal, side="left"))  # bids priced above marginal
    at_end = int(np.searchsorted(-sp, -marginal, side="right"))
    filled[order[:above]] = q[:above]
    left = supply - (int(cum[above - 1]) if above else 0)
    filled[order[above:at_end]] = ration(q[above:at_end], np.zeros(1, np.intp),
                                         np.array([left], np.int64), tie)
    return PrimaryResult(marginal, supply, 0, cover, filled)

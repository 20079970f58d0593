"""The frozen result types of the matching core.

Prices are integer ticks, quantities integer tonnes. Result arrays are read-only, so a result
can be shared without copying. Results compare by identity (``eq=False``): compare fields.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AuctionResult", "AuctionsResult", "Trades", "PrimaryResult"]


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class AuctionResult:
    """One call auction: clearing ``price`` (ticks, −1 if no trade), ``volume`` (t), ``filled``.

    ``filled`` is the executed quantity of each order (int64 t, input order).
    """

    price: int
    volume: int
    filled: np.ndarray

    def __post_init__(self) -> None:
        _frozen(self.filled)


@dataclass(frozen=True, eq=False)
class AuctionsResult:
    """Many call auctions: ``price`` and ``volume`` per auction (int64), ``filled`` per order."""

    price: np.ndarray
    volume: np.ndarray
    filled: np.ndarray

    def __post_init__(self) -> None:
        for a in (self.price, self.volume, self.filled):
            _frozen(a)


@dataclass(frozen=True, eq=False)
class Trades:
    """Executed trades of a continuous double auction, one row per maker fill, in order.

    ``taker``, ``maker``: event indices; ``price``: the maker's price (ticks); ``qty`` (t);
    ``remaining``: quantity still resting per event at the end (0 for cancels), all int64.
    """

    taker: np.ndarray
    maker: np.ndarray
    price: np.ndarray
    qty: np.ndarray
    remaining: np.ndarray

    def __post_init__(self) -> None:
        for a in (self.taker, self.maker, self.price, self.qty, self.remaining):
            _frozen(a)

    def __len__(self) -> int:
        return int(self.qty.shape[0])


@dataclass(frozen=True, eq=False)
class PrimaryResult:
    """A primary allowance auction: clearing ``price`` (ticks, −1 if nothing sold), volumes (t).

    ``cover_ratio`` = valid bid quantity / supply (``inf`` for zero supply with valid bids,
    0.0 with no valid bid); ``filled`` is the allowances awarded per bid (int64 t).
    """

    price: int
    sold: int
    unsold: int
    cover_ratio: float
    filled: np.ndarray

    def __post_init__(self) -> None:
        _frozen(self.filled)

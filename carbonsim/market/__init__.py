"""The matching core: call auctions, a continuous double auction and primary auctions.

Pure array functions, usable without the rest of carbonsim. Prices are integer ticks (int64),
quantities integer tonnes (int64), sides int8 (+1 buy, −1 sell); an order's index is its time
priority. See MARKET.md for the contract and ``reference`` for slow loop versions used in tests.
"""

from .call import call_auction, call_auctions
from .continuous import BACKEND, BACKENDS, match_continuous
from .primary import allowance_auction
from .results import AuctionResult, AuctionsResult, PrimaryResult, Trades

__all__ = [
    "call_auction",
    "call_auctions",
    "match_continuous",
    "allowance_auction",
    "AuctionResult",
    "AuctionsResult",
    "Trades",
    "PrimaryResult",
    "BACKEND",
    "BACKENDS",
]

"""The registry of accounts: allowances by vintage, offsets and cash, with checked invariants.

Every allowance is accounted for from issuance to surrender or cancellation:
``issued = held by emitters + held by the regulator's pools + surrendered + cancelled``.
Cash only moves between emitters and named outside parties (the auctioneer, the penalty
collector, the exchange's fees, offset sellers, the reserve), so all balances sum to zero.
Quantities are integer tonnes (int64); cash is currency (float64).
"""

from __future__ import annotations

import os

import numpy as np

from carbonsim.errors import InvariantError

__all__ = ["CHECK_ENV", "Accounts", "checks_every_event", "take_oldest_first"]

PARTIES = ("auctioneer", "penalties", "fees", "offset_sellers", "reserve")
#: Set to 1 to check the invariants after every event of a run, trading sessions included
#: (the test suite does); otherwise runs check them at the yearly steps and auctions.
CHECK_ENV = "CARBONSIM_CHECK_EVERY_EVENT"


def checks_every_event() -> bool:
    """Whether runs check the accounts after every event (``CHECK_ENV`` set to 1)."""
    return os.environ.get(CHECK_ENV, "") == "1"


def take_oldest_first(holdings: np.ndarray, qty: np.ndarray) -> np.ndarray:
    """Tonnes taken from each vintage column to remove ``qty`` per row, oldest vintage first.

    holdings (N, V) int64 t; qty (N,) int64 t with qty <= row total. Returns (N, V) int64.
    """
    cum = np.cumsum(holdings, axis=1)
    before = cum - holdings
    return np.clip(qty[:, None] - before, 0, holdings)


class Accounts:
    """Holdings of N emitters over V vintages (vintage v = compliance year index v)."""

    def __init__(self, n: int, vintages: int) -> None:
        self.holdings = np.zeros((n, vintages), dtype=np.int64)
        self.held_t = np.zeros(n, dtype=np.int64)  # each emitter's total, kept as holdings move
        self.offsets = np.zeros(n, dtype=np.int64)
        self.cash = np.zeros(n, dtype=np.float64)
        self.issued = np.zeros(vintages, dtype=np.int64)
        self.surrendered = np.zeros(vintages, dtype=np.int64)
        self.cancelled = np.zeros(vintages, dtype=np.int64)
        self.lapsed = np.zeros(vintages, dtype=np.int64)  # cancelled at deadline v: no banking
        self.pool = np.zeros(vintages, dtype=np.int64)  # issued to the regulator, not yet sold
        self.msr_t = 0  # allowances held in the market stability reserve (not yet a vintage)
        self.offsets_issued = 0
        self.offsets_surrendered = 0
        self.party_cash = dict.fromkeys(PARTIES, 0.0)

    # --- issuance and cancellation -------------------------------------------------------
    def issue(self, qty: np.ndarray, vintage: int) -> None:
        """Issue ``qty`` (N,) int64 t of ``vintage`` free to emitters."""
        self.holdings[:, vintage] += qty
        self.held_t += qty
        self.issued[vintage] += int(qty.sum())

    def issue_to_pool(self, qty: int, vintage: int) -> None:
        """Issue ``qty`` t of ``vintage`` to the regulator's pool (to be auctioned)."""
        self.pool[vintage] += qty
        self.issued[vintage] += qty

    def cancel_from_pool(self, qty: int, vintage: int) -> None:
        """Cancel unsold pool allowances (t)."""
        self.pool[vintage] -= qty
        self.cancelled[vintage] += qty

    def claw_back(self, qty: np.ndarray) -> np.ndarray:
        """Cancel up to ``qty`` (N,) t from emitters' holdings, oldest first; returns the rest owed."""
        taken = np.minimum(qty, self.held())
        self.retire(taken)
        return qty - taken

    def cancel_vintages_up_to(self, vintage: int) -> np.ndarray:
        """Cancel every emitter's allowances of vintages <= ``vintage`` (no banking); returns (N,) t."""
        gone = self.eligible(vintage)
        self.lapsed[vintage] += int(gone.sum())
        self.cancelled[: vintage + 1] += self.holdings[:, : vintage + 1].sum(axis=0)
        self.holdings[:, : vintage + 1] = 0
        self.held_t -= gone
        return gone

    # --- movements -----------------------------------------------------------------------
    def deliver(self, bought: np.ndarray, sold: np.ndarray, *, keep: np.ndarray | None = None,
                first: np.ndarray | None = None) -> None:
        """Move allowances from sellers to buyers, (N,) int64 t each; totals must match.

        A seller keeps its ``keep`` oldest allowances (those it needs for an open compliance
        year) and delivers its next-oldest first. Buyers flagged ``first`` take the oldest of
        the delivered vintages, then the others, each in emitter order. Cash moves separately.
        """
        if int(bought.sum()) != int(sold.sum()):
            raise InvariantError(f"bought {int(bought.sum())} t but sold {int(sold.sum())} t")
        sellers = np.flatnonzero(sold)  # only the rows that trade are touched
        held = self.holdings[sellers]
        if keep is not None:
            held = held - take_oldest_first(held, keep[sellers])
        delivered = take_oldest_first(held, sold[sellers])
        self.holdings[sellers] -= delivered
        self.held_t[sellers] -= np.einsum("ij->i", delivered)
        by_vintage = delivered.sum(axis=0)
        buyers = np.flatnonzero(bought)
        if first is not None:
            buyers = buyers[np.argsort(~first[buyers], kind="stable")]
        end_b = np.cumsum(bought[buyers])
        start_b = end_b - bought[buyers]
        end_v = np.cumsum(by_vintage)
        start_v = end_v - by_vintage
        got = np.minimum(end_b[:, None], end_v[None, :]) - np.maximum(start_b[:, None], start_v[None, :])
        got = np.clip(got, 0, None)
        self.holdings[buyers] += got
        self.held_t[buyers] += np.einsum("ij->i", got)

    def deliver_from_pool(self, qty: np.ndarray, vintage: int) -> None:
        """Move (N,) t of ``vintage`` from the regulator's pool to emitters (cash separately)."""
        total = int(qty.sum())
        if total > self.pool[vintage]:
            raise InvariantError(f"pool of vintage {vintage} holds {self.pool[vintage]} t; {total} sold")
        self.pool[vintage] -= total
        self.holdings[:, vintage] += qty
        self.held_t += qty

    def retire(self, qty: np.ndarray, *, keep: np.ndarray | None = None) -> None:
        """Cancel (N,) t bought back from emitters by the regulator, oldest vintages first.

        As in ``deliver``, an emitter keeps its ``keep`` (N,) oldest allowances (those it needs
        for an open compliance year): the buy-back takes its next-oldest ones.
        """
        held = self.holdings
        if keep is not None:
            held = held - take_oldest_first(held, keep)
        take = take_oldest_first(held, qty)
        self.holdings -= take
        self.held_t -= np.einsum("ij->i", take)
        self.cancelled += take.sum(axis=0)

    def move_cash(self, delta: np.ndarray, party: str) -> None:
        """Emitters' cash changes by ``delta`` (N,) currency; ``party`` takes the other side."""
        self.cash += delta
        self.party_cash[party] -= float(delta.sum())

    def pay(self, amounts: np.ndarray, party: str) -> None:
        """Emitters pay ``amounts`` (N,) currency to an outside ``party``."""
        self.move_cash(-amounts, party)

    def surrender(self, allowances: np.ndarray, offsets: np.ndarray, up_to_vintage: int,
                  borrow: np.ndarray | None = None) -> None:
        """Surrender (N,) t of allowances of vintages <= ``up_to_vintage`` (oldest first),
        (N,) t of offsets, and optionally (N,) t borrowed from vintage ``up_to_vintage + 1``."""
        eligible = self.holdings[:, : up_to_vintage + 1]
        take = take_oldest_first(eligible, allowances)
        self.holdings[:, : up_to_vintage + 1] -= take
        self.held_t -= np.einsum("ij->i", take)
        self.surrendered[: up_to_vintage + 1] += take.sum(axis=0)
        if borrow is not None and borrow.any():
            self.holdings[:, up_to_vintage + 1] -= borrow
            self.held_t -= borrow
            self.surrendered[up_to_vintage + 1] += int(borrow.sum())
        self.offsets -= offsets
        self.offsets_surrendered += int(offsets.sum())

    def buy_offsets(self, qty: np.ndarray, price: float) -> None:
        """Emitters buy (N,) t of offsets from outside sellers at ``price``."""
        self.offsets += qty
        self.offsets_issued += int(qty.sum())
        self.pay(qty * price, "offset_sellers")

    # --- invariants ----------------------------------------------------------------------
    def check(self) -> None:
        """Raise InvariantError if an allowance, an offset or a unit of cash is unaccounted for."""
        if (self.holdings < 0).any() or (self.offsets < 0).any() or (self.pool < 0).any():
            raise InvariantError("a holding went negative")
        held = self.holdings.sum(axis=0) + self.pool
        if not np.array_equal(self.issued, held + self.surrendered + self.cancelled):
            raise InvariantError(
                f"allowances by vintage: issued {self.issued.tolist()} != held {held.tolist()}"
                f" + surrendered {self.surrendered.tolist()} + cancelled {self.cancelled.tolist()}"
            )
        if not np.array_equal(self.held_t, np.einsum("ij->i", self.holdings)):
            raise InvariantError("emitters' kept totals differ from their holdings")
        if self.offsets_issued != int(self.offsets.sum()) + self.offsets_surrendered:
            raise InvariantError("offsets issued != held + surrendered")
        total = float(self.cash.sum()) + sum(self.party_cash.values())
        scale = max(1.0, float(np.abs(self.cash).sum()))
        if abs(total) > 1e-9 * scale:
            raise InvariantError(f"cash does not balance: net {total}")

    def eligible(self, up_to_vintage: int) -> np.ndarray:
        """Allowances each emitter holds of vintages <= ``up_to_vintage`` (N,) t."""
        # einsum sums the short vintage axis several times faster than .sum(axis=1)
        return np.einsum("ij->i", self.holdings[:, : up_to_vintage + 1])

    def held(self) -> np.ndarray:
        """Allowances each emitter holds, all vintages, (N,) t (kept as they move, not summed)."""
        return self.held_t.copy()

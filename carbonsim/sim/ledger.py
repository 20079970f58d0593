"""What a run records as it goes: sessions, auctions, trades, compliance and reserve steps.

The ledger only appends; results.py turns it into the output tables.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Ledger"]


class Ledger:
    """Records of one run: per-event lists and per-emitter (N, Y) compliance arrays."""

    def __init__(self, n: int, years: int) -> None:
        self.sessions: list[tuple] = []
        self.auctions: list[tuple] = []
        self.msr: list[tuple] = []
        self.trade_chunks: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        z = lambda dtype=np.int64: np.zeros((n, years), dtype=dtype)  # noqa: E731
        self.obligation_t, self.surrendered_t, self.offsets_t = z(), z(), z()
        self.shortfall_t, self.banked_t, self.deducted_t = z(), z(), z()
        self.offsets_bought_t = z()
        self.carried_t = z()  # what year y's emissions left for its control period's final deadline
        self.penalty = z(np.float64)

    def record_session(self, day: int, year: int, fills, participants: int,
                       band: tuple[float, float]) -> None:
        qty = int(fills.orders.qty.sum())
        fill_rate = 2.0 * fills.volume_t / qty if qty else np.nan
        self.sessions.append((day, year, fills.price, fills.close, fills.volume_t,
                              int(fills.orders.qty.shape[0]), fills.trades, fill_rate,
                              participants, band[0], band[1]))

    def record_trades(self, day: int, year: int, owner: np.ndarray, side: np.ndarray,
                      filled: np.ndarray, value: np.ndarray) -> None:
        keep = (filled > 0) & (owner >= 0)
        if keep.any():
            self.trade_chunks.append((day, year, owner[keep], side[keep], filled[keep], value[keep]))

    def record_auction(self, day: int, year: int, outcome, price: float) -> None:
        r = outcome.result
        bid_t = int(round(r.cover_ratio * outcome.offered_t)) if outcome.offered_t else 0
        self.auctions.append((day, year, outcome.offered_t, bid_t, int(r.sold), price,
                              r.cover_ratio, outcome.ccr_released_t, outcome.ecr_withheld_t))

    def record_compliance(self, y: int, result, banked_t: np.ndarray) -> None:
        self.obligation_t[:, y] = result.obligation_t
        self.surrendered_t[:, y] = result.surrendered_t
        self.offsets_t[:, y] = result.offsets_t
        self.shortfall_t[:, y] = result.shortfall_t
        self.penalty[:, y] = result.penalty
        self.banked_t[:, y] = banked_t

    def record_msr(self, y: int, tnac_t: int, step, held_t: int) -> None:
        self.msr.append((y, tnac_t, step.intake_t, step.release_t, step.cancelled_t, held_t))

    def offsets_bought_in(self, y: int) -> int:
        """Offsets bought so far against compliance year ``y`` (t)."""
        return int(self.offsets_bought_t[:, y].sum())

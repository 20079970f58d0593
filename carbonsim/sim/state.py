"""The run's mutable population state: emissions, abatement and trading ledgers by year.

Arrays are (N, Y) per emitter and compliance year unless noted; tonnes are float64 while they
accrue day by day and int64 once they are verified or traded. The arrays that accrue (and the
BAU they accrue from) are stored year by year (column-major): every event reads and writes one
year's column of them, which is then contiguous; the values are the same in either layout.
"""

from __future__ import annotations

import numpy as np

from carbonsim.economy.mac import MacCurves, abatement_cost

__all__ = ["PopulationState"]


class PopulationState:
    """Emissions accrual and per-year ledgers of N emitters over Y compliance years."""

    def __init__(self, bau_t: np.ndarray, curves: list[MacCurves], year_start_days: np.ndarray):
        n, y = bau_t.shape
        self.bau_t = np.asfortranarray(bau_t)  # realised BAU emissions, t a year
        self.curves = curves  # MAC curves per year
        self.year_start = year_start_days  # (Y + 2,) day number of each Jan 1 from start_year
        self.emitted_t = np.zeros((n, y), order="F")
        self.abated_t = np.zeros((n, y), order="F")
        self.abatement_cost = np.zeros((n, y), order="F")
        self.plan_rate = np.zeros(n)  # t a year abated from now to the end of the year
        self.accrued_to = 0  # day up to which emissions are accrued
        zeros = lambda dtype: np.zeros((n, y), dtype=dtype)  # noqa: E731
        self.bought_t = zeros(np.int64)
        self.sold_t = zeros(np.int64)
        self.spent = zeros(np.float64)  # cash paid for allowances (secondary and primary)
        self.received = zeros(np.float64)
        self.auction_bought_t = zeros(np.int64)
        self.free_allocation_t = zeros(np.int64)

    @property
    def years(self) -> int:
        return self.bau_t.shape[1]

    def year_of(self, day: int) -> int:
        """Calendar-year index of a day (may be >= Y after the last simulated year)."""
        return int(np.searchsorted(self.year_start, day, side="right") - 1)

    def days_in_year(self, year: int) -> int:
        return int(self.year_start[year + 1] - self.year_start[year])

    def fraction_left(self, day: int) -> float:
        """Fraction of the day's calendar year still to come (0 beyond the last simulated year)."""
        y = self.year_of(day)
        if y >= self.years:
            return 0.0
        return (self.year_start[y + 1] - day) / self.days_in_year(y)

    def accrue_to(self, day: int) -> None:
        """Accrue emissions, abatement and its cost from the last accrual up to ``day``.

        Abatement runs at ``plan_rate`` (capped by the year's BAU); at each Jan 1 the plan
        resets to zero until the year's first decision.
        """
        while self.accrued_to < day:
            y = self.year_of(self.accrued_to)
            end = min(day, int(self.year_start[y + 1]))
            if y < self.years:
                share = (end - self.accrued_to) / self.days_in_year(y)
                rate = np.minimum(self.plan_rate, self.curves[y].max_abatement_t)
                self.emitted_t[:, y] += share * (self.bau_t[:, y] - rate)
                self.abated_t[:, y] += share * rate
                self.abatement_cost[:, y] += share * abatement_cost(self.curves[y], rate)
            self.accrued_to = end
            if end == self.year_start[y + 1]:
                self.plan_rate = np.zeros_like(self.plan_rate)

    def record_trades(self, year: int, bought: np.ndarray, sold: np.ndarray,
                      paid: np.ndarray, received: np.ndarray) -> None:
        """Book a session's purchases and sales (t) and their cash against calendar ``year``."""
        y = min(year, self.years - 1)
        rows = np.flatnonzero(bought | sold)  # only the rows that trade (cash moves with them)
        self.bought_t[rows, y] += bought[rows]
        self.sold_t[rows, y] += sold[rows]
        self.spent[rows, y] += paid[rows]
        self.received[rows, y] += received[rows]

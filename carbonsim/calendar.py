"""The run's calendar: day numbers of every event (days since ``start_year``-01-01).

Compliance year index y is calendar year ``start_year + y``. Allocation, auctions and reserve
operations fall in that year; verification and the compliance deadline in the following one.
Trading sessions are business days (Monday to Friday, except 1 January and 25 December) or
N sessions a year evenly spaced from 1 January (day ⌊i·days/N⌋, i = 0..N−1).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

__all__ = ["Schedule"]

_FOLLOWING_YEAR = {"verification", "compliance_deadline"}


class Schedule:
    """Event days of a scenario's calendar over its compliance years."""

    def __init__(self, calendar, start_year: int, years: int) -> None:
        self.cal, self.start_year, self.years = calendar, start_year, years
        self.origin = dt.date(start_year, 1, 1)
        # Jan 1 of every calendar year the run touches, plus one past the end.
        self.year_starts = np.array(
            [(dt.date(start_year + k, 1, 1) - self.origin).days for k in range(years + 3)])

    def _day(self, year: int, mmdd: str) -> int:
        month, day = (int(part) for part in mmdd.split("-"))
        return (dt.date(year, month, day) - self.origin).days

    def day(self, y: int, event: str) -> int:
        """Day number of ``event`` of compliance year ``y`` (a calendar key, or "year_start")."""
        if event == "year_start":
            return int(self.year_starts[y])
        year = self.start_year + y + (1 if event in _FOLLOWING_YEAR else 0)
        return self._day(year, getattr(self.cal, event))

    def auction_days(self, y: int) -> list[int]:
        """Days of the primary auctions of compliance year ``y``, in order."""
        return sorted(self._day(self.start_year + y, d) for d in self.cal.auctions)

    def session_days(self) -> np.ndarray:
        """Trading days from the first Jan 1 up to the last compliance deadline (inclusive)."""
        last = self.day(self.years - 1, "compliance_deadline")
        days = []
        for k in range(self.years + 1):
            first, end = int(self.year_starts[k]), int(self.year_starts[k + 1])
            if self.cal.sessions == "business_days":
                year = self.start_year + k
                doy = np.arange(end - first)
                weekday = (dt.date(year, 1, 1).weekday() + doy) % 7  # 0 = Monday
                christmas = (dt.date(year, 12, 25) - dt.date(year, 1, 1)).days
                open_ = (weekday < 5) & (doy != 0) & (doy != christmas)
                days.append(first + doy[open_])
            else:
                n = int(self.cal.sessions)
                days.append(first + (np.arange(n) * (end - first)) // n)
        out = np.concatenate(days)
        return out[out <= last]

    def deadline_bracket(self, day: int) -> tuple[int, int]:
        """The previous compliance deadline (or day 0) and the next one around ``day``."""
        deadlines = [self.day(y, "compliance_deadline") for y in range(self.years)]
        prev = max([d for d in deadlines if d < day], default=0)
        nxt = min([d for d in deadlines if d >= day], default=deadlines[-1])
        return prev, nxt

    def date(self, day: int | np.ndarray) -> np.ndarray:
        """Calendar dates (numpy datetime64[D]) of day numbers."""
        return np.datetime64(self.origin) + np.asarray(day).astype("timedelta64[D]")

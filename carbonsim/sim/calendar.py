"""The run's schedule: the day of every event over all compliance years (days since
``start_year``-01-01), from the scenario's calendar (carbonsim.scenario.calendar).

Trading runs on the calendar's session days of every calendar year from the first Jan 1 up
to the last compliance deadline, so the weeks before each deadline are traded.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

__all__ = ["Schedule"]


class Schedule:
    """Event days of a scenario's calendar over its compliance years."""

    def __init__(self, calendar, start_year: int, years: int) -> None:
        self.cal, self.start_year, self.years = calendar, start_year, years
        self.origin = dt.date(start_year, 1, 1)
        self.events = [calendar.events(start_year, y) for y in range(years)]
        # Jan 1 of every calendar year the run touches, plus one past the end.
        self.year_starts = np.array(
            [(dt.date(start_year + k, 1, 1) - self.origin).days for k in range(years + 3)])
        self._last: list[int] | None = None  # last_session of each year, once asked

    def day(self, y: int, event: str) -> int:
        """Day of ``event`` of compliance year ``y``: a calendar key, or "year_start" (Jan 1)."""
        if event == "year_start":
            return int(self.year_starts[y])
        return int(getattr(self.events[y], event))

    def auction_days(self, y: int) -> list[int]:
        """Days of the primary auctions of compliance year ``y``, in order."""
        return sorted(self.events[y].auctions)

    def session_days(self) -> np.ndarray:
        """Trading days from the first Jan 1 up to the last compliance deadline (inclusive)."""
        days = np.concatenate([self.cal.session_days(self.start_year, k)
                               for k in range(self.years + 1)])
        return days[days <= self.day(self.years - 1, "compliance_deadline")]

    def last_session(self, y: int) -> int:
        """The last trading day on or before compliance year ``y``'s deadline (the deadline
        itself when no session falls before it)."""
        if self._last is None:
            days = self.session_days()
            self._last = []
            for k in range(self.years):
                deadline = self.day(k, "compliance_deadline")
                before = days[days <= deadline]
                self._last.append(int(before[-1]) if before.size else deadline)
        return self._last[y]

    def deadline_bracket(self, day: int) -> tuple[int, int]:
        """The previous compliance deadline (or day 0) and the next one around ``day``."""
        deadlines = [self.day(y, "compliance_deadline") for y in range(self.years)]
        prev = max([d for d in deadlines if d < day], default=0)
        nxt = min([d for d in deadlines if d >= day], default=deadlines[-1])
        return prev, nxt

    def date(self, day: int | np.ndarray) -> np.ndarray:
        """Calendar dates (numpy datetime64[D]) of day numbers."""
        return np.datetime64(self.origin) + np.asarray(day).astype("timedelta64[D]")

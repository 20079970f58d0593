"""How far a run has got: what the engine's calendar reports to ``carbonsim.run(progress=...)``.

The callback receives a RunProgress after every trading session and after every compliance
deadline (a compliance year settled). It runs in the simulation's thread, between events, so it
should be quick (a progress bar's update is); an exception it raises ends the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ProgressCallback", "RunProgress", "Tally"]


@dataclass(frozen=True)
class RunProgress:
    """A run's progress: sessions traded and compliance years settled so far, of how many.

    ``year`` is the calendar year of the event just done; ``event`` is "session" or "deadline".
    """

    sessions_done: int
    sessions_total: int
    years_done: int
    years_total: int
    year: int
    event: str

    @property
    def fraction(self) -> float:
        """Share of the run done, 0-1, counted in sessions (a deadline closes its last one)."""
        if self.sessions_total <= 0:
            return self.years_done / max(self.years_total, 1)
        return min(self.sessions_done / self.sessions_total, 1.0)


ProgressCallback = Callable[[RunProgress], None]


class Tally:
    """Counts the calendar's events and calls ``callback`` after each session and deadline."""

    def __init__(self, callback: ProgressCallback, sessions_total: int, years_total: int,
                 start_year: int) -> None:
        self.callback = callback
        self.sessions_total, self.years_total, self.start_year = sessions_total, years_total, start_year
        self.sessions_done = self.years_done = 0

    def after(self, event: str, year_index: int) -> None:
        """Record that ``event`` ("session", "deadline" or anything else: ignored) just ran in
        calendar year ``start_year + year_index``, and report it."""
        if event == "session":
            self.sessions_done += 1
        elif event == "deadline":
            self.years_done += 1
        else:
            return
        self.callback(RunProgress(self.sessions_done, self.sessions_total, self.years_done,
                                  self.years_total, self.start_year + year_index, event))

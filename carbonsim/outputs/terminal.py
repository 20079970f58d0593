"""What the terminal shows: a compact headline table and progress bars (rich on a TTY).

When the output is not a terminal (a pipe, a file, a CI log) all fall back to plain text:
the table as aligned columns, the progress as a line now and then, never escape codes.
``progress`` counts finished runs (batch, compare); ``run_progress`` follows one run through
its sessions and compliance years (the engine's progress callback).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pandas as pd
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column, Table
from rich.text import Text

from carbonsim.outputs.report import HEADLINE, headline_rows

__all__ = ["Tracker", "headline_table", "print_headline", "progress", "run_progress"]

# Short two-line terminal labels (the report uses the longer ones of report.HEADLINE); with
# the unit line below them the table fits an 80-column terminal.
_SHORT = {"year": ("", "year"), "price_mean": ("price", "mean"), "price_close": ("price", "close"),
          "least_cost_price": ("least", "cost"), "volume_t": ("", "volume"),
          "fulfillment_entities": ("emitters", "compliant"), "fulfillment_volume": ("", "met"),
          "abatement_cost": ("abatement", "cost"), "efficiency": ("", "efficiency"),
          "penalties": ("", "penalties")}


def _headers(currency: str) -> list[tuple[str, str, str]]:
    return [(*_SHORT[col], unit.format(cur=currency)) for col, _, unit, _ in HEADLINE]


def headline_table(summary: pd.DataFrame, currency: str = "", title: str | None = None) -> Table:
    """A rich Table of the headline numbers, one row per compliance year (units in the header)."""
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False,
                  padding=(0, 0))
    rows = headline_rows(summary)
    for (col, *_), head in zip(HEADLINE, _headers(currency)):
        width = max([*map(len, head), *(len(row[col]) for row in rows)])
        table.add_column("\n".join(head), justify="right", min_width=width, overflow="fold")
    for row in rows:
        table.add_row(*(row[col] for col, *_ in HEADLINE))
    return table


def _plain_table(summary: pd.DataFrame, currency: str, title: str | None) -> str:
    heads = _headers(currency)
    rows = [[row[col] for col, *_ in HEADLINE] for row in headline_rows(summary)]
    widths = [max(*map(len, h), *(len(r[k]) for r in rows)) for k, h in enumerate(heads)]
    lines = [title] if title else []
    lines += ["  ".join(h[line].rjust(w) for h, w in zip(heads, widths)) for line in range(3)]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def print_headline(summary: pd.DataFrame, currency: str = "", title: str | None = None,
                   console: Console | None = None) -> None:
    """Print the headline table: rich on a terminal, plain aligned text otherwise."""
    console = console or Console()
    if console.is_terminal:
        console.print(headline_table(summary, currency, title))
    else:
        console.file.write(_plain_table(summary, currency, title) + "\n")
        console.file.flush()


def _clock(seconds: float) -> str:
    """Seconds as H:MM:SS."""
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class _Clock(ProgressColumn):
    """'elapsed H:MM:SS, about H:MM:SS left': one label for each time, so they cannot be
    read as two estimates. The time left is the task's ``left`` field if it has one (a
    Tracker's estimate), else rich's own."""

    def render(self, task) -> Text:
        elapsed = _clock(task.elapsed or 0.0)
        if task.finished:  # e.g. a run simulated and writing its files: nothing to estimate
            return Text(f"elapsed {elapsed}", style="progress.elapsed")
        left = task.fields.get("left")
        if left is None:
            remaining = task.time_remaining
            left = "-:--:--" if remaining is None else _clock(remaining)
        return Text(f"elapsed {elapsed}, about {left} left", style="progress.elapsed")


class Tracker:
    """Counts finished runs for a progress display: ``advance()`` or ``advance(failed=True)``.

    With ``eta=True`` the display also shows the runs remaining, the elapsed time and an
    estimate of the time left (elapsed / finished × remaining).
    """

    def __init__(self, total: int | None, progress: Progress | None, task: object,
                 console: Console, description: str, eta: bool = False) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self._progress, self._task, self._console = progress, task, console
        self._description, self._last = description, 0.0
        self._eta, self._start = eta, time.monotonic()

    @property
    def remaining(self) -> int | None:
        """Runs not finished yet (None when the total is unknown)."""
        return None if self.total is None else self.total - self.done - self.failed

    def advance(self, failed: bool = False) -> None:
        """Record one finished run (``failed=True`` if it failed)."""
        if failed:
            self.failed += 1
        else:
            self.done += 1
        now = time.monotonic()
        if self._progress is not None:
            self._progress.update(self._task, advance=1, failed=self.failed,
                                  remaining=self.remaining, left=self._left(now))
            return
        if self.total is not None and (now - self._last >= 5.0 or self.remaining == 0):
            self._last = now
            line = (f"{self._description}: {self.done} done, {self.failed} failed, "
                    f"{self.remaining} remaining")
            if self._eta:
                line += f", elapsed {_clock(now - self._start)}, about {self._left(now)} left"
            self._console.file.write(line + "\n")
            self._console.file.flush()

    def _left(self, now: float) -> str:
        """Estimated time left, H:MM:SS: the mean time per finished run so far × remaining.

        (Rich's own estimate follows the last few completions, which arrive in bursts when
        several workers finish together.)
        """
        finished = self.done + self.failed
        if self.total is None or not finished:
            return "-:--:--"
        return _clock((now - self._start) / finished * (self.remaining or 0))


@contextlib.contextmanager
def progress(description: str, total: int | None = None,
             console: Console | None = None, eta: bool = False) -> Iterator[Tracker]:
    """A progress bar on stderr for ``total`` runs (None: an open-ended bar with elapsed time).

    On a terminal, a rich bar with runs done, failed and time remaining; otherwise a plain line
    at most every 5 s (and at the end) when the total is known, nothing when it is not.
    ``eta=True`` adds the runs remaining, and the estimated time left (H:MM:SS: the mean time
    per finished run × runs remaining) to the bar and, with the elapsed time, to the plain lines.
    """
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield Tracker(total, None, None, console, description, eta)
        return
    columns = [SpinnerColumn(), TextColumn("{task.description}"),
               BarColumn(bar_width=12 if eta else 40)]
    fields = {"failed": 0, "remaining": total}
    if total is not None:
        columns += [MofNCompleteColumn(), TextColumn("failed {task.fields[failed]}")]
        if eta:
            columns.append(TextColumn("remaining {task.fields[remaining]}"))
            fields["left"] = "-:--:--"
        columns.append(_Clock())
    else:
        columns.append(TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total, **fields)
        yield Tracker(total, bar, task, console, description, eta)


def _run_line(p) -> str:
    return (f"{100 * p.fraction:.0f}% (sessions {p.sessions_done:,} of {p.sessions_total:,}; "
            f"{p.years_done} of {p.years_total} compliance years settled; now in {p.year})")


@contextlib.contextmanager
def run_progress(description: str, console: Console | None = None,
                 every_s: float = 5.0) -> Iterator:
    """A progress display for one run; yields the callback to pass to ``carbonsim.run``.

    On a terminal, a rich bar of the sessions traded, with the compliance years settled, the
    calendar year reached, the elapsed time and an estimate of the time left (removed when the
    run ends); otherwise a plain line on stderr at most every ``every_s`` seconds.
    """
    console = console or Console(stderr=True)
    if not console.is_terminal:
        last = [time.monotonic()]

        def plain(p) -> None:
            now = time.monotonic()
            if now - last[0] >= every_s:
                last[0] = now
                console.file.write(f"{description}: {_run_line(p)}\n")
                console.file.flush()

        yield plain
        return
    def keep() -> Column:
        return Column(no_wrap=True)

    # Fits an 80-column terminal: name, bar, counts, then both times, each with its label.
    columns = [SpinnerColumn(), TextColumn("{task.description}", table_column=keep()),
               BarColumn(bar_width=10), TextColumn("{task.fields[counts]}", table_column=keep()),
               _Clock(table_column=keep())]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=None, counts="preparing the run")

        def update(p) -> None:
            done = p.years_done >= p.years_total
            bar.update(task, completed=p.sessions_done, total=max(p.sessions_total, 1),
                       counts="simulated; writing the results" if done else
                       f"sessions {p.sessions_done:,}/{p.sessions_total:,} · years {p.years_done}/{p.years_total}")

        yield update

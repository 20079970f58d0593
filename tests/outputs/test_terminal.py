"""Tests of the terminal output (carbonsim.outputs.terminal): headline table and progress, rich on a
terminal and plain text otherwise."""

import io

from _fake_results import fake_result
from rich.console import Console

from carbonsim.outputs import terminal


def _console(tty: bool) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=tty, width=120, color_system=None), buf


def test_plain_headline_table_when_not_a_terminal():
    console, buf = _console(False)
    terminal.print_headline(fake_result().summary, "EUR", "demo", console=console)
    lines = buf.getvalue().splitlines()
    assert lines[0] == "demo"
    assert lines[1].split() == ["price", "price", "least", "emitters", "abatement"]
    assert lines[2].split() == ["year", "mean", "close", "cost", "volume", "compliant", "met",
                                "cost", "efficiency", "penalties"]
    assert lines[3].split() == ["EUR/t", "EUR/t", "EUR/t", "t", "%", "%", "EUR", "%", "EUR"]
    assert lines[4].split()[0] == "2021" and lines[6].split()[-1] == "500"
    assert len({len(line) for line in lines[1:]}) == 1  # aligned columns
    assert "\x1b[" not in buf.getvalue()


def test_rich_headline_table_on_a_terminal():
    console, buf = _console(True)
    terminal.print_headline(fake_result().summary, "EUR", "demo", console=console)
    text = buf.getvalue()
    assert "least" in text and "EUR/t" in text and "2023" in text and "…" not in text
    narrow = Console(file=io.StringIO(), force_terminal=True, width=80, color_system=None)
    terminal.print_headline(fake_result().summary, "EUR", "demo", console=narrow)
    lines = narrow.file.getvalue().splitlines()
    assert max(map(len, lines)) <= 80 and "…" not in narrow.file.getvalue()
    assert "penalties" in narrow.file.getvalue()


def test_progress_plain_lines_and_counts():
    console, buf = _console(False)
    with terminal.progress("batch", total=3, console=console) as tracker:
        tracker.advance()
        tracker.advance(failed=True)
        tracker.advance()
    assert (tracker.done, tracker.failed, tracker.remaining) == (2, 1, 0)
    assert buf.getvalue().splitlines()[-1] == "batch: 2 done, 1 failed, 0 remaining"


def test_progress_open_ended_is_silent_off_a_terminal_and_transient_on_one():
    console, buf = _console(False)
    with terminal.progress("running x", console=console) as tracker:
        assert tracker.remaining is None
    assert buf.getvalue() == ""
    console, buf = _console(True)
    with terminal.progress("running x", total=2, console=console) as tracker:
        tracker.advance()
        tracker.advance()
    assert tracker.remaining == 0


def test_run_progress_plain_lines_name_sessions_and_years():
    from carbonsim.sim.progress import RunProgress

    console, buf = _console(False)
    with terminal.run_progress("running x", console=console, every_s=0.0) as callback:
        callback(RunProgress(50, 100, 0, 2, 2021, "session"))
        callback(RunProgress(100, 100, 2, 2, 2022, "deadline"))
    lines = buf.getvalue().splitlines()
    assert lines == ["running x: 50% (sessions 50 of 100; 0 of 2 compliance years settled; now in 2021)",
                     "running x: 100% (sessions 100 of 100; 2 of 2 compliance years settled; now in 2022)"]
    console, buf = _console(False)
    with terminal.run_progress("running x", console=console) as callback:  # at most every 5 s
        callback(RunProgress(1, 100, 0, 2, 2021, "session"))
    assert buf.getvalue() == ""


def test_run_progress_bar_on_a_terminal_counts_sessions_and_labels_both_times():
    from carbonsim.sim.progress import RunProgress

    console, buf = _console(True)
    with terminal.run_progress("running x", console=console) as callback:
        callback(RunProgress(30, 120, 1, 3, 2022, "deadline"))
        console.get_time = lambda: 10**9  # force a refresh of the live display
    text = buf.getvalue()
    assert "sessions 30/120 · years 1/3" in text
    assert "elapsed 0:00:0" in text and "left" in text

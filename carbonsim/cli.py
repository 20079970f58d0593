"""The ``carbonsim`` command: a thin shell over the Python API (see design/CLI.md).

Exit status: 0 done; 1 a run failed (a CarbonsimError, an OSError writing results, or an
unexpected error); 2 bad usage or a bad scenario; 130 interrupted by Ctrl-C (143 by SIGTERM),
as shells report a command stopped by that signal. Errors print one line per problem and no
traceback unless ``--debug`` is given.

Adding a subcommand: write ``_NAME_args(parser)`` (its options, each help text with units) and
``_NAME(args) -> int`` (calls one public function), then add one ``Subcommand`` row to
SUBCOMMANDS. ``batch`` goes there, between ``validate`` and ``compare``.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from carbonsim._version import __version__
from carbonsim.errors import CarbonsimError

__all__ = ["SUBCOMMANDS", "Subcommand", "build_parser", "console", "main", "seed_type"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130; SIGTERM gives 128 + 15


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so temporary folders are removed on the way out."""

    signum = signal.SIGTERM


def _interrupted_status(exc: BaseException) -> int:
    return 128 + int(getattr(exc, "signum", signal.SIGINT))


def seed_type(text: str) -> int:
    """argparse type of --seed: a whole number >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0; got {value}")
    return value


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _command_line(argv: Sequence[str]) -> list[str]:
    return ["carbonsim", *argv]


# --- run ----------------------------------------------------------------------------------------
def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", metavar="SCENARIO.yaml", type=Path, help="the scenario file to run")
    p.add_argument("--seed", type=seed_type, metavar="N",
                   help="seed of the run's random numbers, a whole number >= 0 "
                        "(default: the scenario's `seed`)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="folder to create for the results; must not exist yet "
                        "(default: results/<scenario name>/<UTC time>/)")


def _run(args: argparse.Namespace) -> int:
    from carbonsim.economy.sanity import scenario_warnings
    from carbonsim.outputs import run_folder as output
    from carbonsim.outputs import terminal
    from carbonsim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    for warning in scenario_warnings(scenario):
        _err(f"warning: {warning}")
    with terminal.run_progress(args.scenario.stem) as progress:
        result, folder = output.run_and_write(scenario, args.seed, args.out,
                                              command=args.command_line, progress=progress)
    settings = output.resolved_scenario(result.scenario)
    title = (f"{settings.get('name', '')}: seed {result.seed}, "
             f"{result.wall_time_s:.2f} s, currency {settings.get('currency', '')}")
    terminal.print_headline(result.summary, str(settings.get("currency", "")), title)
    print(_sentence(result, settings))
    print(f"results: {folder}")
    print(f"report: {folder / 'report.html'}")
    return EXIT_OK


def _sentence(result, settings) -> str:
    from carbonsim.outputs.headline import headline_sentence

    offsets = (settings.get("compliance") or {}).get("offsets") or {}
    return headline_sentence(result.summary, result.compliance, str(settings.get("currency", "")),
                             float(offsets.get("price") or 0.0))


# --- validate -----------------------------------------------------------------------------------
def _validate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", metavar="SCENARIO.yaml", type=Path, nargs="+",
                   help="scenario files to check (nothing is run)")


def _validate(args: argparse.Namespace) -> int:
    from carbonsim.validate import validate_command

    return validate_command([str(path) for path in args.scenarios])


# --- batch --------------------------------------------------------------------------------------
def _count_type(text: str) -> int:
    """argparse type of --replicates and --workers: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1; got {value}")
    return value


def _address_type(text: str) -> str:
    """argparse type of --scheduler: tcp://HOST:PORT (checked before anything connects)."""
    from carbonsim.batch.cluster import address_problem

    problem = address_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def _batch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", metavar="SCENARIO.yaml", type=Path, nargs="+",
                   help="scenario files; each runs at every point of its `sweep:`")
    p.add_argument("--replicates", type=_count_type, default=1, metavar="R",
                   help="runs of every sweep point, each with its own seed drawn from the "
                        "scenario's `seed` (SeedSequence.spawn), a whole number >= 1 (default 1)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_count_type, metavar="J",
                       help="local worker processes, a whole number >= 1 "
                            "(default: the number of CPUs)")
    where.add_argument("--scheduler", metavar="ADDRESS", type=_address_type,
                       help="run on the Dask distributed cluster whose scheduler is at "
                            "ADDRESS, e.g. tcp://10.0.0.5:8786 (needs the distributed extra)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="batch folder; an earlier batch there is resumed: finished runs are "
                        "kept and skipped (default: results/batch-<scenario names>/)")


def _batch(args: argparse.Namespace) -> int:
    from carbonsim.batch import BatchError, BatchFolderError, BatchInterrupted, run_batch

    if args.scheduler is not None:  # the batch says what went wrong with the cluster, once
        from carbonsim.batch.cluster import quiet_cluster_logs

        quiet_cluster_logs()
    try:
        done = run_batch(args.scenarios, args.out, replicates=args.replicates,
                         workers=args.workers, scheduler=args.scheduler,
                         command=args.command_line, progress=True)
    except BatchInterrupted as exc:
        _err(f"carbonsim: interrupted: {exc.finished} of {exc.total} runs are finished and kept "
             f"in {exc.out / 'runs'}; run the same command again to resume")
        return _interrupted_status(exc)
    except BatchFolderError as exc:  # a wrong --out: usage
        _err(f"carbonsim: error: {exc}")
        return EXIT_USAGE
    except BatchError as exc:
        _err(f"carbonsim: error: {exc}")
        return EXIT_FAILED
    total = len(done.runs)
    print(f"{total} runs: {done.computed} computed, {done.resumed} from an earlier batch, "
          f"{done.failed} failed ({done.wall_time_s:.1f} s)")
    if done.failed:
        print(f"failures: {done.out / 'failures.csv'}")
    print(f"results: {done.out}")
    print(f"report: {done.out / 'report.html'}")
    return EXIT_FAILED if done.failed else EXIT_OK


# --- schema -------------------------------------------------------------------------------------
def _schema_args(p: argparse.ArgumentParser) -> None:
    del p  # no options


def _schema(args: argparse.Namespace) -> int:
    from carbonsim.scenario.commands import schema_command

    return schema_command()


# --- compare ------------------------------------------------------------------------------------
def _compare_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", metavar="SCENARIO.yaml", type=Path, nargs="+",
                   help="two or more scenario files: the same economy under different rules")
    p.add_argument("--seed", type=seed_type, metavar="N",
                   help="one seed for every run, a whole number >= 0, so the runs differ only "
                        "by their rules (default: each scenario's own `seed`)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="folder to create for the comparison; must not exist yet "
                        "(default: results/compare-<names>/<UTC time>/)")


def _compare(args: argparse.Namespace) -> int:
    from carbonsim.outputs import compare
    from carbonsim.outputs import run_folder as output
    from carbonsim.outputs import terminal

    with terminal.progress("runs", total=len(args.scenarios)) as tracker:
        _, folder, runs = compare.compare_and_write(args.scenarios, args.seed, args.out,
                                                    command=args.command_line,
                                                    on_done=tracker.advance)
    for name, result in runs:
        settings = output.resolved_scenario(result.scenario)
        terminal.print_headline(result.summary, str(settings.get("currency", "")),
                                f"{name}: seed {result.seed}")
        print(_sentence(result, settings))
    print(f"results: {folder}")
    print(f"report: {folder / 'report.html'}")
    return EXIT_OK


# --- the table of subcommands -------------------------------------------------------------------
@dataclass(frozen=True)
class Subcommand:
    """One subcommand: its name, one-line help, options and handler (returns an exit status)."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


SUBCOMMANDS: list[Subcommand] = [
    Subcommand("run", "simulate one scenario; write CSVs, plots and report.html", _run_args, _run),
    Subcommand("validate", "check scenario files without running them", _validate_args, _validate),
    Subcommand("batch", "run scenario files × sweep points × replicates, locally or on Dask",
               _batch_args, _batch),
    Subcommand("compare", "run several scenarios and compare them side by side",
               _compare_args, _compare),
    Subcommand("schema", "print the JSON Schema of the scenario format", _schema_args, _schema),
]

_EPILOG = """exit status: 0 done, 1 a run failed, 2 bad usage or bad scenario, 130 interrupted.
units: tonnes CO2e (t), prices in the scenario's currency per t, rates as fractions."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``carbonsim`` command, with one subparser per SUBCOMMANDS row."""
    parser = argparse.ArgumentParser(
        prog="carbonsim", description="Simulate carbon-allowance trading (emissions trading "
        "systems) from a scenario file.", epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"carbonsim {__version__}")
    debug = {"action": "store_true", "help": "show the Python traceback of an error"}
    parser.add_argument("--debug", **debug)
    subs = parser.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)
    for sub in SUBCOMMANDS:
        p = subs.add_parser(sub.name, help=sub.help, description=sub.help[0].upper() + sub.help[1:] + ".",
                            epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.add_arguments(p)
        p.add_argument("--debug", default=argparse.SUPPRESS, **debug)
        p.set_defaults(handler=sub.handler)
    return parser


def _os_hint(exc: OSError) -> str:
    """How to fix the commonest file errors; nothing was left half-written either way."""
    hints = {errno.ENOSPC: "free some disk space or write elsewhere with --out",
             errno.EROFS: "write elsewhere with --out", errno.EACCES: "write elsewhere with --out",
             errno.EDQUOT: "free some disk space or write elsewhere with --out"}
    hint = hints.get(exc.errno)
    return f" ({hint}; nothing was left half-written)" if hint else ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``carbonsim`` command with ``argv`` (default: sys.argv[1:]); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help / --version (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.command_line = _command_line(argv)
    from carbonsim.outputs.run_folder import OutputExistsError, OutputPathError
    from carbonsim.scenario import ScenarioError

    try:
        return args.handler(args)
    except ScenarioError as exc:
        _debug(args)
        for problem in exc.problems:
            _err(str(problem))
        return EXIT_USAGE
    except (OutputExistsError, OutputPathError) as exc:
        _debug(args)
        _err(f"carbonsim: error: {exc}")
        return EXIT_USAGE
    except CarbonsimError as exc:
        _debug(args)
        _err(f"carbonsim: the run failed: {exc}")
        return EXIT_FAILED
    except BrokenPipeError:  # e.g. `carbonsim schema | head`: the reader left; say nothing
        return EXIT_FAILED
    except OSError as exc:
        _debug(args)
        _err(f"carbonsim: could not read or write files: {exc}{_os_hint(exc)}")
        return EXIT_FAILED
    except KeyboardInterrupt as exc:
        _debug(args)
        _err("carbonsim: interrupted; nothing was written")
        return _interrupted_status(exc)
    except Exception as exc:  # noqa: BLE001 - a bug: one line, and the way to see more
        _debug(args)
        _err(f"carbonsim: unexpected error: {type(exc).__name__}: {exc} "
             "(rerun with --debug to see the traceback)")
        return EXIT_FAILED


def _debug(args: argparse.Namespace) -> None:
    if getattr(args, "debug", False):
        traceback.print_exc()


def _terminate(signum: int, frame: object) -> None:
    raise Terminated  # unwinds like Ctrl-C: temporary folders are removed


def console() -> None:
    """Entry point of the ``carbonsim`` console script (SIGTERM is handled like Ctrl-C)."""
    signal.signal(signal.SIGTERM, _terminate)
    status = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader of a pipe left early: no "Exception ignored" noise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = status or EXIT_FAILED
    sys.exit(status)

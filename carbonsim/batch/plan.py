"""Batch runs: many scenario files × their sweep points × replicates (``carbonsim batch``).

Planning turns the inputs into RunSpecs; an executor (carbonsim.batch.executors) runs them on local
worker processes or a Dask cluster; the batch folder collects them:

    DIR/batch.json             what the batch is (marks the folder as a batch folder)
    DIR/runs/<run id>/         one run's folder, exactly as ``carbonsim run`` writes it
    DIR/summary.csv            one row per run and year
    DIR/failures.csv           one row per failed run, with its message (header only if none)
    DIR/runs.csv               one row per run: seed, status, wall time
    DIR/dataset/*.parquet      prices and compliance of every run, with run_id columns
    DIR/report.html            replicate distributions per scenario and sweep point

Seeds: the base seed of a sweep point is its scenario's ``seed`` (a sweep may set it);
replicate r of R runs with ``SeedSequence(base).spawn(R)[r]``, turned into an int as the first
64-bit word of its state shifted right one bit (so it fits a signed 64-bit column). Child r does
not depend on R, so adding replicates keeps the earlier ones. Every sweep point uses the same
replicate seeds (common random numbers: a generated population is the same at every point, so
points differ by their settings only). The scenario a run receives has ``seed`` set to its
replicate seed: ``carbonsim run DIR/runs/<id>/scenario.yaml`` repeats it exactly.

Run id: the first 12 hex digits of the sha256 of the canonical JSON (sorted keys) of the
resolved scenario the run receives, its sweep values, replicate and seed. A run whose folder
exists is finished (folders are renamed into place only when complete): re-running the same
batch skips it and reads it back; hidden partial folders left by a killed batch are removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from carbonsim.batch.folder import (BatchError, BatchFolderError, BatchInterrupted, ClusterLost,
                                    batch_folder, check_batch_folder, replace_bytes,
                                    write_run_folder)

__all__ = ["BatchError", "BatchFolderError", "BatchInterrupted", "BatchResult", "ClusterLost",
           "RunSpec", "check_batch_folder", "default_batch_dir",
           "plan_batch", "replicate_seeds", "run_batch", "run_id"]

_ID_SCHEME = "carbonsim-batch-run/1"  # change when the run id inputs change


@dataclass(frozen=True)
class RunSpec:
    """One run of a batch; workers get this (the resolved scenario, never a file path).

    ``scenario`` is the resolved scenario dict with ``seed`` set to this run's seed;
    ``sweep_values`` maps dotted keys to the values of its sweep point; ``source`` only labels
    where it came from; ``command`` is recorded in the run's manifest.
    """

    run_id: str
    scenario_name: str
    sweep_values: dict
    replicate: int
    seed: int
    scenario: dict
    source: str = ""
    point: int = 0
    command: tuple[str, ...] | None = None


@dataclass(frozen=True)
class BatchResult:
    """What ``run_batch`` did: the folder, the tables it wrote and counts of runs."""

    out: Path
    summary: pd.DataFrame
    runs: pd.DataFrame
    failures: pd.DataFrame
    computed: int
    resumed: int
    failed: int
    wall_time_s: float


# --- planning -------------------------------------------------------------------------------
def replicate_seeds(base_seed: int, replicates: int) -> list[int]:
    """Seeds of replicates 0..R-1: ``SeedSequence(base).spawn(R)[r]``, 63-bit ints (see module).

    Raises ValueError if ``replicates`` < 1 or the seed is negative.
    """
    if replicates < 1:
        raise ValueError(f"replicates must be a whole number >= 1; got {replicates}")
    children = np.random.SeedSequence(int(base_seed)).spawn(replicates)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def run_id(scenario: Mapping, sweep_values: Mapping, replicate: int, seed: int) -> str:
    """12 hex digits of sha256 over the run's resolved scenario, sweep values, replicate, seed."""
    payload = {"scheme": _ID_SCHEME, "scenario": scenario, "sweep": sweep_values,
               "replicate": int(replicate), "seed": int(seed)}
    return hashlib.sha256(_canonical(payload).encode("utf-8")).hexdigest()[:12]


def _plain(value: object) -> object:
    return json.loads(json.dumps(value, default=str))


def plan_batch(scenarios: Sequence, replicates: int = 1,
               command: Sequence[str] | None = None) -> list[RunSpec]:
    """Every run of the batch, in order: file, sweep point, replicate (duplicates dropped).

    ``scenarios`` holds paths or loaded Scenario objects. Every file and sweep point is
    validated before anything is returned. Raises ScenarioError listing every problem of every
    file, ValueError if ``replicates`` < 1.
    """
    from carbonsim.scenario import (
        ScenarioError,
        expand_sweep,
        load_scenario,
        scenario_dict,
    )

    if int(replicates) < 1:
        raise ValueError(f"replicates must be a whole number >= 1; got {replicates}")
    problems, expanded = [], []
    for k, item in enumerate(scenarios):
        try:
            scenario = load_scenario(item) if isinstance(item, (str, os.PathLike)) else item
            label = os.fspath(item) if isinstance(item, (str, os.PathLike)) else (
                scenario.source_path or f"<scenario {k + 1}>")
            expanded.append((label, expand_sweep(scenario)))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    specs: dict[str, RunSpec] = {}
    cmd = tuple(command) if command is not None else None
    for label, points in expanded:
        for point in points:
            data = _plain(scenario_dict(point.scenario))
            values = _plain(point.values)
            for r, seed in enumerate(replicate_seeds(point.scenario.seed, int(replicates))):
                resolved = {**data, "seed": seed}
                rid = run_id(resolved, values, r, seed)
                specs.setdefault(rid, RunSpec(rid, str(point.scenario.name), values, r, seed,
                                              resolved, label, point.index, cmd))
    return list(specs.values())


def default_batch_dir(specs: Sequence[RunSpec], root: str | os.PathLike = "results") -> Path:
    """``root/batch-<scenario names>``: the same for the same files, so re-running resumes."""
    names = "-".join(dict.fromkeys(s.scenario_name for s in specs)) or "empty"
    return Path(root) / re.sub(r"[^A-Za-z0-9._-]+", "_", f"batch-{names}")[:80]


# --- the batch folder -----------------------------------------------------------------------
def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class _Tables:
    summary: pd.DataFrame
    prices: pd.DataFrame
    compliance: pd.DataFrame
    wall_time_s: float


def _read_tables(files: Mapping[str, bytes]) -> _Tables:
    """The tables of a run folder from its files' bytes (so fresh and resumed runs agree)."""
    def csv(name: str, **kw) -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(files[name]), **kw)

    wall = json.loads(files["manifest.json"]).get("wall_time_s", float("nan"))
    return _Tables(csv("summary.csv"), csv("prices.csv", parse_dates=["date"]),
                   csv("compliance.csv"), float(wall))


def _read_folder(folder: Path) -> _Tables:
    names = ("summary.csv", "prices.csv", "compliance.csv", "manifest.json")
    return _read_tables({n: (folder / n).read_bytes() for n in names})


# --- running --------------------------------------------------------------------------------
def _executor(workers: int | None, scheduler: str | None, runs: int):
    from carbonsim.batch import cluster, executors

    if scheduler is not None:
        return cluster.DaskExecutor(scheduler)
    return executors.LocalExecutor(workers, max_runs=runs)


@contextlib.contextmanager
def _cluster(scheduler: str | None) -> Iterator[object]:
    """A connected DaskExecutor (None without a scheduler), closed at the end."""
    if scheduler is None:
        yield None
        return
    from carbonsim.batch import cluster

    dask = cluster.DaskExecutor(scheduler)
    dask.connect()
    try:
        yield dask
    finally:
        dask.close()


def run_batch(scenarios: Sequence, out: str | os.PathLike | None = None, *, replicates: int = 1,
              workers: int | None = None, scheduler: str | None = None,
              command: Sequence[str] | None = None, progress: bool = False,
              root: str | os.PathLike = "results") -> BatchResult:
    """Run every file × sweep point × replicate and write the batch folder (see the module).

    ``out`` defaults to ``root/batch-<names>``; an existing batch folder is resumed.
    ``workers``: local worker processes (default: the number of CPUs); ``scheduler``: a Dask
    scheduler address (tcp://HOST:PORT) to run on instead. ``progress`` shows a progress bar on
    stderr. Wall time in s. A failing run is recorded in failures.csv and the others go on.

    Raises ScenarioError (every problem, before any run), ValueError (replicates < 1),
    BatchFolderError (``out`` not usable, before anything is written), BatchError (cluster
    unreachable or malformed address, before the folder is made), ClusterLost (the scheduler
    went away: finished runs stay; calling again resumes), BatchInterrupted on Ctrl-C
    (likewise), OSError if writing fails.
    """
    from carbonsim.outputs import terminal
    from carbonsim.batch.files import write_outputs

    t0 = time.perf_counter()
    specs = plan_batch(scenarios, replicates, command)
    folder = Path(out) if out is not None else default_batch_dir(specs, root)
    check_batch_folder(folder)
    tables: dict[str, _Tables] = {}
    status: dict[str, str] = {}  # run id -> resumed or finished: its folder is complete
    try:
        # The cluster is reached before the folder is made: a wrong address leaves nothing.
        with _cluster(scheduler) as dask, batch_folder(folder):
            info = {"carbonsim": _version(), "command": list(command) if command else None,
                    "sources": list(dict.fromkeys(s.source for s in specs)),
                    "replicates": int(replicates), "runs": len(specs),
                    "executor": f"dask {scheduler}" if scheduler else "local", "started_utc": _utc_now()}
            replace_bytes(folder / "batch.json", (json.dumps(info, indent=2) + "\n").encode())
            failures: dict[str, str] = {}
            task_times: dict[str, float] = {}
            todo = []
            for spec in specs:
                run_dir = folder / "runs" / spec.run_id
                if not run_dir.is_dir():
                    todo.append(spec)
                    continue
                try:
                    tables[spec.run_id] = _read_folder(run_dir)
                    status[spec.run_id] = "resumed"
                except (OSError, ValueError, KeyError) as exc:
                    failures[spec.run_id] = (f"its folder {run_dir} is incomplete ({exc}); remove it "
                                             "to run it again")
            resumed = len(tables)
            if progress and resumed:
                print(f"{resumed} of {len(specs)} runs already finished in {folder}: skipped")
            bar = terminal.progress("runs", total=len(todo), eta=True) if progress else None
            executor = dask or _executor(workers, None, len(todo))
            with (bar if bar is not None else contextlib.nullcontext()) as tracker, \
                    contextlib.closing(executor.run(todo)) as outcomes:
                for spec, outcome in outcomes:
                    if isinstance(outcome, str):
                        failures[spec.run_id] = outcome
                    else:
                        write_run_folder(folder / "runs" / spec.run_id, outcome.files)
                        status[spec.run_id] = "finished"  # its folder is complete from here
                        tables[spec.run_id] = _read_tables(outcome.files)
                        task_times[spec.run_id] = outcome.task_time_s
                    if tracker is not None:
                        tracker.advance(failed=isinstance(outcome, str))
            summary, runs, fails = write_outputs(folder, specs, tables, failures, status, task_times,
                                                 info, time.perf_counter() - t0)
    except KeyboardInterrupt as exc:
        raise BatchInterrupted(len(status), len(specs), folder,
                               int(getattr(exc, "signum", 2))) from None
    except ClusterLost as exc:
        raise ClusterLost(f"{exc}; {len(status)} of {len(specs)} runs are finished and kept in "
                          f"{folder / 'runs'}: run the same command again to resume (with the "
                          "scheduler running)") from None
    return BatchResult(folder, summary, runs, fails, len(tables) - resumed, resumed,
                       len(failures), time.perf_counter() - t0)


def _version() -> str:
    from carbonsim._version import __version__

    return __version__


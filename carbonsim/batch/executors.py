"""Where batch runs execute: local worker processes, or a Dask distributed cluster.

Both call the same pure task, ``execute(spec) -> (run_id, RunOutput or error message)``: it
loads the resolved scenario dict the spec carries (never a file path), runs it with the spec's
seed and renders the run's folder (CSVs, plots, report.html, as ``carbonsim run`` writes it) in
a temporary folder of the worker, returning its files as bytes. The batch process writes them
into place; workers need no access to the batch folder. Rendering in the worker keeps the batch
process light: the figures of a run take about as long as a small run.

An executor's ``run(specs)`` yields ``(spec, outcome)`` as runs finish, in any order. It keeps
a few runs per worker in flight, not the whole batch; closing the iterator (or Ctrl-C while it
waits) cancels what is pending and stops local workers at once.

Worker death. Locally, a dead worker process breaks the pool: the runs in flight are retried
one at a time on a new pool, and a run whose worker dies while it runs alone, MAX_ATTEMPTS
times, is recorded as failed (the others are not blamed for it). On Dask the
scheduler reschedules the tasks of a dead worker on another one (up to its
``distributed.scheduler.allowed-failures``, default 3); past that the run is recorded as failed.
Dask workers should run one thread each (``dask worker --nthreads 1 --nworkers N``): the engine
holds the GIL for most of a run. Start them with their nanny (the default), which gives each
worker one math-library thread, as LocalExecutor does for its processes.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import multiprocessing
import os
import re
import select
import signal
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent import futures as cf
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

__all__ = ["IN_FLIGHT", "MAX_ATTEMPTS", "LocalExecutor", "RunOutput", "message_of",
           "execute", "remove_stale_temp", "run_files"]

MAX_ATTEMPTS = 2  # times a run running alone may kill its local worker before it is failed
IN_FLIGHT = 2  # runs queued per worker: enough to keep it busy, few to cancel on Ctrl-C
WATCH_S = 5.0  # s between checks that every worker is alive while no run finishes
_RENDER = threading.Lock()  # matplotlib's rc_context is global: one figure set at a time
# Math libraries' thread pools, one thread per worker: J workers already use J CPUs, and two
# workers each spinning two BLAS threads on two CPUs run 2.4x slower than one thread each.
# Imported once by the fork server, so a worker forks with them (and what they import) loaded:
# the engine, its numba kernel (numba and scipy, which a worker would import at its first run),
# the run folder's writers, plots and report.
_PRELOAD = ["carbonsim.batch.executors", "carbonsim.sim.engine", "carbonsim.sim._schedule_numba",
            "carbonsim.outputs.run_folder", "carbonsim.outputs.plots", "carbonsim.outputs.report"]
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


@dataclass(frozen=True)
class RunOutput:
    """A finished run: its folder's files (relative path -> bytes) and times in s.

    ``wall_time_s`` is the engine's time (Result.wall_time_s); ``task_time_s`` the whole task
    in the worker (loading, running, rendering the folder).
    """

    files: dict[str, bytes]
    wall_time_s: float
    task_time_s: float


_TEMP = re.compile(r"^carbonsim-run-")
_TEMP_SWEPT = []  # [True] once this process has removed stale temporary folders


def remove_stale_temp(force: bool = False) -> list[Path]:
    """Remove the temporary run folders that ended processes of this host left in TMPDIR
    (a worker killed mid-run cannot remove its own); once per process unless ``force``."""
    from carbonsim.outputs.run_folder import remove_stale

    if _TEMP_SWEPT and not force:
        return []
    _TEMP_SWEPT.append(True)
    return remove_stale(Path(tempfile.gettempdir()), _TEMP)


def run_files(result, command=None) -> dict[str, bytes]:
    """The files of ``result``'s run folder as ``output.write_run`` makes them (path -> bytes).

    The folder is built in TMPDIR, named after this process (``output.owner_tag``) so that
    one left by a killed worker is removed later. Raises OSError if it cannot be written.
    """
    from carbonsim.outputs.run_folder import owner_tag, write_run

    remove_stale_temp()
    with tempfile.TemporaryDirectory(prefix=f"carbonsim-run-{owner_tag()}-") as tmp, _RENDER:
        folder = write_run(result, Path(tmp) / "run", command=command)
        return {p.relative_to(folder).as_posix(): p.read_bytes()
                for p in sorted(folder.rglob("*")) if p.is_file()}


def message_of(exc: BaseException) -> str:
    from carbonsim.errors import CarbonsimError

    text = str(exc).strip() or "(no message)"
    return text if isinstance(exc, CarbonsimError) else f"{type(exc).__name__}: {text}"


def execute(spec) -> tuple[str, RunOutput | str]:
    """Run one RunSpec: ``(run_id, RunOutput)``, or ``(run_id, message)`` if the run failed.

    Never raises for a failing run (any Exception becomes its message); times in s.
    """
    from carbonsim.sim.engine import run
    from carbonsim.scenario import ScenarioError, load_scenario_dict

    t0 = time.perf_counter()
    try:
        scenario = load_scenario_dict(spec.scenario, file=f"<run {spec.run_id}>")
        result = run(scenario, seed=spec.seed)
        files = run_files(result, spec.command)
    except ScenarioError as exc:
        return spec.run_id, "; ".join(str(p) for p in exc.problems)
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the batch goes on
        return spec.run_id, message_of(exc)
    return spec.run_id, RunOutput(files, float(result.wall_time_s), time.perf_counter() - t0)


def _init_worker(batch_pid: int) -> None:
    """Worker initializer: leave Ctrl-C to the batch process (it stops the workers), exit
    when the batch process ends, even killed with SIGKILL (no worker is left behind), and
    freeze what the worker starts with out of the garbage collector's way.

    The modules preloaded by the fork server (numpy, pandas, matplotlib, the engine: some
    120,000 objects) live as long as the worker; left to the collector, every full collection
    of every run walks them again (about 45 ms each, once or twice a run).
    """
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(batch_pid,), name="carbonsim-exit-with",
                     daemon=True).start()


def _exit_with(pid: int) -> None:
    """Block until process ``pid`` ends, then end this process (a pidfd on Linux; else polls)."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux >= 5.3, or already gone
        fd = None
    if fd is not None:
        select.select([fd], [], [])  # readable once the process has ended
        os._exit(1)
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # alive, owned by someone else (cannot happen for our parent)
            pass
        time.sleep(0.5)


@contextlib.contextmanager
def _one_thread_each() -> Iterator[None]:
    """Set the _THREAD_VARS the user has not set to 1 meanwhile: workers started then inherit
    them (this process's libraries, loaded already, keep their threads)."""
    added = [name for name in _THREAD_VARS if name not in os.environ]
    os.environ.update(dict.fromkeys(added, "1"))
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends, then act on them as before.

    Starting or stopping a pool must not be cut short: a KeyboardInterrupt raised while a
    worker process is being started leaves it unregistered (nothing stops it, and it prints
    a traceback as the batch exits), one raised while stopping leaves workers behind. Only the
    main thread can set handlers; elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    wanted = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda signum, frame: held.append(signum)) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if held:
            _replay(held[0], previous[held[0]])


def _replay(signum: int, handler) -> None:
    """Act on a held signal as its handler would have."""
    if callable(handler):
        handler(signum, None)  # the CLI's SIGTERM handler and Python's SIGINT one raise
    elif handler == signal.SIG_DFL:
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        os.kill(os.getpid(), signum)


def _shadowed() -> bool:
    """True if a ``carbonsim`` package in the working folder is not the one this process runs.

    The fork server starts as ``python -c`` and imports its preloads on its own search path,
    whose first entry is the working folder (it does not take this process's path): run from
    another checkout, the workers would run that checkout's code.
    """
    here = Path.cwd() / "carbonsim" / "__init__.py"
    try:
        return here.is_file() and not here.samefile(Path(__file__).parents[1] / "__init__.py")
    except OSError:
        return False


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods and not _shadowed():  # workers fork from a warm server: fast
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


class LocalExecutor:
    """Runs on ``workers`` local processes (default: the CPUs, at most ``max_runs``)."""

    def __init__(self, workers: int | None = None, max_runs: int | None = None) -> None:
        n = workers if workers is not None else (os.cpu_count() or 1)
        if n < 1:
            raise ValueError(f"workers must be a whole number >= 1; got {n}")
        self.workers = max(1, min(n, max_runs)) if max_runs else n

    def _pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(self.workers, mp_context=_context(),
                                      initializer=_init_worker, initargs=(os.getpid(),))

    def run(self, specs: Iterable) -> Iterator[tuple[object, RunOutput | str]]:
        """Yield ``(spec, outcome)`` as runs finish (see the module for worker deaths)."""
        queue = collections.deque(specs)
        if not queue:
            return
        remove_stale_temp()
        try:
            with _one_thread_each():  # workers start at submits and pool restarts, all below
                yield from self._run(queue)
        finally:
            remove_stale_temp(force=True)  # what workers stopped mid-run left

    def _submit(self, pool: cf.ProcessPoolExecutor, spec) -> cf.Future:
        with _signals_held():  # a submit may start a worker process
            return pool.submit(execute, spec)

    def _run(self, queue: collections.deque) -> Iterator[tuple[object, RunOutput | str]]:
        suspects: collections.deque = collections.deque()  # in flight when a worker died
        breaks: collections.Counter = collections.Counter()
        with _signals_held():
            pool = self._pool()
        running, finished = {}, False
        try:
            while queue or running or suspects:
                if suspects:  # one at a time, so a run that kills its worker is found out
                    if not running:
                        spec = suspects.popleft()
                        running[self._submit(pool, spec)] = spec
                else:
                    while queue and len(running) < IN_FLIGHT * self.workers:
                        spec = queue.popleft()
                        running[self._submit(pool, spec)] = spec
                done, _ = cf.wait(running, timeout=WATCH_S, return_when=cf.FIRST_COMPLETED)
                lost = []
                stalled = bool(running) and not done and _a_worker_died(pool)  # a half-written result stalls it
                for fut in done:
                    spec = running.pop(fut)
                    try:
                        _, outcome = fut.result()
                    except BrokenProcessPool:
                        lost.append(spec)
                        continue
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that did not unpickle
                        outcome = message_of(exc)
                    yield spec, outcome
                if not lost and not stalled:
                    continue
                lost += running.values()  # the pool is gone with every run in flight
                running.clear()
                with _signals_held():
                    _stop(pool)
                    pool = self._pool()
                if len(lost) > 1:
                    suspects.extend(lost)
                    continue
                spec = lost[0]  # it ran alone: it broke the pool
                breaks[spec.run_id] += 1
                if breaks[spec.run_id] >= MAX_ATTEMPTS:
                    yield spec, f"its worker process died while running it, {MAX_ATTEMPTS} times"
                else:
                    suspects.appendleft(spec)
            finished = True
        finally:
            with _signals_held():
                if finished:
                    pool.shutdown(wait=True)
                else:
                    _stop(pool)


def _a_worker_died(pool: cf.ProcessPoolExecutor) -> bool:
    """Whether a worker of ``pool`` has ended. The pool notices a dead worker itself, except
    when it died while writing a result: the pool's manager thread then waits in ``recv`` for
    the rest of the message, and the runs in flight would wait with it forever."""
    return any(proc.exitcode is not None
               for proc in list((getattr(pool, "_processes", None) or {}).values()))


def _stop(pool: cf.ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now (runs in progress are lost).

    A worker ended while it was writing a result leaves half a message in the result pipe,
    and the pool's manager thread, reading it, would wait for the rest forever (and with it the
    interpreter's exit, which joins that thread). Once the workers are gone this process holds
    the pipe's only write end: closing it turns that wait into an end of file, which the
    manager thread treats as a broken pool and exits.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    results = getattr(pool, "_result_queue", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5)
        if proc.is_alive():  # SIGTERM is not ignored by workers; this is a last resort
            proc.kill()
            proc.join(timeout=5)
    writer = getattr(results, "_writer", None)
    if writer is not None and not writer.closed:
        writer.close()

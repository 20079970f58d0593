"""Print batch throughput: N replicates of the small population on 1, 2, ... local workers.

Columns: wall time (s), runs per minute, speed-up over the first row, the mean time of one run
(engine only, and the whole task in its worker: engine + rendering the run's folder), and the
batch overhead per run = (batch wall − Σ run time / workers) / runs, as a percentage of the mean
run time, on both bases; the CPU time of the batch process itself per run (writing the run
folders, the summaries, the dataset and the report), and of the batch and its workers together
per run, which other load on the machine does not inflate. The first row is the reference of
the speed-up; the load average is printed per row.

The floor: a fixed piece of work timed in the same process before and after each batch (median
CPU time), the loop reference of the call auction on a fixed book, pure Python as most of a small
run is. "× floor" is the CPU time per run over it: compare that between two versions of the
code, measured on a loaded machine where absolute times drift.
Usage: python benchmarks/batch_table.py [--runs N] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script from a checkout: this checkout's package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from carbonsim.batch.plan import run_batch  # noqa: E402
from carbonsim.market import reference  # noqa: E402

SMALL = Path(__file__).resolve().parent / "scenarios" / "small.yaml"


def _floor_book():
    rng = np.random.default_rng(0)
    side = np.where(rng.random(1000) < 0.5, 1, -1)
    return side, rng.integers(0, 150, 1000), rng.integers(1, 1000, 1000)


def floor_time(rounds: int = 7) -> float:
    """Median CPU time (s) of the fixed floor: the reference call auction of a 1,000-order book."""
    book = _floor_book()
    times = []
    for _ in range(rounds + 1):
        c0 = time.process_time()
        reference.call_auction(*book)
        times.append(time.process_time() - c0)
    return float(np.median(times[1:]))


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class WorkerCPU:
    """CPU time (s) of this process's descendants while in the block, read every ``every`` s.

    Local workers fork from a server process, so they are not this process's children and
    getrusage does not see them; a worker's last ``every`` s before it ends are missed.
    """

    def __init__(self, every: float = 0.05) -> None:
        import psutil

        self._me, self._every = psutil.Process(), every
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()

    def _read(self) -> None:
        for child in self._me.children(recursive=True):
            try:
                t = child.cpu_times()
            except Exception:  # noqa: BLE001 - it ended between listing and reading
                continue
            self._seen[child.pid] = t.user + t.system

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            self._read()

    def __enter__(self) -> WorkerCPU:
        self._read()
        self._start = dict(self._seen)  # descendants alive before (a warm server)
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._read()
        self.seconds = sum(t - self._start.get(pid, 0.0) for pid, t in self._seen.items())


def measure(runs: int, workers: int, folder: Path) -> dict[str, float]:
    """Run the batch once; wall and per-run times in s, overheads in % of the mean run time."""
    floor = floor_time()
    own0 = _own_cpu()
    t0 = time.perf_counter()
    with WorkerCPU() as workers_cpu:
        done = run_batch([SMALL], folder, replicates=runs, workers=workers)
    wall = time.perf_counter() - t0
    own = _own_cpu() - own0
    children = workers_cpu.seconds
    floor = (floor + floor_time()) / 2
    if done.failed:
        raise SystemExit(f"{done.failed} runs failed: see {folder / 'failures.csv'}")
    engine, task = done.runs["wall_time_s"], done.runs["task_time_s"]
    cpu = (own + children) / runs
    return {
        "wall": wall, "per_min": 60 * runs / wall,
        "engine": engine.mean(), "task": task.mean(),
        "over_engine": 100 * (wall - engine.sum() / workers) / runs / engine.mean(),
        "over_task": 100 * (wall - task.sum() / workers) / runs / task.mean(),
        "own_ms": 1000 * own / runs, "cpu": cpu, "floor_ms": 1000 * floor, "x_floor": cpu / floor,
        "load": os.getloadavg()[0],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="replicates (runs) per batch")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    print(f"{args.runs} runs of {SMALL.name} on a {os.cpu_count()}-CPU machine")
    print(f"{'workers':>7}{'wall s':>9}{'runs/min':>10}{'speed-up':>10}{'engine s':>10}"
          f"{'task s':>8}{'overhead % (engine)':>21}{'overhead % (task)':>19}"
          f"{'batch CPU ms/run':>18}{'CPU s/run':>11}{'floor ms':>10}{'× floor':>9}{'load':>6}")
    first = None
    for workers in counts:
        with tempfile.TemporaryDirectory(prefix="carbonsim-bench-") as tmp:
            row = measure(args.runs, workers, Path(tmp) / "batch")
        first = first or row
        print(f"{workers:>7}{row['wall']:>9.1f}{row['per_min']:>10.1f}"
              f"{first['wall'] / row['wall']:>10.2f}{row['engine']:>10.2f}{row['task']:>8.2f}"
              f"{row['over_engine']:>21.1f}{row['over_task']:>19.1f}{row['own_ms']:>18.0f}"
              f"{row['cpu']:>11.2f}{row['floor_ms']:>10.1f}{row['x_floor']:>9.0f}"
              f"{row['load']:>6.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

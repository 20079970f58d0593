"""Print batch throughput: N replicates of the small population on 1, 2, ... local workers.

Columns: wall time (s), runs per minute, speed-up over the first row, the mean time of one run
(engine only, and the whole task in its worker: engine + rendering the run's folder), and the
batch overhead per run = (batch wall − Σ run time / workers) / runs, as a percentage of the mean
run time, on both bases; and the CPU time of the batch process itself per run (writing the run
folders, the summaries, the dataset and the report), which other load on the machine does not
inflate. The first row is the reference of the speed-up; the load average is printed per row.
Usage: python benchmarks/batch_table.py [--runs N] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from carbonsim.batch.plan import run_batch  # noqa: E402

SMALL = Path(__file__).resolve().parent / "scenarios" / "small.yaml"


def measure(runs: int, workers: int, folder: Path) -> dict[str, float]:
    """Run the batch once; wall and per-run times in s, overheads in % of the mean run time."""
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    done = run_batch([SMALL], folder, replicates=runs, workers=workers)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    own = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    if done.failed:
        raise SystemExit(f"{done.failed} runs failed: see {folder / 'failures.csv'}")
    engine, task = done.runs["wall_time_s"], done.runs["task_time_s"]
    return {
        "wall": wall, "per_min": 60 * runs / wall,
        "engine": engine.mean(), "task": task.mean(),
        "over_engine": 100 * (wall - engine.sum() / workers) / runs / engine.mean(),
        "over_task": 100 * (wall - task.sum() / workers) / runs / task.mean(),
        "own_ms": 1000 * own / runs, "load": os.getloadavg()[0],
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
          f"{'batch CPU ms/run':>18}{'load':>6}")
    first = None
    for workers in counts:
        with tempfile.TemporaryDirectory(prefix="carbonsim-bench-") as tmp:
            row = measure(args.runs, workers, Path(tmp) / "batch")
        first = first or row
        print(f"{workers:>7}{row['wall']:>9.1f}{row['per_min']:>10.1f}"
              f"{first['wall'] / row['wall']:>10.2f}{row['engine']:>10.2f}{row['task']:>8.2f}"
              f"{row['over_engine']:>21.1f}{row['over_task']:>19.1f}{row['own_ms']:>18.0f}"
              f"{row['load']:>6.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Batch benchmark (pytest-benchmark): run with ``pytest benchmarks --benchmark-enable``.

Target: 200 runs of the small population on 2 local workers with a batch overhead per run
under 5% of the run time (run = the task in its worker: the engine and rendering the run's
folder). ``CARBONSIM_BENCH_RUNS`` changes the number of runs (default 200, about 6 minutes on
the 2-core development machine); ``python benchmarks/batch_table.py`` prints the full table
(1 and 2 workers, runs per minute, speed-up, overhead on both bases).
"""

import os
from pathlib import Path

from carbonsim.batch.plan import run_batch

SMALL = Path(__file__).resolve().parent / "scenarios" / "small.yaml"
RUNS = int(os.environ.get("CARBONSIM_BENCH_RUNS", "200"))


def test_batch_small_on_two_workers(benchmark, tmp_path):
    folders = iter(range(10**6))

    def batch():
        return run_batch([SMALL], tmp_path / f"b{next(folders)}", replicates=RUNS, workers=2)

    done = benchmark.pedantic(batch, rounds=1, iterations=1)
    assert done.failed == 0 and done.computed == RUNS
    wall = benchmark.stats.stats.max
    task = done.runs["task_time_s"]
    overhead = (wall - task.sum() / 2) / RUNS / task.mean()
    benchmark.extra_info.update({"runs_per_minute": round(60 * RUNS / wall, 1),
                                 "overhead_per_run_pct": round(100 * overhead, 2)})
    assert overhead < 0.05, f"batch overhead {100 * overhead:.1f}% of the run time"

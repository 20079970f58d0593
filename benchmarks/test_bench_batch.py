"""Batch benchmarks (pytest-benchmark): run with ``pytest benchmarks --benchmark-enable``.

Target: 200 runs of the small population on 2 local workers with a batch overhead per run
under 5% of the run time (run = the task in its worker: the engine and rendering the run's
folder). ``CARBONSIM_BENCH_RUNS`` changes the number of runs (default 200, about 6 minutes on
the 2-core development machine); ``python benchmarks/batch_table.py`` prints the full table
(1 and 2 workers, runs per minute, speed-up, overhead on both bases, CPU per run and its ratio
to the floor).

The 20-run batch on one worker records the CPU time per run (batch process and worker) and
its ratio to the floor of ``batch_table`` (a fixed pure-Python job timed in the same process):
that ratio is what compares two versions of the code on a noisy machine.
"""

import os
from pathlib import Path

from batch_table import measure

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


def test_twenty_small_runs_on_one_worker(benchmark, tmp_path):
    folders = iter(range(10**6))
    rows = []

    def batch():
        rows.append(measure(20, 1, tmp_path / f"b{next(folders)}"))

    benchmark.pedantic(batch, rounds=1, iterations=1)
    row = rows[-1]
    benchmark.extra_info.update({"cpu_s_per_run": round(row["cpu"], 3),
                                 "floor_ms": round(row["floor_ms"], 2),
                                 "x_floor": round(row["x_floor"], 1),
                                 "task_s": round(row["task"], 3),
                                 "engine_s": round(row["engine"], 3)})

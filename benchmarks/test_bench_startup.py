"""Start-up benchmark (pytest-benchmark): run with ``pytest benchmarks --benchmark-enable``.

Target: ``carbonsim --help`` answers in under 0.5 s, measured as a fresh interpreter each round
(the way a user meets it). The package imports pandas, numpy, pydantic and the engine only when
a command needs them; ``carbonsim --help`` and ``carbonsim --version`` need none of them.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.5


def _env() -> dict:
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), path) if p)}


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["--version"]],
                         ids=["help", "run-help", "version"])
def test_cli_start_up(benchmark, args):
    env = _env()

    def start() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "carbonsim", *args], env=env,
                              capture_output=True, text=True, check=False)

    out = benchmark.pedantic(start, rounds=7, iterations=1, warmup_rounds=1)
    assert out.returncode == 0, out.stderr
    assert "carbonsim" in out.stdout
    median = benchmark.stats.stats.median
    benchmark.extra_info["median_s"] = round(median, 3)
    assert median < TARGET_S, f"carbonsim {' '.join(args)} took {median:.2f} s to start"


def test_help_imports_neither_pandas_nor_the_engine():
    code = ("import sys, carbonsim.cli as c\n"
            "try:\n    c.build_parser().parse_args(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pandas', 'numpy', 'carbonsim.sim.engine', 'matplotlib', "
            "'pydantic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"

"""Tests of batch planning and the batch folder (carbonsim.batch.plan, carbonsim.batch.files):
seeds, run ids, outputs, failures, resume, Ctrl-C and kill -9."""

import json
import re
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
from _batch_cases import ROOT, write_cases

import carbonsim
from carbonsim.batch.plan import (
    BatchError,
    default_batch_dir,
    plan_batch,
    replicate_seeds,
    run_batch,
    run_id,
)
from carbonsim.batch.folder import batch_folder
from carbonsim.cli import main
from carbonsim.outputs.run_folder import TABLES
from carbonsim.sim.results import SUMMARY_COLUMNS
from carbonsim.scenario import ScenarioError, load_scenario

RUN_FILES = {*TABLES.values(), "scenario.yaml", "manifest.json", "report.html"}


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return write_cases(tmp_path_factory.mktemp("cases"))


@pytest.fixture(scope="module")
def batch(cases, tmp_path_factory):
    """One batch through the CLI: 2 sweep points + textbook + a failing file, 2 replicates."""
    out = tmp_path_factory.mktemp("batch") / "b"
    argv = ["batch", str(cases["sweep"]), str(cases["textbook"]), str(cases["fail"]),
            "--replicates", "2", "--workers", "2", "--out", str(out)]
    status = main(argv)
    return {"out": out, "status": status, "argv": argv}


# --- planning ---------------------------------------------------------------------------------
def test_replicate_seeds_follow_the_documented_rule():
    seeds = replicate_seeds(1, 5)
    expected = [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1))
                for c in np.random.SeedSequence(1).spawn(5)]
    assert seeds == expected and len(set(seeds)) == 5
    assert replicate_seeds(1, 3) == seeds[:3]  # more replicates keep the earlier ones
    assert all(0 <= s < 2**63 for s in seeds) and replicate_seeds(2, 1) != seeds[:1]
    with pytest.raises(ValueError, match="replicates must be a whole number >= 1; got 0"):
        replicate_seeds(1, 0)


def test_plan_expands_files_points_and_replicates(cases):
    specs = plan_batch([cases["sweep"], cases["textbook"]], replicates=3)
    assert [(s.scenario_name, s.point, s.replicate) for s in specs] == [
        ("hb-sweep", p, r) for p in (0, 1) for r in range(3)] + [
        ("textbook-two-firms", 0, r) for r in range(3)]
    assert [s.sweep_values for s in specs[:6:3]] == [{"compliance.penalty_per_t": 40},
                                                    {"compliance.penalty_per_t": 1000}]
    seeds = replicate_seeds(1, 3)
    assert [s.seed for s in specs] == seeds * 3  # common random numbers across points
    for s in specs:  # the resolved scenario: the run's seed, no sweep, no file references
        assert s.scenario["seed"] == s.seed and not s.scenario.get("sweep")
        assert "extends" not in s.scenario and isinstance(s.scenario["emitters"], list)
        assert s.scenario["compliance"]["penalty_per_t"] == s.sweep_values.get(
            "compliance.penalty_per_t", 1000)
        assert len(s.run_id) == 12 and int(s.run_id, 16) >= 0
        assert s.run_id == run_id(s.scenario, s.sweep_values, s.replicate, s.seed)
    assert len({s.run_id for s in specs}) == 9
    again = plan_batch([load_scenario(cases["sweep"]), cases["textbook"], cases["textbook"]], 3)
    assert [s.run_id for s in again] == [s.run_id for s in specs]  # duplicates dropped


def test_run_id_changes_with_any_input_and_not_across_processes(cases):
    spec = plan_batch([cases["textbook"]])[0]
    base = (spec.scenario, spec.sweep_values, spec.replicate, spec.seed)
    changed = {**spec.scenario, "compliance": {**spec.scenario["compliance"], "penalty_per_t": 999}}
    assert len({run_id(*base), run_id(changed, *base[1:]), run_id(base[0], {"x": 1}, 0, base[3]),
                run_id(*base[:2], 1, base[3]), run_id(*base[:3], base[3] + 1)}) == 5
    code = ("import sys; from carbonsim.batch.plan import plan_batch; "
            "print(' '.join(s.run_id for s in plan_batch(sys.argv[1:], 2)))")
    env = {**os.environ, "PYTHONHASHSEED": "123", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code, str(cases["sweep"])], capture_output=True,
                         text=True, timeout=60, check=True, env=env).stdout.split()
    assert out == [s.run_id for s in plan_batch([cases["sweep"]], 2)]


def test_bad_scenarios_exit_2_before_anything_runs(cases, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["batch", str(cases["textbook"]), str(cases["bad"]), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cap" in err and "yeers" in err and "Traceback" not in err
    assert not out.exists()
    with pytest.raises(ScenarioError):
        run_batch([cases["bad"]], tmp_path / "never2")
    assert default_batch_dir(plan_batch([cases["textbook"]])) == Path("results/batch-textbook-two-firms")


@pytest.mark.parametrize("argv", [["--replicates", "0"], ["--workers", "0"],
                                  ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"]])
def test_bad_options_exit_2(cases, argv, capsys):
    assert main(["batch", str(cases["textbook"]), *argv]) == 2
    assert "usage:" in capsys.readouterr().err


def test_refuses_a_folder_that_is_not_a_batch_or_is_in_use(cases, tmp_path, capsys):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["batch", str(cases["textbook"]), "--out", str(other)]) == 2  # usage
    assert "is not a batch folder" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    began = tmp_path / "began"  # a batch killed before it wrote batch.json
    (began / "runs").mkdir(parents=True)
    (began / ".lock").write_text("")
    with batch_folder(began):
        pass
    import fcntl

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "batch.json").write_text("{}")
    with open(busy / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(BatchError, match="another carbonsim batch is writing"):
            run_batch([cases["textbook"]], busy)


# --- one real batch ---------------------------------------------------------------------------
def test_batch_writes_summary_failures_dataset_and_run_folders(batch):
    out = batch["out"]
    assert batch["status"] == 1  # the absurd scenario's runs failed; the others went on
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["run_id", "scenario", "replicate",
                                     "compliance.penalty_per_t", *SUMMARY_COLUMNS]
    assert len(summary) == 4 * 3 + 2 * 1  # runs × years
    assert summary.groupby("scenario")["run_id"].nunique().to_dict() == {
        "hb-sweep": 4, "textbook-two-firms": 2}
    assert summary["compliance.penalty_per_t"].isna().sum() == 2  # textbook has no sweep
    failures = pd.read_csv(out / "failures.csv")
    assert list(failures.columns) == ["run_id", "scenario", "replicate",
                                      "compliance.penalty_per_t", "message"]
    assert failures["scenario"].tolist() == ["absurd", "absurd"]
    assert failures["message"].str.contains("allocation of emitter 'A'").all()
    runs = pd.read_csv(out / "runs.csv")
    assert runs["status"].value_counts().to_dict() == {"finished": 6, "failed": 2}
    assert (runs.loc[runs.status == "finished", "wall_time_s"] > 0).all()
    folders = sorted(p.name for p in (out / "runs").iterdir())
    assert folders == sorted(runs.loc[runs.status == "finished", "run_id"])
    for name in folders:
        files = {p.relative_to(out / "runs" / name).as_posix()
                 for p in (out / "runs" / name).rglob("*") if p.is_file()}
        assert RUN_FILES <= files and any(f.startswith("plots/") for f in files)
    prices = pd.read_parquet(out / "dataset" / "prices.parquet")
    compliance = pd.read_parquet(out / "dataset" / "compliance.parquet")
    assert set(prices["run_id"]) == set(compliance["run_id"]) == set(folders)
    one = folders[0]
    assert len(prices[prices.run_id == one]) == len(pd.read_csv(out / "runs" / one / "prices.csv"))
    page = (out / "report.html").read_text()
    assert "hb-sweep: penalty_per_t=40" in page and 'id="bands"' in page and "allocation of" in page
    info = json.loads((out / "batch.json").read_text())
    assert (info["runs"], info["finished"], info["failed"], info["replicates"]) == (8, 6, 2, 2)


def test_a_run_folder_reproduces_with_carbonsim_run(batch):
    out = batch["out"]
    rows = pd.read_csv(out / "runs.csv")
    row = rows[(rows.scenario == "hb-sweep") & (rows.replicate == 1)].iloc[0]
    folder = out / "runs" / row["run_id"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == row["seed"] and manifest["command"][:2] == ["carbonsim", "batch"]
    again = carbonsim.run(load_scenario(folder / "scenario.yaml"))  # its seed is in the file
    pd.testing.assert_frame_equal(again.summary, pd.read_csv(folder / "summary.csv"),
                                  check_dtype=False)


def test_replicates_differ_and_points_share_seeds(batch):
    summary = pd.read_csv(batch["out"] / "summary.csv")
    sweep = summary[summary.scenario == "hb-sweep"]
    point = sweep[sweep["compliance.penalty_per_t"] == 40].drop(columns="run_id")
    first, second = (point[point.replicate == r].drop(columns="replicate").reset_index(drop=True)
                     for r in (0, 1))
    assert not first.equals(second)  # random participation: the replicates are not copies
    assert first["year"].tolist() == second["year"].tolist() == [2021, 2022, 2023]


def test_resume_skips_finished_runs_and_cleans_partial_folders(batch, tmp_path, capsys):
    out = tmp_path / "b"
    shutil.copytree(batch["out"], out)
    runs = sorted((out / "runs").iterdir())
    removed = runs[0].name
    shutil.rmtree(runs[0])
    stale = out / "runs" / f".{removed}.0123abcd.partial"
    stale.mkdir()
    (stale / "prices.csv").write_text("half")
    (out / ".summary.csv.89abcdef.tmp").write_text("half")
    before = {p.name: (p / "manifest.json").stat().st_mtime_ns for p in runs[1:]}
    argv = [*batch["argv"][:-1], str(out)]
    assert main(argv) == 1
    printed = capsys.readouterr().out
    assert "5 of 8 runs already finished" in printed
    assert "8 runs: 1 computed, 5 from an earlier batch, 2 failed" in printed
    assert not stale.exists() and not (out / ".summary.csv.89abcdef.tmp").exists()
    assert {p.name: (p / "manifest.json").stat().st_mtime_ns for p in runs[1:]} == before
    assert (out / "runs" / removed).is_dir()
    assert (out / "summary.csv").read_bytes() == (batch["out"] / "summary.csv").read_bytes()
    status = pd.read_csv(out / "runs.csv").set_index("run_id")["status"]
    assert status[removed] == "finished" and (status == "resumed").sum() == 5


# --- interruptions ----------------------------------------------------------------------------
def _start_batch(cases, out: Path, replicates: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "carbonsim", "batch", str(cases["sweep"]),
                             "--replicates", str(replicates), "--workers", "2", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def _wait_for_first_run(proc: subprocess.Popen, out: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        runs = out / "runs"
        if runs.is_dir() and any(not p.name.startswith(".") for p in runs.iterdir()):
            return
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"no run finished within {timeout} s: {proc.communicate()}")


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in RUN_FILES)


def test_ctrl_c_stops_cleanly_keeping_finished_runs(cases, tmp_path):
    out = tmp_path / "b"
    proc = _start_batch(cases, out, replicates=4)
    _wait_for_first_run(proc, out)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr  # 128 + SIGINT
    assert "Traceback" not in stderr and "interrupted:" in stderr
    assert "runs are finished and kept in" in stderr and "again to resume" in stderr
    finished = [p for p in (out / "runs").iterdir() if not p.name.startswith(".")]
    assert 1 <= len(finished) < 8 and all(_complete(p) for p in finished)
    assert not any(p.name.startswith(".") for p in (out / "runs").iterdir())
    assert (out / "batch.json").is_file() and not (out / "summary.csv").exists()


def test_kill_9_leaves_no_half_written_run_and_no_workers_and_resumes(cases, tmp_path, batch):
    out = tmp_path / "b"
    proc = _start_batch(cases, out, replicates=4)
    _wait_for_first_run(proc, out)
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()  # SIGKILL to the batch process alone
    proc.communicate(timeout=30)
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, f"workers left behind: {alive}"
    finished = [p for p in (out / "runs").iterdir() if not p.name.startswith(".")]
    assert finished and all(_complete(p) for p in finished)
    done = run_batch([cases["sweep"]], out, replicates=2)  # a subset: the first replicates
    assert done.failed == 0 and len(done.runs) == 4 and done.computed < 4
    assert not any(p.name.startswith(".") for p in (out / "runs").iterdir())
    reference = pd.read_csv(batch["out"] / "summary.csv")
    reference = reference[reference.scenario == "hb-sweep"].reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.read_csv(out / "summary.csv"), reference, check_dtype=False)


def test_progress_shows_remaining_elapsed_and_time_left():
    import io

    from rich.console import Console

    from carbonsim.outputs import terminal

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=120)
    with terminal.progress("runs", total=3, console=console, eta=True) as tracker:
        tracker.advance()
        tracker.advance(failed=True)
        tracker.advance()
    line = buf.getvalue().splitlines()[-1]
    assert re.fullmatch(r"runs: 2 done, 1 failed, 0 remaining, elapsed 0:00:0\d, "
                        r"about 0:00:00 left", line), line
    tty = Console(file=io.StringIO(), force_terminal=True, width=150, color_system=None)
    with terminal.progress("runs", total=2, console=tty, eta=True) as tracker:
        tracker.advance()
    assert tracker.remaining == 1
    assert re.search(r"1/2 failed 0 remaining 1 elapsed 0:00:0\d, about 0:00:0\d left",
                     tty.file.getvalue())



# --- hardening: usage errors exit 2; SIGTERM at any moment; no temporary folder left -------------
def test_an_out_that_cannot_be_a_batch_folder_exits_2_before_anything_runs(cases, tmp_path, capsys):
    file = tmp_path / "file"
    file.write_text("mine")
    for out in (file, file / "sub"):
        assert main(["batch", str(cases["textbook"]), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "is a file, not a" in err and "Traceback" not in err
    assert file.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    import fcntl

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "batch.json").write_text("{}")
    with open(busy / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert main(["batch", str(cases["textbook"]), "--out", str(busy)]) == 2
    assert "another carbonsim batch is writing" in capsys.readouterr().err


_SIGTERM_AS_A_WORKER_STARTS = """\
import os, signal, sys

def main():
    import multiprocessing.forkserver as forkserver
    from carbonsim import cli

    signal.signal(signal.SIGTERM, cli._terminate)  # as the console script does
    real, calls = forkserver.read_signed, []

    def read_signed(fd):  # the batch reads its first worker's pid: SIGTERM arrives just then
        calls.append(fd)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(fd)

    forkserver.read_signed = read_signed
    sys.exit(cli.main(["batch", sys.argv[1], "--replicates", "2", "--workers", "2",
                       "--out", sys.argv[2]]))

if __name__ == "__main__":
    main()
"""


def test_sigterm_while_the_worker_pool_starts_prints_no_traceback(cases, tmp_path):
    script = tmp_path / "sigterm_at_start.py"
    script.write_text(_SIGTERM_AS_A_WORKER_STARTS)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "b"
    done = subprocess.run([sys.executable, str(script), str(cases["sweep"]), str(out)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 143, done.stderr  # ended by SIGTERM (128 + 15)
    assert "Traceback" not in done.stderr, done.stderr
    assert "interrupted: 0 of 4 runs are finished" in done.stderr


def _run_dirs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("carbonsim-run-"))


def test_a_killed_batch_leaves_no_worker_folder_in_tmpdir_once_one_runs_again(cases, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}
    out = tmp_path / "b"
    proc = subprocess.Popen([sys.executable, "-m", "carbonsim", "batch", str(cases["sweep"]),
                             "--replicates", "4", "--workers", "2", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while not _run_dirs(tmp) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)  # a worker renders a run's folder in TMPDIR
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()  # SIGKILL: the workers end with it, wherever they are
    proc.communicate(timeout=30)
    psutil.wait_procs(children, timeout=15)
    again = subprocess.run([sys.executable, "-m", "carbonsim", "batch", str(cases["textbook"]),
                            "--workers", "1", "--out", str(tmp_path / "b2")], env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert _run_dirs(tmp) == []


def test_stale_worker_folders_are_removed_and_live_ones_kept(tmp_path, monkeypatch):
    from carbonsim.batch import executors
    from carbonsim.outputs import run_folder as output

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    host = output.owner_tag().split("-")[1]
    stale = tmp_path / f"carbonsim-run-p{dead}-{host}-abc123"
    mine = tmp_path / f"carbonsim-run-{output.owner_tag()}-def456"
    old_style = tmp_path / "carbonsim-run-x1y2z3"  # recent, owner unknown: may be in use
    for folder in (stale, mine, old_style):
        folder.mkdir()
    assert executors.remove_stale_temp(force=True) == [stale]
    assert mine.exists() and old_style.exists()
    past = time.time() - output.STALE_AFTER_S - 60
    os.utime(old_style, (past, past))
    assert executors.remove_stale_temp(force=True) == [old_style]

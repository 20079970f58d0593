"""Tests of the executors (carbonsim.batch.executors): the pure task, local worker processes, and a
real Dask cluster (scheduler and workers started here on 127.0.0.1, killed at the end)."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from _batch_cases import ROOT, crashing, write_cases

from carbonsim.batch.plan import BatchError, plan_batch, run_batch
from carbonsim.batch.cluster import _dask_outcome
from carbonsim.batch.executors import LocalExecutor, RunOutput, _a_worker_died, _stop, execute
from carbonsim.outputs.run_folder import TABLES

START_TIMEOUT = 60  # s for a scheduler or worker to come up


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return write_cases(tmp_path_factory.mktemp("cases"))


@pytest.fixture(scope="module")
def local_batch(cases, tmp_path_factory):
    """The reference: the sweep file's 2 points on 2 local workers."""
    out = tmp_path_factory.mktemp("local") / "b"
    done = run_batch([cases["sweep"]], out, workers=2)
    assert done.failed == 0
    return out


def _workers_of_this_process() -> list[psutil.Process]:
    """Pool workers: grandchildren of this process (children of the fork server)."""
    me = os.getpid()
    return [p for p in psutil.Process().children(recursive=True) if p.ppid() != me]


# --- the task ---------------------------------------------------------------------------------
def test_execute_needs_no_files_and_is_deterministic(cases, tmp_path, monkeypatch):
    spec = plan_batch([cases["textbook"]])[0]
    monkeypatch.chdir(tmp_path)  # no scenario file here: the spec carries the resolved scenario
    run_id, out = execute(spec)
    assert run_id == spec.run_id and isinstance(out, RunOutput)
    assert {*TABLES.values(), "scenario.yaml", "manifest.json", "report.html"} <= set(out.files)
    assert out.task_time_s >= out.wall_time_s > 0
    assert json.loads(out.files["manifest.json"])["seed"] == spec.seed
    again = execute(spec)[1]
    for name in ("summary.csv", "prices.csv", "compliance.csv", "scenario.yaml"):
        assert again.files[name] == out.files[name]
    assert list(tmp_path.iterdir()) == []


def test_execute_returns_the_message_of_a_failing_run(cases):
    spec = plan_batch([cases["fail"]])[0]
    run_id, message = execute(spec)
    assert run_id == spec.run_id and "allocation of emitter 'A'" in message
    broken = plan_batch([cases["textbook"]])[0]
    broken.scenario["cap"] = -1  # a scenario that no longer validates
    assert "cap" in execute(broken)[1]


# --- local workers ----------------------------------------------------------------------------
def test_local_worker_death_is_retried_on_a_new_pool(cases):
    specs = plan_batch([cases["textbook"]], replicates=3)
    outcomes = {}
    for spec, outcome in LocalExecutor(2).run(specs):
        outcomes[spec.run_id] = outcome
        if len(outcomes) == 1:
            victims = _workers_of_this_process()
            assert victims
            victims[0].kill()  # SIGKILL: the pool breaks with runs in flight
    assert sorted(outcomes) == sorted(s.run_id for s in specs)
    assert all(isinstance(o, RunOutput) for o in outcomes.values())


def test_a_run_that_kills_its_worker_is_failed_and_the_others_finish(cases):
    good = plan_batch([cases["textbook"]], replicates=2)
    bad = crashing(good[0])
    bad = type(bad)(**{**bad.__dict__, "run_id": "crash"})
    outcomes = dict((s.run_id, o) for s, o in LocalExecutor(2).run([good[0], bad, good[1]]))
    assert sorted(outcomes) == sorted([good[0].run_id, "crash", good[1].run_id])
    assert outcomes["crash"] == "its worker process died while running it, 2 times"
    assert isinstance(outcomes[good[0].run_id], RunOutput)
    assert isinstance(outcomes[good[1].run_id], RunOutput)


def test_closing_the_local_executor_stops_its_workers(cases):
    specs = plan_batch([cases["sweep"]], replicates=3)
    runs = LocalExecutor(2).run(specs)
    next(runs)
    workers = _workers_of_this_process()
    runs.close()  # what Ctrl-C does while the batch waits
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert workers and not alive


def test_stopping_a_pool_with_a_torn_result_message_does_not_hang_the_exit():
    """A worker ended while writing its result leaves half a message in the result pipe; the
    pool's manager thread then waits in recv for the rest, and the interpreter's exit joins
    that thread (the Ctrl-C hang). Half a message is written here by hand: _stop must end it."""
    import struct

    pool = LocalExecutor(workers=1)._pool()
    assert pool.submit(int, "7").result(timeout=START_TIMEOUT) == 7  # the worker is up
    manager = pool._executor_manager_thread
    writer = pool._result_queue._writer
    os.write(writer.fileno(), struct.pack("!i", 1000) + b"half")  # a header for 1000 bytes, 4 sent
    time.sleep(0.5)
    assert manager.is_alive()  # blocked in recv, waiting for 996 bytes that never come
    _stop(pool)
    manager.join(timeout=10)
    assert not manager.is_alive()


def test_a_worker_dead_while_its_result_is_half_written_is_seen_though_the_pool_stalls():
    """The pool's own detection of a dead worker waits behind ``recv`` on a half-written
    result; the executor's watch (`_a_worker_died`, every WATCH_S while nothing finishes) sees
    the worker gone, and `_stop` then ends the pool's manager thread."""
    import signal
    import struct

    pool = LocalExecutor(workers=1)._pool()
    assert pool.submit(int, "7").result(timeout=START_TIMEOUT) == 7
    manager = pool._executor_manager_thread
    future = pool.submit(time.sleep, 60)
    os.write(pool._result_queue._writer.fileno(), struct.pack("!i", 1000) + b"half")
    (worker,) = pool._processes.values()
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(timeout=10)
    time.sleep(1.0)
    assert not future.done()  # the pool has not noticed: its manager waits for 996 bytes
    assert _a_worker_died(pool)
    _stop(pool)
    manager.join(timeout=10)
    assert not manager.is_alive()


def test_dask_outcomes_name_what_happened():
    from distributed.scheduler import KilledWorker

    class Fut:
        def __init__(self, status, exc=None):
            self.status, self._exc = status, exc

        def exception(self):
            return self._exc

        def result(self):
            return ("abc", "ok")

    assert _dask_outcome(Fut("finished")) == "ok"
    from types import SimpleNamespace

    last = SimpleNamespace(address="tcp://127.0.0.1:1234")
    killed = _dask_outcome(Fut("error", KilledWorker("carbonsim-run-x", last, 3)))
    assert killed.startswith("the workers running it died, and the scheduler gave up")
    assert _dask_outcome(Fut("error", ZeroDivisionError("boom"))) == "ZeroDivisionError: boom"
    assert "cancelled" in _dask_outcome(Fut("cancelled"))


def test_unreachable_scheduler_is_a_clear_error(cases, tmp_path):
    with pytest.raises(BatchError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        from carbonsim.batch.cluster import DaskExecutor

        list(DaskExecutor("tcp://127.0.0.1:9", timeout=2).run(plan_batch([cases["textbook"]])))


# --- a real Dask cluster ----------------------------------------------------------------------
class Cluster:
    """A Dask scheduler and workers as separate processes on 127.0.0.1 (one thread each)."""

    def __init__(self, folder: Path, workers: int) -> None:
        self.folder, self.procs, self.workers = folder, [], {}
        self.env = {**os.environ, "PYTHONPATH": str(ROOT)}
        file = folder / "scheduler.json"
        self._start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                     "--no-dashboard", "--scheduler-file", str(file)], "scheduler")
        deadline = time.monotonic() + START_TIMEOUT
        while not file.is_file() or not file.read_text().strip():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                self.close()
                pytest.fail(f"the Dask scheduler did not start: {self._log('scheduler')}")
            time.sleep(0.1)
        self.address = json.loads(file.read_text())["address"]
        for k in range(workers):
            self.add_worker(f"w{k + 1}")
        self.wait_for(workers)

    def _start(self, args: list[str], name: str) -> subprocess.Popen:
        cwd = self.folder / f"cwd-{name}"  # workers run elsewhere: no scenario files there
        cwd.mkdir()
        log = open(self.folder / f"{name}.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", *args], cwd=cwd, env=self.env,
                                stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        return proc

    def _log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()[-2000:]

    def add_worker(self, name: str) -> None:
        self.workers[name] = self._start(
            ["distributed.cli.dask_worker", "--scheduler-file", str(self.folder / "scheduler.json"),
             "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny", "--no-dashboard",
             "--name", name, "--local-directory", str(self.folder / f"dask-{name}")], name)

    def wait_for(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=START_TIMEOUT, set_as_default=False) as client:
            client.wait_for_workers(n, timeout=START_TIMEOUT)

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.kill()
        for proc in self.procs:
            proc.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path, workers=2)
    yield c
    c.close()


def _assert_same_results(a: Path, b: Path) -> None:
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()
    runs = sorted(p.name for p in (a / "runs").iterdir())
    assert runs == sorted(p.name for p in (b / "runs").iterdir())
    for run in runs:
        for name in ("summary.csv", "prices.csv", "compliance.csv", "auctions.csv", "scenario.yaml"):
            assert (a / "runs" / run / name).read_bytes() == (b / "runs" / run / name).read_bytes()
    for name in ("prices", "compliance"):
        pd.testing.assert_frame_equal(pd.read_parquet(a / "dataset" / f"{name}.parquet"),
                                      pd.read_parquet(b / "dataset" / f"{name}.parquet"))


def test_dask_gives_the_same_results_as_local_workers(cases, cluster, local_batch, tmp_path):
    out = tmp_path / "dask"
    done = run_batch([cases["sweep"]], out, scheduler=cluster.address)
    assert (done.computed, done.failed) == (2, 0)
    assert json.loads((out / "batch.json").read_text())["executor"] == f"dask {cluster.address}"
    _assert_same_results(local_batch, out)


def test_a_dask_worker_killed_mid_run_is_retried(cases, cluster, local_batch, tmp_path):
    from distributed import Client

    out, box = tmp_path / "dask", {}

    def batch() -> None:
        try:
            box["done"] = run_batch([cases["sweep"]], out, scheduler=cluster.address)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            box["error"] = exc

    thread = threading.Thread(target=batch)
    thread.start()
    with Client(cluster.address, timeout=START_TIMEOUT, set_as_default=False) as monitor:
        names = {info["name"]: addr for addr, info in monitor.scheduler_info()["workers"].items()}
        deadline, busy = time.monotonic() + 60, []
        while not busy and time.monotonic() < deadline and thread.is_alive():
            busy = monitor.processing(workers=[names["w1"]]).get(names["w1"], [])
            time.sleep(0.01)
        assert busy, "w1 was never given a run"
        cluster.workers["w1"].kill()  # SIGKILL while w1 holds a run
        thread.join(timeout=120)
    assert not thread.is_alive() and "error" not in box, box.get("error")
    assert (box["done"].computed, box["done"].failed) == (2, 0)
    _assert_same_results(local_batch, out)


# --- hardening: a wrong address, an unreachable or lost scheduler -------------------------------
@pytest.mark.parametrize("address", ["tcp://localhost:notaport", "garbage", "tcp://10.0.0.5:99999",
                                     "http://host:8786"])
def test_a_malformed_scheduler_address_is_bad_usage_at_once(cases, tmp_path, capsys, address):
    from carbonsim.cli import main

    t0 = time.monotonic()
    out = tmp_path / "b"
    assert main(["batch", str(cases["textbook"]), "--scheduler", address, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "expected an address tcp://HOST:PORT" in err and "Traceback" not in err
    with pytest.raises(BatchError, match="expected an address tcp://HOST:PORT"):
        run_batch([cases["textbook"]], out, scheduler=address)
    assert time.monotonic() - t0 < 10 and not out.exists()


def test_an_unreachable_scheduler_fails_before_the_batch_folder_is_made(cases, tmp_path):
    out = tmp_path / "b"
    t0 = time.monotonic()
    with pytest.raises(BatchError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        run_batch([cases["textbook"]], out, scheduler="tcp://127.0.0.1:9")
    assert time.monotonic() - t0 < 10 and not out.exists()


def test_losing_the_scheduler_mid_batch_keeps_finished_runs_and_says_rerun_resumes(cases, cluster, tmp_path):
    out = tmp_path / "b"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "carbonsim", "batch", str(cases["sweep"]),
                             "--replicates", "6", "--scheduler", cluster.address, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + START_TIMEOUT
    runs = out / "runs"
    while time.monotonic() < deadline and proc.poll() is None and not (
            runs.is_dir() and any(not p.name.startswith(".") for p in runs.iterdir())):
        time.sleep(0.05)
    cluster.procs[0].kill()  # the scheduler goes away after the first run
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr, stderr
    assert "could not read or write files" not in stderr
    message = stderr.strip().splitlines()[-1]
    assert message.startswith(f"carbonsim: error: lost the Dask scheduler at {cluster.address}")
    assert "runs are finished and kept in" in message and "run the same command again" in message
    finished = [p for p in runs.iterdir() if not p.name.startswith(".")]
    assert finished and all((p / "report.html").is_file() for p in finished)


def test_a_worker_freezes_what_it_starts_with_and_its_preloads_import():
    # Every module the fork server preloads exists (a wrong name would be skipped silently).
    import importlib

    from carbonsim.batch import executors

    for name in executors._PRELOAD:
        importlib.import_module(name)
    code = ("import gc, os; from carbonsim.batch.executors import _init_worker; "
            "n = len(gc.get_objects()); _init_worker(os.getpid()); "
            "print(n > 1000, gc.get_freeze_count() >= n, len(gc.get_objects()) < 100)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "True"]


def test_workers_run_this_package_even_from_another_checkouts_folder(cases, tmp_path, monkeypatch):
    # The fork server imports from the working folder first: a carbonsim package there that is
    # not this one makes the pool spawn its workers (they take this process's search path).
    from carbonsim.batch import executors

    for folder in (ROOT, tmp_path):  # this checkout's own folder, or one without a package
        monkeypatch.chdir(folder)
        assert executors._context().get_start_method() == "forkserver"
    other = tmp_path / "carbonsim" / "batch"  # another checkout: its task says so
    other.mkdir(parents=True)
    (tmp_path / "carbonsim" / "__init__.py").write_text("")
    (other / "__init__.py").write_text("")
    (other / "executors.py").write_text("def _init_worker(pid):\n    pass\n\n\n"
                                        "def execute(spec):\n    return spec.run_id, 'other'\n")
    assert executors._context().get_start_method() == "spawn"
    spec = plan_batch([cases["textbook"]])[0]
    done = list(LocalExecutor(1).run([spec]))
    assert isinstance(done[0][1], RunOutput)

"""Tests of a run's folder (carbonsim.outputs.run_folder): its files and columns, the manifest, and the
atomic write: a failed or interrupted write leaves nothing, an existing folder is never touched."""

import dataclasses
import datetime as dt
import hashlib
import json

import pandas as pd
import pytest
import yaml
from _fake_results import TEXTBOOK, fake_result

from carbonsim.outputs import run_folder as output

from carbonsim.outputs import report
from carbonsim.sim.engine import run
from carbonsim.sim.results import (
    AUCTION_COLUMNS,
    COMPLIANCE_COLUMNS,
    PRICE_COLUMNS,
    SUMMARY_COLUMNS,
    TRADE_COLUMNS,
)
from carbonsim.scenario import ScenarioError, load_scenario

EXPECTED = {"prices.csv", "auctions.csv", "compliance.csv", "summary.csv", "msr.csv",
            "trades.parquet", "scenario.yaml", "manifest.json", "report.html", "plots"}


def _visible(folder):
    return sorted(p.name for p in folder.iterdir())


def _everything(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_write_run_files_and_columns(tmp_path):
    r = fake_result()
    folder = output.write_run(r, tmp_path / "run")
    assert folder == tmp_path / "run"
    assert set(_visible(folder)) == EXPECTED
    assert _visible(tmp_path) == ["run"]  # no temporary folder left beside it
    for name, cols in (("prices", PRICE_COLUMNS), ("auctions", AUCTION_COLUMNS),
                       ("compliance", COMPLIANCE_COLUMNS), ("summary", SUMMARY_COLUMNS)):
        frame = pd.read_csv(folder / f"{name}.csv")
        assert list(frame.columns) == cols, name
        assert len(frame) == len(getattr(r, name)), name
    summary = pd.read_csv(folder / "summary.csv")
    pd.testing.assert_frame_equal(summary, r.summary, check_dtype=False)
    trades = pd.read_parquet(folder / "trades.parquet")
    assert list(trades.columns) == TRADE_COLUMNS and len(trades) == len(r.trades)
    assert sorted(p.name for p in (folder / "plots").iterdir()) == [
        "emissions_cap.png", "fulfillment.png", "price_path.png", "sector_costs.png",
        "versus_least_cost.png"]
    assert pd.read_csv(folder / "prices.csv")["date"][0] == "2021-01-01"


def test_manifest(tmp_path):
    r = fake_result()
    start = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    folder = output.write_run(r, tmp_path / "run", command=["carbonsim", "run", "x.yaml"],
                              started=start)
    m = json.loads((folder / "manifest.json").read_text())
    for key in ("carbonsim", "python", "numpy", "pandas", "simpy", "pydantic"):
        assert m[key], key
    assert m["seed"] == 7 and m["scenario"] == "fake"
    assert m["wall_time_s"] == 1.25
    assert m["started_utc"] == "2024-05-01T12:00:00Z"
    assert m["command"] == ["carbonsim", "run", "x.yaml"]
    assert m["scenario_sha256"] == hashlib.sha256((folder / "scenario.yaml").read_bytes()).hexdigest()
    assert "report.html" in m["files"] and "plots/price_path.png" in m["files"]


def test_scenario_yaml_is_the_resolved_scenario_and_loads_back(tmp_path):
    src = tmp_path / "s.yaml"
    src.write_text(TEXTBOOK)
    scenario = load_scenario(src)
    folder = output.write_run(run(scenario), tmp_path / "run")
    data = yaml.safe_load((folder / "scenario.yaml").read_text())
    assert data["name"] == "textbook-two-firms" and data["cap"] == 140
    assert data["behaviour"]["discount_rate"] == 0.05  # a default, filled in
    assert load_scenario(folder / "scenario.yaml") == scenario


def test_same_scenario_same_hash(tmp_path):
    a = output.write_run(fake_result(), tmp_path / "a")
    b = output.write_run(fake_result(), tmp_path / "b")
    ha, hb = (json.loads((f / "manifest.json").read_text())["scenario_sha256"] for f in (a, b))
    assert ha == hb


def test_existing_folder_is_never_overwritten(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(output.OutputExistsError, match="already exists"):
        output.write_run(fake_result(), out)
    assert _everything(tmp_path) == ["run", "run/keep.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(output.OutputExistsError):
        output.write_run(fake_result(), empty)
    assert list(empty.iterdir()) == []


def test_folder_appearing_during_the_write_is_not_overwritten(tmp_path, monkeypatch):
    out = tmp_path / "run"
    real = report.run_page

    def racing(*args, **kw):  # another process creates the folder while we write
        out.mkdir()
        (out / "theirs.txt").write_text("theirs")
        return real(*args, **kw)

    monkeypatch.setattr(report, "run_page", racing)
    with pytest.raises(output.OutputExistsError):
        output.write_run(fake_result(), out)
    assert _everything(tmp_path) == ["run", "run/theirs.txt"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_or_interrupted_write_leaves_nothing(tmp_path, monkeypatch, error):
    def broken(*args, **kw):
        raise error

    monkeypatch.setattr(report, "run_page", broken)  # the last file written
    out = tmp_path / "results" / "fake" / "stamp"
    with pytest.raises(type(error)):
        output.write_run(fake_result(), out)
    assert _everything(tmp_path) == []  # no folder, no hidden temp, no parents it created


def test_failure_in_a_table_writer_leaves_nothing(tmp_path, monkeypatch):
    def broken(self, *args, **kw):
        raise OSError("no space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    (tmp_path / "results").mkdir()
    with pytest.raises(OSError, match="no space"):
        output.write_run(fake_result(), root=tmp_path / "results")
    assert _everything(tmp_path) == ["results"]  # the folder that was there stays


def test_default_out_dir_and_suffix(tmp_path):
    now = dt.datetime(2024, 5, 1, 12, 30, 5, tzinfo=dt.UTC)
    first = output.default_out_dir("demo", tmp_path, now)
    assert first == tmp_path / "demo" / "2024-05-01T123005Z"
    first.mkdir(parents=True)
    second = output.default_out_dir("demo", tmp_path, now)
    assert second.name == "2024-05-01T123005Z-2"
    second.mkdir()
    assert output.default_out_dir("demo", tmp_path, now).name == "2024-05-01T123005Z-3"


def test_write_run_default_folder(tmp_path):
    folder = output.write_run(fake_result(name="demo"), root=tmp_path / "results")
    assert folder.parent == tmp_path / "results" / "demo"
    assert folder.name.endswith("Z") and (folder / "report.html").is_file()


def test_run_and_write_refuses_existing_out_before_running(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr("carbonsim.sim.engine.run", lambda s, seed=None: ran.append(s) or run(s, seed))
    src = tmp_path / "s.yaml"
    src.write_text(TEXTBOOK)
    (tmp_path / "out").mkdir()
    with pytest.raises(output.OutputExistsError):
        output.run_and_write(src, out_dir=tmp_path / "out")
    assert ran == []
    result, folder = output.run_and_write(src, seed=3, out_dir=tmp_path / "new")
    assert result.seed == 3 and json.loads((folder / "manifest.json").read_text())["seed"] == 3


def test_run_and_write_bad_scenario_writes_nothing(tmp_path):
    src = tmp_path / "bad.yaml"
    src.write_text(TEXTBOOK.replace("cap: 140", "cap: -5"))
    with pytest.raises(ScenarioError):
        output.run_and_write(src, root=tmp_path / "results")
    assert not (tmp_path / "results").exists()


def test_resolved_scenario_makes_plain_data():
    data = output.resolved_scenario({"a": (1, 2), "b": {"c": (3,)}})
    assert data == {"a": [1, 2], "b": {"c": [3]}}
    assert yaml.safe_dump(data)


def test_nan_and_empty_tables_are_written(tmp_path):
    r = fake_result(trades=False, years=1)
    r = dataclasses.replace(r, trades=r.trades.iloc[:0], msr=r.msr.iloc[:0])
    folder = output.write_run(r, tmp_path / "run")
    assert pd.read_csv(folder / "prices.csv")["price"].isna().all()
    assert pd.read_parquet(folder / "trades.parquet").empty
    assert list(pd.read_csv(folder / "msr.csv").columns) == list(r.msr.columns)


# --- hardening: the folder is checked before the run; names never collide; nothing stale -------
def test_run_and_write_checks_that_the_folder_can_be_made_before_running(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr("carbonsim.sim.engine.run", lambda s, seed=None: ran.append(s) or run(s, seed))
    src = tmp_path / "s.yaml"
    src.write_text(TEXTBOOK)
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(output.OutputPathError, match="file is a file, not a folder"):
        output.run_and_write(src, out_dir=tmp_path / "file" / "sub")
    with pytest.raises(output.OutputPathError, match="more than the 255 the file system allows"):
        output.run_and_write(src, out_dir=tmp_path / ("x" * 300))
    (tmp_path / "root-file").write_text("")
    with pytest.raises(output.OutputPathError):  # the default folder goes under root
        output.run_and_write(src, root=tmp_path / "root-file")
    assert ran == [] and sorted(p.name for p in tmp_path.iterdir()) == ["file", "root-file", "s.yaml"]


def test_a_folder_that_cannot_be_made_leaves_no_empty_parents(tmp_path):
    with pytest.raises(OSError, match="cannot create"):
        output.write_run(fake_result(), tmp_path / "results" / ("n" * 300) / "stamp")
    assert _everything(tmp_path) == []


def test_two_runs_started_in_the_same_second_get_two_folders(tmp_path, monkeypatch):
    now = dt.datetime(2024, 5, 1, 12, 30, 5, tzinfo=dt.UTC)
    monkeypatch.setattr(output, "_utc_now", lambda: now)
    real = report.run_page
    taken = []

    def racing(result, settings, *args, **kw):  # another run renames its folder into place
        if not taken:
            taken.append(output.default_out_dir("demo", tmp_path / "results", now))
            taken[0].mkdir(parents=True)
            (taken[0] / "report.html").write_text("theirs")
        return real(result, settings, *args, **kw)

    monkeypatch.setattr(report, "run_page", racing)
    folder = output.write_run(fake_result(name="demo"), root=tmp_path / "results")
    assert folder.name == "2024-05-01T123005Z-2" and (folder / "summary.csv").is_file()
    assert (taken[0] / "report.html").read_text() == "theirs"
    assert _visible(folder.parent) == ["2024-05-01T123005Z", "2024-05-01T123005Z-2"]


def test_partial_folders_of_killed_runs_are_removed_and_live_ones_kept(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    host = output.owner_tag().split("-")[1]
    parent = tmp_path / "results" / "demo"
    parent.mkdir(parents=True)
    stale = parent / f".2024-05-01T123005Z.p{dead}-{host}.0123abcd.partial"
    live = parent / f".2024-05-01T123006Z.{output.owner_tag()}.89abcdef.partial"
    other_host = parent / f".2024-05-01T123007Z.p{dead}-ffffff.01234567.partial"
    for folder in (stale, live, other_host):
        folder.mkdir()
        (folder / "prices.csv").write_text("half")
    output.write_run(fake_result(name="demo"), root=tmp_path / "results")
    assert not stale.exists() and live.exists() and other_host.exists()


def test_a_run_killed_while_writing_leaves_a_partial_folder_the_next_run_removes(tmp_path):
    import subprocess
    import sys

    src = tmp_path / "s.yaml"
    src.write_text(TEXTBOOK)
    code = ("import os, signal, sys\n"
            "from carbonsim.outputs import run_folder as output\n"
            "def killed(*a, **k):\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n"
            "output._write_tables = killed\n"
            "from carbonsim.cli import main\n"
            "main(['run', sys.argv[1]])\n")
    done = subprocess.run([sys.executable, "-c", code, str(src)], cwd=tmp_path, timeout=300,
                          capture_output=True, text=True)
    assert done.returncode == -9, done.stderr
    folder = tmp_path / "results" / "textbook-two-firms"
    assert [p.name.endswith(".partial") for p in folder.iterdir()] == [True]
    from carbonsim.cli import main

    import os

    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["run", str(src)]) == 0
    finally:
        os.chdir(old)
    assert [p.name.startswith(".") for p in folder.iterdir()] == [False]

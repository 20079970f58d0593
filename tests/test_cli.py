"""Tests of the carbonsim command (carbonsim.cli): exit statuses, messages without tracebacks,
and what run, validate, schema and compare print and write."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from _fake_results import SCENARIOS, TEXTBOOK

from carbonsim.cli import SUBCOMMANDS, main
from carbonsim.errors import RunError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A working folder holding good.yaml (the bundled textbook case) and bad.yaml (two
    problems); results/ goes there."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.yaml").write_text(TEXTBOOK)
    (tmp_path / "bad.yaml").write_text(
        TEXTBOOK.replace("cap: 140", "cap: -140").replace("years: 1", "yeers: 1"))
    return tmp_path


def _engine_raises(monkeypatch, error: BaseException) -> None:
    def run(scenario, seed=None, progress=None):
        raise error

    monkeypatch.setattr("carbonsim.sim.engine.run", run)


def test_help_subprocess():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "carbonsim", "--help"], capture_output=True,
                          text=True, timeout=60, check=False, env=env)
    assert proc.returncode == 0
    for sub in ("run", "validate", "compare", "schema"):
        assert sub in proc.stdout
    assert "exit status" in proc.stdout


def test_subcommand_help_explains_options_with_units(capsys):
    assert main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--seed N" in out and "whole number" in out and "--out DIR" in out
    assert "results/<scenario name>/<UTC time>/" in out
    assert main(["compare", "--help"]) == 0
    assert [s.name for s in SUBCOMMANDS] == ["run", "validate", "batch", "compare", "schema"]


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["run"], ["run", "x.yaml", "--seed", "-1"],
                                  ["run", "x.yaml", "--seed", "abc"], ["run", "x.yaml", "--bogus"]])
def test_bad_usage_exits_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "Traceback" not in err


def test_run_writes_folder_and_prints_report_path(work, capsys):
    assert main(["run", "good.yaml", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    report_line = out.strip().splitlines()[-1]
    assert report_line.startswith("report: ")
    report = work / report_line.removeprefix("report: ")
    assert report.is_file() and report.name == "report.html"
    folder = report.parent
    assert folder.parent == work / "results" / "textbook-two-firms"
    assert "least" in out and "2021" in out and "45.00" in out  # the textbook price
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 5
    assert manifest["command"] == ["carbonsim", "run", "good.yaml", "--seed", "5"]
    summary = pd.read_csv(folder / "summary.csv")
    assert summary["least_cost_price"][0] == pytest.approx(45.0, rel=0.01)
    assert summary["price_mean"][0] == pytest.approx(45.0, rel=0.05)
    assert summary["fulfillment_entities"][0] == 1.0
    assert sorted(p.name for p in (folder / "plots").iterdir()) == [
        "emissions_cap.png", "fulfillment.png", "price_path.png", "sector_costs.png",
        "versus_least_cost.png"]


@pytest.mark.parametrize("name", ["textbook-two-firms", "hotelling-banking"])
def test_bundled_scenarios_run(name, tmp_path, capsys):
    out = tmp_path / name
    assert main(["run", str(SCENARIOS / f"{name}.yaml"), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"report: {out / 'report.html'}"
    summary = pd.read_csv(out / "summary.csv")
    assert (summary["fulfillment_volume"] == 1.0).all()
    assert (summary["efficiency"] > 0.95).all()


def test_run_twice_gets_two_folders(work):
    assert main(["run", "good.yaml"]) == 0
    assert main(["run", "good.yaml"]) == 0
    assert len(list((work / "results" / "textbook-two-firms").iterdir())) == 2


def test_run_bad_scenario_exits_2_without_traceback_or_results(work, capsys):
    assert main(["run", "bad.yaml"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 3  # one line per problem: years missing, yeers unknown, cap negative
    assert all(line.startswith("bad.yaml:") for line in lines)
    assert "cap" in err and "yeers" in err and "Traceback" not in err
    assert not (work / "results").exists()


def test_run_missing_file_exits_2(work, capsys):
    assert main(["run", "nowhere.yaml"]) == 2
    err = capsys.readouterr().err
    assert "nowhere.yaml" in err and "Traceback" not in err


def test_run_existing_out_exits_2_and_keeps_it(work, capsys):
    (work / "out").mkdir()
    (work / "out" / "old.csv").write_text("x")
    assert main(["run", "good.yaml", "--out", "out"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in (work / "out").iterdir()] == ["old.csv"]


def test_run_failure_exits_1(work, monkeypatch, capsys):
    _engine_raises(monkeypatch, RunError("no equilibrium: the cap is below what abatement can reach"))
    assert main(["run", "good.yaml"]) == 1
    err = capsys.readouterr().err
    assert "the run failed: no equilibrium" in err and "Traceback" not in err
    assert not (work / "results").exists()


def test_write_failure_exits_1_and_leaves_nothing(work, monkeypatch, capsys):
    def broken(*args, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("carbonsim.outputs.report.run_page", broken)
    assert main(["run", "good.yaml", "--out", "out"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert sorted(p.name for p in work.iterdir()) == ["bad.yaml", "good.yaml"]


def test_unexpected_error_exits_1_with_hint_and_debug_shows_traceback(work, monkeypatch, capsys):
    _engine_raises(monkeypatch, ZeroDivisionError("division by zero"))
    assert main(["run", "good.yaml"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--debug" in err and "ZeroDivisionError" in err
    assert main(["--debug", "run", "good.yaml"]) == 1
    assert "Traceback" in capsys.readouterr().err
    assert main(["run", "good.yaml", "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_interrupted_run_exits_130_and_writes_nothing(work, monkeypatch, capsys):
    _engine_raises(monkeypatch, KeyboardInterrupt())
    assert main(["run", "good.yaml"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not (work / "results").exists()


def test_sigterm_while_writing_leaves_nothing(work):
    """A real interruption: SIGTERM arrives while the run's files are being written."""
    script = (
        "import sys, time\n"
        "import carbonsim.outputs.report as report\n"
        "def slow(*args, **kw):\n"
        "    time.sleep(60)\n"
        "report.run_page = slow\n"
        "from carbonsim.cli import console\n"
        "sys.argv = ['carbonsim', 'run', 'good.yaml', '--out', 'out']\n"
        "console()\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(work.glob(".out.*.partial/manifest.json")):  # written just before the report
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never reached the report"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143  # 128 + SIGTERM, as a shell reports it
    assert "interrupted" in err and "Traceback" not in err
    assert sorted(p.name for p in work.iterdir()) == ["bad.yaml", "good.yaml"]


def test_validate(work, capsys):
    assert main(["validate", "good.yaml"]) == 0
    assert capsys.readouterr().out == "ok textbook-two-firms\n"
    assert main(["validate", "good.yaml", "bad.yaml"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "ok textbook-two-firms\n"
    assert captured.err.count("bad.yaml:") == 3 and "Traceback" not in captured.err


def test_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "properties" in schema and "cap" in schema["properties"]


def test_compare(work, capsys):
    (work / "strict.yaml").write_text(TEXTBOOK.replace("name: textbook-two-firms", "name: strict")
                                      .replace("penalty_per_t: 1000", "penalty_per_t: 5000"))
    assert main(["compare", "good.yaml", "strict.yaml", "--out", "cmp", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == "report: " + str(Path("cmp") / "report.html")
    assert "textbook-two-firms" in out and "strict" in out
    table = pd.read_csv(work / "cmp" / "comparison.csv")
    assert list(table["scenario"]) == ["textbook-two-firms", "strict"]
    assert "net_spend.industry" in table.columns
    assert (work / "cmp" / "runs" / "strict" / "report.html").is_file()


def test_compare_bad_scenario_exits_2(work, capsys):
    assert main(["compare", "good.yaml", "bad.yaml"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (work / "results").exists()

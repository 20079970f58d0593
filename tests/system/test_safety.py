"""Scenario files are data only: no code runs, no path escapes the output folder, no user
string reaches report.html unescaped, and alias bombs are stopped."""

import time
from pathlib import Path

import pytest

import carbonsim
from carbonsim.outputs.run_folder import default_out_dir, write_run
from carbonsim.scenario import ScenarioError, load_scenario, load_scenario_text, scenario_dict
from carbonsim.scenario.loader import load_scenario_dict

ROOT = Path(__file__).resolve().parents[2]


def test_python_tags_are_rejected_and_never_run(tmp_path):
    marker = tmp_path / "ran"
    text = f'name: x\nyears: !!python/object/apply:os.system ["touch {marker}"]\n'
    with pytest.raises(ScenarioError, match="tag"):
        load_scenario_text(text)
    assert not marker.exists()


def test_alias_bombs_are_stopped_quickly():
    rows, prev = ['a: &a ["x","x","x","x","x","x","x","x","x"]'], "a"
    for name in "bcdefghi":
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match="at most"):
        load_scenario_text("\n".join(rows))
    assert time.perf_counter() - t0 < 30


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", "/abs", "x\\y", ""])
def test_names_that_could_escape_the_results_folder_are_rejected(name):
    data = scenario_dict(load_scenario(ROOT / "scenarios" / "textbook-two-firms.yaml"))
    data["name"] = name
    with pytest.raises(ScenarioError, match="name"):
        load_scenario_dict(data)


def test_default_output_folder_stays_under_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sc = load_scenario(ROOT / "scenarios" / "textbook-two-firms.yaml")
    out = Path(default_out_dir(sc.name)).resolve()
    assert (tmp_path / "results").resolve() in out.parents


def test_report_escapes_every_user_string(tmp_path):
    data = scenario_dict(load_scenario(ROOT / "scenarios" / "textbook-two-firms.yaml"))
    evil = "<script>alert(1)</script>"
    data["description"] = evil + " & <b>bold</b>"
    data["currency"] = "<i>EUR</i>"
    for e in data["emitters"]:
        e["sector"] = "<img src=x onerror=alert(1)>"
        e["id"] = e["id"] + evil
    data["allocation"] = {"<img src=x onerror=alert(1)>": {"rule": "fixed"}}
    result = carbonsim.run(load_scenario_dict(data))
    folder = write_run(result, tmp_path / "run")
    page = (Path(folder) / "report.html").read_text()
    for raw in (evil, "<b>bold</b>", "<i>EUR</i>", "<img src=x"):
        assert raw not in page
    assert "&lt;script&gt;" in page

"""Bounds of the format (carbonsim.scenario.limits) and the messages of hostile or mistaken
input: sizes, magnitudes, text, special files, YAML syntax, dates, CSV rows, warnings.

Each test is one way in which bad input used to pass validation and then crash, hang or
write, or got a misleading message; the CLI must answer exit 2, a clear message, no
traceback, nothing written."""

import os
from pathlib import Path

import numpy as np
import pytest

from carbonsim.cli import main
from carbonsim.errors import RunError
from carbonsim.economy.population import build_population
from carbonsim.scenario import (
    ScenarioError,
    load_scenario,
    load_scenario_dict,
    load_scenario_text,
    scenario_dict,
)
from carbonsim.scenario.limits import MAX_EMITTER_YEARS, MAX_TEXT
from carbonsim.economy.sanity import scenario_warnings

ROOT = Path(__file__).resolve().parents[2]
TEXTBOOK = (ROOT / "scenarios" / "textbook-two-firms.yaml").read_text()
GENERATED = ROOT / "scenarios" / "sectors-generated.yaml"


def edit(old: str, new: str, text: str = TEXTBOOK) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def cli(tmp_path: Path, argv: list[str], capsys) -> tuple[int, str, str]:
    """Run the command in ``tmp_path`` (results/ goes there); (status, stdout, stderr)."""
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        status = main(argv)
    finally:
        os.chdir(old)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def refused(tmp_path: Path, text: str, capsys, name: str = "s.yaml") -> str:
    """stderr of `run` on a bad scenario text: exit 2, nothing written."""
    (tmp_path / name).write_text(text)
    status, _, err = cli(tmp_path, ["run", name], capsys)
    assert status == 2, err
    assert not (tmp_path / "results").exists()
    return err


# --- 1. the population is bounded by the memory of the run -------------------------------------
def test_a_population_too_large_for_memory_is_refused_naming_count_and_the_estimate(tmp_path, capsys):
    text = GENERATED.read_text().replace("count: 60", "count: 10000000")
    (tmp_path / "big.yaml").write_text(text)
    status, out, err = cli(tmp_path, ["validate", "big.yaml"], capsys)
    assert status == 2 and "ok" not in out
    line = next(x for x in err.splitlines() if "count" in x)
    assert line.startswith("big.yaml:19: emitters.generate.power.count: expected at most 2,097,152")
    assert "10,000,240 emitters × 5 years" in line and "GiB" in line


def test_the_bound_counts_emitters_times_years():
    data = scenario_dict(load_scenario(GENERATED))
    counts = [s["count"] for s in data["emitters"]["generate"].values()]
    data["emitters"]["generate"]["power"]["count"] = MAX_EMITTER_YEARS // 5 - sum(counts[1:])
    load_scenario_dict(data)  # just fits
    data["years"] = 6
    with pytest.raises(ScenarioError, match="emitters × years"):
        load_scenario_dict(data)


# --- 2. text is bounded, and bad input is quoted in short ---------------------------------------
def test_a_long_name_is_refused_before_it_becomes_a_folder(tmp_path, capsys):
    err = refused(tmp_path, edit("name: textbook-two-firms", "name: " + "a" * 300), capsys)
    assert "s.yaml:3: name: expected text of at most 100 characters" in err
    assert "a" * 100 not in err


def test_a_huge_value_is_never_echoed_in_full(tmp_path, capsys):
    huge = "x" * 5_000_000
    for old, new in [("name: textbook-two-firms", "name: " + huge),
                     ("currency: EUR", "currency: " + huge),
                     ("  tick: 0.01", f"  {huge}: 0.01"),
                     ("description: Two", "description: " + huge)]:
        err = refused(tmp_path, edit(old, new), capsys)
        assert len(err) < 2000, err[:300]
    with pytest.raises(ScenarioError, match=f"at most {MAX_TEXT:,} characters"):
        load_scenario_text(edit("description: Two", "description: " + "y" * (MAX_TEXT + 1)))


# --- 3. magnitudes fit the engine's 64-bit counts -----------------------------------------------
@pytest.mark.parametrize("old,new,path", [
    ("  tick: 0.01", "  tick: 1e-300", "market.tick"),
    ("output: 100, intensity: 1.0, mac: {kind: linear, slope: 1.0}",
     "output: 1e300, intensity: 1.0, mac: {kind: linear, slope: 1.0}", "emitters[0].output"),
    ("output: 100, intensity: 1.0, mac: {kind: linear, slope: 1.0}",
     "output: 1e12, intensity: 1e6, mac: {kind: linear, slope: 1.0}", "emitters[0].output"),
    ("cap: 140 ", "cap: 1e300\nauctions: {reserve_price: 1}\ncalendar:\n  auctions: ['01-02']\n#",
     "cap"),
    ("penalty_per_t: 1000", "penalty_per_t: 1e300", "compliance.penalty_per_t"),
    ("  tick: 0.01", "  tick: 0.01\n  min_lot: 100000000000000000000", "market.min_lot"),
])
def test_numbers_beyond_what_the_engine_counts_are_refused(tmp_path, capsys, old, new, path):
    err = refused(tmp_path, edit(old, new), capsys)
    assert f": {path}: expected " in err, err


def test_a_reserve_price_that_grows_out_of_range_is_refused():
    text = edit("years: 1", "years: 200").replace("free_allocation: 70}", "free_allocation: 70}")
    text = edit("cap: 140 ", "cap: 140\nauctions: {reserve_price: 10, reserve_price_growth: 0.5}",
                text)
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text)
    assert any(p.path == "auctions.reserve_price_growth" and "1e9" in p.message
               for p in info.value.problems)


def test_draws_beyond_the_engine_counts_stop_the_run_with_a_message():
    scenario = load_scenario(GENERATED)
    power = scenario.emitters.generate["power"]
    wild = power.model_copy(update={"growth": power.growth.model_copy(update={"sd": 1e6})})
    emitters = scenario.emitters.model_copy(update={"generate": {"power": wild}})
    with pytest.raises(RunError, match="BAU emissions reach .* more than the 1e\\+16 t"):
        build_population(scenario.model_copy(update={"emitters": emitters}),
                         np.random.default_rng(0))


# --- 5. no control characters in text ----------------------------------------------------------
@pytest.mark.parametrize("old,new,path", [
    ("currency: EUR", 'currency: "\\e[2J"', "currency"),
    ("name: textbook-two-firms", 'name: "a\\x9bb"', "name"),
    ("description: Two", 'description: "Two\\x07', "description"),
    ("{id: A,", '{id: "A\\e]0;title\\a",', "emitters[0].id"),
    ("  industry: {rule: fixed}", '  "ind\\eustry": {rule: fixed}', "allocation.ind\\x1bustry"),
])
def test_control_characters_in_text_are_refused_and_never_printed_raw(tmp_path, capsys, old, new, path):
    text = edit(old, new)
    if old == "description: Two":
        text = text.replace("one compliance year.", 'one compliance year."')
    err = refused(tmp_path, text, capsys)
    assert "\x1b" not in err and "\x9b" not in err and "\x07" not in err
    assert f": {path}: expected " in err and "control characters" in err, err


def test_a_description_may_hold_new_lines_and_tabs():
    s = load_scenario_text(edit("description: Two emitters with linear MACs under a 140 t cap, "
                                "one compliance year.", 'description: "Line one\\n\\tand two"'))
    assert "\n\t" in s.description


# --- 8. regular files only, of a bounded size --------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_named_pipes_and_devices_are_refused_without_blocking(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.csv")
    os.mkfifo(tmp_path / "pipe.yaml")
    text = edit("emitters:\n", "emitters: {file: pipe.csv}\nx:\n")
    (tmp_path / "s.yaml").write_text(text)
    status, _, err = cli(tmp_path, ["validate", "s.yaml", "pipe.yaml", "/dev/zero"], capsys)
    assert status == 2
    assert "emitters.file: expected a regular file; got a named pipe ('pipe.csv')" in err
    assert "pipe.yaml: expected a regular file; got a named pipe" in err
    assert "/dev/zero: expected a regular file; got a device" in err
    (tmp_path / "x.yaml").write_text("extends: pipe.yaml\n")
    with pytest.raises(ScenarioError, match="a named pipe"):
        load_scenario(tmp_path / "x.yaml")


def test_files_larger_than_the_limit_are_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr("carbonsim.scenario.yamlio.MAX_SCENARIO_BYTES", 1000)
    path = tmp_path / "s.yaml"
    path.write_text(TEXTBOOK + "#" * 1000 + "\n")
    with pytest.raises(ScenarioError, match="expected a file of at most 1000 B; got 2.") as info:
        load_scenario(path)
    assert len(info.value.problems) == 1


# --- 10. an unquoted invalid date gets one message ---------------------------------------------
def test_an_unquoted_invalid_date_gets_one_clear_message(tmp_path, capsys):
    err = refused(tmp_path, edit('verification: "03-31"', "verification: 2022-02-30"), capsys)
    assert err.strip().splitlines() == [
        "s.yaml:12: calendar.verification: expected a date \"MM-DD\" in quotes; got "
        "'2022-02-30' (day is out of range for month)"]
    err = refused(tmp_path, edit('verification: "03-31"', "verification: 2022-03-30"), capsys)
    assert 'expected a date "MM-DD" without the year, in quotes ("03-30")' in err


# --- messages that name the mistake where it is ------------------------------------------------
def test_a_tab_says_indent_with_spaces(tmp_path, capsys):
    err = refused(tmp_path, edit("  sessions: 50", "\tsessions: 50"), capsys)
    assert err.startswith("s.yaml:10: expected valid YAML; got a tab character; indent with "
                          "spaces, not tabs (column 1)")


@pytest.mark.parametrize("old,new,line", [
    ("market:\n  mechanism", "market:\n    mechanism", 21),  # PyYAML: at the next line
    ("emitters:\n  - {id: A", "emitters:\n - {id: A", 16),
    ("  allocation: \"01-01\"", "   allocation: \"01-01\"", 11),
    ("  make_good: true", " make_good: true", 25),
    ("  tick: 0.01", "  tick 0.01", 22),  # a missing ':' is noticed at the next line
])
def test_bad_indentation_is_reported_at_the_line_of_the_mistake(tmp_path, capsys, old, new, line):
    err = refused(tmp_path, edit(old, new), capsys)
    first = err.splitlines()[0]
    assert first.startswith(f"s.yaml:{line}: expected valid YAML; got "), first


def test_a_sector_typo_in_the_csv_is_reported_at_its_row(tmp_path):
    start, end = TEXTBOOK.index("emitters:"), TEXTBOOK.index("\nallocation:") + 1
    (tmp_path / "s.yaml").write_text(TEXTBOOK[:start] + "emitters: {file: em.csv}\n" + TEXTBOOK[end:])
    (tmp_path / "em.csv").write_text("id,sector,output,intensity,mac_kind,mac_slope,free_allocation\n"
                                     "A,industry,100,1,linear,1,70\nB,industsry,100,1,linear,3,70\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    (p,) = info.value.problems
    assert str(p) == (f"{tmp_path / 'em.csv'}:3: emitters[1].sector: expected a sector with an "
                      "allocation rule (industry) (did you mean 'industry'?); got 'industsry'")


def test_a_missing_csv_names_the_folder_searched(tmp_path):
    start, end = TEXTBOOK.index("emitters:"), TEXTBOOK.index("\nallocation:") + 1
    (tmp_path / "s.yaml").write_text(TEXTBOOK[:start] + "emitters: {file: data/em.csv}\n"
                                     + TEXTBOOK[end:])
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    assert f"(no folder {tmp_path / 'data'}; the path is relative to the scenario file's folder)" \
        in info.value.problems[0].message
    (tmp_path / "data").mkdir()
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    assert f"no file 'em.csv' in {tmp_path / 'data'}" in info.value.problems[0].message


@pytest.mark.parametrize("old,new,path,hint", [
    ("  industry: {rule: fixed}", "  industry: {rule: fixed}\n  auction_share: 10",
     "allocation.auction_share", "(a fraction: 10% is 0.10)"),
    ("  banking: false", "  banking: false\n  borrowing: 25", "compliance.borrowing",
     "(a fraction: 25% is 0.25)"),
    ("expectations: myopic", "expectations: myopic\n  discount_rate: 5", "behaviour.discount_rate",
     "(a fraction: 5% is 0.05)"),
])
def test_a_percentage_in_a_fraction_field_gets_a_hint(tmp_path, capsys, old, new, path, hint):
    err = refused(tmp_path, edit(old, new), capsys)
    assert any(f": {path}: " in line and hint in line for line in err.splitlines()), err


# --- warnings ----------------------------------------------------------------------------------
def test_a_cap_below_what_can_be_emitted_warns_but_validates_and_runs(tmp_path, capsys):
    text = TEXTBOOK.replace("slope: 1.0}", "slope: 1.0, max_share: 0.1}").replace(
        "slope: 3.0}", "slope: 3.0, max_share: 0.1}").replace("cap: 140 ", "cap: 100 ")
    (tmp_path / "low.yaml").write_text(text)
    status, out, err = cli(tmp_path, ["validate", "low.yaml"], capsys)
    assert status == 0 and out == "ok textbook-two-firms\n"
    assert err.startswith("warning: low.yaml:14: cap: the cap is below what the emitters emit "
                          "even abating all they can: in 2021, 100 t against at least 180 t")
    status, out, err = cli(tmp_path, ["run", "low.yaml", "--out", "r"], capsys)
    assert status == 0 and err.startswith("warning: low.yaml:14: cap:") and (tmp_path / "r").is_dir()
    assert scenario_warnings(load_scenario(ROOT / "scenarios" / "textbook-two-firms.yaml")) == []
    assert [p.path for p in scenario_warnings(load_scenario(GENERATED))] == ["cap"]

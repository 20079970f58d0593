"""Scenario models: the examples load; every bad input gets its plain message and line."""

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

import carbonsim
from carbonsim.scenario import (
    Problem,
    Scenario,
    ScenarioError,
    load_scenario,
    load_scenario_dict,
    load_scenario_text,
    scenario_dict,
    scenario_to_yaml,
)
from carbonsim.scenario.emitters import EmittersGenerate, MacLinear, MacSteps

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
TEXTBOOK = (ROOT / "scenarios" / "textbook-two-firms.yaml").read_text()


def problems_of(text: str, tmp_path: Path, name: str = "s.yaml") -> list[Problem]:
    """Problems of a scenario text written to ``tmp_path/name`` (fails if it loads)."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    for p in info.value.problems:
        assert "Input should" not in p.message and "pydantic" not in p.message, p
        assert "http" not in p.message, p
    return info.value.problems


def edit(old: str, new: str, text: str = TEXTBOOK) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_examples_are_the_shared_ones_unchanged():
    shared = ROOT.parent / "shared" / "scenario-examples"  # the design folder beside the clone
    if not shared.is_dir():
        pytest.skip("shared examples folder not present")
    for path in sorted(shared.glob("*.yaml")):
        assert (ROOT / "scenarios" / path.name).read_text() == path.read_text()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_loads_and_round_trips(path):
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.source_path == str(path)
    assert load_scenario_dict(scenario_dict(scenario)) == scenario
    assert load_scenario_text(scenario_to_yaml(scenario)) == scenario


def test_package_exports():
    assert carbonsim.load_scenario is load_scenario
    assert carbonsim.Scenario is Scenario and carbonsim.ScenarioError is ScenarioError
    assert issubclass(ScenarioError, carbonsim.errors.CarbonsimError)


def test_textbook_values_and_defaults():
    s = load_scenario(ROOT / "scenarios" / "textbook-two-firms.yaml")
    assert (s.name, s.start_year, s.years, s.seed, s.cap) == ("textbook-two-firms", 2021, 1, 1, 140.0)
    assert s.calendar.sessions == 50 and s.calendar.reserve_operations == "12-31"
    a, b = s.emitters
    assert (a.id, a.output, a.free_allocation) == ("A", 100.0, 70.0)
    assert isinstance(b.mac, MacLinear) and b.mac.slope == 3.0 and b.mac.max_share == 1.0
    assert s.allocation.sectors["industry"].rule == "fixed"
    assert s.allocation.auction_share == 0 and s.allocation.correction == "auto"
    assert s.market.mechanism == "call_auction" and s.market.min_lot == 1
    assert s.compliance.penalty_per_t == 1000 and s.compliance.banking is False
    assert s.behaviour.expectations == "myopic" and s.behaviour.bid_steps == 8
    assert s.auctions is None and s.reserves is None and s.sweep is None
    assert s.sectors == ("industry",)


def test_generated_example_values():
    s = load_scenario(ROOT / "scenarios" / "sectors-generated.yaml")
    assert isinstance(s.emitters, EmittersGenerate)
    assert s.sectors == ("power", "steel", "buildings")
    assert s.emitters.generate["power"].output.median == 3.0e6
    assert isinstance(s.emitters.generate["steel"].mac, MacSteps)
    assert s.cap.start == 1.0e8 and s.cap.annual_reduction == 0.02
    assert s.allocation.sectors["power"].ex_ante_share == 0.7
    assert s.compliance.offsets.limit == 0.05 and s.market.daily_limit == 0.10
    assert s.behaviour.participation.start == 0.2


def test_models_are_frozen():
    s = load_scenario_text(TEXTBOOK)
    with pytest.raises(ValidationError, match="frozen"):
        s.years = 3  # type: ignore[misc]


def test_exponent_numbers_are_numbers_but_quoted_ones_are_text(tmp_path):
    s = load_scenario_text(edit("cap: 140 ", "cap: 1.4e2 ").replace("output: 100,", "output: 1e2,"))
    assert s.cap == 140.0 and s.emitters[0].output == 100.0
    probs = problems_of(edit("cap: 140 ", 'cap: "1.4e2" '), tmp_path)
    assert [p.path for p in probs] == ["cap"]
    assert "got '1.4e2'" in probs[0].message


def test_ids_that_look_like_numbers_survive_a_round_trip():
    s = load_scenario_text(edit("{id: A,", '{id: "3e6",'))
    assert load_scenario_text(scenario_to_yaml(s)).emitters[0].id == "3e6"


# --- the catalogue of bad inputs --------------------------------------------------------------

BAD = [
    # (what, old, new, key path, fragment of the message)
    ("typo", "  tick: 0.01", "  tikc: 0.01", "market.tikc", "did you mean 'tick'?"),
    ("top-level typo", "seed: 1", "sede: 1", "sede", "did you mean 'seed'?"),
    ("unknown key, no close match", "  tick: 0.01", "  tick: 0.01\n  zzz: 1", "market.zzz",
     "one of the keys mechanism, tick"),
    ("string for number", "penalty_per_t: 1000", "penalty_per_t: lots", "compliance.penalty_per_t",
     "expected a number; got 'lots'"),
    ("bool for number", "penalty_per_t: 1000", "penalty_per_t: true", "compliance.penalty_per_t",
     "expected a number; got true"),
    ("number for bool", "banking: false", "banking: 0", "compliance.banking", "expected true or false"),
    ("number for text", "name: textbook-two-firms", "name: 12", "name", "put it in quotes"),
    ("negative cap", "cap: 140 ", "cap: -140 ", "cap", "expected a number >= 0; got -140"),
    ("negative output", "output: 100, intensity", "output: -100, intensity", "emitters[0].output",
     "expected a number >= 0; got -100"),
    ("negative allocation", "free_allocation: 70}", "free_allocation: -70}",
     "emitters[0].free_allocation", ">= 0"),
    ("zero intensity", "intensity: 1.0, mac: {kind: linear, slope: 1.0}",
     "intensity: 0, mac: {kind: linear, slope: 1.0}", "emitters[0].intensity", "> 0"),
    ("share above 1", "slope: 3.0}", "slope: 3.0, max_share: 1.5}", "emitters[1].mac.max_share",
     "expected a number in (0, 1]; got 1.5"),
    ("negative share", "expectations: myopic", "expectations: myopic\n  gap_fraction: -0.1",
     "behaviour.gap_fraction", "in (0, 1]"),
    ("discount rate 1", "expectations: myopic", "expectations: myopic\n  discount_rate: 1",
     "behaviour.discount_rate", "in [0, 1)"),
    ("date 02-30", 'allocation: "01-01"', 'allocation: "02-30"', "calendar.allocation",
     "that exists; got '02-30'"),
    ("month 13", 'allocation: "01-01"', 'allocation: "13-01"', "calendar.allocation", "got '13-01'"),
    ("date 02-29", 'allocation: "01-01"', 'allocation: "02-29"', "calendar.allocation",
     "exists in every year"),
    ("not a date", 'allocation: "01-01"', "allocation: soon", "calendar.allocation", 'MM-DD'),
    ("deadline before verification", 'compliance_deadline: "06-30"', 'compliance_deadline: "03-01"',
     "calendar.compliance_deadline", "after verification (03-31); got '03-01'"),
    ("deadline equal to verification", 'compliance_deadline: "06-30"',
     'compliance_deadline: "03-31"', "calendar.compliance_deadline", "after verification"),
    ("unknown rule", "{rule: fixed}", "{rule: fixd}", "allocation.industry.rule",
     "fixed, grandfathering, historical_intensity, benchmark, auction (did you mean 'fixed'?)"),
    ("missing rule", "{rule: fixed}", "{}", "allocation.industry.rule", "required"),
    ("bad rule parameter", "{rule: fixed}", "{rule: benchmark, benchmark: -1}",
     "allocation.industry.benchmark", "> 0; got -1"),
    ("unknown rule parameter", "{rule: fixed}", "{rule: grandfathering, base_yeers: 2}",
     "allocation.industry.base_yeers", "did you mean 'base_years'?"),
    ("unknown mechanism", "mechanism: call_auction ", "mechanism: dutch ", "market.mechanism",
     "expected one of call_auction, continuous; got 'dutch'"),
    ("unknown expectations", "expectations: myopic", "expectations: hoteling",
     "behaviour.expectations", "rolling (did you mean 'hotelling'?)"),
    ("unknown mac kind", "{kind: linear, slope: 3.0}", "{kind: quadratic, slope: 3.0}",
     "emitters[1].mac.kind", "expected one of linear, steps; got 'quadratic'"),
    ("mac slope and cost_at_max", "slope: 3.0}", "slope: 3.0, cost_at_max: 10}", "emitters[1].mac",
     "exactly one of slope or cost_at_max; got both"),
    ("steps over 1", "{kind: linear, slope: 3.0}", "{kind: steps, steps: [[10, 0.7], [20, 0.5]]}",
     "emitters[1].mac.steps", "summing to at most 1; got 1.2"),
    ("duplicate ids", "{id: B,", "{id: A,", "emitters[1].id", "unique id; got 'A' again (also emitters[0])"),
    ("per-year list length", "free_allocation: 70}", "free_allocation: [70, 70]}",
     "emitters[0].free_allocation", "expected 1 values (one per year); got 2"),
    ("cap list length", "cap: 140 ", "cap: [140, 130] ", "cap", "expected 1 values (one per year); got 2"),
    ("sector without rule", "{id: B, sector: industry", "{id: B, sector: power", "allocation.power",
     "expected an allocation rule for sector 'power'"),
    ("rule without sector", "industry: {rule: fixed}", "industry: {rule: fixed}\n  power: {rule: fixed}",
     "allocation.power", "expected a sector of the emitters (industry)"),
    ("allocation key typo", "industry: {rule: fixed}", "industry: {rule: fixed}\n  auction_shar: 0.1",
     "allocation.auction_shar", "did you mean 'auction_share'?"),
    ("auction share without dates", "industry: {rule: fixed}",
     "industry: {rule: fixed}\n  auction_share: 0.1", "allocation.auction_share", "calendar.auctions"),
    ("name not a slug", "name: textbook-two-firms", "name: two firms", "name", "letters, digits"),
    ("years zero", "years: 1", "years: 0", "years", "expected a whole number from 1 to 500; got 0"),
    ("years float", "years: 1", "years: 1.5", "years", "got 1.5"),
    ("sessions word", "sessions: 50 ", "sessions: weekly ", "calendar.sessions", '"business_days"'),
    ("sessions too many", "sessions: 50 ", "sessions: 1000 ", "calendar.sessions", "from 1 to 365"),
    ("missing required", "  penalty_per_t: 1000\n", "", "compliance.penalty_per_t", "required"),
    ("missing section", "market:\n  mechanism: call_auction       # or continuous\n  tick: 0.01                    # currency per tick\n",
     "", "market", "required"),
    ("wrong section type", "behaviour:\n  expectations: myopic", "behaviour: fast", "behaviour",
     "expected a mapping; got 'fast'"),
    ("emitters not a list", "emitters:\n", "emitters: 5\nunused:\n", "emitters", "expected a list of emitters"),
    ("duplicate yaml key", "seed: 1", "seed: 1\nseed: 2", "seed", "each key once"),
    ("infinite number", "penalty_per_t: 1000", "penalty_per_t: .inf", "compliance.penalty_per_t",
     "finite"),
    ("floor above ceiling", "expectations: myopic",
     "expectations: myopic\nreserves: {price_floor: 50, price_ceiling: 40}", "reserves.price_ceiling",
     "more than price_floor (50)"),
    ("msr thresholds", "expectations: myopic",
     "expectations: myopic\nreserves: {msr: {upper_threshold_t: 5, lower_threshold_t: 9, intake_rate: 0.2, release_t: 1}}",
     "reserves.msr.lower_threshold_t", "less than upper_threshold_t"),
]


@pytest.mark.parametrize("what,old,new,path,fragment", BAD, ids=[b[0] for b in BAD])
def test_bad_input_gets_plain_message_and_line(what, old, new, path, fragment, tmp_path):
    text = edit(old, new)
    probs = problems_of(text, tmp_path)
    hits = [p for p in probs if p.path == path]
    assert hits, f"no problem at {path}: {[str(p) for p in probs]}"
    p = hits[0]
    assert fragment in p.message, str(p)
    assert p.message.startswith("expected"), str(p)
    assert "; got " in p.message, str(p)
    assert p.file.endswith("s.yaml") and p.line is not None
    assert str(p) == f"{p.file}:{p.line}: {path}: {p.message}"
    first_new = new.splitlines()[-1].strip() if new.strip() else None
    if first_new and ":" in first_new and what not in ("missing section", "emitters not a list"):
        key = first_new.split(":")[0].strip("- {")
        if key and key in path.split(".")[-1] and text.count(first_new) == 1:
            assert p.line == line_of(text, first_new), str(p)


def test_control_periods_are_validated_with_the_fix_in_the_message(tmp_path):
    ok = load_scenario_text(edit("  banking: false", "  banking: false\n  period_years: 3\n"
                                 "  interim_share: 0.5"), file="s.yaml")
    assert (ok.compliance.period_years, ok.compliance.interim_share) == (3, 0.5)
    plain = load_scenario_text(TEXTBOOK, file="s.yaml").compliance
    assert (plain.period_years, plain.interim_share) == (1, 0.0)  # annual compliance
    for extra in ("  interim_share: 0.3", "  period_years: 1\n  interim_share: 0.3"):
        (p,) = problems_of(edit("  banking: false", "  banking: false\n" + extra), tmp_path)
        assert p.path == "compliance.interim_share"
        assert p.message.startswith("expected 0 when compliance.period_years is 1 (")
        assert "set period_years above 1, e.g. 3, or remove interim_share" in p.message
        assert p.message.endswith("; got 0.3")
    for bad, got in (("0", "0"), ("2.5", "2.5"), ("three", "'three'")):
        (p,) = problems_of(edit("  banking: false", f"  banking: false\n  period_years: {bad}"), tmp_path)
        assert p.path == "compliance.period_years" and p.message.endswith(f"; got {got}"), str(p)
        assert p.message.startswith("expected a whole number from 1 to 500")
    (p,) = problems_of(edit("  banking: false", "  banking: false\n  period_years: 3\n"
                            "  interim_share: 1.5"), tmp_path)
    assert p.path == "compliance.interim_share" and "[0, 1]; got 1.5" in p.message


def test_unknown_key_line_is_the_key_line(tmp_path):
    text = edit("  tick: 0.01", "  tikc: 0.01")
    (p,) = problems_of(text, tmp_path)
    assert p.line == line_of(text, "tikc")
    assert str(p).endswith(f"s.yaml:{p.line}: market.tikc: expected a known key (did you mean 'tick'?); "
                           "got unknown key 'tikc'")


def test_yaml_syntax_error_has_line_and_column(tmp_path):
    text = edit("cap: 140 ", "cap: [140, ")
    (p,) = problems_of(text, tmp_path)
    assert p.path == "" and p.line is not None and "column" in p.message
    assert p.message.startswith("expected valid YAML; got ")


def test_empty_and_non_mapping_files(tmp_path):
    assert "empty file" in problems_of("", tmp_path)[0].message
    assert "expected a mapping of scenario keys; got a list" in problems_of("- 1\n- 2\n", tmp_path)[0].message


def test_missing_scenario_file(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.yaml")
    (p,) = info.value.problems
    assert p.line is None and str(p).endswith("nope.yaml: expected an existing file; got no such file")


def test_python_tags_are_refused(tmp_path):
    probs = problems_of(edit("seed: 1", "seed: !!python/object/apply:os.system ['true']"), tmp_path)
    assert any(p.path == "seed" and "tag" in p.message for p in probs)


def test_all_problems_reported_at_once_in_file_order(tmp_path):
    text = TEXTBOOK
    for old, new in [("seed: 1", "sede: 1"), ('allocation: "01-01"', 'allocation: "02-30"'),
                     ("cap: 140 ", "cap: -1 "), ("{id: B,", "{id: A,"), ("{rule: fixed}", "{rule: nope}"),
                     ("mechanism: call_auction ", "mechanism: dutch "), ("penalty_per_t: 1000", "penalty_per_t: x")]:
        text = edit(old, new, text)
    probs = problems_of(text, tmp_path)
    paths = [p.path for p in probs]
    for expected in ["sede", "calendar.allocation", "cap", "emitters[1].id", "allocation.industry.rule",
                     "market.mechanism", "compliance.penalty_per_t"]:
        assert expected in paths, paths
    lines = [p.line for p in probs]
    assert lines == sorted(lines)


def test_error_message_is_one_line_per_problem(tmp_path):
    text = edit("seed: 1", "sede: 1", edit("cap: 140 ", "cap: -1 "))
    (tmp_path / "s.yaml").write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    assert str(info.value).splitlines() == [str(p) for p in info.value.problems]


def test_direct_model_validation_of_a_file_reference_is_refused():
    data = scenario_dict(load_scenario_text(TEXTBOOK))
    data["emitters"] = {"file": "x.csv"}
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(data)
    assert "load_scenario" in str(info.value)


def test_calendar_days_and_sessions():
    s = load_scenario_text(TEXTBOOK)
    ev = s.event_days(0)
    assert (ev.allocation, ev.verification, ev.compliance_deadline, ev.reserve_operations) == (
        0, 365 + 89, 365 + 180, 364)
    days = s.session_days(0)
    assert days.dtype == np.int64 and len(days) == 50
    assert np.array_equal(days, (np.arange(50) * 365) // 50)
    leap = load_scenario_text(edit("start_year: 2021", "start_year: 2024"))
    assert np.array_equal(leap.session_days(0), (np.arange(50) * 366) // 50)


def test_business_days_skip_weekends_and_two_holidays():
    text = edit("sessions: 50 ", "sessions: business_days ")
    text = edit("years: 1", "years: 2", text).replace("free_allocation: 70}", "free_allocation: [70, 70]}")
    s = load_scenario_text(edit("cap: 140 ", "cap: [140, 140] ", text))
    d0, d1 = s.session_days(0), s.session_days(1)
    assert len(d0) == 260 and d0[0] == 3  # 2021-01-01 is a holiday (Friday); Mon 4 Jan is day 3
    assert d1[0] == 365 + 2  # 2022-01-03, a Monday
    dates = np.datetime64("2021-01-01") + d1.astype("timedelta64[D]")
    assert np.datetime64("2022-12-26") in dates and np.datetime64("2022-12-25") not in dates
    assert np.is_busday(dates).all()


def test_auction_dates_are_sorted_and_distinct(tmp_path):
    s = load_scenario_text(edit('allocation: "01-01"', 'allocation: "01-01"\n  auctions: ["09-15", "03-15"]'))
    assert s.calendar.auctions == ("03-15", "09-15")
    assert s.event_days(0).auctions == (73, 257)
    probs = problems_of(edit('allocation: "01-01"', 'allocation: "01-01"\n  auctions: ["03-15", "03-15"]'), tmp_path)
    assert probs[0].path == "calendar.auctions" and "distinct" in probs[0].message


def test_offsets_may_be_given_at_the_top_level_as_scenario_md_lists_them():
    from carbonsim.scenario import load_scenario, scenario_dict
    from carbonsim.scenario.errors import ScenarioError
    from carbonsim.scenario.loader import load_scenario_dict

    data = scenario_dict(load_scenario(ROOT / "scenarios" / "textbook-two-firms.yaml"))
    data["offsets"] = {"limit": 0.05, "price": 30}
    s = load_scenario_dict(data)
    assert s.compliance.offsets.limit == 0.05 and s.offsets is None
    assert load_scenario_dict(scenario_dict(s)) == s  # resolved once, under compliance
    data["compliance"]["offsets"] = {"limit": 0.1, "price": 30}
    with pytest.raises(ScenarioError, match="offsets once"):
        load_scenario_dict(data)

"""Every bundled scenario validates, runs and keeps its invariants; small ones match golden files.

Each YAML file under scenarios/ (recursively) is loaded and run. Runs that would be slow in CI
(more than WORK_LIMIT emitter-sessions: emitters x sessions a year x years) run a reduced
variant: weekly sessions first, then fewer years, then fewer emitters, with the cap and the other
tonnages scaled by the reduced population's share of BAU. Every run is checked for the accounting
and market invariants in ``check_invariants``.

Golden summaries: runs of at most GOLDEN_LIMIT emitter-sessions (always unreduced) have their
``summary`` table kept in tests/system/golden/<path>.csv and compared with rtol 1e-9, column by
column for the columns the file has (a summary may have gained columns since; they come last). A
change of the engine's results therefore fails here until the golden files are regenerated ON
PURPOSE:

    CARBONSIM_REGENERATE_GOLDEN=1 python3 -m pytest tests/system/test_scenario_library.py

which rewrites the files and reports each rewritten one as a skipped test; review the diff
(git diff tests/system/golden) before committing. Without the variable a missing golden file fails.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import carbonsim
from carbonsim.economy.population import build_population
from carbonsim.scenario import load_scenario, scenario_dict
from carbonsim.scenario import validate_file

from _library import (ROOT, SCENARIOS, GOLDEN, FILES, IDS, WORK_LIMIT, GOLDEN_LIMIT, REGENERATE, BUSINESS_DAYS, sessions_per_year, emitter_count, work, first_year_bau, reduced, run_of)  # noqa: F401


# --- invariants -----------------------------------------------------------------------------

def check_invariants(scenario, result) -> None:
    """The accounting and market invariants every run must keep (raises AssertionError)."""
    s, comp, prices, auctions = result.summary, result.compliance, result.prices, result.auctions
    tick = scenario.market.tick

    # Fulfillment rates are shares.
    for col in ("fulfillment_entities", "fulfillment_volume"):
        assert s[col].between(0.0, 1.0).all(), (col, s[col].tolist())

    # Surrendered + shortfall = obligation, per emitter and year, in whole tonnes.
    gap = comp.surrendered_t + comp.shortfall_t - comp.obligation_t
    assert (gap == 0).all(), comp.loc[gap != 0, ["id", "year", "surrendered_t", "shortfall_t"]].head()
    assert (comp.shortfall_t >= 0).all() and (comp.compliant == (comp.shortfall_t == 0)).all()

    # Emissions + abatement = BAU of the population the run drew.
    stream = np.random.SeedSequence(result.seed).spawn(2)[0]
    pop = build_population(scenario, np.random.default_rng(stream))
    bau = pop.bau_t.T.reshape(-1)  # year-major, as the compliance table
    total = (comp.emissions_t + comp.abatement_t).to_numpy()
    np.testing.assert_allclose(total, bau, rtol=1e-9, atol=1e-6)
    assert (comp.abatement_t >= -1e-6).all()

    # Banks are never negative.
    assert (comp.banked_t >= 0).all() and (s.bank_t >= 0).all()

    # Offsets within the limit; penalties as the rule says.
    limit = scenario.compliance.offsets.limit if scenario.compliance.offsets else 0.0
    assert (comp.offsets_t <= np.floor(limit * comp.obligation_t) + 1e-9).all()
    fine = scenario.compliance.fixed_fine * (comp.shortfall_t > 0)
    np.testing.assert_allclose(comp.penalty, comp.shortfall_t * scenario.compliance.penalty_per_t + fine,
                               rtol=1e-12, atol=1e-9)

    # Traded prices are non-negative, inside the daily limits where set, below a ceiling.
    traded = prices[prices.volume_t > 0]
    assert (traded.price >= 0).all()
    banded = traded[traded.limit_low.notna()]
    for col in ("price", "close"):
        low_ok = banded[col] >= banded.limit_low - tick
        high_ok = banded[col] <= banded.limit_high + tick
        assert (low_ok & high_ok).all(), banded.loc[~(low_ok & high_ok), ["date", col, "limit_low", "limit_high"]]
    res = scenario.reserves
    ceiling = res.price_ceiling if res is not None and res.price_ceiling is not None else np.inf
    assert (traded.price <= ceiling + 1e-9).all()

    # Primary auctions sell at most what is offered and bid, at or above the reserve price.
    assert (auctions.sold_t >= 0).all()
    assert (auctions.sold_t <= auctions.offered_t).all() and (auctions.sold_t <= auctions.bid_t).all()
    sold = auctions[auctions.sold_t > 0]
    if len(sold):
        a = scenario.auctions
        y = (sold.year - scenario.start_year).to_numpy()
        reserve = a.reserve_price * (1.0 + a.reserve_price_growth) ** y
        if res is not None and res.price_floor is not None:
            reserve = np.maximum(reserve, res.price_floor)
        assert (sold.price.to_numpy() >= reserve - tick).all(), sold[["date", "price"]]
        assert (sold.price <= ceiling + 1e-9).all()


# --- tests ----------------------------------------------------------------------------------

def test_the_library_holds_the_bundled_scenarios():
    names = set(IDS)
    for rel in ("shanghai-2020.yaml", "china-national-2021.yaml", "eu-ets-2024.yaml", "rggi.yaml",
                "california.yaml", "allocation-comparison/base.yaml"):
        assert rel in names, rel


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_scenario_validates(path):
    scenario, problems = validate_file(path)
    assert scenario is not None, "\n".join(str(p) for p in problems)


@pytest.mark.parametrize("rel", IDS)
def test_every_scenario_runs_and_keeps_its_invariants(rel):
    scenario, result, _ = run_of(rel)
    assert len(result.summary) == scenario.years
    check_invariants(scenario, result)


def test_large_scenarios_are_reduced_and_small_ones_are_not():
    _, _, china = run_of("china-national-2021.yaml")
    _, _, eu = run_of("eu-ets-2024.yaml")
    assert china and eu
    _, _, textbook = run_of("textbook-two-firms.yaml")
    assert textbook == []


def test_reduction_shrinks_population_and_scales_the_cap():
    scenario = load_scenario(SCENARIOS / "shanghai-2020.yaml")
    small, changes = reduced(scenario, limit=20_000)
    assert small.years == 2 and len(small.emitters) < len(scenario.emitters)
    share = first_year_bau(small) / first_year_bau(scenario)
    assert small.cap[0] == pytest.approx(scenario.cap[0] * share)
    check_invariants(small, carbonsim.run(small))


GOLDEN_IDS = [rel for rel in IDS if work(scenario_dict(load_scenario(SCENARIOS / rel))) <= GOLDEN_LIMIT]


def golden_path(rel: str) -> Path:
    return GOLDEN / (rel.removesuffix(".yaml").replace("/", "__") + ".csv")


@pytest.mark.parametrize("rel", GOLDEN_IDS)
def test_small_scenarios_match_their_golden_summary(rel):
    scenario, result, changes = run_of(rel)
    assert not changes
    path = golden_path(rel)
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        result.summary.to_csv(path, index=False)
        pytest.skip(f"golden summary regenerated: {path.relative_to(ROOT)}")
    assert path.exists(), (f"no golden summary {path.relative_to(ROOT)}; create it on purpose with "
                           "CARBONSIM_REGENERATE_GOLDEN=1")
    want = pd.read_csv(path)
    got = result.summary
    # Columns added since the file was made come after its own (the supply balance): the
    # golden file's columns must still lead, and match.
    assert list(got.columns[: len(want.columns)]) == list(want.columns)
    for col in want.columns:
        np.testing.assert_allclose(got[col].to_numpy(dtype=float), want[col].to_numpy(dtype=float),
                                   rtol=1e-9, atol=0.0, equal_nan=True, err_msg=f"{rel}: {col}")


def test_golden_files_belong_to_bundled_scenarios():
    expected = {golden_path(rel).name for rel in GOLDEN_IDS}
    assert {p.name for p in GOLDEN.glob("*.csv")} <= expected


# --- calibration targets and the allocation comparison -------------------------------------

def test_shanghai_is_calibrated_to_40_cny_with_full_fulfillment():
    _, result, _ = run_of("shanghai-2020.yaml")
    s = result.summary.set_index("year")
    assert s.least_cost_price[2020] == pytest.approx(40.0, rel=0.01)
    assert s.price_mean.between(36.0, 44.0).all()
    assert (s.fulfillment_entities == 1.0).all() and (s.fulfillment_volume == 1.0).all()


@pytest.mark.parametrize("rel, year, price, rel_tol", [
    ("china-national-2021.yaml", 2022, 53.15, 0.01),
    ("eu-ets-2024.yaml", 2024, 67.0, 0.01),
    ("variants/rggi-annual-auction.yaml", 2022, 12.8, 0.01),
    ("california.yaml", 2021, 23.30, 0.01),
])
def test_least_cost_prices_hit_their_calibration_targets(rel, year, price, rel_tol):
    # The least-cost price depends on the whole population and horizon: run the full scenario.
    result = carbonsim.run(load_scenario(SCENARIOS / rel))
    s = result.summary.set_index("year")
    assert s.least_cost_price[year] == pytest.approx(price, rel=rel_tol)


RULE_SETS = ["grandfathering", "historical-intensity", "benchmark", "full-auction", "hybrid"]


def test_allocation_rules_change_who_pays_not_price_or_cost():
    runs = {name: run_of(f"allocation-comparison/{name}.yaml")[1] for name in RULE_SETS}
    base = runs["grandfathering"].summary
    for name, r in runs.items():
        s = r.summary
        np.testing.assert_allclose(s.least_cost_price, base.least_cost_price, rtol=1e-12)
        np.testing.assert_allclose(s.abatement_cost, s.least_cost_abatement_cost, rtol=0.005)
        # (a few emitters can end 1 t short: see docs/scenario-library.md, engine notes)
        assert s.fulfillment_volume.min() > 0.9999, name
    paid = {name: r.compliance.groupby("sector").net_spend.sum() for name, r in runs.items()}
    # Free rules: allowances only change hands, so net spend sums to zero across sectors ...
    for name in ("grandfathering", "historical-intensity", "benchmark"):
        assert abs(paid[name].sum()) < 1e-6 * paid["full-auction"].sum(), name
    # ... but who pays differs; with a full auction everyone pays for every tonne.
    assert paid["grandfathering"]["cement"] < 0 < paid["benchmark"]["cement"]
    assert (paid["full-auction"] > 0).all()


def test_the_shanghai_population_file_is_what_its_tool_writes():
    sys.path.insert(0, str(SCENARIOS / "tools"))
    try:
        import shanghai_2020_emitters as tool
    finally:
        sys.path.pop(0)
    with open(SCENARIOS / "shanghai-2020-emitters.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    made = [{k: str(v) for k, v in row.items()} for row in tool.rows()]
    assert rows == made


def _header(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    end = next(k for k, line in enumerate(lines) if not line.startswith("#"))
    return "\n".join(lines[:end])


@pytest.mark.parametrize("rel", ["shanghai-2020.yaml", "china-national-2021.yaml", "eu-ets-2024.yaml",
                                 "rggi.yaml", "california.yaml", "eu-ets-2008-2018.yaml"])
def test_calibrated_scenarios_cite_their_sources_in_the_file(rel):
    header = _header(SCENARIOS / rel)
    assert "../" not in header and "facts file" not in header  # nothing outside the repository
    body, _, listed = header.partition("# Sources:")
    assert listed, "no source list at the end of the header comment"
    cited = set(re.findall(r"\[([A-G]\d+[a-z]?)\]", body))
    entries = dict(re.findall(r"^# \[([A-G]\d+[a-z]?)\] (.+)$", listed, re.M))
    assert cited and cited == set(entries), (cited ^ set(entries))
    for key, text in entries.items():
        assert len(text) > 20, key  # a publication, not a bare key


# --- the guide's template -----------------------------------------------------------------------
def guide_snippets() -> dict:
    """The YAML snippets of docs/guide.md section 1, merged into one mapping."""
    import re

    import yaml

    from carbonsim.scenario.yamlio import ScenarioLoader

    text = (ROOT / "docs" / "guide.md").read_text()
    section = text[text.index("## 1. "):text.index("## 2. ")]
    merged: dict = {}
    for block in re.findall(r"```yaml\n(.*?)```", section, flags=re.S):
        part = yaml.load(block, Loader=ScenarioLoader)
        assert not set(part) & set(merged), f"two snippets set {set(part) & set(merged)}"
        merged.update(part)
    return merged


def test_the_guide_shows_its_template_and_the_template_is_a_sensible_market():
    import yaml

    from carbonsim.economy.sanity import scenario_warnings
    from carbonsim.scenario.yamlio import ScenarioLoader

    path = SCENARIOS / "guide-template.yaml"
    assert guide_snippets() == yaml.load(path.read_text(), Loader=ScenarioLoader)
    scenario = load_scenario(path)
    assert isinstance(scenario.emitters, type(load_scenario(SCENARIOS / "sectors-generated.yaml").emitters))
    assert scenario_warnings(scenario) == []
    summary = carbonsim.run(scenario).summary
    assert (summary.fulfillment_entities == 1.0).all() and (summary.penalties == 0).all()
    assert np.allclose(summary.price_mean, summary.least_cost_price, rtol=0.05)
    assert (summary.least_cost_price > 20).all() and (summary.efficiency > 0.9).all()

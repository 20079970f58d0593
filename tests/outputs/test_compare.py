"""Tests of carbonsim.outputs.compare: the comparison table, who pays, and the comparison folder."""

import json

import numpy as np
import pandas as pd
import pytest
from _fake_results import TEXTBOOK, fake_result

from carbonsim.outputs import compare
from carbonsim.scenario import ScenarioError


def test_comparison_table_rows_and_columns():
    a, b = fake_result("a", years=3), fake_result("b", years=2, price_level=70.0)
    table = compare.comparison_table([("a", a), ("b", b)])
    assert list(table.columns[: len(compare.BASE_COLUMNS)]) == compare.BASE_COLUMNS
    assert list(table.columns[len(compare.BASE_COLUMNS):]) == [
        "net_spend.power", "net_spend.steel", "penalty.power", "penalty.steel"]
    assert list(zip(table["scenario"], table["year"])) == [
        ("a", 2021), ("a", 2022), ("a", 2023), ("b", 2021), ("b", 2022)]
    np.testing.assert_allclose(table.loc[table["scenario"] == "b", "least_cost_price"],
                               b.summary["least_cost_price"])
    # who pays: steel buys 60 t per emitter-year from power at the price level
    row = table.iloc[3]
    assert row["net_spend.steel"] == pytest.approx(2 * 60 * 70.0)
    assert row["net_spend.power"] == pytest.approx(-2 * 60 * 70.0)
    assert table.loc[2, "penalty.steel"] == 500.0


def test_sectors_missing_in_one_run_are_zero():
    a = fake_result("a", years=1)
    b = fake_result("b", years=1)
    b = type(b)(**{**b.__dict__, "compliance": b.compliance.assign(sector="other")})
    table = compare.comparison_table([("a", a), ("b", b)])
    assert table.loc[0, "net_spend.other"] == 0.0
    assert table.loc[1, "net_spend.power"] == 0.0


def test_who_pays_totals():
    r = fake_result("a", years=2)
    who = compare.who_pays([("a", r)])
    assert list(who.columns) == [
        "scenario", "sector", "emitters", "emissions_t", "free_allocation_t", "bought_t", "sold_t",
        "auction_bought_t", "offsets_t", "abatement_cost", "market_spend", "auction_paid",
        "offsets_paid", "penalty", "total_cost", "net_spend", "share"]
    steel = who.set_index("sector").loc["steel"]
    expected = r.compliance[r.compliance["sector"] == "steel"]
    assert steel["total_cost"] == pytest.approx(
        expected["abatement_cost"].sum() + expected["net_spend"].sum() + expected["penalty"].sum())
    assert steel["auction_paid"] == pytest.approx(expected["auction_paid"].sum())
    assert steel["market_spend"] + steel["auction_paid"] == pytest.approx(steel["net_spend"])
    assert steel["bought_t"] == (expected["bought_t"] - expected["auction_bought_t"]).sum()
    assert who["share"].sum() == pytest.approx(1.0)


def test_write_compare_folder(tmp_path):
    runs = [("a", fake_result("a")), ("b", fake_result("b", price_level=55.0))]
    folder = compare.write_compare(runs, tmp_path / "cmp", command=["carbonsim", "compare"])
    assert sorted(p.name for p in folder.iterdir()) == [
        "comparison.csv", "manifest.json", "plots", "report.html", "runs", "who_pays.csv"]
    assert sorted(p.name for p in (folder / "runs").iterdir()) == ["a", "b"]
    assert (folder / "runs" / "a" / "report.html").is_file()
    table = pd.read_csv(folder / "comparison.csv")
    assert set(table["scenario"]) == {"a", "b"}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["runs"]) == {"a", "b"} and manifest["command"] == ["carbonsim", "compare"]
    page = (folder / "report.html").read_text()
    assert "Comparison: a vs b" in page and page.count("data:image/png;base64,") == 3


def test_write_compare_failure_leaves_nothing(tmp_path, monkeypatch):
    def broken(*args, **kw):
        raise OSError("disk full")

    monkeypatch.setattr(compare.report, "compare_page", broken)
    with pytest.raises(OSError):
        compare.write_compare([("a", fake_result("a"))], root=tmp_path / "results")
    assert list(tmp_path.iterdir()) == []


def test_run_scenarios_names_seeds_and_problems(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text(TEXTBOOK)
    runs = compare.run_scenarios([a, a], seed=11)
    assert [name for name, _ in runs] == ["textbook-two-firms", "textbook-two-firms-2"]
    assert {r.seed for _, r in runs} == {11}
    bad1, bad2 = tmp_path / "bad1.yaml", tmp_path / "bad2.yaml"
    bad1.write_text(TEXTBOOK.replace("cap: 140", "cap: -1"))
    bad2.write_text(TEXTBOOK.replace("years: 1", "yeers: 1"))
    with pytest.raises(ScenarioError) as info:
        compare.run_scenarios([a, bad1, bad2])
    files = {p.file for p in info.value.problems}
    assert any("bad1" in f for f in files) and any("bad2" in f for f in files)


def test_compare_and_write(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text(TEXTBOOK)
    done = []
    table, folder, runs = compare.compare_and_write([a, a], root=tmp_path / "results",
                                                    on_done=lambda: done.append(1))
    assert len(done) == 2
    assert folder.parent.name == "compare-textbook-two-firms-textbook-two-firms-2"
    assert len(table) == 2 and len(runs) == 2

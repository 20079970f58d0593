"""Tests of a batch's report.html (carbonsim.batch.report) on hand-made tables: the bands are
the quantiles across replicates, groups are named and told apart, every string is escaped."""

import re

import numpy as np
import pandas as pd
import pytest

from carbonsim.batch.files import lead_columns, sweep_column
from carbonsim.batch.report import (
    BAND_COLUMNS,
    band_figure,
    batch_page,
    group_labels,
    replicate_bands,
)

NASTY = '<script>alert("x")</script>&'


def _runs(names=("alpha", "alpha", "alpha", "beta"), penalties=(40, 40, 40, None),
          sources=("a.yaml",) * 3 + ("b.yaml",)) -> pd.DataFrame:
    return pd.DataFrame({
        "run_id": [f"r{k}" for k in range(len(names))], "scenario": list(names),
        "replicate": [0, 1, 2, 0][: len(names)],
        "compliance.penalty_per_t": sweep_column(list(penalties)),
        "seed": range(len(names)), "point": 0, "source": list(sources),
        "status": "finished", "wall_time_s": 0.5, "task_time_s": 1.25})


def _summary(runs: pd.DataFrame, years=(2021, 2022)) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [{"run_id": r, "year": y, "price_mean": float(rng.uniform(10, 50)),
             "fulfillment_entities": float(rng.uniform(0.5, 1)),
             "fulfillment_volume": float(rng.uniform(0.5, 1))}
            for r in runs["run_id"] for y in years]
    return pd.DataFrame(rows)


def test_bands_are_quantiles_across_the_replicates_of_each_group_and_year():
    runs = _runs()
    labels = group_labels(runs, ["compliance.penalty_per_t"])
    assert labels.to_dict() == {"r0": "alpha: penalty_per_t=40", "r1": "alpha: penalty_per_t=40",
                                "r2": "alpha: penalty_per_t=40", "r3": "beta"}
    summary = _summary(runs)
    bands = replicate_bands(summary, labels)
    assert bands[["group", "year", "runs"]].values.tolist() == [
        ["alpha: penalty_per_t=40", 2021, 3], ["alpha: penalty_per_t=40", 2022, 3],
        ["beta", 2021, 1], ["beta", 2022, 1]]
    for col, *_ in BAND_COLUMNS:
        values = summary[(summary.run_id != "r3") & (summary.year == 2022)][col]
        expected = np.quantile(values, [0.05, 0.5, 0.95])
        got = bands.loc[1, [f"{col}_p5", f"{col}_median", f"{col}_p95"]].to_numpy(dtype=float)
        np.testing.assert_allclose(got, expected)
    single = bands.loc[2]
    assert single["price_mean_p5"] == single["price_mean_median"] == single["price_mean_p95"]


def test_bands_skip_nan_and_all_nan_gives_nan_without_warnings(recwarn):
    runs = _runs()
    summary = _summary(runs)
    summary.loc[summary.run_id == "r0", "price_mean"] = np.nan  # r0 never traded
    summary.loc[summary.run_id == "r3", "price_mean"] = np.nan
    bands = replicate_bands(summary, group_labels(runs, ["compliance.penalty_per_t"]))
    alpha = summary[summary.run_id.isin(["r1", "r2"]) & (summary.year == 2021)]["price_mean"]
    assert bands.loc[0, "price_mean_median"] == pytest.approx(alpha.median())
    assert np.isnan(bands.loc[2, "price_mean_median"]) and not recwarn.list


def test_same_label_from_two_files_is_told_apart():
    runs = _runs(names=("same", "same"), penalties=(None, None), sources=("x.yaml", "y.yaml"))
    assert group_labels(runs, []).tolist() == ["same (x.yaml)", "same (y.yaml)"]


def test_sweep_columns_keep_numbers_and_text_and_encode_the_rest():
    assert sweep_column([40, None, 2.5]).tolist() == [40, None, 2.5]
    assert sweep_column(["call_auction", "continuous"]).tolist() == ["call_auction", "continuous"]
    assert sweep_column([[1, 2], 3]).tolist() == ["[1, 2]", "3"]
    assert sweep_column([{"b": 1, "a": 2}]).tolist() == ['{"a": 2, "b": 1}']


def test_page_escapes_user_strings_and_links_runs():
    runs = _runs(names=(NASTY,) * 3 + ("beta",))
    runs.loc[3, "status"] = "failed"
    failures = pd.DataFrame({"run_id": ["r3"], "scenario": ["beta"], "replicate": [0],
                             "message": ["<b>boom</b>"]})
    assert list(lead_columns([]).columns) == ["run_id", "scenario", "replicate"]
    page = batch_page(_summary(runs), runs, failures, ["compliance.penalty_per_t"], "EUR",
                      {"replicates": 3, "executor": "local", "wall_time_s": 12.5})
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>boom" not in page
    assert 'href="runs/r0/report.html"' in page and 'href="runs/r3/' not in page
    assert len(re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', page)) == 3
    assert 'id="bands"' in page and 'id="failures"' in page and 'id="runs"' in page
    assert "4 runs · 2 groups · 3 replicates each" in page and "1 failed" in page
    assert "Failures (1)" in page and "http" not in page.replace("http-equiv", "")


def test_page_of_a_batch_where_everything_failed():
    runs = _runs().assign(status="failed")
    empty = _summary(runs).iloc[0:0]
    page = batch_page(empty, runs, runs[["run_id", "scenario", "replicate"]].assign(message="x"),
                      ["compliance.penalty_per_t"])
    assert "<img" not in page and "Failures (4)" in page


def test_band_figure_draws_one_year_and_many_groups():
    runs = _runs(names=tuple(f"g{k}" for k in range(4)), penalties=(None,) * 4,
                 sources=tuple(f"{k}.yaml" for k in range(4)))
    bands = replicate_bands(_summary(runs, years=(2021,)), group_labels(runs, []))
    fig = band_figure(bands, "fulfillment_volume", "obligation met (%)", percent=True)
    ax = fig.axes[0]
    assert ax.get_ylim() == (0, 105) and len(ax.get_legend().get_texts()) == 4


# --- the sweep section: outcomes against the swept value -------------------------------------

def _sweep_runs(values=(20, 40, 60), replicates=4, penalty_key="compliance.penalty_per_t"):
    rows = [{"run_id": f"r{v}-{r}", "scenario": "s", "replicate": r, penalty_key: v,
             "seed": r, "point": k, "source": "s.yaml", "status": "finished"}
            for k, v in enumerate(values) for r in range(replicates)]
    runs = pd.DataFrame(rows)
    runs[penalty_key] = sweep_column(list(runs[penalty_key]))
    return runs


def _sweep_summary(runs):
    rows = []
    for run in runs.to_dict("records"):
        v = run["compliance.penalty_per_t"]
        for y, year in enumerate((2021, 2022)):
            rows.append({"run_id": run["run_id"], "year": year, "price_mean": v + run["replicate"] + y,
                         "least_cost_price": 45.0, "penalties": 10.0 * v, "efficiency": 0.5,
                         "abatement_cost": 100.0 * (y + 1), "offsets_t": 2.0,
                         "fulfillment_entities": 1.0, "fulfillment_volume": 1.0})
    return pd.DataFrame(rows)


def test_a_sweep_puts_the_swept_value_on_the_x_axis_with_replicate_bands():
    from carbonsim.batch.sweep_report import run_outcomes, sweep_figure, sweep_table

    runs = _sweep_runs()
    summary = _sweep_summary(runs)
    outcomes = run_outcomes(summary, {rid: 5.0 for rid in runs.run_id})
    first = outcomes.set_index("run_id").loc["r20-1"]
    assert first.price_mean == 20 + 1 + 0.5 and first.penalties == 400.0
    assert first.cost == 300.0 + 2 * 2.0 * 5.0 and first.efficiency == pytest.approx(0.5)
    table = sweep_table(runs, outcomes, "compliance.penalty_per_t", ["compliance.penalty_per_t"])
    assert table.x.tolist() == [20.0, 40.0, 60.0] and (table.runs == 4).all()
    prices = [v + r + 0.5 for r in range(4) for v in (40,)]
    assert table.loc[1, "price_mean_median"] == pytest.approx(np.median(prices))
    assert table.loc[1, "price_mean_p5"] == pytest.approx(np.quantile(prices, 0.05))
    fig = sweep_figure(table, "compliance.penalty_per_t", "EUR")
    price_ax = fig.axes[0]
    assert [tuple(line.get_xdata()) for line in price_ax.lines][:1] == [(20.0, 40.0, 60.0)]
    assert "compliance.penalty_per_t (swept)" in fig.axes[2].get_xlabel()
    assert [ax.get_ylabel() for ax in fig.axes] == [
        "price (EUR/t)", "penalties (EUR)", "efficiency (%)", "abatement and offsets cost (EUR)"]
    assert all(ax.collections for ax in fig.axes)  # each panel has its 5-95% band


def test_the_batch_page_has_a_sweep_section_only_for_numeric_sweeps():
    runs = _sweep_runs()
    summary = _sweep_summary(runs)
    page = batch_page(summary, runs, pd.DataFrame(), ["compliance.penalty_per_t"], "EUR",
                      {"replicates": 4})
    assert "<h2>Sweep: compliance.penalty_per_t</h2>" in page and 'id="sweep-0"' in page
    row = re.search(r'<table id="sweep-0">.*?<tbody><tr>(.*?)</tr>', page, re.S).group(1)
    assert '<td data-col="x">20</td>' in row and '<td data-col="runs">4</td>' in row
    text = _runs(names=("a",), penalties=("x",), sources=("a.yaml",))
    page = batch_page(_summary(text), text, pd.DataFrame(), ["compliance.penalty_per_t"], "EUR", {})
    assert "Sweep:" not in page

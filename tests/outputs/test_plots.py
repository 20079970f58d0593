"""Tests of the run figures (carbonsim.outputs.plots): built headless, labelled with units, robust to
runs where nothing traded, NaN limit bands and many years."""

import warnings

import numpy as np
import pytest
from _fake_results import fake_result
from matplotlib.figure import Figure
from PIL import Image

from carbonsim.outputs import plots
from carbonsim.outputs.compare import comparison_table


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _texts(fig: Figure) -> str:
    parts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    return " | ".join(p for p in parts if p)


def test_every_run_figure_has_titles_and_units():
    figs = plots.run_figures(fake_result(), currency="CNY")
    assert set(figs) == {"price_path", "emissions_cap", "fulfillment", "sector_costs",
                         "versus_least_cost"}
    for name, fig in figs.items():
        assert isinstance(fig, Figure), name
        text = _texts(fig)
        assert any(ax.get_ylabel() for ax in fig.axes), name
        assert fig.axes[0].get_title(loc="left") or fig._suptitle is not None, name
        assert "(" in text and ")" in text, f"{name}: no unit in any label"
    assert "price (CNY/t)" in _texts(figs["price_path"])
    assert "volume (t)" in _texts(figs["price_path"])
    assert "abatement cost (CNY)" in _texts(figs["sector_costs"])
    assert "fulfillment (%)" in _texts(figs["fulfillment"])


def test_price_path_draws_band_least_cost_and_auctions():
    r = fake_result()
    fig = plots.price_path(r.prices, r.summary, r.auctions)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["daily price limits", "session price", "last traded price", "primary auction price",
                      "least-cost price (benchmark)"]


def test_price_path_without_limits_or_trades_says_so():
    r = fake_result(trades=False)
    prices = r.prices.assign(limit_low=np.nan, limit_high=np.nan)
    fig = plots.price_path(prices, r.summary, None)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "daily price limits" not in labels and "session price" not in labels
    assert "no trades in this run" in _texts(fig)
    assert fig.axes[1].get_ylim()[0] == 0  # volume axis never goes negative
    fig2 = plots.versus_least_cost(r.summary)
    assert "no trades in this run" in _texts(fig2)


def test_fulfillment_is_percent_and_never_rounds_up_to_100():
    r = fake_result()
    summary = r.summary.assign(fulfillment_volume=[1.0, 0.9996, 0.5])
    fig = plots.fulfillment(summary)
    ax = fig.axes[0]
    assert ax.get_ylim() == (0, 115)
    labels = [t.get_text() for t in ax.texts]
    assert "100%" in labels and "99.9%" in labels and "50.0%" in labels


def test_sector_costs_groups_years_and_sums_many():
    r = fake_result(years=3)
    fig = plots.sector_costs(r.compliance)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["power", "steel"]
    assert len(fig.axes[0].patches) == 2 * 3  # one bar per sector and year
    many = fake_result(years=9)
    fig = plots.sector_costs(many.compliance)
    assert len(fig.axes[0].patches) == 2  # totals when there are more than 6 years
    heights = sorted(p.get_height() for p in fig.axes[0].patches)
    by_sector = many.compliance.groupby("sector")["abatement_cost"].sum().sort_values()
    np.testing.assert_allclose(heights, by_sector.to_numpy())


def test_sector_costs_net_purchases_sign():
    r = fake_result(years=1)
    fig = plots.sector_costs(r.compliance)
    heights = [p.get_height() for p in fig.axes[1].patches]
    assert heights == [-60.0 * 2, 60.0 * 2]  # power sells, steel buys (2 emitters each)


def test_emissions_cap_without_cap_or_least_cost_bank():
    r = fake_result()
    summary = r.summary.assign(cap_t=np.inf, least_cost_bank_t=np.nan)
    fig = plots.emissions_cap(summary)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "cap" not in labels and "least-cost bank" not in labels
    assert "bank (end of year)" in labels


def test_png_size_and_readability(tmp_path):
    path = plots.save_png(plots.fulfillment(fake_result().summary), tmp_path / "f.png")
    with Image.open(path) as img:
        width, height = img.size
    assert (width, height) == (round(plots.FIGSIZE[0] * plots.DPI), round(plots.FIGSIZE[1] * plots.DPI))


def test_compare_figures():
    table = comparison_table([("a", fake_result("a")), ("b", fake_result("b", price_level=60.0))])
    fig = plots.compare_years(table, [("price_mean", "price (EUR/t)"),
                                      ("efficiency", "efficiency (%)")], percent=("efficiency",))
    assert fig.legends[0].get_texts()[0].get_text() == "a"
    assert len(fig.axes[0].lines) == 2

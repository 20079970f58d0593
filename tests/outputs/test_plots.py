"""Tests of the run figures (carbonsim.outputs.plots): built headless, labelled with units, robust to
runs where nothing traded, NaN limit bands and many years."""

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from _fake_results import fake_result
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
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
        assert any(ax.get_ylabel() or ax.get_xlabel() for ax in fig.axes), name
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
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["power", "steel"]
    assert len(fig.axes[0].patches) == 2 * 3  # one bar per sector and year
    many = fake_result(years=9)
    fig = plots.sector_costs(many.compliance)
    assert len(fig.axes[0].patches) == 2  # totals when there are more than 6 years
    widths = sorted(p.get_width() for p in fig.axes[0].patches)
    by_sector = many.compliance.groupby("sector")["abatement_cost"].sum().sort_values()
    np.testing.assert_allclose(widths, by_sector.to_numpy())


def test_sector_costs_net_purchases_sign():
    r = fake_result(years=1)
    fig = plots.sector_costs(r.compliance)
    widths = [p.get_width() for p in fig.axes[1].patches]
    assert widths == [-60.0 * 2, 60.0 * 2]  # power sells, steel buys (2 emitters each)


def test_emissions_cap_without_cap_or_least_cost_bank():
    r = fake_result()
    summary = r.summary.assign(cap_t=np.inf, least_cost_bank_t=np.nan)
    fig = plots.emissions_cap(summary)
    labels = [label for ax in fig.axes for label in ax.get_legend_handles_labels()[1]]
    assert "cap" not in labels and "least-cost bank" not in labels
    assert "bank after the deadline" in labels


def test_png_size_and_readability(tmp_path):
    path = plots.save_png(plots.fulfillment(fake_result().summary), tmp_path / "f.png")
    with Image.open(path) as img:
        width, height = img.size
    assert (width, height) == (round(plots.FIGSIZE[0] * plots.DPI), round(plots.FIGSIZE[1] * plots.DPI))


def test_volume_bars_draw_the_pixels_of_ax_bar():
    dates = pd.Series(pd.date_range("2021-01-04", periods=300, freq="B"))
    volume = np.random.default_rng(5).integers(1, 10**6, 300).astype(float)
    volume[::7] = 0.5
    pictures = []
    for draw in ("bar", "collection"):
        fig = Figure(figsize=plots.FIGSIZE, dpi=plots.DPI)
        ax = fig.add_subplot()
        if draw == "bar":
            ax.bar(dates, volume, width=1.6, color="#8c8c8c")
        else:
            plots._bars(ax, dates, volume, 1.6, "#8c8c8c")
            ax.autoscale_view()
        ax.set_ylim(0, volume.max() * 1.05)
        with Image.open(io.BytesIO(plots.png_bytes(fig))) as img:
            pictures.append(np.asarray(img))
    np.testing.assert_array_equal(pictures[0], pictures[1])


def test_compare_figures():
    table = comparison_table([("a", fake_result("a")), ("b", fake_result("b", price_level=60.0))])
    fig = plots.compare_years(table, [("price_mean", "price (EUR/t)"),
                                      ("efficiency", "efficiency (%)")], percent=("efficiency",))
    assert fig.legends[0].get_texts()[0].get_text() == "a"
    assert len(fig.axes[0].lines) == 2


# --- the plots fixed for readability, each rendered (and looked at when they were changed) ----

def _six_sectors():
    """A compliance table with six sectors of long names, as the Shanghai scenario has."""
    r = fake_result(years=2)
    names = ["power_and_heat_supply", "iron_and_steel", "petrochemicals", "other_industry",
             "commercial_buildings", "transport_and_ports"]
    comp = pd.concat([r.compliance.assign(sector=name, id=r.compliance.id + f"-{k}")
                      for k, name in enumerate(names)], ignore_index=True)
    return comp, names


def _render(fig, tmp_path, name):
    path = plots.save_png(fig, tmp_path / f"{name}.png")
    with Image.open(path) as img:
        assert img.size[0] == round(plots.FIGSIZE[0] * plots.DPI)
    return fig


def test_sector_costs_with_six_long_sector_names_keeps_them_apart(tmp_path):
    comp, names = _six_sectors()
    fig = _render(plots.sector_costs(comp, "CNY"), tmp_path, "sector_costs")
    ax = fig.axes[0]
    labels = [t.get_text().replace("\n", "") for t in ax.get_yticklabels()]
    assert labels == names  # one label per sector, top to bottom, on the sector axis
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    boxes = [t.get_window_extent(canvas.get_renderer()) for t in ax.get_yticklabels()]
    assert all(a.y0 >= b.y1 or b.y0 >= a.y1 for a, b in zip(boxes, boxes[1:])), "labels overlap"


def test_price_path_band_stops_at_the_last_trade(tmp_path):
    r = fake_result()
    prices = r.prices.copy()
    last = prices.index[prices.price.notna()][-1]
    after = prices.index > last
    prices.loc[prices.index[-10:], ["price", "volume_t", "trades"]] = [np.nan, 0, 0]
    last = prices.index[prices.price.notna()][-1]
    after = prices.index > last
    prices.loc[after, "limit_low"] = np.geomspace(30, 0.5, after.sum())  # drifting to zero
    prices.loc[after, "limit_high"] = prices.loc[after, "limit_low"] * 1.2
    fig = _render(plots.price_path(prices, r.summary, r.auctions), tmp_path, "price_path")
    band = fig.axes[0].collections[0]  # the fill_between of the limits
    ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
    assert ys.min() > 20  # the drift after the last trade is not drawn
    assert fig.axes[0].get_ylim()[0] == 0


def test_the_bank_has_its_own_axis(tmp_path):
    r = fake_result()
    summary = r.summary.assign(emissions_t=1e8, abatement_t=1e7, cap_t=1.05e8,
                               bank_t=[2e5, 1e5, 0], least_cost_bank_t=[1.5e5, 5e4, 0])
    fig = _render(plots.emissions_cap(summary), tmp_path, "emissions_cap")
    top, bank = fig.axes
    assert top.get_ylim()[1] > 1e8 and bank.get_ylim()[1] < 1e6  # each on its own scale
    assert "bank (t)" in bank.get_ylabel()
    assert max(p.get_height() for p in bank.patches) == pytest.approx(2e5)


def test_compare_efficiency_axis_shows_every_point(tmp_path):
    table = comparison_table([("a", fake_result("a")), ("b", fake_result("b"))])
    table.loc[table.scenario == "b", "efficiency"] = [1.3, 2.2, 0.9]
    fig = _render(plots.compare_years(table, [("efficiency", "efficiency (%)")],
                                      percent=("efficiency",)), tmp_path, "efficiency")
    assert fig.axes[0].get_ylim()[1] >= 220


@pytest.mark.parametrize("currency", ["$", "US$", "$ per unit $"])
def test_dollar_signs_in_user_strings_are_plain_text(tmp_path, currency):
    """matplotlib reads $...$ as TeX; user strings must print as typed, and never fail."""
    r = fake_result(years=2)
    comp = r.compliance.assign(sector=r.compliance.sector.map({"power": "$power$", "steel": "st$el"}))
    r = type(r)(**{**r.__dict__, "compliance": comp})
    figures = plots.run_figures(r, currency)
    table = comparison_table([("$a$", r), ("b$", r)])
    figures["compare"] = plots.compare_years(table, [("price_mean", f"price ({currency}/t)")],
                                             title="$x$ vs $y$")
    figures["bars"] = plots.sector_bars(pd.DataFrame({"$a$": [1.0, 2.0], "b": [3.0, 4.0]},
                                                     index=["$p$", "s$"]), f"cost ({currency})")
    for name, fig in figures.items():
        plots.png_bytes(fig)  # renders every text: mathtext would raise or typeset here
        for text in fig.findobj(Text):
            _, math = text._preprocess_math(text.get_text())
            assert not math, (name, text.get_text())
    ylabels = [ax.get_ylabel() for ax in figures["price_path"].axes]
    assert any(label.replace("\\$", "$") == f"price ({currency}/t)" for label in ylabels)
    ticks = [t.get_text() for t in figures["sector_costs"].axes[0].get_yticklabels()]
    assert [t.replace("\\$", "$") for t in ticks] == ["$power$", "st$el"]

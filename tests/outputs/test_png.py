"""Tests of carbonsim.outputs.png: the pixels of savefig in one draw, on renderers kept per size,
as RGB when the figure is opaque; titles placed as matplotlib's search places them."""

import io
import threading

import numpy as np
import pandas as pd
import pytest
from _fake_results import fake_result
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from carbonsim.outputs import plot_style, plots, png


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img)


def _savefig_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=plots.DPI, facecolor="white")
    return buf.getvalue()


@pytest.mark.parametrize("trades", [True, False])
def test_png_bytes_draw_the_pixels_of_savefig(trades):
    # Each figure is a fresh one (a figure drawn once is laid out from where it was left); they
    # are drawn one after the other on the kept renderers, twice, of two sizes (a tall bar
    # chart among the run's figures), so a renderer reused from another figure or an earlier
    # draw must change nothing.
    result = fake_result(trades=trades)
    tall = pd.DataFrame({"a": np.arange(20.0), "b": -np.arange(20.0)},
                        index=[f"sector {k}" for k in range(20)])

    def figures():
        return {**plots.run_figures(result, "CNY"), "tall": plots.sector_bars(tall, "t")}

    slow = {k: _pixels(_savefig_bytes(f)) for k, f in figures().items()}
    assert len({p.shape for p in slow.values()}) == 2
    for _ in range(2):
        for name, fig in figures().items():
            fast = _pixels(plots.png_bytes(fig))
            assert (slow[name][..., 3] == 255).all() and fast.shape[2] == 3, name  # opaque: RGB
            np.testing.assert_array_equal(fast, slow[name][..., :3], err_msg=name)
            assert fig.get_facecolor() == Figure().get_facecolor() and fig.dpi == plots.DPI
            assert type(fig.canvas) is FigureCanvasAgg  # not left on a shared renderer


def test_a_figure_with_transparent_pixels_stays_rgba():
    fig = Figure(figsize=(4, 3), dpi=plots.DPI, frameon=False)  # no face: transparent around
    fig.add_subplot().plot([0, 1], [1, 0])
    fast, slow = _pixels(plots.png_bytes(fig)), _pixels(_savefig_bytes(fig))
    assert fast.shape[2] == 4 and (fast[..., 3] < 255).any()
    np.testing.assert_array_equal(fast, slow)


def test_the_png_carries_matplotlibs_software_text_and_the_dpi():
    with Image.open(io.BytesIO(plots.png_bytes(plots.fulfillment(fake_result().summary)))) as img:
        assert img.info["Software"].startswith("Matplotlib version")
        assert img.info["dpi"] == pytest.approx((plots.DPI, plots.DPI), abs=0.02)  # whole px per metre
        assert img.size == (round(plots.FIGSIZE[0] * plots.DPI), round(plots.FIGSIZE[1] * plots.DPI))


def test_figures_drawn_from_threads_at_once_each_get_their_own_pixels():
    result = fake_result()
    expected = {k: _pixels(plots.png_bytes(f)) for k, f in plots.run_figures(result, "EUR").items()}
    got: dict[str, np.ndarray] = {}
    figures = plots.run_figures(result, "EUR")

    def draw(name):
        got[name] = _pixels(plots.png_bytes(figures[name]))

    threads = [threading.Thread(target=draw, args=(name,)) for name in figures]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in figures:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_renderers_kept_are_few():
    for height in range(3, 3 + 2 * png._KEPT):
        fig = Figure(figsize=(2, height / 2), dpi=50)
        fig.add_subplot()
        png.png_bytes(fig, dpi=50)
    assert len(png._RENDERERS) == png._KEPT


@pytest.mark.parametrize("trades", [True, False])
def test_fixed_title_position_draws_what_matplotlibs_search_draws(trades, monkeypatch):
    # axes.titley = 1.0 skips matplotlib's search for decorations above each axes (at every
    # draw); the search, turned back on, must put every title at the same pixels.
    result = fake_result(trades=trades)
    fixed = {k: _pixels(plots.png_bytes(f)) for k, f in plots.run_figures(result, "EUR").items()}
    monkeypatch.setitem(plot_style._STYLE, "axes.titley", None)
    for name, fig in plots.run_figures(result, "EUR").items():
        assert any(ax._autotitlepos for ax in fig.axes)  # the search is on in this reference
        np.testing.assert_array_equal(_pixels(plots.png_bytes(fig)), fixed[name], err_msg=name)


def test_a_price_axis_in_millions_shows_no_offset_text_under_its_title():
    summary = fake_result().summary
    summary = summary.assign(price_mean=summary["price_mean"] * 1e5,
                             least_cost_price=summary["least_cost_price"] * 1e5)
    fig = plots.versus_least_cost(summary)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    left = fig.axes[0]
    assert left.get_ylim()[1] > 1e6
    assert left.yaxis.get_offset_text().get_text() == ""
    assert all("e" not in t.get_text() for t in left.get_yticklabels())

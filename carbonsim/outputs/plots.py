"""Figures of a run: one function per figure, each taking DataFrames and returning a Figure.

Figures are built with ``matplotlib.figure.Figure`` (the Agg canvas, no pyplot and no display),
so they work headless and are freed when dropped. Column names are those of carbonsim.sim.results.
Every string that comes from the user (currency, sector, scenario and group names) goes through
``plain`` (carbonsim.outputs.plot_style), so a ``$`` prints as typed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import ticker
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

__all__ = [
    "DPI",
    "FIGSIZE",
    "compare_years",
    "emissions_cap",
    "fulfillment",
    "plain",
    "png_bytes",
    "price_path",
    "run_figures",
    "save_png",
    "sector_bars",
    "sector_costs",
    "versus_least_cost",
]

from carbonsim.outputs.plot_style import (  # noqa: F401 - FIGSIZE, DPI and plain are public here too
    _BLUE,
    _CYCLE,
    _GREEN,
    _GREY,
    _ORANGE,
    _RED,
    DPI,
    FIGSIZE,
    _compact,
    _empty_note,
    _figure,
    _headroom,
    _wrap,
    _year_axis,
    plain,
)
from carbonsim.outputs.png import png_bytes, save_png  # noqa: F401 - public here too


def price_path(prices: pd.DataFrame, summary: pd.DataFrame, auctions: pd.DataFrame | None = None,
               currency: str = "EUR", title: str = "") -> Figure:
    """Session prices with the daily-limit band and least-cost price; traded volume below.

    Units: price in currency per t, volume in t. Sessions with no trade (NaN price) are skipped.
    """
    fig, axes = _figure(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax, axv = axes[:, 0]
    dates = pd.to_datetime(prices["date"])
    band = prices["limit_high"].notna() & prices["limit_low"].notna()
    traded = prices["price"].notna()
    if traded.any():
        # After the last trade the limits follow quotes with nobody left to trade, and drift
        # toward zero: drawn, they look like a crash. The band is shown where trades were.
        order = np.arange(len(prices))
        first, last = order[traded.to_numpy()][[0, -1]]
        band &= (order >= first) & (order <= last)
    if band.any():
        ax.fill_between(dates, prices["limit_low"].where(band), prices["limit_high"].where(band),
                        step="mid", color=_BLUE, alpha=0.13, linewidth=0, label="daily price limits")
    if traded.any():
        # The last traded price holds until the next trade: a step line, not a slope.
        ax.plot(dates[traded], prices.loc[traded, "price"], ls="none", marker="o",
                ms=4 if traded.sum() < 300 else 1.5, color=_BLUE, label="session price")
        ax.step(dates, prices["close"].ffill(), where="post", color=_BLUE, lw=1.2, alpha=0.7,
                label="last traded price")
    else:
        _empty_note(ax, "no trades in this run")
    if auctions is not None and auctions["price"].notna().any():
        sold = auctions["price"].notna()
        ax.scatter(pd.to_datetime(auctions.loc[sold, "date"]), auctions.loc[sold, "price"],
                   marker="^", s=45, color=_ORANGE, zorder=3, label="primary auction price")
    lc = summary[["year", "least_cost_price"]].dropna()
    if len(lc):
        edges = pd.to_datetime([f"{y}-01-01" for y in [*lc["year"], lc["year"].iloc[-1] + 1]])
        steps = np.append(lc["least_cost_price"].to_numpy(), lc["least_cost_price"].iloc[-1])
        ax.step(edges, steps, where="post", color=_GREEN, lw=2, ls="--",
                label="least-cost price (benchmark)")
    ax.set_ylabel(plain(f"price ({currency}/t)"))
    fig.suptitle(plain(title) if title else "Allowance price and traded volume", x=0.01,
                 ha="left", fontsize=13)
    _headroom(ax)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4, frameon=False,
                  borderaxespad=0.2)
    days = dates.to_numpy().astype("datetime64[s]").astype(float) / 86400
    spacing = float(np.median(np.diff(days))) if len(days) > 1 else 1.0
    span = float(days.max() - days.min()) if len(days) > 1 else 1.0
    volume = prices["volume_t"].to_numpy()
    traded_days = volume > 0
    if traded_days.sum() <= 400:
        # Bars at least 1/300 of the axis wide, so a lone trade stays visible on a long run;
        # drawn as one collection (the pixels of ax.bar, without an artist per bar).
        _bars(axv, dates[traded_days], volume[traded_days],
              max(0.8 * spacing, span / 300, 0.8), _GREY)
    else:  # one polygon instead of thousands of bars: same picture, a fraction of the time
        axv.fill_between(dates, volume, step="mid", color=_GREY, linewidth=0)
    axv.set_ylabel("volume (t)")
    axv.set_ylim(0, max(float(prices["volume_t"].max()) if len(prices) else 0.0, 0.0) * 1.05 or 1)
    axv.yaxis.set_major_formatter(ticker.FuncFormatter(_compact))
    axv.yaxis.set_major_locator(ticker.MaxNLocator(3, integer=True))
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    axv.xaxis.set_major_locator(locator)
    axv.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return fig


def _bars(ax, dates: pd.Series, height: np.ndarray, width: float, color: str) -> None:
    """Vertical bars centred on ``dates``, ``width`` days wide, from 0: the pixels of
    ``ax.bar`` as one collection instead of one artist per bar (hundreds on a long run)."""
    x0 = mdates.date2num(dates.to_numpy()) - width / 2
    top = np.asarray(height, dtype=float)
    base = np.zeros_like(top)
    corners = [(x0, base), (x0, top), (x0 + width, top), (x0 + width, base)]
    ax.add_collection(PolyCollection(np.stack([np.c_[x, y] for x, y in corners], axis=1),
                                     facecolors=color, edgecolors="none", linewidths=0))
    ax.xaxis_date()


def emissions_cap(summary: pd.DataFrame, title: str = "") -> Figure:
    """Emissions (with abatement on top: BAU) against the cap; below, on its own axis, the bank
    held after each year's deadline, simulated (bars) and least-cost (line).

    Units: t CO2e a year; the bank in t.
    """
    fig, axes = _figure(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    ax, axb = axes[:, 0]
    years = summary["year"].to_numpy()
    ax.bar(years, summary["emissions_t"], width=0.6, color=_BLUE, label="emissions")
    ax.bar(years, summary["abatement_t"], bottom=summary["emissions_t"], width=0.6,
           color=_BLUE, alpha=0.3, label="abatement (up to business as usual)")
    cap = summary["cap_t"].where(np.isfinite(summary["cap_t"]))
    if cap.notna().any():
        ax.step(np.append(years - 0.5, years[-1] + 0.5), np.append(cap, cap.iloc[-1]),
                where="post", color=_RED, lw=2.2, label="cap")
    ax.set_ylabel("t CO2e a year")
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(_compact))
    _headroom(ax, 0.16)
    ax.set_title(plain(title) if title else "Emissions against the cap", loc="left")
    ax.legend(loc="upper center", ncols=3, frameon=False)
    axb.bar(years, summary["bank_t"], width=0.6, color=_ORANGE, label="bank after the deadline")
    if "least_cost_bank_t" in summary and summary["least_cost_bank_t"].notna().any():
        axb.plot(years, summary["least_cost_bank_t"], color=_GREEN, lw=1.8, ls="--", marker="x",
                 ms=7, label="least-cost bank")
    axb.set_ylabel("bank (t)")
    axb.yaxis.set_major_formatter(ticker.FuncFormatter(_compact))
    axb.yaxis.set_major_locator(ticker.MaxNLocator(3))
    _headroom(axb, 0.25)
    axb.set_xlabel("compliance year")
    _year_axis(axb, years)
    axb.legend(loc="upper right", ncols=2, frameon=False, fontsize=9)
    return fig


def fulfillment(summary: pd.DataFrame, title: str = "") -> Figure:
    """Compliance fulfillment by year: share of emitters compliant and of the obligation met.

    Units: percent (0-100).
    """
    fig, axes = _figure()
    ax = axes[0, 0]
    years = summary["year"].to_numpy()
    width = 0.38
    for offset, col, label, color in ((-width / 2, "fulfillment_entities", "emitters compliant", _BLUE),
                                      (width / 2, "fulfillment_volume", "obligation surrendered", _GREEN)):
        pct = 100 * summary[col].to_numpy(dtype=float)
        bars = ax.bar(years + offset, pct, width=width, color=color, label=label)
        if len(years) <= 12:
            ax.bar_label(bars, labels=[_pct_label(v) for v in pct], padding=2, fontsize=9)
    ax.axhline(100, color=_GREY, lw=1, ls=":")
    ax.set_ylim(0, 115)
    ax.yaxis.set_major_locator(ticker.FixedLocator([0, 20, 40, 60, 80, 100]))
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(100))
    ax.set_ylabel("fulfillment (%)")
    ax.set_xlabel("compliance year")
    _year_axis(ax, years)
    ax.set_title(title or "Compliance fulfillment by year", loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, frameon=False)
    return fig


def _pct_label(v: float) -> str:
    """'100%' only when exactly met; otherwise one decimal, rounded down (99.96 -> '99.9%')."""
    if not np.isfinite(v):
        return "n/a"
    return "100%" if v >= 100 else f"{np.floor(v * 10) / 10:.1f}%"


def _by_sector_year(compliance: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """Sector x year table of ``values`` (indexed like compliance); years summed when many."""
    table = values.groupby([compliance["sector"], compliance["year"]], sort=False).sum().unstack()
    if table.shape[1] > 6:
        table = table.sum(axis=1).to_frame("all years")
    return table


def _grouped_bars(ax, table: pd.DataFrame) -> None:
    """Horizontal grouped bars: one row per index entry (e.g. a sector, top to bottom, its name
    on the y axis, wrapped if long), one bar per column (e.g. a year or a run)."""
    n = max(table.shape[1], 1)
    height = 0.8 / n
    y = np.arange(len(table))
    for k, col in enumerate(table.columns):
        ax.barh(y - 0.4 + height * (k + 0.5), table[col].fillna(0), height=height,
                color=_CYCLE[k % len(_CYCLE)], label=plain(col))
    ax.set_yticks(y, [_wrap(s) for s in table.index])
    ax.set_ylim(len(table) - 0.5, -0.5)  # the first row on top
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(_compact))
    ax.xaxis.set_major_locator(ticker.MaxNLocator(5))
    ax.grid(False, axis="y")
    ax.grid(True, axis="x", color="#dddddd", linewidth=0.8)
    ax.tick_params(axis="y", length=0)


def _bar_height(rows: int, bars: int) -> float:
    """Figure height (in) that keeps each bar readable: FIGSIZE's for up to 12 bars a panel."""
    return max(FIGSIZE[1], 2.0 + 0.28 * rows * max(bars, 1))


def sector_costs(compliance: pd.DataFrame, currency: str = "EUR", title: str = "") -> Figure:
    """Abatement cost and net purchases (bought - sold) by sector, one bar per year (the years
    summed when there are more than 6); sectors top to bottom, names on the left.

    Units: abatement cost in currency; net purchases in t (right of zero: the sector bought).
    """
    cost = net = None
    if not compliance.empty:
        cost = _by_sector_year(compliance, compliance["abatement_cost"])
        net = _by_sector_year(compliance, compliance["bought_t"] - compliance["sold_t"])
    height = _bar_height(*cost.shape) if cost is not None else FIGSIZE[1] + 0.4
    fig, axes = _figure(1, 2, figsize=(FIGSIZE[0], height), sharey=True)
    left, right = axes[0]
    if cost is None:
        for ax in (left, right):
            _empty_note(ax, "no emitters")
        return fig
    _grouped_bars(left, cost)
    left.set_xlabel(plain(f"abatement cost ({currency})"))
    left.set_title("Abatement cost by sector", loc="left")
    _grouped_bars(right, net)
    right.axvline(0, color="black", lw=0.8)
    right.set_xlabel("net purchases (t): bought (incl. auctions) − sold")
    right.set_title("Net allowance purchases by sector", loc="left")
    right.tick_params(axis="y", labelleft=False)
    if not (net.to_numpy() != 0).any():
        _empty_note(right, "no allowances changed hands between sectors")
        right.set_xticks([0])
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 8),
               frameon=False, title="compliance year" if len(labels) > 1 else None)
    if title:
        fig.suptitle(plain(title), x=0.01, ha="left", fontsize=13)
    return fig


def versus_least_cost(summary: pd.DataFrame, currency: str = "EUR", title: str = "") -> Figure:
    """Simulated against least-cost: price by year, and abatement cost with the efficiency.

    Units: price in currency per t; cost in currency; efficiency = least-cost / simulated cost.
    """
    fig, axes = _figure(1, 2)
    left, right = axes[0]
    years = summary["year"].to_numpy()
    few = len(years) <= 12
    left.plot(years, summary["least_cost_price"], color=_GREEN, marker="s", ms=9 if few else 4,
              lw=2, ls="--", label="least cost")
    left.plot(years, summary["price_mean"], color=_BLUE, marker="o", ms=6 if few else 3, lw=2,
              label="simulated (mean)")
    if summary["price_mean"].isna().all():
        _empty_note(left, "no trades in this run")
    left.set_ylabel(plain(f"price ({currency}/t)"))
    left.ticklabel_format(axis="y", style="plain", useOffset=False)  # no "1e6" under the title
    left.set_title("Allowance price", loc="left")
    _headroom(left)
    width = 0.38
    right.bar(years - width / 2, summary["abatement_cost"], width=width, color=_BLUE,
              label="simulated")
    right.bar(years + width / 2, summary["least_cost_abatement_cost"], width=width,
              color=_GREEN, label="least cost")
    if len(years) <= 8:  # the efficiency above each pair of bars
        tops = np.fmax(summary["abatement_cost"].to_numpy(dtype=float),
                       summary["least_cost_abatement_cost"].to_numpy(dtype=float))
        for year, top, eff in zip(years, tops, summary["efficiency"].to_numpy(dtype=float)):
            if np.isfinite(eff) and np.isfinite(top):
                right.annotate(f"efficiency {100 * eff:.0f}%", (year, top), xytext=(0, 4),
                               textcoords="offset points", ha="center", fontsize=9)
    right.set_ylabel(plain(f"abatement cost ({currency})"))
    right.yaxis.set_major_formatter(ticker.FuncFormatter(_compact))
    right.set_title("Abatement cost (efficiency = least cost / simulated)", loc="left")
    right.margins(y=0.12)
    for ax in (left, right):
        _year_axis(ax, years)
        ax.set_xlabel("compliance year")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=2, frameon=False)
    if title:
        fig.suptitle(plain(title), x=0.01, ha="left", fontsize=13)
    return fig


def compare_years(table: pd.DataFrame, columns: list[tuple[str, str]], title: str = "",
                  percent: tuple[str, ...] = ()) -> Figure:
    """One panel per (column, y label) of a comparison table: a line per scenario over the years.

    Units: those of each column; columns named in ``percent`` (fractions) are shown as percent.
    """
    fig, axes = _figure(1, len(columns), figsize=(FIGSIZE[0], FIGSIZE[1] - 0.4))
    years = table["year"].to_numpy()
    groups = list(table.groupby("scenario", sort=False))
    markers = "osD^vP*X"
    for ax, (col, label) in zip(axes[0], columns):
        for k, (name, rows) in enumerate(groups):
            values = rows[col] * (100 if col in percent else 1)
            dodge = (k - (len(groups) - 1) / 2) * min(0.08, 0.5 / len(groups))  # equal values stay visible
            ax.plot(rows["year"] + dodge, values, marker=markers[k % len(markers)], ms=7, lw=2,
                    color=_CYCLE[k % len(_CYCLE)], label=plain(name))
        ax.set_ylabel(plain(label))
        ax.set_xlabel("compliance year")
        if col in percent:
            # 0 to at least 110%, higher when a value is (efficiency can exceed 100%)
            top = np.nanmax(np.append(100 * table[col].to_numpy(dtype=float), 0.0))
            ax.set_ylim(0, max(110.0, 1.08 * top) if np.isfinite(top) else 110.0)
            ax.yaxis.set_major_locator(ticker.MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]))
            ax.yaxis.set_major_formatter(ticker.PercentFormatter(100, decimals=0))
        else:
            _headroom(ax)
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(_compact))
        _year_axis(ax, np.unique(years))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4), frameon=False)
    if title:
        fig.suptitle(plain(title), x=0.01, ha="left", fontsize=13)
    return fig


def sector_bars(table: pd.DataFrame, xlabel: str, title: str = "") -> Figure:
    """Horizontal grouped bars: one group per row of ``table`` (e.g. sectors, names on the
    left), one bar per column (e.g. runs). Units: those of the values, named by ``xlabel``."""
    fig, axes = _figure(figsize=(FIGSIZE[0], _bar_height(*table.shape)))
    ax = axes[0, 0]
    _grouped_bars(ax, table)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(plain(xlabel))
    ax.set_title(plain(title), loc="left")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(table.shape[1], 4),
               frameon=False)
    return fig


def run_figures(result, currency: str = "EUR") -> dict[str, Figure]:
    """All figures of a run, by file stem (``price_path`` -> plots/price_path.png)."""
    return {
        "price_path": price_path(result.prices, result.summary, result.auctions, currency),
        "emissions_cap": emissions_cap(result.summary),
        "fulfillment": fulfillment(result.summary),
        "sector_costs": sector_costs(result.compliance, currency),
        "versus_least_cost": versus_least_cost(result.summary, currency),
    }

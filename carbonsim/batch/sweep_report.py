"""The sweep part of a batch's report: each outcome against the swept value, across replicates.

A sweep asks how the outcome moves with a setting, so the swept value goes on the x axis. For
every numeric sweep key, each run is reduced to whole-run outcomes (SWEEP_METRICS: the mean
price and the least-cost price, penalties, efficiency and cost over all years) and, at each
value of the key, the median and the 5-95% band across the replicates are drawn and tabled. Runs
that differ in anything else (another scenario file, another sweep key's value) are separate
lines. Units: the scenario's currency, per t for prices; efficiency as a fraction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import ticker

from carbonsim.outputs import plot_style as style
from carbonsim.outputs.html import escape as _e, format_value, image_tag as _img

__all__ = ["SWEEP_METRICS", "run_outcomes", "sweep_figure", "sweep_html", "sweep_keys_to_plot",
           "sweep_table"]

# (outcome, label, unit ('{cur}' is the currency), kind of number for format_value)
SWEEP_METRICS = [
    ("price_mean", "mean price", "{cur}/t", "price"),
    ("least_cost_price", "least-cost price", "{cur}/t", "price"),
    ("penalties", "penalties", "{cur}", "amount"),
    ("efficiency", "efficiency", "%", "pct"),
    ("cost", "abatement and offsets cost", "{cur}", "amount"),
]
_Q = {"p5": 0.05, "median": 0.5, "p95": 0.95}


def run_outcomes(summary: pd.DataFrame, offset_prices: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per run (``run_id``): the SWEEP_METRICS over all its years. Prices are means of
    the years' values (years without trades left out); penalties and cost are sums; efficiency
    is the least-cost cost over the simulated cost of the whole horizon."""
    prices = offset_prices or {}
    frame = summary.assign(
        cost=summary["abatement_cost"] + summary.get("offsets_t", 0.0)
        * summary["run_id"].map(lambda r: prices.get(r, 0.0)))
    frame = frame.assign(best=frame["efficiency"].fillna(1.0) * frame["cost"])
    by = frame.groupby("run_id", sort=False)
    out = pd.DataFrame({"price_mean": by["price_mean"].mean(),
                        "least_cost_price": by["least_cost_price"].mean(),
                        "penalties": by["penalties"].sum(), "cost": by["cost"].sum()})
    best = by["best"].sum()
    out["efficiency"] = np.where(out["cost"] > 0, best / out["cost"].where(out["cost"] > 0), np.nan)
    return out.reset_index()


def sweep_keys_to_plot(runs: pd.DataFrame, sweep_keys: Sequence[str]) -> list[str]:
    """The sweep keys whose values are numbers and take at least two values."""
    keys = []
    for key in sweep_keys:
        values = pd.to_numeric(runs[key], errors="coerce") if key in runs else pd.Series(dtype=float)
        numeric = values.notna() | runs[key].isna()
        if len(values) and numeric.all() and values.nunique() >= 2:
            keys.append(key)
    return keys


def _line_labels(runs: pd.DataFrame, key: str, sweep_keys: Sequence[str]) -> pd.Series:
    """What tells the lines of a sweep plot apart: the scenario and the other sweep values."""
    others = [k for k in sweep_keys if k != key]

    def label(row) -> str:
        rest = [f"{k.rsplit('.', 1)[-1]}={row[k]}" for k in others if pd.notna(row[k])]
        return f"{row['scenario']}" + (f" ({', '.join(rest)})" if rest else "")

    labels = runs.apply(label, axis=1)
    if "source" in runs and labels.groupby(labels).apply(lambda s: runs.loc[s.index, "source"].nunique()).gt(1).any():
        labels = labels + " [" + runs["source"].astype(str) + "]"
    return labels


def sweep_table(runs: pd.DataFrame, outcomes: pd.DataFrame, key: str,
                sweep_keys: Sequence[str]) -> pd.DataFrame:
    """Per line and value of ``key``: ``runs`` and ``<metric>_p5/_median/_p95`` across replicates."""
    frame = runs[runs["status"] != "failed"] if "status" in runs else runs
    frame = frame.assign(line=_line_labels(frame, key, sweep_keys),
                         x=pd.to_numeric(frame[key], errors="coerce"))
    frame = frame.merge(outcomes, on="run_id", how="inner")
    rows = []
    for (line, x), part in frame.groupby(["line", "x"], sort=False):
        row = {"line": line, "x": float(x), "runs": len(part)}
        for col, *_ in SWEEP_METRICS:
            values = part[col].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            for q, p in _Q.items():
                row[f"{col}_{q}"] = float(np.quantile(values, p)) if values.size else np.nan
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    order = {name: k for k, name in enumerate(dict.fromkeys(table["line"]))}
    return table.sort_values(["line", "x"], key=lambda s: s.map(order) if s.name == "line" else s,
                             kind="stable").reset_index(drop=True)


def sweep_figure(table: pd.DataFrame, key: str, currency: str):
    """Four panels against the swept value: price (simulated and least-cost), penalties,
    efficiency and cost; per line the median across replicates and its 5-95% band (shaded)."""
    fig, axes = style._figure(2, 2, figsize=(style.FIGSIZE[0], style.FIGSIZE[1] + 1.6), sharex=True)
    panels = [("price", [("price_mean", "-", "mean price"), ("least_cost_price", "--", "least-cost")],
               f"price ({currency}/t)"),
              ("penalties", [("penalties", "-", "")], f"penalties ({currency})"),
              ("efficiency", [("efficiency", "-", "")], "efficiency (%)"),
              ("cost", [("cost", "-", "")], f"abatement and offsets cost ({currency})")]
    lines = list(dict.fromkeys(table["line"]))
    for ax, (_, series, ylabel) in zip(axes.flat, panels):
        for k, line in enumerate(lines):
            part = table[table["line"] == line]
            color = style._CYCLE[k % len(style._CYCLE)]
            for col, ls, what in series:
                scale = 100.0 if col == "efficiency" else 1.0
                mid, lo, hi = (scale * part[f"{col}_{q}"].to_numpy(dtype=float) for q in ("median", "p5", "p95"))
                x = part["x"].to_numpy(dtype=float)
                name = " ".join(p for p in (str(line) if len(lines) > 1 else "", what) if p)
                ax.fill_between(x, lo, hi, color=color, alpha=0.15 if ls == "-" else 0.08, linewidth=0)
                ax.plot(x, mid, color=color, ls=ls, marker="o" if ls == "-" else "s", ms=5, lw=2,
                        label=style.plain(name or line))
        ax.set_ylabel(style.plain(ylabel))
        if ylabel.startswith("efficiency"):
            ax.yaxis.set_major_formatter(ticker.PercentFormatter(100, decimals=0))
        else:
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(style._compact))
        top = max((np.nanmax(np.append(line.get_ydata(), 0.0)) for line in ax.lines), default=0.0)
        if top > 0:
            style._headroom(ax, 0.1)
        else:  # all zero (e.g. no penalties): a plain zero line, not an axis from -0.06
            ax.set_ylim(0, 1)
            ax.yaxis.set_major_locator(ticker.FixedLocator([0]))
    for ax in axes[1]:
        ax.set_xlabel(style.plain(f"{key} (swept)"))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4), frameon=False)
    fig.suptitle(style.plain(f"Outcomes against {key}: median and 5-95% of replicates"), x=0.01,
                 ha="left", fontsize=13)
    return fig


def _table_html(table: pd.DataFrame, key: str, currency: str, index: int) -> str:
    several = table["line"].nunique() > 1  # one line: its name is the page's title already
    head = ('<tr>' + ('<th class="l">line</th>' if several else "")
            + f'<th data-col="x">{_e(key)}</th><th>runs</th>'
            + "".join(f'<th data-col="{c}">{_e(label)}<small>median [5%, 95%] '
                      f'{_e(unit.format(cur=currency))}</small></th>'
                      for c, label, unit, _ in SWEEP_METRICS) + "</tr>")
    body = ""
    for row in table.to_dict("records"):
        cells = "".join(
            f'<td data-col="{c}">{_e(format_value(row[f"{c}_median"], kind))} '
            f'[{_e(format_value(row[f"{c}_p5"], kind))}, {_e(format_value(row[f"{c}_p95"], kind))}]</td>'
            for c, _, _, kind in SWEEP_METRICS)
        line = f'<td class="l" data-col="line">{_e(row["line"])}</td>' if several else ""
        body += (f'<tr>{line}<td data-col="x">{row["x"]:g}</td>'
                 f'<td data-col="runs">{row["runs"]}</td>{cells}</tr>')
    return (f'<div class="wide"><table id="sweep-{index}"><thead>{head}</thead>'
            f"<tbody>{body}</tbody></table></div>")


def sweep_html(summary: pd.DataFrame, runs: pd.DataFrame, sweep_keys: Sequence[str],
               currency: str, offset_prices: Mapping[str, float] | None = None) -> str:
    """The sweep section of a batch's report ('' when no sweep key is numeric and varies)."""
    keys = sweep_keys_to_plot(runs, sweep_keys) if len(runs) and len(summary) else []
    if not keys:
        return ""
    from carbonsim.outputs.plots import png_bytes

    outcomes = run_outcomes(summary, offset_prices)
    html = ""
    for k, key in enumerate(keys):
        table = sweep_table(runs, outcomes, key, sweep_keys)
        if table.empty:
            continue
        caption = (f"Against {key}: the mean price and the least-cost price (dashed), penalties, "
                   "efficiency and the cost of abatement and offsets over all years; the median "
                   "across replicates (points) and the 5-95% band (shaded).")
        html += (f"<h2>Sweep: {_e(key)}</h2>" + _img(png_bytes(sweep_figure(table, key, currency)), caption)
                 + _table_html(table, key, currency, k))
    if html:
        html += ('<p class="note">Each run counts once: its prices are the means of its years, '
                 "its penalties and cost the sums, its efficiency the least-cost cost over its own "
                 "cost, all years together.</p>")
    return html

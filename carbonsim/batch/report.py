"""report.html of a batch: how results spread across replicates, per scenario and sweep point.

A *group* is one scenario file's sweep point; its replicates differ only by their seeds. For
each group and year the page shows the median and the 5-95% band (linear interpolation between
order statistics; NaN values, e.g. a year without trades, left out) of the mean price and the
two fulfillment rates, as a table and as plots, then the failures and the list of runs. A sweep
first gets its own section, each outcome against the swept value (carbonsim.batch.sweep_report). The
page is self-contained (PNG plots inline, no script); every user string is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure

from carbonsim.outputs import html, plots


__all__ = ["BAND_COLUMNS", "band_figure", "batch_page", "group_labels", "replicate_bands"]

# (summary column, label, unit ('{cur}' is the currency), kind of number for format_value)
BAND_COLUMNS = [("price_mean", "mean price", "{cur}/t", "price"),
                ("fulfillment_entities", "emitters compliant", "%", "pct"),
                ("fulfillment_volume", "obligation met", "%", "pct")]
QUANTILES = {"p5": 0.05, "median": 0.5, "p95": 0.95}
_PER_FIGURE = 6  # groups drawn in one figure; more go to further figures
_MAX_RUN_ROWS = 500  # runs listed in the page
_COLORS = ["#1f5fa8", "#e07b22", "#2e8b57", "#b8323a", "#7b4fa6", "#8c6d31"]
_e = html.escape


def _short(value: object) -> str:
    text = value if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 30 else text[:27] + "..."


def group_labels(runs: pd.DataFrame, sweep_keys: Sequence[str]) -> pd.Series:
    """One label per run naming its group: ``scenario`` or ``scenario: key=value, ...``.

    ``runs`` has run_id, scenario, source, point and the sweep columns. Groups from different
    files that would read the same get the file name appended. Indexed by run_id.
    """
    def label(row) -> str:
        values = [f"{k.rsplit('.', 1)[-1]}={_short(row[k])}" for k in sweep_keys
                  if row[k] is not None and not (isinstance(row[k], float) and np.isnan(row[k]))]
        return f"{row['scenario']}: {', '.join(values)}" if values else str(row["scenario"])

    labels = runs.apply(label, axis=1) if len(runs) else pd.Series([], dtype=object)
    keys = list(zip(runs.get("source", [""] * len(runs)), runs.get("point", [0] * len(runs))))
    owners: dict[str, set] = {}
    for text, key in zip(labels, keys):
        owners.setdefault(text, set()).add(key)
    out = [f"{text} ({key[0]})" if len(owners[text]) > 1 else text
           for text, key in zip(labels, keys)]
    return pd.Series(out, index=runs["run_id"].to_list(), dtype=object)


def _quantiles(values: np.ndarray) -> dict[str, float]:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return {name: float("nan") for name in QUANTILES}
    qs = np.quantile(finite, list(QUANTILES.values()))
    return dict(zip(QUANTILES, map(float, qs)))


def replicate_bands(summary: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """Per group (first-seen order) and year: ``runs`` and, for each BAND_COLUMNS column, its
    ``_p5``, ``_median`` and ``_p95`` across the group's runs (units of the column)."""
    columns = ["group", "year", "runs"] + [f"{c}_{q}" for c, *_ in BAND_COLUMNS for q in QUANTILES]
    if summary.empty:
        return pd.DataFrame(columns=columns)
    frame = summary.assign(group=summary["run_id"].map(labels))
    rows = []
    for (group, year), part in frame.groupby(["group", "year"], sort=False):
        row = {"group": group, "year": int(year), "runs": int(part["run_id"].nunique())}
        for col, *_ in BAND_COLUMNS:
            for q, v in _quantiles(part[col].to_numpy(dtype=float)).items():
                row[f"{col}_{q}"] = v
        rows.append(row)
    order = {g: k for k, g in enumerate(dict.fromkeys(frame["group"]))}
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["group", "year"], key=lambda s: s.map(order) if s.name == "group"
                           else s, kind="stable").reset_index(drop=True)


def band_figure(bands: pd.DataFrame, column: str, ylabel: str, percent: bool = False,
                title: str = "") -> Figure:
    """Median by year (line) with the 5-95% band (shaded, and whiskers) of one column, a line
    per group. Units: those of the column; ``percent`` shows fractions as percent."""
    fig = Figure(figsize=plots.FIGSIZE, dpi=plots.DPI, layout="constrained")
    ax = fig.subplots()
    scale = 100.0 if percent else 1.0
    groups = list(dict.fromkeys(bands["group"]))
    for k, group in enumerate(groups):
        part = bands[bands["group"] == group]
        x = part["year"].to_numpy(dtype=float) + (k - (len(groups) - 1) / 2) * 0.06
        mid, lo, hi = (scale * part[f"{column}_{q}"].to_numpy(dtype=float)
                       for q in ("median", "p5", "p95"))
        color = _COLORS[k % len(_COLORS)]
        ax.fill_between(x, lo, hi, color=color, alpha=0.15, linewidth=0)
        ax.errorbar(x, mid, yerr=[np.nan_to_num(mid - lo), np.nan_to_num(hi - mid)], color=color,
                    marker="o", ms=6, lw=2, capsize=4, label=plots.plain(group))
    ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    years = np.unique(bands["year"].to_numpy()) if len(bands) else np.array([])
    if 0 < len(years) <= 12:
        ax.xaxis.set_major_locator(ticker.FixedLocator(years))
    ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%d"))
    if percent:
        ax.set_ylim(0, 105)
        ax.yaxis.set_major_formatter(ticker.PercentFormatter(100, decimals=0))
    ax.set_xlabel("compliance year")
    ax.set_ylabel(plots.plain(ylabel))
    ax.set_title(plots.plain(title), loc="left")
    if groups:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=min(len(groups), 2),
                  frameon=False)
    return fig


def _figures(bands: pd.DataFrame, currency: str) -> list[tuple[str, bytes]]:
    groups = list(dict.fromkeys(bands["group"]))
    out = []
    for start in range(0, len(groups), _PER_FIGURE):
        part = bands[bands["group"].isin(groups[start:start + _PER_FIGURE])]
        more = f" (groups {start + 1}-{start + len(part['group'].unique())})" if len(
            groups) > _PER_FIGURE else ""
        for col, label, unit, kind in BAND_COLUMNS:
            fig = band_figure(part, col, f"{label} ({unit.format(cur=currency)})", kind == "pct",
                              f"{label.capitalize()}: median and 5-95% of replicates{more}")
            caption = (f"{label.capitalize()} by year: median across replicates (points) and "
                       f"5-95% band (shaded, whiskers){more}.")
            out.append((caption, plots.png_bytes(fig)))
    return out


def _bands_table(bands: pd.DataFrame, currency: str) -> str:
    head = ('<tr><th class="l">group</th><th>year</th><th>runs</th>' + "".join(
        f'<th data-col="{c}">{_e(label)}<small>median [5%, 95%] '
        f'{_e(unit.format(cur=currency))}</small></th>' for c, label, unit, _ in BAND_COLUMNS)
        + "</tr>")
    body = ""
    for row in bands.to_dict("records"):
        cells = "".join(
            f'<td data-col="{c}">{_e(html.format_value(row[f"{c}_median"], kind))} ['
            f'{_e(html.format_value(row[f"{c}_p5"], kind))}, '
            f'{_e(html.format_value(row[f"{c}_p95"], kind))}]</td>'
            for c, _, _, kind in BAND_COLUMNS)
        body += (f'<tr><td class="l">{_e(row["group"])}</td><td>{row["year"]}</td>'
                 f'<td>{row["runs"]}</td>{cells}</tr>')
    return f'<table id="bands"><thead>{head}</thead><tbody>{body}</tbody></table>'


def _table(frame: pd.DataFrame, table_id: str, link_runs: bool = False) -> str:
    head = "".join(f'<th class="l">{_e(c)}</th>' for c in frame.columns)
    body = ""
    for row in frame.to_dict("records"):
        cells = []
        for col, value in row.items():
            text = _e(html.format_value(value, "text"))
            if link_runs and col == "run_id" and row.get("status") != "failed":
                text = f'<a href="runs/{text}/report.html">{text}</a>'
            cells.append(f'<td class="l" data-col="{_e(col)}">{text}</td>')
        body += "<tr>" + "".join(cells) + "</tr>"
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def batch_page(summary: pd.DataFrame, runs: pd.DataFrame, failures: pd.DataFrame,
               sweep_keys: Sequence[str], currency: str = "", meta: Mapping | None = None,
               offset_prices: Mapping[str, float] | None = None) -> str:
    """The HTML text of a batch's report (see the module; the sweep section: batch_sweep).

    ``summary``, ``runs`` and ``failures`` are the frames of summary.csv, runs.csv and
    failures.csv; ``meta`` may hold replicates, executor, wall_time_s (s) and started_utc;
    ``offset_prices`` maps run id -> offset price (currency/t), for the cost of each run.
    """
    from carbonsim.batch.sweep_report import sweep_html

    meta = dict(meta or {})
    labels = group_labels(runs, sweep_keys)
    bands = replicate_bands(summary, labels)
    counts = runs["status"].value_counts().to_dict() if len(runs) else {}
    names = list(dict.fromkeys(runs["scenario"])) if len(runs) else []
    facts = [f"{len(runs)} runs", f"{len(labels.unique()) if len(runs) else 0} groups",
             f"{meta.get('replicates', '?')} replicates each",
             (f"{counts.get('finished', 0)} computed now, {counts.get('resumed', 0)} from an "
              f"earlier batch, {counts.get('failed', 0)} failed")]
    if "executor" in meta:
        facts.append(f"executor: {meta['executor']}")
    if "wall_time_s" in meta:
        facts.append(f"wall time {float(meta['wall_time_s']):.1f} s")
    body = (f"<h1>Batch: {_e(', '.join(map(str, names)) or 'no runs')}</h1>"
            f'<p class="meta">{_e(" · ".join(facts))}</p>'
            + sweep_html(summary, runs, sweep_keys, currency, offset_prices)
            + "<h2>Across replicates, by group and year</h2>" + _bands_table(bands, currency)
            + '<p class="note">A group is one scenario and sweep point; its replicates differ '
              "only by their seeds. Median [5%, 95%] across the group's runs; n/a: no run had a "
              "value (e.g. nothing traded that year).</p>")
    if len(bands):
        body += "<h2>Plots</h2>" + "".join(html.image_tag(png, cap) for cap, png in
                                           _figures(bands, currency))
    body += f"<h2>Failures ({len(failures)})</h2>"
    body += (_table(failures, "failures") if len(failures)
             else '<p class="note">No run failed.</p>')
    shown = runs.drop(columns=[c for c in ("source", "point") if c in runs]).head(_MAX_RUN_ROWS)
    for col in ("wall_time_s", "task_time_s"):
        if col in shown:
            shown[col] = shown[col].map(lambda v: html.format_value(v, "price"))
    body += ("<h2>Runs</h2>" + _table(shown, "runs", link_runs=True)
             + (f'<p class="note">First {_MAX_RUN_ROWS} of {len(runs)} runs; all are in '
                "runs.csv.</p>" if len(runs) > _MAX_RUN_ROWS else ""))
    return html.page(f"carbonsim batch: {', '.join(map(str, names))}", body)

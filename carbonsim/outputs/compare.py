"""The same economy under several rule sets, side by side (``carbonsim compare``).

One comparison table (a row per scenario and year: price, fulfillment, abatement cost,
efficiency, and who pays: net spend on allowances and penalties by sector) and a folder with
that table as CSV, a who-pays CSV, each run's own folder, plots and report.html, written
atomically like a single run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from carbonsim.outputs import run_folder as output

from carbonsim.outputs import plots

from carbonsim.outputs import report

__all__ = [
    "BASE_COLUMNS",
    "compare",
    "compare_and_write",
    "comparison_table",
    "run_scenarios",
    "who_pays",
    "write_compare",
]

BASE_COLUMNS = ["scenario", "year", "price_mean", "price_close", "least_cost_price", "volume_t",
                "emissions_t", "fulfillment_entities", "fulfillment_volume", "abatement_cost",
                "least_cost_abatement_cost", "efficiency", "penalties"]


def comparison_table(runs: Sequence[tuple[str, object]]) -> pd.DataFrame:
    """One row per (scenario, year): BASE_COLUMNS, then ``net_spend.<sector>`` and
    ``penalty.<sector>`` for every sector of any run (currency; 0 where a run lacks the sector).

    Units: prices in currency/t, volumes and emissions in t, costs in currency, fulfillment and
    efficiency as fractions.
    """
    frames = []
    for name, result in runs:
        base = result.summary.assign(scenario=name)[BASE_COLUMNS]
        comp = result.compliance
        paid = comp.pivot_table(index="year", columns="sector", values=["net_spend", "penalty"],
                                aggfunc="sum", sort=False)
        paid.columns = [f"{value}.{sector}" for value, sector in paid.columns]
        frames.append(base.merge(paid, left_on="year", right_index=True, how="left"))
    table = pd.concat(frames, ignore_index=True)
    sector_cols = [c for c in table.columns if c not in BASE_COLUMNS]
    ordered = sorted(sector_cols, key=lambda c: (not c.startswith("net_spend."), sector_cols.index(c)))
    table[ordered] = table[ordered].fillna(0.0)
    return table[BASE_COLUMNS + ordered]


def _offset_price(result) -> float:
    offsets = (output.resolved_scenario(result.scenario).get("compliance") or {}).get("offsets")
    return float((offsets or {}).get("price") or 0.0)


def who_pays(runs: Sequence[tuple[str, object]]) -> pd.DataFrame:
    """Per scenario and sector over all years: the columns of carbonsim.outputs.who_pays.sector_table
    (emitters, tonnes, abatement_cost, market_spend, auction_paid, offsets_paid, penalty,
    total_cost, net_spend, share; currency)."""
    frames = [report.sector_table(result.compliance, _offset_price(result)).reset_index()
              .assign(scenario=name) for name, result in runs]
    table = pd.concat(frames, ignore_index=True)
    return table[["scenario", "sector", *[c for c in table.columns if c not in ("scenario", "sector")]]]


def _unique_names(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def run_scenarios(paths_or_scenarios: Sequence, seed: int | None = None,
                  on_done: Callable[[], None] | None = None) -> list[tuple[str, object]]:
    """Load (paths) and run every scenario; ``seed`` (default: each scenario's own) is shared so
    the runs differ only by their rules. Returns (unique name, Result) pairs in input order;
    ``on_done()`` is called after each run (for a progress bar).

    Raises ScenarioError listing the problems of every bad file before anything runs, and
    CarbonsimError if a run fails.
    """
    from carbonsim.sim.engine import run
    from carbonsim.scenario import ScenarioError, load_scenario

    scenarios, problems = [], []
    for item in paths_or_scenarios:
        if isinstance(item, (str, os.PathLike)):
            try:
                item = load_scenario(item)
            except ScenarioError as exc:
                problems += exc.problems
                continue
        scenarios.append(item)
    if problems:
        raise ScenarioError(problems)
    names = _unique_names([str(s.name) for s in scenarios])
    runs = []
    for name, scenario in zip(names, scenarios):
        runs.append((name, run(scenario, seed=seed)))
        if on_done is not None:
            on_done()
    return runs


def compare(paths_or_scenarios: Sequence, seed: int | None = None) -> pd.DataFrame:
    """Run the scenarios and return their comparison table (see comparison_table).

    Raises ScenarioError for bad scenarios and CarbonsimError if a run fails.
    """
    return comparison_table(run_scenarios(paths_or_scenarios, seed))


def _figures(runs: Sequence[tuple[str, object]], table: pd.DataFrame, currency: str) -> dict:
    cur = currency
    payers = who_pays(runs).pivot_table(index="sector", columns="scenario", values="total_cost",
                                        aggfunc="sum", sort=False)
    payers = payers[[name for name, _ in runs]]
    figures = {
        "price_cost": plots.compare_years(
            table, [("price_mean", f"mean price ({cur}/t)"), ("abatement_cost", f"abatement cost ({cur})")],
            "Price and abatement cost by year"),
        "fulfillment_efficiency": plots.compare_years(
            table, [("fulfillment_entities", "emitters compliant (%)"),
                    ("fulfillment_volume", "obligation met (%)"), ("efficiency", "efficiency (%)")],
            "Fulfillment and efficiency by year",
            percent=("fulfillment_entities", "fulfillment_volume", "efficiency")),
        "who_pays": plots.sector_bars(
            payers, f"total cost ({cur}): abatement + allowances bought, net + offsets + penalties",
            "Who pays: total cost by sector, all years"),
    }
    return {name: plots.png_bytes(fig) for name, fig in figures.items()}


def write_compare(runs: Sequence[tuple[str, object]], out_dir: str | os.PathLike | None = None, *,
                  root: str | os.PathLike = "results", command: Sequence[str] | None = None,
                  started: dt.datetime | None = None) -> Path:
    """Write comparison.csv, who_pays.csv, runs/<name>/ (as ``run`` writes), plots/*.png,
    manifest.json and report.html into ``out_dir`` (default ``root/compare-<names>/<UTC time>``).

    Raises OutputExistsError if ``out_dir`` exists and OSError if writing fails; either way no
    folder is left at ``out_dir``.
    """
    label = "compare-" + "-".join(name for name, _ in runs)
    out = Path(out_dir) if out_dir is not None else output.default_out_dir(label[:80], root)
    output.check_new_folder(out)
    table = comparison_table(runs)
    settings = [output.resolved_scenario(r.scenario) for _, r in runs]
    currency = str(settings[0].get("currency", "")) if settings else ""
    figures = _figures(runs, table, currency)
    with output.atomic_folder(out) as tmp:
        table.to_csv(tmp / "comparison.csv", index=False)
        who_pays(runs).to_csv(tmp / "who_pays.csv", index=False)
        manifests = {}
        for name, result in runs:
            folder = output.write_run(result, tmp / "runs" / name, command=command, started=started)
            manifests[name] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        (tmp / "plots").mkdir()
        for name, png in figures.items():
            (tmp / "plots" / f"{name}.png").write_bytes(png)
        info = {"command": list(command) if command is not None else None,
                "runs": {name: {k: m[k] for k in ("scenario", "seed", "scenario_sha256",
                                                  "wall_time_s")} for name, m in manifests.items()}}
        info.update({k: v for k, v in next(iter(manifests.values()), {}).items()
                     if k in ("carbonsim", "python", "numpy", "pandas", "simpy", "pydantic")})
        (tmp / "manifest.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        triples = [(name, r, s) for (name, r), s in zip(runs, settings)]
        (tmp / "report.html").write_text(report.compare_page(triples, figures, table),
                                         encoding="utf-8")
    return out


def compare_and_write(paths_or_scenarios: Sequence, seed: int | None = None,
                      out_dir: str | os.PathLike | None = None, *, root: str | os.PathLike = "results",
                      command: Sequence[str] | None = None,
                      on_done: Callable[[], None] | None = None) -> tuple[pd.DataFrame, Path, list]:
    """Run the scenarios, write the comparison folder; return (table, folder, (name, Result) pairs).

    ``on_done()`` is called after each run.

    Raises ScenarioError, OutputExistsError (checked before running), CarbonsimError, OSError.
    """
    if out_dir is not None:
        output.check_can_create(Path(out_dir))
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    runs = run_scenarios(paths_or_scenarios, seed, on_done)
    folder = write_compare(runs, out_dir, root=root, command=command, started=started)
    return comparison_table(runs), folder, runs

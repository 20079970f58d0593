"""Write the result tables of the docs from runs of the bundled scenarios, so they match the code.

Each table sits between two markers in a Markdown file:

    <!-- begin: NAME (written by docs/make_tables.py) -->
    | ... |
    <!-- end: NAME -->

``python docs/make_tables.py`` reruns the scenarios (each with its own seed) and rewrites every
table; ``python docs/make_tables.py --check`` only compares and exits 1 (showing the
difference) when a table is out of date. tests/test_docs.py runs the check.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import carbonsim  # noqa: E402
from carbonsim.scenario import load_scenario, scenario_dict  # noqa: E402
from carbonsim.scenario.loader import load_scenario_dict  # noqa: E402
from carbonsim.outputs.headline import headline_facts  # noqa: E402
from carbonsim.outputs.observed import simulated  # noqa: E402
from carbonsim.outputs.who_pays import sector_table  # noqa: E402

SCENARIOS = ROOT / "scenarios"
LIBRARY = ["shanghai-2020", "china-national-2021", "eu-ets-2024", "rggi",
           "variants/rggi-annual-auction", "california", "eu-ets-2008-2018"]
RULE_SETS = {"grandfathering": "grandfathering", "historical-intensity": "historical intensity",
             "benchmark": "benchmark", "full-auction": "full auction", "hybrid": "hybrid"}
SECTORS = ["power", "steel", "cement", "light_industry"]
FRICTION = {"behaviour": {"participation": {"start": 0.1, "at_deadline": 1.0}}}

_RUNS: dict[str, object] = {}


def run(rel: str, changes: dict | None = None):
    """The Result of scenarios/<rel>.yaml (with ``changes`` merged into sections), run once."""
    key = rel + repr(changes)
    if key not in _RUNS:
        scenario = load_scenario(SCENARIOS / f"{rel}.yaml")
        if changes:
            data = scenario_dict(scenario)
            for section, values in changes.items():
                data[section] = {**(data.get(section) or {}), **values}
            scenario = load_scenario_dict(data, file=f"<{rel} with {changes}>")
        _RUNS[key] = carbonsim.run(scenario)
    return _RUNS[key]


def _num(value: float, digits: int = 2) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:,.{digits}f}"


def _pct(value: float) -> str:
    """Percent, never rounded up to 100 (99.96 -> 99.9), '100' when exactly met."""
    if not np.isfinite(value):
        return "-"
    pct = 100 * value
    return "100" if pct >= 100 else f"{np.floor(pct * 10) / 10:.1f}"


def _years(values, fmt: Callable[[float], str], years=None) -> str:
    """Values by year: all of them up to four years, else the first two, '...', the last."""
    texts = [fmt(v) for v in values]
    if len(texts) <= 4:
        return ", ".join(texts)
    years = None if years is None else list(years)
    span = f" ({int(years[0])}-{int(years[-1])})" if years else ""
    return f"{texts[0]}, {texts[1]}, ..., {texts[-1]}{span}"


def _same_or_years(values, fmt, years=None) -> str:
    texts = [fmt(v) for v in values]
    return texts[0] if len(set(texts)) == 1 else _years(values, fmt, years)


def _auction_prices(result) -> list[float]:
    a = result.auctions
    return a.loc[a.sold_t > 0, "price"].tolist()


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _efficiency(result) -> str:
    """Least-cost over simulated cost (abatement plus offsets at their price), all years, %."""
    facts = headline_facts(result.summary, result.compliance, result.extras.get("offset_price", 0.0))
    return _num(100 * facts["least_cost"] / facts["cost"], 1) if facts["cost"] > 0 else "-"


def key_results() -> str:
    """docs/scenario-library.md: the calibrated scenarios' prices and fulfillment by year."""
    rows = []
    for rel in LIBRARY:
        r = run(rel)
        s = r.summary
        auctions = _auction_prices(r)
        rows.append([
            rel.rsplit("/", 1)[-1], _years(s.least_cost_price, _num, s.year),
            _years(s.price_mean, _num, s.year),
            "(none)" if not auctions else _years(auctions, _num),
            _same_or_years(s.fulfillment_entities, _pct, s.year),
            _same_or_years(s.fulfillment_volume, _pct, s.year),
            _efficiency(r),
        ])
    return _table(["file", "least-cost price", "secondary price", "auction prices",
                   "emitters compliant (%)", "obligation met (%)", "efficiency, all years (%)"],
                  rows)


def _rule_rows(changes: dict | None = None) -> list[tuple[str, object]]:
    return [(label, run(f"allocation-comparison/{name}", changes)) for name, label in RULE_SETS.items()]


def _by_year(values, fmt) -> str:
    return " / ".join(fmt(v) for v in values)


def allocation_results() -> str:
    """docs/allocation-comparison.md: each rule set's prices, compliance, cost and volume."""
    rows = []
    for label, r in _rule_rows():
        s = r.summary
        auctions = r.auctions.groupby("year").price.mean().reindex(s.year)
        rows.append([label, _by_year(s.price_mean, _num), _by_year(auctions, _num),
                     _by_year(s.least_cost_price, _num), _by_year(s.fulfillment_entities, _pct),
                     _by_year(s.fulfillment_volume, _pct), _num(s.abatement_cost.sum() / 1e6),
                     _efficiency(r), _num(s.penalties.sum(), 0),
                     _num(s.volume_t.sum() / 1e6)])
    return _table(["rule set", "secondary price", "auction price", "least-cost price",
                   "emitters compliant (%)", "obligation met (%)", "abatement cost (M EUR)",
                   "efficiency (%)", "penalties (EUR)", "volume traded (Mt)"], rows)


def allocation_who_pays() -> str:
    """docs/allocation-comparison.md: total cost by sector and rule set, M EUR."""
    rows = []
    for label, r in _rule_rows():
        table = sector_table(r.compliance)["total_cost"] / 1e6
        rows.append([label, *(_num(table.get(s, np.nan), 1) for s in SECTORS),
                     _num(table.sum(), 1)])
    return _table(["rule set", *(s.replace("_", " ") for s in SECTORS), "all sectors"], rows)


def allocation_frictions() -> str:
    """docs/allocation-comparison.md: the rule sets with participation rising to the deadline."""
    rows = []
    for label, r in _rule_rows(FRICTION):
        s = r.summary
        rows.append([label, _by_year(s.price_mean, _num), _by_year(s.abatement_cost / 1e6,
                                                                  lambda v: _num(v, 1)),
                     _by_year(100 * s.efficiency, lambda v: _num(v, 1)),
                     _by_year(s.fulfillment_entities, _pct)])
    return _table(["rule set", "secondary price", "abatement cost (M EUR)", "efficiency (%)",
                   "emitters compliant (%)"], rows)


REAL = ROOT / "docs" / "real-figures.csv"
#: Rows of the real-vs-simulated table: label -> (scenario file, scenario of its real figures).
REAL_RUNS = {
    "shanghai-2020": ("shanghai-2020", "shanghai-2020"),
    "shanghai-2020-deadline": ("variants/shanghai-2020-deadline", "shanghai-2020"),
    "china-national-2021": ("china-national-2021", "china-national-2021"),
    "china-national-2021-deadline": ("variants/china-national-2021-deadline", "china-national-2021"),
    "eu-ets-2024": ("eu-ets-2024", "eu-ets-2024"),
    "rggi": ("rggi", "rggi"),
    "california": ("california", "california"),
    "eu-ets-2008-2018": ("eu-ets-2008-2018", "eu-ets-2008-2018"),
}
#: Columns: heading, the figures it shows (docs/real-figures.csv), how a value is written.
REAL_COLUMNS = [
    ("secondary price", "price", ("price_mean", "close"), _num),
    ("auction price", "auction price", ("auction_price",), _num),
    ("auction sell-through", "sell-through", ("sell_through",), lambda v: _num(100 * v, 1) + "%"),
    ("emitters compliant", "compliance", ("compliance_entities",), lambda v: _num(100 * v, 1) + "%"),
    ("obligation met", "compliance", ("compliance_volume",), lambda v: _num(100 * v, 1) + "%"),
    ("volume (Mt)", "volume", ("volume_t",), lambda v: _num(v / 1e6, 1)),
    ("share in the 2 months before the deadline", "share before the deadline", ("deadline_share",),
     lambda v: _num(100 * v, 0) + "%"),
    ("TNAC (Mt)", "TNAC", ("tnac_t",), lambda v: _num(v / 1e6, 0)),
    ("MSR intake (Mt)", "MSR intake", ("msr_intake_t",), lambda v: _num(v / 1e6, 0)),
]
OFF = 0.25  # a figure more than this far from the real one (relative) is flagged


def real_figures() -> pd.DataFrame:
    """docs/real-figures.csv: one published figure a row, with its source and address."""
    return pd.read_csv(REAL, dtype={"date": str, "note": str}, keep_default_na=False,
                       na_values={"value": [""]})


def _tnac(result, year: int) -> float:
    """The TNAC after ``year`` of a run without an MSR: the running sum of the supply balance
    (supply less emissions covered less cancellations, the EU's definition)."""
    s = result.summary.set_index("year")
    return float(s["bank_change_t"].cumsum().get(year, np.nan))


def _compare(result, rows: pd.DataFrame) -> tuple[float, float]:
    """(simulated, real) for the real figures ``rows`` of one figure and year (their mean)."""
    first = rows.iloc[0]
    dates = [d for d in rows["date"] if d]
    if first.figure == "tnac_t" and not len(result.msr):
        return _tnac(result, int(first.year)), float(rows["value"].mean())
    return simulated(result, first.figure, int(first.year), dates), float(rows["value"].mean())


def real_results() -> str:
    """docs/scenario-library.md: simulated against real for every calibrated scenario and year."""
    real = real_figures()
    shown = [c for c in REAL_COLUMNS if real.figure.isin(c[2]).any()]
    body, used = [], {}
    for label, (rel, key) in REAL_RUNS.items():
        mine = real[real.scenario == key]
        r = run(rel)
        for year in sorted(mine.year.unique()):
            cells, off = [], []
            for _, flag, figures, fmt in shown:
                rows = mine[(mine.year == year) & mine.figure.isin(figures)]
                if rows.empty:
                    cells.append("-")
                    continue
                sim, value = _compare(r, rows)
                used.update(dict(zip(rows.key, zip(rows.source, rows.url))))
                if not np.isfinite(sim):
                    cells.append(f"- / {fmt(value)}")
                    off.append(f"{flag} (none simulated)")
                    continue
                diff = (sim - value) / value
                pct = int(round(100 * diff))
                cells.append(f"{fmt(sim)} / {fmt(value)} ({'+' if pct >= 0 else '-'}{abs(pct)}%)")
                if abs(diff) > OFF:
                    off.append(flag)
            body.append([label, str(year), *cells, ", ".join(dict.fromkeys(off)) or "-"])
    table = _table(["scenario", "year", *(c[0] for c in shown), f"more than {OFF:.0%} off"], body)
    def order(k: str) -> tuple:
        m = re.match(r"([A-Z])(\d+)(.*)", k)
        return (m.group(1), int(m.group(2)), m.group(3)) if m else (k, 0, "")

    sources = "\n".join(f"- [{k}] {used[k][0]}: {used[k][1]}" for k in sorted(used, key=order))
    return f"{table}\n\nSources (docs/real-figures.csv):\n\n{sources}"


EU_2008 = "eu-ets-2008-2018"
FORESIGHT = {"behaviour": {"expectations": "perfect_foresight"}}


def eu_2008_2018() -> str:
    """docs/scenario-library.md: the EU 2008-2018 file on rolling horizons and with perfect
    foresight, against the real yearly price and TNAC."""
    real = real_figures()
    real = real[real.scenario == EU_2008]
    rolling, foresight = run(EU_2008), run(EU_2008, FORESIGHT)

    def auction(r, year: int) -> float:
        a = r.auctions
        sold = a[(a.year == year) & (a.sold_t > 0)]
        return float(sold.price.mean()) if len(sold) else np.nan

    def known(figure: str, year: int) -> float:
        rows = real[(real.figure == figure) & (real.year == year)]
        return float(rows.value.mean()) if len(rows) else np.nan

    rows = []
    for year in range(2008, 2019):
        rows.append([str(year), _num(auction(rolling, year)), _num(auction(foresight, year)),
                     _num(known("price_mean", year)), _num(_tnac(rolling, year) / 1e6, 0),
                     _num(_tnac(foresight, year) / 1e6, 0), _num(known("tnac_t", year) / 1e6, 0)])
    return _table(["year", "price, rolling (EUR/t)", "price, perfect foresight", "price, real",
                   "TNAC, rolling (Mt)", "TNAC, perfect foresight", "TNAC, real"], rows)


TABLES: dict[str, tuple[str, Callable[[], str]]] = {
    "eu-2008-2018": ("docs/scenario-library.md", eu_2008_2018),
    "real-results": ("docs/scenario-library.md", real_results),
    "key-results": ("docs/scenario-library.md", key_results),
    "allocation-results": ("docs/allocation-comparison.md", allocation_results),
    "allocation-who-pays": ("docs/allocation-comparison.md", allocation_who_pays),
    "allocation-frictions": ("docs/allocation-comparison.md", allocation_frictions),
}


def _block(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- begin: {re.escape(name)} \(written by docs/make_tables.py\) -->\n)"
                      rf"(.*?)(\n *<!-- end: {re.escape(name)} -->)", re.S)


def render() -> dict[Path, tuple[str, str]]:
    """Each docs file's text now and with its tables rewritten: path -> (old, new)."""
    texts: dict[Path, list[str]] = {}
    for name, (rel, make) in TABLES.items():
        path = ROOT / rel
        old, new = texts.setdefault(path, [path.read_text(encoding="utf-8")] * 2)
        match = _block(name).search(new)
        if match is None:
            raise SystemExit(f"{rel}: no markers for the table {name!r}")
        indent = re.match(r" *", new[new.rfind("\n", 0, match.start()) + 1:]).group(0)
        table = "\n".join(indent + line for line in make().splitlines())
        texts[path][1] = new[: match.start(2)] + table + new[match.end(2):]
    return {path: (old, new) for path, (old, new) in texts.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if out of date")
    args = parser.parse_args(argv)
    stale = 0
    for path, (old, new) in render().items():
        if old == new:
            continue
        stale += 1
        if args.check:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                       str(path.relative_to(ROOT)), "generated"))
        else:
            path.write_text(new, encoding="utf-8")
            print(f"rewrote {path.relative_to(ROOT)}")
    if args.check and stale:
        print(f"\n{stale} file(s) out of date: run python docs/make_tables.py", file=sys.stderr)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())

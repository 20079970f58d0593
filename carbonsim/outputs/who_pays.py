"""Who pays: each sector's allowances and costs over a run, and what the government received.

A sector's total cost is what meeting its obligations cost it: abatement (the area under its
MAC curves), plus what it paid for allowances on the market net of what it received for them,
plus what it paid at primary auctions and for offsets, plus penalties. Free allocation costs
nothing, so with free rules money only moves between sectors; auctions, sales at the price
ceiling and penalties move it to the government (purchases at the price floor move it back).
Tonnes are t; money is the scenario's currency.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["SECTOR_LABELS", "government_table", "sector_table"]

# column -> (label, unit: "t" or "cur")
SECTOR_LABELS = {
    "emitters": ("emitters", ""), "emissions_t": ("emissions", "t"),
    "free_allocation_t": ("free allocation", "t"), "bought_t": ("bought on the market", "t"),
    "sold_t": ("sold on the market", "t"), "auction_bought_t": ("bought at auction", "t"),
    "offsets_t": ("offsets surrendered", "t"),
    "abatement_cost": ("abatement cost", "cur"), "market_spend": ("paid on the market, net", "cur"),
    "auction_paid": ("paid at auction", "cur"), "offsets_paid": ("paid for offsets", "cur"),
    "penalty": ("penalties", "cur"), "total_cost": ("total cost", "cur"),
    "share": ("share of the total", "%"),
}
TONNE_COLUMNS = ["emissions_t", "free_allocation_t", "bought_t", "sold_t", "auction_bought_t",
                 "offsets_t"]
MONEY_COLUMNS = ["abatement_cost", "market_spend", "auction_paid", "offsets_paid", "penalty",
                 "total_cost"]


def _col(compliance: pd.DataFrame, name: str) -> pd.Series:
    return compliance[name] if name in compliance else pd.Series(0.0, index=compliance.index)


def sector_table(compliance: pd.DataFrame, offset_price: float = 0.0) -> pd.DataFrame:
    """Per sector (first-seen order) over all years: ``emitters``, the TONNE_COLUMNS, the
    MONEY_COLUMNS, ``net_spend`` (market_spend + auction_paid) and ``share`` (of the emitters'
    total cost; NaN if that total is not positive).

    ``bought_t`` counts market purchases only (compliance.csv's bought_t includes auctions);
    ``offsets_paid`` is offsets bought × ``offset_price``.
    """
    frame = compliance.assign(
        bought_market_t=compliance["bought_t"] - _col(compliance, "auction_bought_t"),
        auction_paid=_col(compliance, "auction_paid"),
        offsets_paid=_col(compliance, "offsets_bought_t") * offset_price)
    by = frame.groupby("sector", sort=False)
    table = pd.DataFrame({
        "emitters": by["id"].nunique(), "emissions_t": by["emissions_t"].sum(),
        "free_allocation_t": by["free_allocation_t"].sum(), "bought_t": by["bought_market_t"].sum(),
        "sold_t": by["sold_t"].sum(), "auction_bought_t": by["auction_bought_t"].sum()
        if "auction_bought_t" in frame else 0.0,
        "offsets_t": by["offsets_t"].sum(), "abatement_cost": by["abatement_cost"].sum(),
        "net_spend": by["net_spend"].sum(), "auction_paid": by["auction_paid"].sum(),
        "offsets_paid": by["offsets_paid"].sum(), "penalty": by["penalty"].sum(),
    })
    table["market_spend"] = table["net_spend"] - table["auction_paid"]
    table["total_cost"] = (table["abatement_cost"] + table["net_spend"] + table["offsets_paid"]
                           + table["penalty"])
    total = float(table["total_cost"].sum())
    table["share"] = table["total_cost"] / total if total > 0 else float("nan")
    table.index.name = "sector"
    return table[["emitters", *TONNE_COLUMNS, *MONEY_COLUMNS, "net_spend", "share"]]


def government_table(summary: pd.DataFrame) -> pd.DataFrame:
    """What the government received, per compliance year and over all years ("all years"):
    ``auction_revenue``, ``market_revenue`` (sales at the price ceiling less purchases at the
    floor), ``penalties`` and ``total`` (currency); indexed by year as text."""
    table = pd.DataFrame({
        "auction_revenue": summary["auction_revenue"].to_numpy(dtype=float),
        "market_revenue": (summary["government_revenue"] - summary["auction_revenue"]
                           - summary["penalties"]).to_numpy(dtype=float),
        "penalties": summary["penalties"].to_numpy(dtype=float),
        "total": summary["government_revenue"].to_numpy(dtype=float),
    }, index=[str(int(y)) for y in summary["year"]])
    table.loc["all years"] = table.sum()
    table.index.name = "year"
    return table

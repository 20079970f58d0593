"""A run's figures in the form real markets publish them, to set beside the published ones
(docs/make_tables.py compares them with docs/real-figures.csv).

Each figure is of a calendar year, as the markets report them: the secondary market's average
price (volume-weighted over every secondary trade of the year: the sessions and the market in
the prior year's vintages) or its close on a date, auction clearing prices and sell-through,
fulfillment of that compliance year, the volume traded, the share of the twelve months' volume
before the deadline that falls in that year traded in its last two months
(`carbonsim.outputs.deadlines`), the TNAC and the MSR intake.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbonsim.outputs.deadlines import deadline_volume

__all__ = ["FIGURES", "simulated"]

#: Figure name -> what it is (units as in the results: currency/t, fractions, t).
FIGURES = {
    "price_mean": "secondary price, volume-weighted mean of the year (currency/t)",
    "close": "secondary close on the date (currency/t)",
    "auction_price": "auction clearing price, mean of the auctions in the dates' months (currency/t)",
    "sell_through": "auction volume sold / offered",
    "compliance_entities": "share of emitters compliant (that compliance year)",
    "compliance_volume": "share of the obligation met (that compliance year)",
    "volume_t": "secondary volume of the calendar year (t)",
    "deadline_share": "share of the twelve months' volume to the year's deadline in its last two months",
    "tnac_t": "total number of allowances in circulation (t)",
    "msr_intake_t": "market stability reserve intake (t)",
}


def _buys(result) -> pd.DataFrame:
    t = result.trades
    buys = t[t["side"] > 0]
    return buys.assign(date=pd.to_datetime(buys["date"]))


def _auctions_in(result, year: int, dates: list[str]) -> pd.DataFrame:
    """The year's auctions in the months of ``dates`` ("YYYY-MM" or "YYYY-MM-DD"), or all of the
    year's where none falls in those months."""
    a = result.auctions[result.auctions["year"] == year]
    months = {d[:7] for d in dates}
    inside = a[pd.to_datetime(a["date"]).dt.strftime("%Y-%m").isin(months)]
    return inside if len(inside) else a


def simulated(result, figure: str, year: int, dates: list[str] | None = None) -> float:
    """The run's ``figure`` (a key of FIGURES) for calendar ``year``; NaN where the run has none
    (no trade, no auction, no deadline in the year, no MSR). Raises KeyError for an unknown
    figure."""
    dates = [d for d in (dates or []) if d]
    s = result.summary.set_index("year")
    if figure == "price_mean":
        b = _buys(result)
        b = b[b["date"].dt.year == year]
        q = b["qty_t"].sum()
        return float((b["qty_t"] * b["price"]).sum() / q) if q else np.nan
    if figure == "close":
        b = _buys(result).sort_values("date", kind="stable")
        closes = [b.loc[b["date"] <= pd.Timestamp(d), "price"] for d in dates]
        return float(np.mean([c.iloc[-1] for c in closes])) if closes and all(len(c) for c in closes) else np.nan
    if figure in ("auction_price", "sell_through"):
        a = _auctions_in(result, year, dates)
        if figure == "auction_price":
            sold = a[a["sold_t"] > 0]
            return float(sold["price"].mean()) if len(sold) else np.nan
        return float(a["sold_t"].sum() / a["offered_t"].sum()) if a["offered_t"].sum() else np.nan
    if figure in ("compliance_entities", "compliance_volume"):
        col = "fulfillment_entities" if figure == "compliance_entities" else "fulfillment_volume"
        return float(s[col].get(year, np.nan))
    if figure == "volume_t":
        b = _buys(result)
        return float(b.loc[b["date"].dt.year == year, "qty_t"].sum())
    if figure == "deadline_share":
        d = deadline_volume(result)
        row = d[pd.to_datetime(d["deadline"]).dt.year == year]
        return float(row["share"].iloc[0]) if len(row) else np.nan
    if figure in ("tnac_t", "msr_intake_t"):
        msr = result.msr.set_index("year")
        col = "tnac_t" if figure == "tnac_t" else "intake_t"
        return float(msr[col].get(year, np.nan)) if len(msr) else np.nan
    raise KeyError(f"unknown figure {figure!r}; known: {', '.join(FIGURES)}")

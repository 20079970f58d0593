"""The headline: one sentence that answers a run's three questions before any table.

What did allowances cost against the least-cost price? Did emitters comply? Who bore the cost
(and what did the government receive)? Built from the summary and compliance tables only, so it
reads the same from a fresh run, a run folder's CSVs or a batch.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from carbonsim.outputs.html import format_value
from carbonsim.outputs.who_pays import sector_table

__all__ = ["headline_facts", "headline_sentence"]


def _money(value: float, currency: str) -> str:
    return f"{format_value(value, 'amount')} {currency}".strip()


def _price(value: float, currency: str) -> str:
    return f"{format_value(value, 'price')} {currency}/t".replace(" /t", "/t")


def _share(value: float) -> str:
    """A share as percent that never rounds up to 100% (99.96% reads '99.9%')."""
    pct = 100.0 * value
    if pct >= 100.0:
        return "100%"
    return f"{math.floor(pct * 10) / 10:.1f}%"


def headline_facts(summary: pd.DataFrame, compliance: pd.DataFrame,
                   offset_price: float = 0.0) -> dict[str, float]:
    """The numbers the sentence is made of, over all years (prices as means of the years'
    means, currency/t; costs and revenue summed, currency; shares 0-1)."""
    traded = summary["price_mean"].notna()
    sold = summary["auctioned_t"].astype(float)
    offsets = summary["offsets_t"] if "offsets_t" in summary else 0.0
    sim = summary["abatement_cost"] + offsets * offset_price
    eff = summary["efficiency"].fillna(1.0)
    obligation = float(compliance["obligation_t"].sum())
    return {
        "price": float(summary.loc[traded, "price_mean"].mean()) if traded.any() else math.nan,
        "least_cost_price": float(summary.loc[traded, "least_cost_price"].mean()) if traded.any()
        else float(summary["least_cost_price"].mean()),
        "auction_price": float(summary["auction_revenue"].sum() / sold.sum())
        if "auction_revenue" in summary and sold.sum() > 0 else math.nan,
        "compliant": float(compliance["compliant"].mean()) if len(compliance) else 1.0,
        "obligation_met": float(compliance["surrendered_t"].sum()) / obligation if obligation else 1.0,
        "penalties": float(summary["penalties"].sum()),
        "cost": float(sim.sum()), "least_cost": float((eff * sim).sum()),
        "government": float(summary["government_revenue"].sum())
        if "government_revenue" in summary else math.nan,
    }


def _price_clause(f: dict, currency: str) -> str:
    lc = f["least_cost_price"]
    if np.isfinite(f["price"]):
        what, price = "the allowance price averaged", f["price"]
    elif np.isfinite(f["auction_price"]):
        what, price = "nothing traded between emitters; allowances sold at auction for", f["auction_price"]
    else:
        return f"no allowance changed hands (least-cost price {_price(lc, currency)})"
    text = f"{what} {_price(price, currency)}"
    if not np.isfinite(lc) or lc <= 0:
        return text + f", with a least-cost price of {_price(lc, currency)}"
    gap = price / lc - 1.0
    if abs(gap) < 0.005:
        return text + f", in line with the least-cost price ({_price(lc, currency)})"
    return text + f", {abs(gap):.0%} {'above' if gap > 0 else 'below'} the least-cost {_price(lc, currency)}"


def _compliance_clause(f: dict, currency: str) -> str:
    if f["compliant"] >= 1.0:
        return "every emitter met its obligation"
    return (f"{_share(f['compliant'])} of emitters met their obligation in full (mean over the "
            f"years) and {_share(f['obligation_met'])} of the tonnes owed were surrendered "
            f"(penalties {_money(f['penalties'], currency)})")


def _cost_clause(f: dict, currency: str, offsets: bool) -> str:
    what = "abatement and offsets" if offsets else "abatement"
    if f["cost"] <= 0:
        return f"{what} cost nothing"
    eff = f["least_cost"] / f["cost"]
    return (f"{what} cost {_money(f['cost'], currency)} against {_money(f['least_cost'], currency)} "
            f"at least cost (efficiency {100 * eff:.1f}%)")


def _payer_clause(sectors: pd.DataFrame, currency: str) -> str:
    total = float(sectors["total_cost"].sum())
    if len(sectors) == 0:
        return "no emitters"
    if total <= 0:
        return f"emitters gained {_money(-total, currency)} on balance"
    top = sectors["total_cost"].idxmax()
    if len(sectors) == 1:
        return f"{top} bore all of it, {_money(total, currency)} in total"
    return (f"{top} bore the most, {_money(sectors.loc[top, 'total_cost'], currency)} of the "
            f"emitters' {_money(total, currency)} ({sectors.loc[top, 'total_cost'] / total:.0%})")


def headline_sentence(summary: pd.DataFrame, compliance: pd.DataFrame, currency: str = "",
                      offset_price: float = 0.0) -> str:
    """One sentence: price against least cost, compliance, cost and who bore it, government
    revenue. Units: the scenario's currency (and per t for prices)."""
    if summary.empty:
        return "The run has no compliance years."
    years = summary["year"].astype(int)
    span = f"In {years.iloc[0]}" if len(years) == 1 else f"Over {years.iloc[0]}–{years.iloc[-1]}"
    f = headline_facts(summary, compliance, offset_price)
    offsets = "offsets_t" in summary and summary["offsets_t"].sum() > 0 and offset_price > 0
    parts = [f"{span} {_price_clause(f, currency)}", _compliance_clause(f, currency),
             _cost_clause(f, currency, offsets),
             _payer_clause(sector_table(compliance, offset_price), currency)]
    if np.isfinite(f["government"]):
        parts.append("the government received " + (_money(f["government"], currency)
                                                   if abs(f["government"]) >= 0.5 else "nothing"))
    return "; ".join(parts) + "."

"""The supply balance of each compliance year: where the allowances came from and went, in t.

Every allowance that reaches or leaves the emitters' hands is booked to one compliance year:
free allocation of its vintage, the year's primary auctions, the regulator's sales at the price
ceiling and purchases at the price floor in the year's trading sessions (calendar year; the
sessions after the last year count for it), the year's surrender and the year's lapses. The
balance closes to the tonne:

    bank_change_t = opening_bank_t + allocated_t + auctioned_t + ceiling_sold_t
                    - floor_bought_t + offsets_t - cancelled_t - (emissions_owed_t - shortfall_t)

and, where there is an absolute cap, ``allocated_t + auctioned_t = cap_t - cap_not_sold_t +
reserve_sold_t``. ``emissions_owed_t`` is what the year's emissions oblige emitters to surrender
(each emitter's verified emissions in whole tonnes, after a shortfall cap if there is one);
``emissions_owed_t - shortfall_t`` is what they surrendered for them, offsets included. Within a
multi-year control period it is what the year's deadline took: an interim deadline's share of
the year's emissions, and at the final one the rest of the period's; the running balance after
an interim deadline then still holds the allowances kept for the rest.

The running sum of ``bank_change_t`` is the bank in the sense of the EU's TNAC (supply less
emissions covered less cancellations). After the last year it equals ``bank_t``, the allowances
the emitters hold; in earlier years it differs from ``bank_t`` (a count at the deadline of the
vintages up to the year) only when allowances booked to one year change hands before the
deadline of the year before: a January auction selling last year's unsold volume, floor
purchases between January and the deadline, borrowing from next year's allocation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BALANCE_COLUMNS", "regulator_trades", "supply_balance"]

BALANCE_COLUMNS = ["opening_bank_t", "cap_not_sold_t", "reserve_sold_t", "ceiling_sold_t",
                   "floor_bought_t", "offsets_t", "cancelled_t", "emissions_owed_t",
                   "shortfall_t", "bank_change_t", "correction_factor", "auction_revenue",
                   "government_revenue"]


def regulator_trades(trades: pd.DataFrame, start_year: int, years: int) -> pd.DataFrame:
    """The regulator's trades in the sessions, per compliance year: ``ceiling_sold_t`` and
    ``floor_bought_t`` (t) and their cash, ``ceiling_revenue`` and ``floor_spending`` (currency).

    The regulator is the other side of whatever the emitters bought or sold on balance in a
    session (emitters' trades among themselves net out): a net purchase is a sale at the ceiling,
    a net sale one at the floor. Sessions after the last year count for the last year.
    """
    index = start_year + np.arange(years)
    out = pd.DataFrame(0.0, index=index, columns=["ceiling_sold_t", "floor_bought_t",
                                                  "ceiling_revenue", "floor_spending"])
    if len(trades):
        side = trades["side"].to_numpy(dtype=np.int64)
        qty = trades["qty_t"].to_numpy(dtype=np.int64)
        net = pd.DataFrame({"date": trades["date"].to_numpy(),
                            "year": np.minimum(trades["year"].to_numpy(), index[-1]),
                            "t": side * qty, "cash": side * qty * trades["price"].to_numpy(dtype=float)})
        day = net.groupby("date", sort=False).agg(year=("year", "first"), t=("t", "sum"),
                                                  cash=("cash", "sum"))
        up, down = day["t"] > 0, day["t"] < 0
        by = day.assign(ceiling_sold_t=day["t"].where(up, 0), floor_bought_t=-day["t"].where(down, 0),
                        ceiling_revenue=day["cash"].where(up, 0.0),
                        floor_spending=-day["cash"].where(down, 0.0)).groupby("year")
        out.loc[:, :] = by[list(out.columns)].sum().reindex(index, fill_value=0).to_numpy()
    return out.astype({"ceiling_sold_t": np.int64, "floor_bought_t": np.int64})


def _per_year(frame: pd.DataFrame, column: str, index: np.ndarray, dtype=np.int64) -> np.ndarray:
    if frame.empty:
        return np.zeros(len(index), dtype=dtype)
    return frame.groupby("year")[column].sum().reindex(index, fill_value=0).to_numpy().astype(dtype)


def _reserve_sold(auctions: pd.DataFrame, msr: pd.DataFrame, index: np.ndarray) -> np.ndarray:
    """CCR/APCR volume sold at the year's auctions (the tranche sells after the regular volume)
    plus the MSR's release into the year's auctions (decided at the previous year's operation)."""
    ccr = auctions.assign(from_reserve=np.minimum(auctions["ccr_released_t"], auctions["sold_t"]))
    sold = _per_year(ccr, "from_reserve", index)
    if len(msr):
        released = msr.assign(year=msr["year"] + 1)
        sold = sold + _per_year(released, "release_t", index)
    return sold


def supply_balance(summary: pd.DataFrame, compliance: pd.DataFrame, auctions: pd.DataFrame,
                   trades: pd.DataFrame, msr: pd.DataFrame, *, lapsed_t: np.ndarray,
                   owed_t: np.ndarray, correction_factor: np.ndarray,
                   opening_bank_t: int = 0) -> pd.DataFrame:
    """BALANCE_COLUMNS, one row per compliance year (aligned with ``summary``); see the module.

    ``summary`` needs year, cap_t, allocated_t, auctioned_t and penalties; ``lapsed_t`` (Y,) t
    cancelled at each deadline (no banking); ``owed_t`` (Y,) t of negative true-ups that the
    emitters' holdings could not cover, added to their obligation (already deducted from
    allocated_t); ``correction_factor`` (Y,) the cross-sectoral correction of each year;
    ``opening_bank_t`` allowances in circulation before the first year.
    """
    index = summary["year"].to_numpy()
    years = len(index)
    regulator = regulator_trades(trades, int(index[0]), years) if years else None
    b = pd.DataFrame(index=pd.RangeIndex(years))
    b["opening_bank_t"] = np.zeros(years, dtype=np.int64)
    if years:
        b.loc[0, "opening_bank_t"] = int(opening_bank_t)
    allocated = summary["allocated_t"].to_numpy(dtype=np.int64)
    auctioned = summary["auctioned_t"].to_numpy(dtype=np.int64)
    b["reserve_sold_t"] = _reserve_sold(auctions, msr, index)
    cap = summary["cap_t"].to_numpy(dtype=float)
    b["cap_not_sold_t"] = np.where(np.isfinite(cap),
                                   cap - allocated - (auctioned - b["reserve_sold_t"].to_numpy()),
                                   np.nan)
    b["ceiling_sold_t"] = regulator["ceiling_sold_t"].to_numpy() if years else []
    b["floor_bought_t"] = regulator["floor_bought_t"].to_numpy() if years else []
    b["offsets_t"] = _per_year(compliance, "offsets_t", index)
    b["cancelled_t"] = np.asarray(lapsed_t, dtype=np.int64)
    b["emissions_owed_t"] = _per_year(compliance, "obligation_t", index) - np.asarray(owed_t, np.int64)
    b["shortfall_t"] = _per_year(compliance, "shortfall_t", index)
    b["bank_change_t"] = (b["opening_bank_t"] + allocated + auctioned + b["ceiling_sold_t"]
                          - b["floor_bought_t"] + b["offsets_t"] - b["cancelled_t"]
                          - (b["emissions_owed_t"] - b["shortfall_t"]))
    b["correction_factor"] = np.asarray(correction_factor, dtype=float)
    sold = auctions.assign(revenue=auctions["sold_t"] * auctions["price"].fillna(0.0))
    b["auction_revenue"] = _per_year(sold, "revenue", index, float)
    reg = (regulator["ceiling_revenue"] - regulator["floor_spending"]).to_numpy() if years else []
    b["government_revenue"] = b["auction_revenue"] + reg + summary["penalties"].to_numpy(dtype=float)
    return b[BALANCE_COLUMNS]

"""The result of a run: its output tables (MODEL.md section 9) as pandas DataFrames.

Conventions: ``year`` is the calendar year (start_year + compliance year index); trades are
booked against the calendar year of their date, in the summary too (the sessions after the
last simulated year, up to its deadline, appear in prices.csv only; in compliance.csv their
purchases and sales count for the last year); ``surrendered_t`` counts every unit surrendered
(allowances, offsets and borrowed allowances) and ``offsets_t`` the offsets among them.

Efficiency is least-cost resource cost (abatement plus offsets at their price) over the
simulated one. ``efficiency`` is the horizon's, both sides discounted to the first year at the
scenario's discount rate, and the same in every row: banking moves cost between years, so only
the horizon's figure reads right. ``efficiency_year`` is each year's own ratio, shown as such
(with banking one year can read above 1 and the next below).
The summary's last columns are the year's supply balance (carbonsim.sim.supply).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from carbonsim.sim.periods import spread
from carbonsim.sim.supply import BALANCE_COLUMNS, supply_balance

__all__ = ["Result", "build_result", "PRICE_COLUMNS", "AUCTION_COLUMNS", "COMPLIANCE_COLUMNS",
           "SUMMARY_COLUMNS"]

PRICE_COLUMNS = ["date", "year", "price", "volume_t", "orders", "trades", "fill_rate",
                 "close", "participants", "limit_low", "limit_high"]
AUCTION_COLUMNS = ["date", "year", "offered_t", "bid_t", "sold_t", "price", "cover_ratio",
                   "ccr_released_t", "ecr_withheld_t"]
COMPLIANCE_COLUMNS = ["id", "sector", "year", "emissions_t", "abatement_t", "free_allocation_t",
                      "bought_t", "sold_t", "surrendered_t", "offsets_t", "banked_t",
                      "shortfall_t", "penalty", "abatement_cost", "compliant",
                      "auction_bought_t", "net_spend", "obligation_t", "auction_paid",
                      "offsets_bought_t"]
_RUN_COLUMNS = ["year", "cap_t", "allocated_t", "auctioned_t", "emissions_t", "abatement_t",
                "abatement_cost", "bank_t", "price_mean", "price_close", "volume_t",
                "fulfillment_entities", "fulfillment_volume", "penalties", "least_cost_price",
                "least_cost_abatement_cost", "efficiency", "least_cost_bank_t",
                "efficiency_year"]
SUMMARY_COLUMNS = _RUN_COLUMNS + BALANCE_COLUMNS  # the supply balance last
TRADE_COLUMNS = ["date", "year", "id", "side", "qty_t", "price"]


@dataclass(frozen=True)
class Result:
    """Output of ``carbonsim.run``: the scenario, the seed used, the tables and the wall time."""

    scenario: object
    seed: int
    prices: pd.DataFrame
    auctions: pd.DataFrame
    compliance: pd.DataFrame
    summary: pd.DataFrame
    trades: pd.DataFrame
    msr: pd.DataFrame
    wall_time_s: float
    extras: dict = field(default_factory=dict)


def _prices(ledger, schedule, start_year: int) -> pd.DataFrame:
    rows = pd.DataFrame(ledger.sessions, columns=["day", "year_index", "price", "close", "volume_t",
                                                  "orders", "trades", "fill_rate", "participants",
                                                  "limit_low", "limit_high"])
    rows["date"] = schedule.date(rows["day"].to_numpy())
    rows["year"] = start_year + rows["year_index"]
    rows["limit_high"] = rows["limit_high"].replace(np.inf, np.nan)
    rows.loc[rows["limit_high"].isna(), "limit_low"] = np.nan
    return rows[PRICE_COLUMNS].astype({"volume_t": "int64", "orders": "int64", "trades": "int64"})


def _auctions(ledger, schedule, start_year: int) -> pd.DataFrame:
    rows = pd.DataFrame(ledger.auctions, columns=["day", "year_index", "offered_t", "bid_t", "sold_t",
                                                  "price", "cover_ratio", "ccr_released_t",
                                                  "ecr_withheld_t"])
    rows["date"] = schedule.date(rows["day"].to_numpy())
    rows["year"] = start_year + rows["year_index"]
    return rows[AUCTION_COLUMNS]


def _trades(ledger, schedule, population, start_year: int) -> pd.DataFrame:
    if not ledger.trade_chunks:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            TRADE_COLUMNS, ["datetime64[s]", "int64", "str", "int8", "int64", "float64"])})
    days = np.concatenate([np.full(len(c[2]), c[0]) for c in ledger.trade_chunks])
    years = np.concatenate([np.full(len(c[2]), c[1]) for c in ledger.trade_chunks])
    owner, side, qty, value = (np.concatenate([c[k] for c in ledger.trade_chunks]) for k in range(2, 6))
    # ids as a categorical: millions of trades name a few thousand emitters
    ids = pd.Categorical.from_codes(owner, categories=pd.Index(population.id))
    return pd.DataFrame({"date": schedule.date(days), "year": start_year + years,
                         "id": ids, "side": side, "qty_t": qty, "price": value / qty})


def _market_paid(ledger, n: int, years: int) -> np.ndarray:
    """Cash each emitter paid for allowances bought in trading sessions, (N, Y) currency,
    booked like state.spent (calendar year; after the last year, to the last year)."""
    paid = np.zeros((n, years))
    for _, year, owner, side, _, value in ledger.trade_chunks:
        buy = side > 0
        paid[:, min(year, years - 1)] += np.bincount(owner[buy], weights=value[buy], minlength=n)
    return paid


def _compliance(ledger, state, population, start_year: int) -> pd.DataFrame:
    n, years = state.emitted_t.shape

    def flat(a: np.ndarray) -> np.ndarray:
        return a.T.reshape(-1)  # year-major: all emitters of the first year, then the next

    frame = pd.DataFrame({
        "id": np.tile(population.id, years),
        "sector": np.tile(population.sector, years),
        "year": np.repeat(start_year + np.arange(years), n),
        "emissions_t": flat(state.emitted_t),
        "abatement_t": flat(state.abated_t),
        "free_allocation_t": flat(state.free_allocation_t),
        "bought_t": flat(state.bought_t + state.auction_bought_t),
        "sold_t": flat(state.sold_t),
        "surrendered_t": flat(ledger.surrendered_t),
        "offsets_t": flat(ledger.offsets_t),
        "banked_t": flat(ledger.banked_t),
        "shortfall_t": flat(ledger.shortfall_t),
        "penalty": flat(ledger.penalty),
        "abatement_cost": flat(state.abatement_cost),
        "compliant": flat(ledger.shortfall_t) == 0,
        "auction_bought_t": flat(state.auction_bought_t),
        "net_spend": flat(state.spent - state.received),
        "obligation_t": flat(ledger.obligation_t),
        "auction_paid": flat(state.spent - _market_paid(ledger, n, years)),
        "offsets_bought_t": flat(ledger.offsets_bought_t),
    })
    return frame[COMPLIANCE_COLUMNS]


def _summary(compliance: pd.DataFrame, prices: pd.DataFrame, auctions: pd.DataFrame,
             lc, cap_t: np.ndarray, start_year: int, offset_price: float,
             period_years: int = 1) -> pd.DataFrame:
    by = compliance.groupby("year", sort=True)
    years = start_year + np.arange(cap_t.shape[0])
    s = pd.DataFrame({"year": years})
    s["cap_t"] = cap_t
    s["allocated_t"] = by["free_allocation_t"].sum().reindex(years).to_numpy()
    s["auctioned_t"] = auctions.groupby("year")["sold_t"].sum().reindex(years, fill_value=0).to_numpy()
    s["emissions_t"] = by["emissions_t"].sum().reindex(years).to_numpy()
    s["abatement_t"] = by["abatement_t"].sum().reindex(years).to_numpy()
    s["abatement_cost"] = by["abatement_cost"].sum().reindex(years).to_numpy()
    s["bank_t"] = by["banked_t"].sum().reindex(years).to_numpy()
    traded = prices[prices["volume_t"] > 0]
    # A year's prices and volume are its calendar year's sessions; sessions after the last
    # simulated year (up to its deadline) are in prices.csv but in no year of the summary.
    year_of = traded["year"]
    s["price_mean"] = traded.groupby(year_of)["price"].mean().reindex(years).to_numpy()
    s["price_close"] = traded.groupby(year_of)["close"].last().reindex(years).to_numpy()
    s["volume_t"] = traded.groupby(year_of)["volume_t"].sum().reindex(years, fill_value=0).to_numpy()
    obligation = by["obligation_t"].sum().reindex(years).to_numpy()
    s["fulfillment_entities"] = by["compliant"].mean().reindex(years).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        s["fulfillment_volume"] = np.where(
            obligation > 0, by["surrendered_t"].sum().reindex(years).to_numpy() / obligation, 1.0)
        s["penalties"] = by["penalty"].sum().reindex(years).to_numpy()
        s["least_cost_price"] = lc.price
        s["least_cost_abatement_cost"] = lc.abatement_cost
        # Resource cost of meeting the cap: abatement plus offsets bought (at their price),
        # on the least-cost path and in the simulation alike. A control period's deadlines take
        # its offsets mostly at its end: they count for its years pro rata to their emissions.
        best = lc.abatement_cost + lc.offset_cost
        offsets = spread(by["offsets_t"].sum().reindex(years).to_numpy(), s["emissions_t"].to_numpy(),
                         period_years)
        sim = s["abatement_cost"].to_numpy() + offsets * offset_price
        s["efficiency_year"] = _ratio(best, sim)
        discount = (1.0 + lc.discount_rate) ** -np.arange(years.shape[0])
        s["efficiency"] = float(_ratio(np.array([(best * discount).sum()]),
                                       np.array([(sim * discount).sum()]))[0])
    s["least_cost_bank_t"] = lc.bank_t
    return s[_RUN_COLUMNS]


def _ratio(best: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    """Least-cost over simulated cost; 1 when both are 0, 0 when only the simulation is free."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(simulated > 0, best / simulated, np.where(best > 0, 0.0, 1.0))


def build_result(scenario, seed: int, sim, wall_time_s: float) -> Result:
    """Assemble the output tables of a finished simulation."""
    start = scenario.start_year
    ledger, state, pop, schedule = sim.ledger, sim.state, sim.pop, sim.schedule
    prices = _prices(ledger, schedule, start)
    auctions = _auctions(ledger, schedule, start)
    offsets = scenario.compliance.offsets
    offset_price = offsets.price if offsets is not None else 0.0
    compliance = _compliance(ledger, state, pop, start)
    summary = _summary(compliance, prices, auctions, sim.lc, sim.cap_t, start, offset_price,
                       scenario.compliance.period_years)
    msr = pd.DataFrame(ledger.msr, columns=["year_index", "tnac_t", "intake_t", "release_t",
                                            "cancelled_t", "held_t"])
    msr.insert(0, "year", start + msr.pop("year_index"))
    trades = _trades(ledger, schedule, pop, start)
    balance = supply_balance(
        summary, compliance, auctions, trades, msr, lapsed_t=sim.acc.lapsed,
        owed_t=sim.owed_t.sum(axis=0), correction_factor=[a.correction_factor for a in sim.allocations],
        opening_bank_t=int(pop.opening_bank_t.sum()))
    summary = pd.concat([summary, balance], axis=1)[SUMMARY_COLUMNS]
    acc = sim.acc
    extras = {"held_t": int(acc.holdings.sum()), "offsets_held_t": int(acc.offsets.sum()),
              "pool_t": int(acc.pool.sum()), "reserve_t": int(acc.msr_t),
              "party_cash": dict(acc.party_cash), "offset_price": offset_price}
    return Result(scenario, seed, prices, auctions, compliance, summary, trades, msr,
                  wall_time_s, extras)

"""Result objects built by hand, with the exact columns of carbonsim.sim.results, for output tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from carbonsim.sim.results import (
    AUCTION_COLUMNS,
    COMPLIANCE_COLUMNS,
    PRICE_COLUMNS,
    SUMMARY_COLUMNS,
    TRADE_COLUMNS,
    Result,
)
from carbonsim.sim.supply import supply_balance

SECTORS = ("power", "steel")


def scenario_settings(name: str = "fake", years: int = 3, **changes) -> dict:
    """A resolved scenario as a plain dict (the shape scenario_dict returns)."""
    settings = {
        "name": name,
        "description": "A hand-made result <for tests> & checks",
        "currency": "EUR",
        "start_year": 2021,
        "years": years,
        "seed": 7,
        "calendar": {"sessions": 20, "allocation": "01-01", "auctions": ["03-15"],
                     "verification": "03-31", "compliance_deadline": "06-30"},
        "cap": {"start": 1000.0, "annual_reduction": 0.05},
        "emitters": [{"id": f"{s}-{i}", "sector": s, "output": 100.0, "intensity": 1.0,
                      "mac": {"kind": "linear", "slope": 1.0}} for s in SECTORS for i in (1, 2)],
        "allocation": {"power": {"rule": "benchmark", "benchmark": 0.8},
                       "steel": {"rule": "grandfathering", "base_years": 3, "decline": 0.02},
                       "auction_share": 0.1, "correction": "auto"},
        "auctions": {"reserve_price": 10.0, "unsold": "cancel"},
        "market": {"mechanism": "call_auction", "tick": 0.01, "daily_limit": 0.1},
        "compliance": {"penalty_per_t": 100.0, "fixed_fine": 0.0, "make_good": True,
                       "banking": True, "borrowing": 0.0, "offsets": None},
        "behaviour": {"expectations": "hotelling", "discount_rate": 0.05},
        "reserves": {"price_floor": 5.0, "price_ceiling": None, "ccr": None, "ecr": None,
                     "msr": None},
    }
    settings.update(changes)
    return settings


def fake_result(name: str = "fake", years: int = 3, trades: bool = True, seed: int = 7,
                price_level: float = 40.0, scenario: dict | None = None) -> Result:
    """A small, internally plausible Result; ``trades=False`` gives a market where nothing traded."""
    rng = np.random.default_rng(seed)
    start = 2021
    sessions = 20
    days = np.concatenate([np.datetime64(f"{start + y}-01-01") + np.arange(sessions) * 18
                           for y in range(years)]).astype("datetime64[s]")
    n = len(days)
    year = start + np.repeat(np.arange(years), sessions)
    price = price_level * (1 + 0.05 * (year - start)) + rng.normal(0, 1.5, n)
    volume = rng.integers(0, 400, n)
    if not trades:
        volume[:] = 0
    price = np.where(volume > 0, price, np.nan)
    close = pd.Series(price).ffill().to_numpy()
    prev = np.concatenate([[np.nan], close[:-1]])
    prices = pd.DataFrame({
        "date": days, "year": year, "price": price, "volume_t": volume.astype("int64"),
        "orders": rng.integers(4, 12, n).astype("int64"),
        "trades": np.where(volume > 0, rng.integers(1, 6, n), 0).astype("int64"),
        "fill_rate": np.where(volume > 0, rng.uniform(0.2, 1.0, n), 0.0), "close": close,
        "participants": rng.integers(2, 5, n), "limit_low": prev * 0.9, "limit_high": prev * 1.1,
    })[PRICE_COLUMNS]
    auctions = pd.DataFrame({
        "date": np.array([np.datetime64(f"{start + y}-03-15") for y in range(years)],
                         dtype="datetime64[s]"),
        "year": start + np.arange(years), "offered_t": np.full(years, 100.0),
        "bid_t": np.full(years, 150.0), "sold_t": np.full(years, 100.0),
        "price": price_level + np.arange(years, dtype=float), "cover_ratio": np.full(years, 1.5),
        "ccr_released_t": np.zeros(years), "ecr_withheld_t": np.zeros(years),
    })[AUCTION_COLUMNS]
    ids = [f"{s}-{i}" for s in SECTORS for i in (1, 2)]
    rows = []
    for y in range(years):
        for k, ident in enumerate(ids):
            sector = ident.split("-")[0]
            bought = 60.0 if sector == "steel" else 0.0
            sold = 60.0 if sector == "power" else 0.0
            short = 5.0 if (k == 3 and y == years - 1) else 0.0
            rows.append({
                "id": ident, "sector": sector, "year": start + y, "emissions_t": 240.0 - 10 * y,
                "abatement_t": 20.0 + 5 * y, "free_allocation_t": 200.0, "bought_t": bought,
                "sold_t": sold, "surrendered_t": 240.0 - 10 * y - short, "offsets_t": 0.0,
                "banked_t": 10.0, "shortfall_t": short, "penalty": short * 100.0,
                "abatement_cost": 400.0 + 50 * y + 100 * k, "compliant": short == 0,
                "auction_bought_t": 25.0 if sector == "steel" else 0.0,
                "net_spend": (bought - sold) * price_level, "obligation_t": 240.0 - 10 * y,
                "auction_paid": (25.0 if sector == "steel" else 0.0) * price_level,
                "offsets_bought_t": 0.0,
            })
    compliance = pd.DataFrame(rows)[COMPLIANCE_COLUMNS]
    by = compliance.groupby("year")
    years_idx = start + np.arange(years)
    traded = prices[prices["volume_t"] > 0]
    summary = pd.DataFrame({
        "year": years_idx, "cap_t": 1000.0 * (1 - 0.05 * np.arange(years)),
        "allocated_t": by["free_allocation_t"].sum().to_numpy(),
        "auctioned_t": auctions["sold_t"].to_numpy(),
        "emissions_t": by["emissions_t"].sum().to_numpy(),
        "abatement_t": by["abatement_t"].sum().to_numpy(),
        "abatement_cost": by["abatement_cost"].sum().to_numpy(),
        "bank_t": by["banked_t"].sum().to_numpy(),
        "price_mean": traded.groupby("year")["price"].mean().reindex(years_idx).to_numpy(),
        "price_close": traded.groupby("year")["close"].last().reindex(years_idx).to_numpy(),
        "volume_t": prices.groupby("year")["volume_t"].sum().reindex(years_idx).to_numpy(),
        "fulfillment_entities": by["compliant"].mean().to_numpy(),
        "fulfillment_volume": (by["surrendered_t"].sum() / by["obligation_t"].sum()).to_numpy(),
        "penalties": by["penalty"].sum().to_numpy(),
        "least_cost_price": price_level * (1.05 ** np.arange(years)),
        "least_cost_abatement_cost": by["abatement_cost"].sum().to_numpy() * 0.9,
        "efficiency": np.full(years, 0.9), "least_cost_bank_t": np.linspace(30, 0, years),
        "efficiency_year": np.full(years, 0.9),
    })
    trade_rows = traded.loc[traded.index.repeat(2), ["date", "year", "price"]].reset_index(drop=True)
    trade_rows["id"] = np.tile(["power-1", "steel-2"], len(traded))
    trade_rows["side"] = np.tile(np.array([-1, 1], dtype="int8"), len(traded))
    trade_rows["qty_t"] = np.repeat(traded["volume_t"].to_numpy(), 2).astype("int64")
    trades_df = trade_rows[TRADE_COLUMNS]
    msr = pd.DataFrame({"year": years_idx, "tnac_t": np.full(years, 40.0),
                        "intake_t": np.zeros(years), "release_t": np.zeros(years),
                        "cancelled_t": np.zeros(years), "held_t": np.zeros(years)})
    balance = supply_balance(summary, compliance, auctions, trades_df, msr,
                             lapsed_t=np.zeros(years), owed_t=np.zeros(years),
                             correction_factor=np.ones(years))
    summary = pd.concat([summary, balance], axis=1)[SUMMARY_COLUMNS]
    settings = scenario if scenario is not None else scenario_settings(name, years)
    return Result(settings, seed, prices, auctions, compliance, summary, trades_df, msr, 1.25)


SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"  # the bundled scenarios
TEXTBOOK = (SCENARIOS / "textbook-two-firms.yaml").read_text(encoding="utf-8")


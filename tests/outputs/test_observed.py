"""A run's figures as markets publish them (carbonsim/outputs/observed.py), on the textbook
run (15 t bought on 1 Jan 2021 at 44.77) and on hand-made auction and MSR tables."""

from __future__ import annotations

import dataclasses

import carbonsim
import numpy as np
import pandas as pd
import pytest

from carbonsim.outputs.observed import FIGURES, simulated

from _economies import textbook


@pytest.fixture(scope="module")
def result():
    return carbonsim.run(textbook())


def test_secondary_figures_count_every_trade_of_the_calendar_year(result):
    buys = result.trades[result.trades.side > 0]
    assert simulated(result, "volume_t", 2021) == buys.qty_t.sum() == 15
    assert simulated(result, "price_mean", 2021) == pytest.approx(buys.price.iloc[0])
    assert simulated(result, "close", 2021, ["2021-06-30"]) == pytest.approx(buys.price.iloc[0])
    assert np.isnan(simulated(result, "close", 2020, ["2020-12-31"]))  # nothing traded yet
    assert simulated(result, "volume_t", 2022) == 0 and np.isnan(simulated(result, "price_mean", 2022))
    assert simulated(result, "compliance_entities", 2021) == 1.0
    assert simulated(result, "compliance_volume", 2021) == 1.0


def test_auction_figures_take_the_auctions_in_the_published_months(result):
    auctions = pd.DataFrame({"date": pd.to_datetime(["2021-03-01", "2021-06-01", "2021-09-01"]),
                             "year": 2021, "offered_t": [100, 100, 100], "sold_t": [100, 50, 0],
                             "price": [10.0, 12.0, np.nan]})
    r = dataclasses.replace(result, auctions=auctions)
    assert simulated(r, "auction_price", 2021, ["2021-06"]) == 12.0
    assert simulated(r, "auction_price", 2021, []) == 11.0  # the year's auctions that sold
    assert simulated(r, "auction_price", 2021, ["2021-12"]) == 11.0  # none in December
    assert simulated(r, "sell_through", 2021, ["2021-06-15"]) == 0.5
    assert simulated(r, "sell_through", 2021) == pytest.approx(0.5)


def test_msr_figures_and_unknown_names(result):
    msr = pd.DataFrame({"year": [2021], "tnac_t": [900], "intake_t": [216], "release_t": [0],
                        "cancelled_t": [0], "held_t": [216]})
    r = dataclasses.replace(result, msr=msr)
    assert simulated(r, "tnac_t", 2021) == 900 and simulated(r, "msr_intake_t", 2021) == 216
    assert np.isnan(simulated(result, "tnac_t", 2021))  # no MSR in the run
    with pytest.raises(KeyError, match="unknown figure"):
        simulated(result, "turnover", 2021)
    assert "deadline_share" in FIGURES

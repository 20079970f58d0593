"""When the volume trades: the share of the secondary market's volume in the months before each
compliance deadline (the measure of the trading-timing frictions, carbonsim.sim.timing).

Volume counts every tonne emitters bought from one another or from the regulator in the
secondary market: the trading sessions and the market in the prior year's vintages before
them (``result.trades``, buy side), which ``prices.volume_t`` leaves out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DEADLINE_COLUMNS", "deadline_volume"]

DEADLINE_COLUMNS = ["year", "deadline", "volume_t", "before_deadline_t", "share"]


def deadline_volume(result, months: int = 2) -> pd.DataFrame:
    """Per compliance year: its deadline, the volume traded in the twelve months up to it
    (``volume_t``, t), the part in the last ``months`` calendar months (``before_deadline_t``)
    and its share (NaN when nothing traded).

    A 31 December deadline makes the twelve months the calendar year and two months
    November and December; a 30 June one, July to June and May and June.
    """
    sc = result.scenario
    origin = np.datetime64(f"{sc.start_year}-01-01")
    t = result.trades
    buys = t[t["side"] > 0]
    dates = pd.to_datetime(buys["date"])
    rows = []
    for y in range(sc.years):
        deadline = pd.Timestamp(origin + np.timedelta64(int(sc.event_days(y).compliance_deadline), "D"))
        year_ago = deadline - pd.DateOffset(years=1)
        window = deadline - pd.DateOffset(months=months)
        total = int(buys.loc[(dates > year_ago) & (dates <= deadline), "qty_t"].sum())
        late = int(buys.loc[(dates > window) & (dates <= deadline), "qty_t"].sum())
        rows.append((sc.start_year + y, deadline.date(), total, late, late / total if total else np.nan))
    return pd.DataFrame(rows, columns=DEADLINE_COLUMNS)

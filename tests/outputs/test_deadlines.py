"""The volume share before the deadlines (carbonsim/outputs/deadlines.py), on a run whose
trades are known: the textbook's 15 t bought in one session."""

from __future__ import annotations

import carbonsim
import numpy as np
import pandas as pd

from carbonsim.outputs.deadlines import DEADLINE_COLUMNS, deadline_volume

from _economies import textbook


def test_the_share_counts_the_last_months_of_the_twelve_before_each_deadline():
    r = carbonsim.run(textbook(behaviour={"expectations": "perfect_foresight"}))
    table = deadline_volume(r)
    assert list(table.columns) == DEADLINE_COLUMNS
    row = table.iloc[0]
    assert str(row.deadline) == "2022-06-30"
    # traded on 1 Jan 2021: outside the twelve months to 30 June 2022
    assert row.volume_t == 0 and np.isnan(row.share)

    moved = r.trades.assign(date=pd.Timestamp("2022-05-02"))  # into May-June 2022
    late = deadline_volume(type(r)(**{**r.__dict__, "trades": moved}))
    assert late.volume_t.iloc[0] == 15 and late.share.iloc[0] == 1.0

    march = r.trades.assign(date=pd.Timestamp("2022-03-01"))
    mid = deadline_volume(type(r)(**{**r.__dict__, "trades": march}))
    assert mid.volume_t.iloc[0] == 15 and mid.share.iloc[0] == 0.0

"""The run's schedule of event days."""

import datetime as dt

import numpy as np

from carbonsim.sim.calendar import Schedule
from carbonsim.scenario.calendar import Calendar


def calendar(**kw):
    base = dict(sessions="business_days", allocation="06-30", auctions=["09-15", "03-15"],
                verification="03-31", compliance_deadline="06-30", reserve_operations="12-31")
    base.update(kw)
    return Calendar(**base)


def test_business_days_skip_weekends_and_holidays_and_stop_at_the_last_deadline():
    s = Schedule(calendar(), 2021, 2)
    dates = s.date(s.session_days()).astype(object)
    assert all(d.weekday() < 5 for d in dates)
    assert dt.date(2021, 12, 24) in dates and dt.date(2022, 1, 3) in dates
    assert not any((d.month, d.day) in [(1, 1), (12, 25)] for d in dates)
    assert max(dates) == dt.date(2023, 6, 30)  # a Friday: the last deadline


def test_evenly_spaced_sessions_and_event_days():
    s = Schedule(calendar(sessions=4), 2021, 1)
    assert s.session_days().tolist()[:4] == [0, 91, 182, 273]
    assert s.day(0, "verification") == (dt.date(2022, 3, 31) - dt.date(2021, 1, 1)).days
    assert s.auction_days(0) == [73, 257]
    assert s.deadline_bracket(10) == (0, s.day(0, "compliance_deadline"))
    assert np.array_equal(s.year_starts[:3], [0, 365, 730])

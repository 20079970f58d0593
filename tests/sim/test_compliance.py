"""Surrender, offsets, borrowing and penalties at a compliance deadline."""

import numpy as np

from carbonsim.sim.compliance import capped_obligation, settle


def test_settle_uses_offsets_then_allowances_then_borrowing():
    r = settle(np.array([100, 100, 100]), np.array([100, 80, 50]), np.array([0, 10, 10]),
               np.array([0, 0, 30]), offset_limit=0.05, borrowing=0.2, penalty_per_t=100.0,
               fixed_fine=1000.0)
    assert r.offsets_t.tolist() == [0, 5, 5]
    assert r.allowances_t.tolist() == [100, 80, 50]
    assert r.borrowed_t.tolist() == [0, 0, 20]
    assert r.shortfall_t.tolist() == [0, 15, 25]
    assert r.penalty.tolist() == [0.0, 15 * 100 + 1000, 25 * 100 + 1000]
    assert (r.surrendered_t + r.shortfall_t == r.obligation_t).all()


def test_shortfall_cap_limits_obligation_to_allocation_plus_share():
    obligation = capped_obligation(np.array([150.4, 90.6]), np.array([100, 100]), 0.2)
    assert obligation.tolist() == [120, 91]
    assert capped_obligation(np.array([150.4]), np.array([100]), None).tolist() == [150]

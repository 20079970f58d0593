"""economy.foresight.expected_bau: the years after the current one as its BAU grown at a rate."""

from __future__ import annotations

import numpy as np
import pytest

from carbonsim.economy.foresight import expected_bau, extend
from carbonsim.economy.population import build_population
from _economies import four_firms


def _population():
    s = four_firms(years=4, cap=300_000,
                   emitter_extra={k: {"output": [100_000, 90_000, 120_000, 80_000]} for k in (1, 2, 3, 4)})
    pop = build_population(s, np.random.default_rng(0))
    return s, pop, [pop.mac_curves(y) for y in range(4)]


def test_the_years_after_the_current_one_are_its_bau_grown_at_the_rate():
    """From year 1 (BAU 90,000 t) at 10% a year: years 2 and 3 are 99,000 and 108,900 t, their
    curves year 1's widened by 1.1 and 1.21 (prices kept); years 0 and 1 as they are."""
    _, pop, curves = _population()
    seen, seen_curves = expected_bau(pop, curves, 1, 0.10)
    np.testing.assert_allclose(seen.bau_t[0], [100_000, 90_000, 99_000, 108_900])
    np.testing.assert_array_equal(pop.bau_t[0], [100_000, 90_000, 120_000, 80_000])  # untouched
    assert seen_curves[0] is curves[0] and seen_curves[1] is curves[1]
    for y, f in ((2, 1.1), (3, 1.21)):
        np.testing.assert_allclose(seen_curves[y].width_t, curves[1].width_t * f)
        np.testing.assert_array_equal(seen_curves[y].hi, curves[1].hi)


def test_the_years_after_the_run_continue_at_the_rate():
    """Two foresight years after year 3 (expected 90,000 × 1.05^2 from year 1) grow at 5% too."""
    s, pop, curves = _population()
    seen, seen_curves = expected_bau(pop, curves, 1, 0.05)
    bau, more, _, _ = extend(s, seen, seen_curves, np.full(4, 3e5), np.zeros(4), 2)
    np.testing.assert_allclose(bau[0], [100_000, *(90_000 * 1.05 ** np.arange(5))])
    np.testing.assert_allclose(more[5].width_t, curves[1].width_t * 1.05 ** 4)


def test_the_last_year_has_no_years_after_it():
    _, pop, curves = _population()
    seen, seen_curves = expected_bau(pop, curves, 3, 0.5)
    np.testing.assert_array_equal(seen.bau_t, pop.bau_t)
    assert len(seen_curves) == 4
    assert seen.growth == pytest.approx(np.full(4, 0.5))

"""The emitters' decisions as array functions of a run's state: positions, allowance values,
abatement plans and offset buying (MODEL.md section 5; docs/architecture.md explains the choices).

Every function takes the run (`carbonsim.sim.engine.Simulation`) and returns or applies (N,)
arrays; none schedules anything.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from carbonsim.sim.expectations import BankingView
from carbonsim.sim.schedules import allowance_value, plan_rate

__all__ = ["Position", "bau_rate", "buy_offsets", "first_slice", "forecasts", "participants",
           "positions", "replan", "values"]


@dataclass(frozen=True)
class Position:
    """Emitters' positions at a moment, (N,) arrays in t.

    short: shortage in the prior compliance year (must be bought, no abatement can help);
    current: what is still to abate over the rest of the current year (negative: surplus);
    frac_left: fraction of the current year left (0 after the last simulated year);
    year: calendar-year index; keep: old-vintage allowances reserved for the prior year.
    """

    short: np.ndarray
    current: np.ndarray
    frac_left: float
    year: int
    keep: np.ndarray


def first_slice(qty: np.ndarray, total: int) -> np.ndarray:
    """The first ``total`` tonnes of ``qty`` (N,) taken in index order."""
    before = np.cumsum(qty) - qty
    return np.clip(total - before, 0, qty)


def forecasts(scenario, population, rng: np.random.Generator) -> np.ndarray:
    """Each emitter's forecast of its BAU emissions, made before each year (N, Y) t.

    Expected output × intensity, with a relative error of ``behaviour.output_uncertainty``.
    """
    noise = rng.normal(0.0, scenario.behaviour.output_uncertainty, size=population.bau_t.shape)
    return population.expected_output * population.intensity * (1.0 + noise)


def positions(sim, day: int) -> Position:
    """Each emitter's position on ``day`` (see Position).

    The earliest open compliance year whose emissions are final (``prior``) is a separate
    position: an emitter short in it must buy eligible vintages and can no longer abate;
    what it holds beyond that year's obligation counts for the current year.
    """
    st, acc = sim.state, sim.acc
    c = st.year_of(day)
    f = st.fraction_left(day)
    limit = sim.offset_limit
    held = acc.held() + np.einsum("ij->i", sim.pending_t[:, : c + 1])  # allowances, t
    offsets = acc.offsets.astype(np.float64)
    short = keep = np.zeros(sim.n)
    if 0 <= c - 1 < sim.years and not sim.closed[c - 1]:
        obligation = np.rint(st.emitted_t[:, c - 1]) + sim.owed_t[:, c - 1]  # whole t
        eligible = acc.eligible(c - 1)
        used = np.minimum(offsets, np.floor(limit * obligation))
        prior = obligation - eligible - used - sim.pending_t[:, c - 1]
        short = np.where(prior >= 0.5, prior, 0.0)  # float dust is not a shortage
        held = held - (obligation - used) + short
        offsets = offsets - used
        keep = np.minimum(np.maximum(obligation - used, 0), eligible)
    if c < sim.years:
        emissions = st.emitted_t[:, c] + f * (bau_rate(sim, c, f) - st.plan_rate)
        usable = np.minimum(offsets, np.floor(limit * np.maximum(emissions, 0.0)))
        current = emissions + f * st.plan_rate + sim.makegood_t - held - usable
    else:
        current, f = -held, 0.0
    return Position(short, current, f, c, np.asarray(keep, dtype=np.int64))


def bau_rate(sim, c: int, f: float) -> np.ndarray:
    """Each emitter's estimate of its BAU emissions rate for the rest of year ``c`` (t/yr).

    Its forecast made before the year, blended with the rate it has observed so far; the
    forecast's weight f⁸ fades fast (0.43 a tenth into the year, 0.004 by mid-year), so by
    the year's end the estimate is what the emitter sees and its plan lands on its
    holdings to the tonne.
    """
    if f >= 1.0:
        return sim.forecast_t[:, c]
    st = sim.state
    observed = (st.emitted_t[:, c] + st.abated_t[:, c]) / (1.0 - f)
    w = f**8
    return w * sim.forecast_t[:, c] + (1.0 - w) * observed


def values(sim, c: int) -> tuple[np.ndarray, np.ndarray]:
    """Willingness to pay (non-compliance cost) and banking value, currency/t, (N,)."""
    comp = sim.sc.compliance
    # With make-good the missing allowance is still owed next year, at the price the
    # least-cost path expects then (a fixed anchor: the last close would ratchet upward).
    make_good = sim.lc.price[min(c + 1, sim.years - 1)] if comp.make_good else 0.0
    wtp = comp.penalty_per_t + make_good
    bank = 0.0
    if comp.banking and c + 1 < sim.years:
        bank = sim.expect(BankingView(c, np.asarray(sim.closes), sim.lc.price,
                                      sim.sc.behaviour.discount_rate))
    res = sim.reserves
    if res is not None and res.price_ceiling is not None:
        wtp = min(wtp, res.price_ceiling)  # the regulator sells any amount at the ceiling
    if res is not None and res.price_floor is not None:
        bank = max(bank, res.price_floor)  # and buys any amount at the floor
    return np.full(sim.n, wtp), np.full(sim.n, min(bank, wtp))


def participants(sim, day: int) -> np.ndarray:
    """Who takes part in the session on ``day`` (N,) bool (``behaviour.participation``)."""
    part = sim.sc.behaviour.participation
    if part is None:
        return np.ones(sim.n, dtype=bool)
    prev, nxt = sim.schedule.deadline_bracket(day)
    share = part.start + (part.at_deadline - part.start) * (day - prev) / max(nxt - prev, 1)
    return sim.rng.random(sim.n) < share


def replan(sim, day: int) -> None:
    """Set every emitter's abatement rate for the rest of the year from its value."""
    pos = positions(sim, day)
    wtp, bank = values(sim, pos.year)
    curves = sim.state.curves[pos.year]
    value = allowance_value(curves, pos.current, pos.frac_left, wtp, bank)
    if sim.reference is not None:
        # A price taker abates until its MAC meets the market price: one valuing an
        # allowance below the price abates more and expects to sell the difference.
        value = np.maximum(value, min(sim.reference, float(wtp[0])))
    sim.state.plan_rate = plan_rate(curves, pos.current, pos.frac_left, value)
    sim.last_review = day


def buy_offsets(sim, pos: Position, wtp: np.ndarray, bank: np.ndarray) -> bool:
    """Buy offsets at their fixed price where an allowance is worth more, within the limit
    (a share of the expected obligation) and the year's offset supply; True if any."""
    offsets = sim.sc.compliance.offsets
    if offsets is None or offsets.limit <= 0:
        return False
    y = min(pos.year, sim.years - 1)
    st, f = sim.state, pos.frac_left
    expected = st.emitted_t[:, y] + f * (bau_rate(sim, y, f) - st.plan_rate)  # obligation
    room = np.floor(offsets.limit * np.maximum(expected, 0.0)) - sim.acc.offsets
    need = pos.short + np.maximum(pos.current, 0.0)
    want = np.minimum(room, np.ceil(need))
    if not (want >= 1).any():  # the usual case once the limits are reached
        return False
    value = allowance_value(sim.state.curves[y], pos.current, pos.frac_left, wtp, bank)
    value = np.where(pos.short > 0, wtp, value)
    want = np.where(value > offsets.price, np.maximum(want, 0.0), 0.0).astype(np.int64)
    if offsets.supply_t is not None:
        left = max(int(offsets.supply_t) - sim.ledger.offsets_bought_in(y), 0)
        want = first_slice(want, left)
    if not want.any():
        return False
    sim.acc.buy_offsets(want, offsets.price)
    sim.ledger.offsets_bought_t[:, y] += want
    return True

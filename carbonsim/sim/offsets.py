"""Offset buying in a run: offsets are a supply at a fixed price that every emitter uses
wherever it is cheaper than an allowance, within the limit of its obligation (MODEL.md 5, 6).

Before every session and primary auction the offset sellers meet the market's net demand at the
offset price: what emitters would still buy at that price, after their own abatement and net of
what others would sell them, so offsets bring the allowance price down to their price and no
further (each emitter buying for its own gap would overshoot). Where a banked allowance is worth
more than an offset, every emitter surrenders offsets up to its limit and banks the allowances.
Supply (``offsets.supply_t``) is counted per compliance year.
"""

from __future__ import annotations

import numpy as np

from carbonsim.economy.mac import abatement_at
from carbonsim.sim import periods
from carbonsim.sim.traders import Position, Values, first_slice

__all__ = ["buy_offsets", "offset_room"]


def offset_room(sim, pos: Position) -> np.ndarray:
    """Offsets each emitter may still use (t, (N,)): ``limit`` × its open obligations (the
    prior year's, final, and the current year's, expected, and within a control period what
    earlier years left for its final deadline) less the offsets it holds."""
    limit = sim.offset_limit
    st, c = sim.state, pos.year
    room = np.floor(limit * np.maximum(pos.expected_t, 0.0))
    if 0 <= c - 1 < sim.years and not sim.closed[c - 1]:
        room += np.floor(limit * (np.rint(st.emitted_t[:, c - 1]) + sim.owed_t[:, c - 1]))
    if sim.sc.compliance.period_years > 1:
        room += np.floor(limit * periods.outstanding_t(sim))
    return np.maximum(room - sim.acc.offsets, 0.0)


def buy_offsets(sim, pos: Position, val: Values) -> bool:
    """Buy the offsets the market wants at their price (see the module docstring); True if any."""
    offsets = sim.sc.compliance.offsets
    if offsets is None or offsets.limit <= 0:
        return False
    room = offset_room(sim, pos)
    if not (room >= 1).any():  # the usual case once the limits are reached
        return False
    price = offsets.price
    prior = np.where(val.wtp > price, pos.short, 0.0)  # a short emitter can only buy
    if float(val.bank[0]) > price:  # an offset frees an allowance worth more: use them all
        want = room
    else:
        current = np.zeros(sim.n)
        if pos.year < sim.years and float(val.buy_cap[0]) >= price:
            curves = sim.state.curves[pos.year]
            current = pos.current - pos.frac_left * abatement_at(curves, price)
        demand = prior + np.maximum(current, 0.0)
        market = float(prior.sum() + current.sum())  # net of what others would sell at the price
        want = np.minimum(room, demand)
        total = float(want.sum())
        if market <= 0 or total <= 0:
            return False
        if total > market:
            want = want * (market / total)
    want = np.floor(want + 1e-9).astype(np.int64)
    prior_part = np.minimum(want, np.ceil(prior).astype(np.int64))
    current_part = want - prior_part
    if pos.year < sim.years:
        # The room counts both open years; what is booked to this one stays for it (compliance
        # uses offsets bought against a year for that year), so keep it within its own limit.
        own = (np.floor(sim.offset_limit * np.maximum(pos.expected_t, 0.0))
               - sim.ledger.offsets_bought_t[:, pos.year])
        current_part = np.minimum(current_part, np.maximum(own, 0).astype(np.int64))
    parts = [(pos.year - 1, prior_part), (pos.year, current_part)]
    bought = np.zeros(sim.n, np.int64)
    for y, part in parts:
        if not 0 <= y < sim.years or not part.any():
            continue
        if offsets.supply_t is not None:
            part = first_slice(part, max(int(offsets.supply_t) - sim.ledger.offsets_bought_in(y), 0))
        sim.ledger.offsets_bought_t[:, y] += part
        bought += part
    if not bought.any():
        return False
    sim.acc.buy_offsets(bought, price)
    return True

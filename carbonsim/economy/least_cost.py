"""The least-cost benchmark of a scenario: every rule that moves supply or prices put into the
intertemporal solver (MODEL.md section 8).

Each rule becomes supply the solver can see, as the steps of a curve or a change of the year's
allowances (t), solved by `equilibrium.intertemporal_equilibrium`:
- auction reserve price: the auctioned volume is supply only at or above it (a step at the
  reserve price); unsold volume is cancelled, or with ``carry_forward`` offered again next year;
- CCR tranche: extra supply at or above its trigger (a step); ECR: volume withheld below its
  trigger (the year's supply less the volume, plus a step at the trigger);
- offsets: a step at their price, as wide as ``limit`` × the year's emissions (the obligation,
  not BAU) and at most ``supply_t``;
- borrowing: ``borrowing`` × a year's emissions (its obligation) may come from next year's
  allowances (the bank may go that far below zero); the last year borrows nothing;
- the MSR: intake of ``intake_rate`` × the bank above the upper threshold from next year's
  auctions, release below the lower one;
- a price ceiling (a step of unlimited supply at each year's ceiling; the penalty without
  make-good caps the price too); a price floor holds it; triggers, floor and ceiling grow as
  the scenario says (`economy.controls`);
- the opening bank is the bank before the first year;
- the ``behaviour.foresight_years`` after the run are solved too (`economy.foresight`), so the
  path does not end with worthless allowances; outputs keep the run's years, ``path`` has all;
- control periods (``compliance.period_years``): with banking they only move deadlines, so the
  path is the annual one; without banking the years of a period bank into each other and what
  is left at its end lapses (``period_years`` of the solver).
Offsets, borrowing, carried volume and the MSR depend on the solution: they are a fixed point,
found by re-solving until the widths settle. Steps of supply are transfers, not costs: the
abatement cost counts emitters' abatement only, and offsets at their price separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carbonsim.economy.controls import controls
from carbonsim.economy.equilibrium import intertemporal_equilibrium
from carbonsim.economy.foresight import extend
from carbonsim.economy.mac import MacCurves, abatement_cost, step_curves

__all__ = ["LeastCost", "least_cost", "price_cap"]

#: Re-solves of the fixed point (offsets, borrowing, carried volume, MSR) at most.
MAX_ROUNDS = 40


@dataclass(frozen=True)
class LeastCost:
    """Least-cost path by compliance year: price (currency/t), cost (currency), tonnes."""

    price: np.ndarray
    abatement_cost: np.ndarray  # emitters' abatement only
    abatement_t: np.ndarray
    bank_t: np.ndarray
    supply_t: np.ndarray  # allowances the year's rules put into circulation on the path
    offset_cost: np.ndarray  # offsets bought on the least-cost path, at their price
    offsets_t: np.ndarray
    discount_rate: float = 0.0
    path: np.ndarray | None = None  # price of every year solved, foresight years included


def price_cap(scenario, curves: list[MacCurves]) -> float:
    """The highest price non-compliance lets the market reach (currency/t; a price ceiling is a
    supply step of its own).

    The penalty without make-good; with make-good, non-compliance costs the penalty plus the
    make-good allowance, which no emitter values above its costliest abatement, so the penalty
    plus the highest MAC in the scenario bounds the price (it binds only when the cap cannot be
    met by abatement at all).
    """
    penalty = scenario.compliance.penalty_per_t
    if not scenario.compliance.make_good:
        return float(penalty)
    top = max((float(c.hi[np.isfinite(c.hi)].max(initial=0.0)) for c in curves), default=0.0)
    return float(penalty + top)


@dataclass
class _Supply:
    """The rules' quantities for one solve (each (Y,) t), updated between rounds."""

    base_t: np.ndarray  # allowances whatever the price (free allocation, unreserved auctions)
    reserve_price: np.ndarray  # currency/t; the auctioned volume is a step there
    auction_t: np.ndarray  # volume offered at the reserve price (carried volume included)
    offsets_t: np.ndarray  # width of the offset step
    borrow_t: np.ndarray  # borrowable at the end of each year from the next
    msr_t: np.ndarray  # net MSR change of the year's supply (release − intake)


def least_cost(scenario, population, curves: list[MacCurves], supply_t: np.ndarray,
               auction_t: np.ndarray | None = None, *, window: tuple[int, int] | None = None,
               opening_t: float | None = None) -> LeastCost:
    """Solve the competitive least-cost path; ``supply_t`` (Y,) is the allowances a year (the
    cap, or free allocation plus auctions without one), ``auction_t`` (Y,) its auctioned part.

    ``window`` (first, stop) solves only those years of the run and its foresight years, from a
    bank of ``opening_t`` t (default: the opening bank), allowances worthless after ``stop``
    (the rolling horizons of MODEL.md section 5); the arrays then cover the window.
    """
    run_years, n = len(curves), population.bau_t.shape[0]
    sc, comp = scenario, scenario.compliance
    auctioned = np.zeros(run_years) if auction_t is None else auction_t
    bau_n, curves, supply, auctioned = extend(sc, population, curves, supply_t, auctioned,
                                              sc.behaviour.foresight_years)
    first, stop = window if window is not None else (0, len(curves))
    bau_n, curves, supply, auctioned = bau_n[:, first:stop], curves[first:stop], supply[first:stop], auctioned[first:stop]
    run_years = max(min(run_years, stop) - first, 0)
    years = len(curves)
    bau = bau_n.sum(axis=0)
    year_controls = [controls(sc.reserves, y) for y in range(first, stop)]
    a = sc.auctions
    reserve_price = np.zeros(years)
    if a is not None:
        reserve_price = a.reserve_price * (1.0 + a.reserve_price_growth) ** np.arange(first, stop)
    floor = np.array([c.floor or 0.0 for c in year_controls])
    reserve_price = np.maximum(reserve_price, floor)
    priced = (reserve_price > 0) & (auctioned > 0)
    state = _Supply(base_t=supply - np.where(priced, auctioned, 0.0), reserve_price=reserve_price,
                    auction_t=np.where(priced, auctioned, 0.0), offsets_t=_offset_bound(scenario, bau),
                    borrow_t=np.zeros(years), msr_t=np.zeros(years))
    offsets = comp.offsets
    ceiling = price_cap(scenario, curves)
    opening = float(population.opening_bank_t.sum()) if opening_t is None else max(float(opening_t), 0.0)
    eq = None
    for _ in range(MAX_ROUNDS):
        rows, cap = _curves_and_cap(state, curves, year_controls, offsets, bau)
        eq = intertemporal_equilibrium(rows, bau, cap, discount_rate=sc.behaviour.discount_rate,
                                       banking=comp.banking, ceiling=ceiling, initial_bank_t=opening,
                                       period_years=comp.period_years)
        if not _update(state, eq, scenario, n, bau, auctioned):
            break
    run = slice(0, run_years)
    abatement = np.array([x[:n].sum() for x in eq.abatement_t])[run]
    used_offsets = (np.array([x[n] for x in eq.abatement_t]) if offsets else np.zeros(years))[run]
    abatement_cost = np.array([_emitter_cost(c, x[:n]) for c, x in zip(curves, eq.abatement_t)])[run]
    price = np.maximum(eq.price, floor)
    offset_cost = used_offsets * (offsets.price if offsets else 0.0)
    circulating = state.base_t + state.msr_t + np.array([_supply_used(x, n, offsets) for x in eq.abatement_t])
    bank = eq.bank_t - state.borrow_t
    bank[np.abs(bank) < 1e-6 * (1.0 + np.abs(supply))] = 0.0
    return LeastCost(price[run], abatement_cost, abatement, bank[run], circulating[run], offset_cost,
                     used_offsets, sc.behaviour.discount_rate, price)


def _offset_bound(scenario, bau: np.ndarray) -> np.ndarray:
    """The offset step's width before the fixed point: ``limit`` × BAU, within the supply."""
    offsets = scenario.compliance.offsets
    if offsets is None:
        return np.zeros(bau.shape[0])
    width = offsets.limit * bau
    return width if offsets.supply_t is None else np.minimum(width, offsets.supply_t)


def _emitter_cost(curves: MacCurves, abated: np.ndarray) -> float:
    return float(abatement_cost(curves, abated).sum())


def _supply_used(abated: np.ndarray, n: int, offsets) -> float:
    """Allowances the supply steps (auctions at the reserve, CCR, ECR) put out in a year (t)."""
    return float(abated[n + (1 if offsets else 0):].sum())


def _curves_and_cap(state: _Supply, curves: list[MacCurves], year_controls, offsets, bau):
    """Each year's curves with the rules' steps appended (offsets first, then the auction at
    its reserve price, then the reserve tranches and the ceiling: supply), and the year's
    allowances whatever the price, shifted for borrowing (the bank may dip by ``borrow_t``)."""
    rows, cap = [], state.base_t + state.msr_t
    cap = cap.copy()
    unlimited = float(np.abs(bau).sum()) + 1.0  # more than any year can need
    for y, c in enumerate(curves):
        year = year_controls[y]
        cost, width = [], []
        if offsets is not None:
            cost.append(offsets.price)
            width.append(state.offsets_t[y])
        if state.auction_t[y] > 0:
            cost.append(state.reserve_price[y])
            width.append(state.auction_t[y])
        for trigger, volume in year.ccr:
            cost.append(trigger)
            width.append(volume)
        if year.ecr is not None and year.ecr[1] > 0:
            withheld = min(year.ecr[1], max(cap[y], 0.0) + state.auction_t[y])
            cost.append(year.ecr[0])
            width.append(withheld)
            cap[y] -= withheld
        if year.ceiling is not None:
            cost.append(year.ceiling)
            width.append(unlimited)
        if cost:
            steps = step_curves(np.array(cost)[:, None], np.array(width)[:, None])
            c = MacCurves.concat([c, steps])
        rows.append(c)
    borrow_in = np.concatenate([[0.0], state.borrow_t[:-1]])
    return rows, cap + state.borrow_t - borrow_in


def _update(state: _Supply, eq, scenario, n: int, bau: np.ndarray, auctioned: np.ndarray) -> bool:
    """Move the solution-dependent widths one round; True while they still change."""
    comp, res, a = scenario.compliance, scenario.reserves, scenario.auctions
    years = bau.shape[0]
    emissions = bau - np.array([x[:n].sum() for x in eq.abatement_t])
    old = np.concatenate([state.offsets_t, state.borrow_t, state.auction_t, state.msr_t])
    offsets = comp.offsets
    if offsets is not None:
        width = offsets.limit * np.maximum(emissions, 0.0)
        if offsets.supply_t is not None:
            width = np.minimum(width, offsets.supply_t)
        state.offsets_t = width  # a contraction (limit < 1): no damping needed
    if comp.borrowing > 0 and comp.banking:
        room = comp.borrowing * np.maximum(emissions, 0.0)  # a share of the year's obligation
        room[-1] = 0.0  # the last year has no next year to borrow from
        state.borrow_t = room
    if a is not None and a.unsold == "carry_forward" and state.auction_t.any():
        offered = np.where(state.reserve_price > 0, auctioned, 0.0)
        carried = np.zeros(years)
        k = n + (1 if offsets is not None else 0)
        for y in range(years - 1):
            step = eq.abatement_t[y][k] if state.auction_t[y] > 0 else 0.0
            carried[y + 1] = max(offered[y] + carried[y] - step, 0.0)
        state.auction_t = np.where(offered + carried > 0, offered + carried, 0.0)
    msr = res.msr if res is not None else None
    if msr is not None:
        change = np.zeros(years)
        held = 0.0
        for y in range(years - 1):
            tnac = eq.bank_t[y] - state.borrow_t[y]
            if tnac > msr.upper_threshold_t:
                intake = min(msr.intake_rate * tnac, auctioned[y + 1])
                change[y + 1] -= intake
                held += intake
            elif tnac < msr.lower_threshold_t:
                release = min(msr.release_t, held)
                change[y + 1] += release
                held -= release
        state.msr_t = 0.5 * (state.msr_t + change)
    new = np.concatenate([state.offsets_t, state.borrow_t, state.auction_t, state.msr_t])
    return bool(np.abs(new - old).max(initial=0.0) > 1e-7 * (1.0 + np.abs(new).max(initial=0.0)))

"""The SimPy calendar that drives a run: it schedules, the array modules compute.

Events of one day run in a fixed order (the fraction added to the day number): year start
(auction pool issuance) .05, free allocation .1, primary auctions .2, verification and true-up
.3, trading session .5, compliance deadline .7, reserve operations .8. Emissions accrue day by
day between events (state.py); every step checks the accounts' invariants.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import simpy

from carbonsim import allocation as alloc_mod
from carbonsim.accounts import Accounts
from carbonsim.behaviour import Orders, allowance_value, plan_rate, schedule_orders
from carbonsim.calendar import Schedule
from carbonsim.compliance import capped_obligation, settle
from carbonsim.expectations import EXPECTATIONS, BankingView
from carbonsim.ledger import Ledger
from carbonsim.population import build_population
from carbonsim.results import Result, build_result
from carbonsim.least_cost import LeastCost, least_cost
from carbonsim.reserves import AuctionOutcome, msr_step, primary_auction
from carbonsim.market import call_auction
from carbonsim.session import (MECHANISMS, SessionFills, control_prices, discover, limit_band,
                               no_trade_reference, prior_year_orders, with_price_controls)
from carbonsim.state import PopulationState

__all__ = ["Simulation", "run"]


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


def _first_slice(qty: np.ndarray, total: int) -> np.ndarray:
    """The first ``total`` tonnes of ``qty`` (N,) taken in index order."""
    before = np.cumsum(qty) - qty
    return np.clip(total - before, 0, qty)


class Simulation:
    """One run of a scenario: the state, the accounts and the SimPy processes."""

    def __init__(self, scenario, population, rng: np.random.Generator) -> None:
        sc = self.sc = scenario
        self.pop, self.rng = population, rng
        self.n, self.years = population.bau_t.shape
        self.schedule = Schedule(sc.calendar, sc.start_year, self.years)
        self.tick = sc.market.tick
        curves = [population.mac_curves(y) for y in range(self.years)]
        self.state = PopulationState(population.bau_t, curves, self.schedule.year_starts)
        self.acc = Accounts(self.n, self.years)
        self.allocations = [alloc_mod.allocate(sc, population, y) for y in range(self.years)]
        expected = np.column_stack([alloc_mod.expected_final(sc, population, y)
                                    for y in range(self.years)])
        self.pending_t = expected.astype(np.float64)  # free allocation still expected, t
        self.output_based = alloc_mod.output_based(sc, population)
        noise = rng.normal(0.0, sc.behaviour.output_uncertainty, size=population.bau_t.shape)
        self.forecast_t = population.expected_output * population.intensity * (1.0 + noise)
        self.auction_t = np.array([a.auction_t for a in self.allocations], dtype=np.int64)
        self.cap_t = np.array([a.cap_t for a in self.allocations], dtype=np.float64)
        supply = np.where(np.isfinite(self.cap_t), self.cap_t, expected.sum(axis=0) + self.auction_t)
        self.lc: LeastCost = least_cost(sc, population, curves, supply)
        self.closed = np.zeros(self.years, dtype=bool)
        self.owed_t = np.zeros((self.n, self.years), dtype=np.int64)  # claw-backs not covered
        self.makegood_t = np.zeros(self.n, dtype=np.int64)
        self.closes: list[float] = []  # last traded price of each session that traded
        self.reference: float | None = None  # the price the daily limits apply to
        self.last_review = -10**9
        self.reserves = sc.reserves
        self.offset_limit = sc.compliance.offsets.limit if sc.compliance.offsets is not None else 0.0
        self.ccr_left = self.ecr_left = 0
        self.ledger = Ledger(self.n, self.years)
        self.mechanism = MECHANISMS.get(sc.market.mechanism)
        self.expect = EXPECTATIONS.get(sc.behaviour.expectations)

    # --- the calendar ---------------------------------------------------------------------
    def run(self) -> Ledger:
        env = simpy.Environment()
        y_range = range(self.years)
        day = self.schedule.day
        yearly = [
            (0.05, "year_start", self.year_start),
            (0.1, "allocation", self.allocate),
            (0.3, "verification", self.verify),
            (0.7, "compliance_deadline", self.deadline),
            (0.8, "reserve_operations", self.reserve_operations),
        ]
        for order, event, step in yearly:
            env.process(self._at([(day(y, event) + order, step, y) for y in y_range], env))
        auctions = [(d + 0.2, self.auction, y) for y in y_range
                    for d in self.schedule.auction_days(y)]
        env.process(self._at(auctions, env))
        sessions = [(d + 0.5, self.session, int(d)) for d in self.schedule.session_days()]
        env.process(self._at(sessions, env))
        env.run()
        return self.ledger

    def _at(self, events: list[tuple[float, Callable, int]], env: simpy.Environment) -> Iterator:
        for t, step, arg in sorted(events, key=lambda e: e[0]):
            yield env.timeout(t - env.now)
            self.state.accrue_to(int(t))
            step(arg)
            self.acc.check()

    # --- yearly steps ---------------------------------------------------------------------
    def year_start(self, y: int) -> None:
        """Issue the year's auction volume to the regulator's pool."""
        if self.auction_t[y] > 0:
            self.acc.issue_to_pool(int(self.auction_t[y]), y)
        res = self.reserves
        self.ccr_left = int(res.ccr.volume_t) if res is not None and res.ccr is not None else 0
        self.ecr_left = int(res.ecr.volume_t) if res is not None and res.ecr is not None else 0

    def allocate(self, y: int) -> None:
        """Issue the ex-ante free allocation of year ``y``, less make-good deductions."""
        ex_ante = self.allocations[y].ex_ante_t
        deducted = np.minimum(ex_ante, self.makegood_t)
        self.makegood_t -= deducted
        issued = ex_ante - deducted
        self.acc.issue(issued, y)
        self.state.free_allocation_t[:, y] += issued
        # What is still to come is the true-up of output-based rules, in whole tonnes (a
        # fraction of the expected allocation is never issued, so nobody counts on it).
        rest = np.floor(self.pending_t[:, y] - ex_ante + 1e-9)
        self.pending_t[:, y] = np.where(self.output_based, rest, 0.0)
        self.ledger.deducted_t[:, y] += deducted

    def verify(self, y: int) -> None:
        """Verify year ``y``'s emissions and true up output-based allocation on actual output."""
        issued = self.state.free_allocation_t[:, y] + self.ledger.deducted_t[:, y]
        adjust = alloc_mod.true_up(self.sc, self.pop, y, issued)
        self.acc.issue(np.maximum(adjust, 0), y)
        self.owed_t[:, y] += self.acc.claw_back(np.maximum(-adjust, 0))
        self.state.free_allocation_t[:, y] += adjust
        self.pending_t[:, y] = 0.0

    def deadline(self, y: int) -> None:
        """Surrender for year ``y``: offsets, allowances, borrowing; penalties and make-good."""
        comp = self.sc.compliance
        obligation = capped_obligation(self.state.emitted_t[:, y], self.state.free_allocation_t[:, y]
                                       + self.ledger.deducted_t[:, y], comp.shortfall_cap)
        obligation = obligation + self.owed_t[:, y]
        nxt = self.acc.holdings[:, y + 1] if y + 1 < self.years else np.zeros(self.n, np.int64)
        result = settle(obligation, self.acc.eligible(y), self.acc.offsets, nxt,
                        offset_limit=self.offset_limit,
                        borrowing=comp.borrowing, penalty_per_t=comp.penalty_per_t,
                        fixed_fine=comp.fixed_fine)
        self.acc.surrender(result.allowances_t, result.offsets_t, y, result.borrowed_t)
        self.acc.pay(result.penalty, "penalties")
        if comp.make_good:
            self.makegood_t += result.shortfall_t
        if not comp.banking:
            self.acc.cancel_vintages_up_to(y)
        self.closed[y] = True
        self.ledger.record_compliance(y, result, self.acc.eligible(y))

    def reserve_operations(self, y: int) -> None:
        """Annual MSR intake, release and cancellation (changes next year's auction volume)."""
        msr = self.reserves.msr if self.reserves is not None else None
        if msr is None:
            return
        open_obligation = sum(self.state.emitted_t[:, k].sum() for k in range(y + 1) if not self.closed[k])
        tnac = int(self.acc.holdings.sum() - open_obligation)
        nxt = int(self.auction_t[y + 1]) if y + 1 < self.years else 0
        step = msr_step(tnac, self.acc.msr_t, nxt, upper_threshold_t=msr.upper_threshold_t,
                        lower_threshold_t=msr.lower_threshold_t, intake_rate=msr.intake_rate,
                        release_t=msr.release_t, cancel_above_t=msr.cancel_above_t)
        if y + 1 < self.years:
            self.auction_t[y + 1] += step.release_t - step.intake_t
        self.acc.msr_t += step.intake_t - step.release_t - step.cancelled_t
        self.ledger.record_msr(y, tnac, step, self.acc.msr_t)

    # --- positions and values -------------------------------------------------------------
    def _positions(self, day: int) -> Position:
        """Each emitter's position on ``day`` (see Position).

        The earliest open compliance year whose emissions are final (``prior``) is a separate
        position: an emitter short in it must buy eligible vintages and can no longer abate;
        what it holds beyond that year's obligation counts for the current year.
        """
        st, acc = self.state, self.acc
        c = st.year_of(day)
        f = st.fraction_left(day)
        limit = self.offset_limit
        held = acc.held() + np.einsum("ij->i", self.pending_t[:, : c + 1])  # allowances, t
        offsets = acc.offsets.astype(np.float64)
        short = keep = np.zeros(self.n)
        if 0 <= c - 1 < self.years and not self.closed[c - 1]:
            obligation = np.rint(st.emitted_t[:, c - 1]) + self.owed_t[:, c - 1]  # whole t
            eligible = acc.eligible(c - 1)
            used = np.minimum(offsets, np.floor(limit * obligation))
            prior = obligation - eligible - used - self.pending_t[:, c - 1]
            short = np.where(prior >= 0.5, prior, 0.0)  # float dust is not a shortage
            held = held - (obligation - used) + short
            offsets = offsets - used
            keep = np.minimum(np.maximum(obligation - used, 0), eligible)
        if c < self.years:
            emissions = st.emitted_t[:, c] + f * (self._bau_rate(c, f) - st.plan_rate)
            usable = np.minimum(offsets, np.floor(limit * np.maximum(emissions, 0.0)))
            current = emissions + f * st.plan_rate + self.makegood_t - held - usable
        else:
            current, f = -held, 0.0
        return Position(short, current, f, c, np.asarray(keep, dtype=np.int64))

    def _bau_rate(self, c: int, f: float) -> np.ndarray:
        """Each emitter's estimate of its BAU emissions rate for the rest of year ``c`` (t/yr).

        Its forecast made before the year, blended with the rate it has observed so far; the
        forecast's weight f⁸ fades fast (0.43 a tenth into the year, 0.004 by mid-year), so by
        the year's end the estimate is what the emitter sees and its plan lands on its
        holdings to the tonne.
        """
        if f >= 1.0:
            return self.forecast_t[:, c]
        st = self.state
        observed = (st.emitted_t[:, c] + st.abated_t[:, c]) / (1.0 - f)
        w = f**8
        return w * self.forecast_t[:, c] + (1.0 - w) * observed

    def _values(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        """Willingness to pay (non-compliance cost) and banking value, currency/t, (N,)."""
        comp = self.sc.compliance
        # With make-good the missing allowance is still owed next year, at the price the
        # least-cost path expects then (a fixed anchor: the last close would ratchet upward).
        make_good = self.lc.price[min(c + 1, self.years - 1)] if comp.make_good else 0.0
        wtp = comp.penalty_per_t + make_good
        bank = 0.0
        if comp.banking and c + 1 < self.years:
            bank = self.expect(BankingView(c, np.asarray(self.closes), self.lc.price,
                                           self.sc.behaviour.discount_rate))
        res = self.reserves
        if res is not None and res.price_ceiling is not None:
            wtp = min(wtp, res.price_ceiling)  # the regulator sells any amount at the ceiling
        if res is not None and res.price_floor is not None:
            bank = max(bank, res.price_floor)  # and buys any amount at the floor
        return np.full(self.n, wtp), np.full(self.n, min(bank, wtp))

    def _participants(self, day: int) -> np.ndarray:
        part = self.sc.behaviour.participation
        if part is None:
            return np.ones(self.n, dtype=bool)
        prev, nxt = self.schedule.deadline_bracket(day)
        share = part.start + (part.at_deadline - part.start) * (day - prev) / max(nxt - prev, 1)
        return self.rng.random(self.n) < share

    # --- trading sessions -----------------------------------------------------------------
    def session(self, day: int) -> None:
        """Buy offsets, submit schedules, clear, settle, then re-plan abatement."""
        pos = self._positions(day)
        wtp, bank = self._values(pos.year)
        if self._buy_offsets(pos, wtp, bank):
            pos = self._positions(day)
        if (pos.short > 0).any() and self._prior_market(pos, wtp, bank, day):
            pos = self._positions(day)
        current, f, c = pos.current, pos.frac_left, pos.year
        active = self._participants(day)
        curves = self.state.curves[min(c, self.years - 1)]
        # An emitter still short in the prior year could only buy vintages it cannot use for
        # it: it stays out of the main market until that year's deadline.
        short = pos.short > 0
        active = active & ~short
        need = current
        value = allowance_value(curves, need, f, wtp, bank)
        b = self.sc.behaviour
        m = self.sc.market
        ref = self.reference
        band = limit_band(ref, m.daily_limit)
        # Who does not take part this session submits nothing (no need, nothing to sell).
        need = np.where(active, need, 0.0)
        sellable = np.where(active, self.acc.held() - pos.keep, 0)

        controls = control_prices(self.reserves)

        def build(grid: np.ndarray) -> Orders:
            # Emitters also quote at the floor and ceiling prices, where the regulator trades.
            inside = controls[(controls >= grid[0]) & (controls <= grid[-1])]
            grid = np.union1d(grid, inside) if inside.size else grid
            return with_price_controls(self.reserves, self.tick, schedule_orders(
                curves, need, f, wtp, bank, sellable, grid, self.tick,
                gap_fraction=b.gap_fraction, min_lot=m.min_lot, fee_per_t=m.fee_per_t))

        idx = np.flatnonzero(active)
        finite = value[idx][np.isfinite(value[idx])]
        centre = ref if ref is not None else (float(np.median(finite)) if finite.size else 0.0)
        spread = float(np.quantile(np.abs(finite - centre), 0.9)) if finite.size else 0.0
        half = max(spread, 0.01 * centre, 2 * self.tick * b.bid_steps)
        fills = self.mechanism(build, centre, half, b.bid_steps, self.tick, band, self.rng)
        self._settle(fills, pos, day)
        self.ledger.record_session(day, c, fills, int(active.sum()), band)
        if fills.volume_t > 0:
            self.closes.append(fills.close)
            self.reference = fills.close
        else:
            self.reference = no_trade_reference(fills.orders, ref, band, self.tick)
        if c < self.years and day - self.last_review >= (b.review_days or 0):
            self._replan(day)

    def _prior_market(self, pos: Position, wtp: np.ndarray, bank: np.ndarray, day: int) -> bool:
        """A call auction in the vintages still eligible for the prior year, between emitters
        short in it and holders of a surplus of them; True if anything traded."""
        surplus = np.where(pos.short > 0, 0, self.acc.eligible(pos.year - 1) - pos.keep)
        if surplus.sum() <= 0:
            return False
        curves = self.state.curves[min(pos.year, self.years - 1)]
        value = allowance_value(curves, pos.current, pos.frac_left, wtp, bank)
        if not self.sc.compliance.banking:
            value = np.zeros(self.n)  # unused old vintages lapse at the deadline
        orders = prior_year_orders(pos.short, surplus, wtp, value, self.tick)
        result = call_auction(orders.side, orders.price, orders.qty)
        if result.volume == 0:
            return False
        price = result.price * self.tick
        fills = SessionFills(orders, result.filled, price, price, int(result.volume),
                             int((result.filled > 0).sum()), result.filled * price)
        self._settle(fills, pos, day)
        return True

    def _replan(self, day: int) -> None:
        pos = self._positions(day)
        wtp, bank = self._values(pos.year)
        curves = self.state.curves[pos.year]
        value = allowance_value(curves, pos.current, pos.frac_left, wtp, bank)
        if self.reference is not None:
            # A price taker abates until its MAC meets the market price: one valuing an
            # allowance below the price abates more and expects to sell the difference.
            value = np.maximum(value, min(self.reference, float(wtp[0])))
        self.state.plan_rate = plan_rate(curves, pos.current, pos.frac_left, value)
        self.last_review = day


    def _settle(self, fills, pos: Position, day: int) -> None:
        c = pos.year
        o = fills.orders
        em = o.owner >= 0
        buy, sell = em & (o.side > 0), em & (o.side < 0)
        n = self.n
        bought = np.bincount(o.owner[buy], weights=fills.filled[buy], minlength=n).astype(np.int64)
        sold = np.bincount(o.owner[sell], weights=fills.filled[sell], minlength=n).astype(np.int64)
        paid = np.bincount(o.owner[buy], weights=fills.buyer_value[buy], minlength=n)
        got = np.bincount(o.owner[sell], weights=fills.buyer_value[sell], minlength=n)
        reg_sold = int(fills.filled[~em & (o.side < 0)].sum())
        reg_bought = int(fills.filled[~em & (o.side > 0)].sum())
        vintage = min(c, self.years - 1)
        from_pool = _first_slice(bought, reg_sold)
        to_reg = _first_slice(sold, reg_bought)
        if reg_sold:
            self.acc.issue_to_pool(reg_sold, vintage)
            self.acc.deliver_from_pool(from_pool, vintage)
        if reg_bought:
            self.acc.retire(to_reg, keep=pos.keep)
        # Prior-year shortages are served first, with the oldest (eligible) vintages.
        self.acc.deliver(bought - from_pool, sold - to_reg, keep=pos.keep,
                         first=pos.short > 0)
        fee = self.sc.market.fee_per_t
        self.acc.move_cash(got - paid, "reserve")  # net of regulator trades; emitters' legs cancel
        if fee:
            self.acc.pay(fee * (bought + sold), "fees")
        self.state.record_trades(c, bought, sold, paid, got)
        self.ledger.record_trades(day, c, o.owner, o.side, fills.filled, fills.buyer_value)

    def _buy_offsets(self, pos: Position, wtp: np.ndarray, bank: np.ndarray) -> bool:
        """Buy offsets at their fixed price where an allowance is worth more, within the limit
        (a share of the expected obligation) and the year's offset supply; True if any."""
        offsets = self.sc.compliance.offsets
        if offsets is None or offsets.limit <= 0:
            return False
        y = min(pos.year, self.years - 1)
        st, f = self.state, pos.frac_left
        expected = st.emitted_t[:, y] + f * (self._bau_rate(y, f) - st.plan_rate)  # obligation
        room = np.floor(offsets.limit * np.maximum(expected, 0.0)) - self.acc.offsets
        need = pos.short + np.maximum(pos.current, 0.0)
        want = np.minimum(room, np.ceil(need))
        if not (want >= 1).any():  # the usual case once the limits are reached
            return False
        value = allowance_value(self.state.curves[y], pos.current, pos.frac_left, wtp, bank)
        value = np.where(pos.short > 0, wtp, value)
        want = np.where(value > offsets.price, np.maximum(want, 0.0), 0.0).astype(np.int64)
        if offsets.supply_t is not None:
            left = max(int(offsets.supply_t) - self.ledger.offsets_bought_in(y), 0)
            want = _first_slice(want, left)
        if not want.any():
            return False
        self.acc.buy_offsets(want, offsets.price)
        self.ledger.offsets_bought_t[:, y] += want
        return True

    # --- primary auctions -----------------------------------------------------------------
    def auction(self, y: int) -> None:
        """A primary auction in year ``y``: the pool is offered in equal parts over the year's
        remaining auction dates, oldest vintage first; emitters bid their buy schedules."""
        pool = self.acc.pool[: y + 1]
        remaining = sum(d >= self.state.accrued_to for d in self.schedule.auction_days(y))
        supply = int(pool.sum() // max(remaining, 1))
        if supply <= 0:
            return
        pos = self._positions(self.state.accrued_to)
        wtp, bank = self._values(pos.year)
        need, f = pos.short + pos.current, pos.frac_left
        curves = self.state.curves[y]
        value = allowance_value(curves, need, f, wtp, bank)
        a, res, tick = self.sc.auctions, self.reserves, self.tick
        floor = res.price_floor if res is not None and res.price_floor is not None else 0.0
        reserve = max(a.reserve_price * (1.0 + a.reserve_price_growth) ** y, floor)
        finite = value[np.isfinite(value) & (value > reserve)]
        top = float(finite.max()) if finite.size else reserve
        start = self.reference if self.reference is not None else (reserve + top) / 2
        half = max(abs(top - start), abs(start - reserve), tick)
        reserve_tick = int(np.ceil(reserve / tick - 1e-9))
        sellable = np.zeros(self.n, np.int64)

        def build(grid: np.ndarray) -> Orders:
            return schedule_orders(curves, need, f, wtp, bank, sellable, grid, tick)

        def clear(orders: Orders) -> AuctionOutcome:
            return primary_auction(
                orders.price, orders.qty, supply, reserve_tick, tie=a.tie,
                ccr_trigger=int(res.ccr.trigger_price / tick) if res is not None and res.ccr else None,
                ccr_left_t=self.ccr_left,
                ecr_trigger=int(res.ecr.trigger_price / tick) if res is not None and res.ecr else None,
                ecr_left_t=self.ecr_left)

        def indicative(orders: Orders) -> tuple[int, int]:
            r = clear(orders).result
            return r.price, r.sold

        if finite.size:
            orders, _ = discover(build, indicative, start, half,
                                 2 * self.sc.behaviour.bid_steps, tick, (reserve, np.inf))
        else:  # nobody values an allowance above the reserve price: nothing sells
            orders = Orders(*(np.zeros(0, t) for t in (np.int64, np.int8, np.int64, np.int64)))
        out = clear(orders)
        if out.ccr_released_t:
            self.acc.issue_to_pool(out.ccr_released_t, y)
            self.ccr_left -= out.ccr_released_t
        self.ecr_left -= out.ecr_withheld_t
        r = out.result
        bought = np.bincount(orders.owner, weights=r.filled, minlength=self.n).astype(np.int64)
        price = r.price * tick if r.sold > 0 else np.nan
        left = bought
        for v in range(y + 1):  # the oldest vintages in the pool go first
            part = _first_slice(left, int(self.acc.pool[v]))
            self.acc.deliver_from_pool(part, v)
            left = left - part
        unsold = out.offered_t - int(r.sold)
        dispose = out.ecr_withheld_t + (unsold if a.unsold in ("cancel", "reserve") else 0)
        for v in range(y + 1):  # ECR withholding and unsold volume leave the pool
            gone = min(dispose, int(self.acc.pool[v]))
            self.acc.cancel_from_pool(gone, v)
            dispose -= gone
        if a.unsold == "reserve":
            self.acc.msr_t += unsold
        if r.sold > 0:
            self.acc.pay(bought * price, "auctioneer")
            self.state.auction_bought_t[:, y] += bought
            self.state.spent[:, y] += bought * price
        self.ledger.record_auction(self.state.accrued_to, y, out, price)


def run(scenario, seed: int | None = None) -> Result:
    """Simulate ``scenario``; ``seed`` (default: the scenario's) makes the run reproducible.

    The population is drawn from the first of two streams spawned from the seed and the run's
    randomness (participation, arrival order, forecast errors) from the second.
    Raises RunError if the run cannot be completed.
    """
    seed = scenario.seed if seed is None else int(seed)
    population_stream, run_stream = np.random.SeedSequence(seed).spawn(2)
    t0 = time.perf_counter()
    population = build_population(scenario, np.random.default_rng(population_stream))
    sim = Simulation(scenario, population, np.random.default_rng(run_stream))
    sim.run()
    return build_result(scenario, seed, sim, time.perf_counter() - t0)

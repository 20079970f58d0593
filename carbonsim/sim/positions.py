"""Emitters' positions (what each still needs for the open compliance years) as array functions
of a run's state (MODEL.md section 5), and the expectations they count on: the supply still to
come, their BAU rate, the price path and the abatement it pays for.

A session asks for positions several times (before and after offsets and the prior-year
market, and to re-plan after it trades), an auction too; what does not change within a step
(the year's emissions so far and expected, the prior year's obligation, free allocation still
expected: strided (N, Y) columns and reductions) is computed once per step and kept
(`DayTerms`, keyed on the run's ``epoch``, which the calendar advances at every event); only
what trades and offset purchases move (holdings, offsets) is recomputed each time. With the
accounts checked after every event (the test suite) every position is also computed afresh
and must be identical.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from carbonsim.economy.mac import abatement_at
from carbonsim.errors import InvariantError
from carbonsim.sim import periods
from carbonsim.sim.expectations import PriceView, bank_value, later_price
from carbonsim.sim.timing import prior_obligation

__all__ = ["DayTerms", "Position", "abatement_rate", "auctions_to_come", "bau_rate",
           "day_terms", "positions", "price_path"]

#: How positions are computed: compiled when numba is installed (the same floats), else numpy.
POSITIONS_BACKEND = "numba" if importlib.util.find_spec("numba") is not None else "numpy"


@dataclass(frozen=True)
class Position:
    """Emitters' positions at a moment, (N,) arrays in t.

    short: shortage in the prior compliance year (must be bought, no abatement can help);
    current: what is still to abate over the rest of the current year (negative: surplus),
    after the supply the emitter counts on (free allocation, auction share, borrowing room);
    frac_left: fraction of the current year left (0 after the last simulated year);
    year: calendar-year index; keep: old-vintage allowances reserved for the prior year;
    expected_t: expected emissions of the current year (its obligation).
    """

    short: np.ndarray
    current: np.ndarray
    frac_left: float
    year: int
    keep: np.ndarray
    expected_t: np.ndarray


def auctions_to_come(sim, day: int, offered_now_t: int = 0, *, auction_day: bool = False) -> int:
    """Allowances the primary auctions still to come this year will offer (t).

    The pool of vintages usable this year, less ``offered_now_t`` (what the auction of the day
    offers, bid for now); on an ``auction_day`` (asked from the auction step) the day's auction
    is still to come. Nothing once the year's last auction is past (unsold volume then waits
    for next year's).
    """
    c = sim.state.year_of(day)
    days = sim.schedule.auction_days(c) if c < sim.years else []
    if not any(d > day or (auction_day and d == day) for d in days):
        return 0
    return max(int(sim.acc.pool[: c + 1].sum()) - offered_now_t, 0)


@dataclass(frozen=True)
class DayTerms:
    """What positions on ``day`` take from the run's state that holds within a step (N,) t.

    pending: free allocation still expected for the vintages usable this year; later: what
    earlier years of a control period left for its final deadline; prior (None when the prior
    year is closed or there is none): (obligation, its offset cap, free allocation still
    expected for it, borrowing room, allocation still to be issued before its deadline or 0,
    the newest vintage it may use); current (None after the last year): (expected emissions,
    what is owed for the year, its offset cap, owed + planned abatement + make-good).
    """

    day: int
    c: int
    f: float
    pending: np.ndarray
    later: np.ndarray | int
    prior: tuple | None
    current: tuple | None


def day_terms(sim, day: int) -> DayTerms:
    """The `DayTerms` of ``day``, computed from the run's state (see `positions`)."""
    st = sim.state
    c = st.year_of(day)
    f = st.fraction_left(day)
    limit = sim.offset_limit
    pending = np.einsum("ij->i", sim.pending_t[:, : c + 1])
    later = periods.outstanding_t(sim)
    prior = current = None
    if 0 <= c - 1 < sim.years and not sim.closed[c - 1]:
        base = prior_obligation(sim, c - 1) - sim.owed_t[:, c - 1]  # the year's own, whole t
        obligation, carried = periods.due_split(sim, c - 1, base, later)
        obligation = obligation + sim.owed_t[:, c - 1]  # whole t due at the prior deadline
        later = carried if periods.final(sim, c - 1) else later + carried
        last = periods.last_vintage(sim, c - 1)
        # What may be borrowed from this year's allocation is bought in this year's vintage.
        borrow = np.floor(sim.sc.compliance.borrowing * obligation) if c < sim.years and last < c else 0.0
        to_issue = periods.to_issue_t(sim, c - 1, day) if last == c else None
        prior = (obligation, np.floor(limit * obligation), sim.pending_t[:, c - 1].copy(), borrow,
                 to_issue, last)
    if c < sim.years:
        emissions = st.emitted_t[:, c] + f * (bau_rate(sim, c, f) - st.plan_rate)
        owed = emissions if sim.sc.compliance.period_years == 1 else emissions + later
        current = (emissions, owed, np.floor(limit * np.maximum(owed, 0.0)),
                   owed + f * st.plan_rate + sim.makegood_t)
    return DayTerms(day, c, f, pending, later, prior, current)


def _earmarked(sim, c: int) -> np.ndarray:
    """Offsets bought against year ``c`` and before, less those surrendered before ``c`` − 1:
    what stays for the open years (>= 0), (N,) t."""
    led = sim.ledger
    earmarked = led.offsets_bought_t[:, :c].sum(axis=1) - led.offsets_t[:, : c - 1].sum(axis=1)
    return np.maximum(earmarked, 0)


def _kept(sim, day: int) -> tuple[DayTerms, np.ndarray | None]:
    """The step's `DayTerms` and earmarked offsets, computed once per step (``sim.epoch``) and
    once per offset purchase (the offsets issued so far)."""
    key = (day, getattr(sim, "epoch", None))
    cache = getattr(sim, "day_cache", None)
    if key[1] is None or cache is None or cache[0] != key:
        cache = sim.day_cache = [key, day_terms(sim, day), None, None]
    terms = cache[1]
    if terms.prior is None:
        return terms, None
    if cache[2] != sim.acc.offsets_issued:
        cache[2:] = [sim.acc.offsets_issued, _earmarked(sim, terms.c)]
    return terms, cache[3]


def positions(sim, day: int, offered_now_t: int = 0, *, auction_day: bool = False) -> Position:
    """Each emitter's position on ``day`` (see Position).

    The earliest open compliance year whose emissions are final (``prior``) is a separate
    position: an emitter short in it must buy eligible vintages and can no longer abate;
    what it holds beyond that year's obligation counts for the current year. For the current
    year the emitter counts its share of the auctions still to come (`auctions_to_come`), and
    the room to borrow from next year's allocation when borrowing pays. Within a control period
    (`carbonsim.sim.periods`) the prior year is what its deadline takes, in the vintages
    eligible there, and the current year plans its whole emissions plus what earlier years
    of the period left for the final deadline.
    Raises InvariantError if, with every-event checks on, the kept terms give another position
    than terms computed afresh.
    """
    terms, earmarked = _kept(sim, day)
    pos = _position(sim, day, terms, earmarked, offered_now_t, auction_day, POSITIONS_BACKEND)
    if getattr(sim, "check_every_event", False):
        fresh = day_terms(sim, day)
        ref = _position(sim, day, fresh, None if fresh.prior is None else _earmarked(sim, fresh.c),
                        offered_now_t, auction_day, "numpy")
        for name in ("short", "current", "frac_left", "year", "keep", "expected_t"):
            if not np.array_equal(getattr(pos, name), getattr(ref, name), equal_nan=True):
                raise InvariantError(f"positions on day {day}: kept {name} differs from a fresh one")
    return pos


def _position(sim, day: int, terms: DayTerms, earmarked, offered_now_t: int,
              auction_day: bool, backend: str = "numpy") -> Position:
    if backend == "numba":
        short, current, keep = _compiled(sim, terms, earmarked)
        if terms.current is None:
            return Position(short, current, 0.0, terms.c, keep, np.zeros(sim.n))
        future = auctions_to_come(sim, day, offered_now_t, auction_day=auction_day)
        emissions = terms.current[0]
        current = current - _counted_supply(sim, day, terms.c, current, emissions, future)
        return Position(short, current, terms.f, terms.c, keep, emissions)
    acc, c, f = sim.acc, terms.c, terms.f
    held = acc.held() + terms.pending  # allowances, t
    offsets = acc.offsets.astype(np.float64)
    short = keep = np.zeros(sim.n)
    if terms.prior is not None:
        obligation, obligation_cap, pending, borrow, to_issue, last = terms.prior
        eligible = acc.eligible(last)
        # Offsets bought against this year stay for it; the prior year uses its own.
        used = np.minimum(np.minimum(offsets, earmarked), obligation_cap)
        prior = obligation - eligible - used - pending - borrow
        if to_issue is not None:  # an interim deadline: this year's free allocation may count
            prior = prior - to_issue
        short = np.where(prior >= 0.5, prior, 0.0)  # float dust is not a shortage
        held = held - (obligation - used) + short
        offsets = offsets - used
        keep = np.minimum(np.maximum(obligation - used, 0), eligible)
    if terms.current is not None:
        emissions, owed, owed_cap, base = terms.current
        usable = np.minimum(offsets, owed_cap)
        current = base - held - usable
        future = auctions_to_come(sim, day, offered_now_t, auction_day=auction_day)
        current = current - _counted_supply(sim, day, c, current, emissions, future)
    else:
        current, f, emissions = -held, 0.0, np.zeros(sim.n)
    return Position(short, current, f, c, np.asarray(keep, dtype=np.int64), emissions)


def _compiled(sim, terms: DayTerms, earmarked):
    """The numpy branch's short, current (before the supply to come) and keep, compiled."""
    from carbonsim.sim._positions_numba import position_kernel

    n, acc = sim.n, sim.acc
    none = np.zeros(0)
    obligation = cap = pending = borrow = to_issue = none
    ints = np.zeros(0, np.int64) if earmarked is None else earmarked
    last, interim = 0, False
    if terms.prior is not None:
        obligation, cap, pending, borrow, to_issue, last = terms.prior
        # (contiguous arrays throughout: one compiled variant)
        borrow = np.array(np.broadcast_to(np.asarray(borrow, np.float64), (n,)))
        interim = to_issue is not None
        to_issue = np.array(np.broadcast_to(np.asarray(to_issue if interim else 0.0, np.float64), (n,)))
    owed_cap = base = none
    if terms.current is not None:
        _, _, owed_cap, base = terms.current
    return position_kernel(acc.held_t, terms.pending, acc.offsets, acc.holdings, last,
                           terms.prior is not None, obligation, cap, ints, pending, borrow,
                           interim, to_issue, terms.current is not None, owed_cap, base)


def _counted_supply(sim, day: int, c: int, gap: np.ndarray, emissions: np.ndarray,
                    future: int) -> np.ndarray:
    """Supply still to come that each emitter counts on for year ``c`` (t, (N,)): its share of
    the auctions to come and the borrowing room.

    Shares are pro rata to what each would buy at the price it expects (the expected price
    later in the year, else the last market price, else the least-cost price of the year), never
    beyond that: so an emitter plans to abate as far as that price makes worth it and to buy the
    rest, as in the one-auction market (pro rata to gaps, those short of cheap abatement
    would plan to abate at costs far above the price).
    """
    counted = np.zeros(sim.n)
    if future > 0:
        anchor = later_price(price_path(sim, c))
        if not np.isfinite(anchor):  # a share key, not a forecast: the market's price, or the
            anchor = sim.closes[-1] if sim.closes else float(sim.lc.price[c])  # benchmark's
        f = sim.state.fraction_left(day)
        wants = np.maximum(gap - f * abatement_rate(sim, c, anchor), 0.0)
        total = float(wants.sum())
        if total <= 0:  # nobody would buy at that price: fall back to the gaps
            wants = np.maximum(gap, 0.0)
            total = float(wants.sum())
        if total > 0:
            counted += wants * min(1.0, future / total)
    borrowing = sim.sc.compliance.borrowing
    if borrowing > 0 and c + 1 < sim.years and _borrowing_pays(sim, c):
        counted += np.floor(borrowing * np.maximum(emissions, 0.0))
    return counted


def _borrowing_pays(sim, c: int) -> bool:
    """Borrowing from next year pays when this year's expected price exceeds next year's
    discounted (the expected path is the one of the run's expectation model)."""
    path = price_path(sim, c)
    later = later_price(path)
    return np.isfinite(later) and later > bank_value(path, sim.sc.behaviour.discount_rate) * (1 + 1e-9)


def abatement_rate(sim, c: int, price: float) -> np.ndarray:
    """MAC⁻¹ of year ``c``'s curves at ``price`` (t/yr, (N,)), kept for the few prices a run
    asks again and again (the expected price, session after session)."""
    key = (c, float(price))
    rate = sim.rate_cache.get(key)
    if rate is None:
        if len(sim.rate_cache) >= 8:
            sim.rate_cache.clear()
        rate = sim.rate_cache[key] = abatement_at(sim.state.curves[c], price)
    return rate


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


def price_path(sim, c: int) -> np.ndarray:
    """The expected price of year ``c`` and each later simulated year (currency/t; NaN: none)."""
    path = sim.plan_path  # the run's years and the foresight years after them
    view = PriceView(min(c, path.shape[0] - 1), np.asarray(sim.closes), path,
                     sim.sc.behaviour.discount_rate)
    return sim.expect(view)



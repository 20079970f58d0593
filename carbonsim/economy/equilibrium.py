"""The least-cost competitive benchmark: static and intertemporal (banking) equilibria.

Units: tonnes (t) a year for quantities, currency per t for prices, currency for costs.

Static (Montgomery 1972). Emitter i abates a_i(p) = MAC_i⁻¹(p) (``mac.abatement_at``); the price
solves A(p) = Σ_i a_i(p) = R, the required abatement (BAU − cap). With piecewise-linear MACs A is
piecewise linear in p, with kinks at every ramp's lo/hi and upward jumps at steps (lo == hi).
A is evaluated at the sorted distinct breakpoints b_k by one sweep (cumulative slopes and
jumps), giving A(b_k⁻) and A(b_k); the first k with A(b_k) ≥ R brackets the answer:
- A(b_k⁻) < R: R lies in the jump at b_k; p = b_k and the steps costing b_k are used pro rata;
- otherwise p is in (b_{k-1}, b_k], where every a_i is linear: both ends are re-evaluated
  exactly with ``abatement_at`` and interpolated, so Σ a_i = R to rounding.
Cost = Σ_i ∫_0^{a_i} MAC_i (``mac.abatement_cost``); a part-used step costs price × tonnes.
A ceiling C (a price cap, or a penalty that replaces surrender) bounds the price: if A(C) < R,
p = C, a_i = a_i(C) and the rest, R − A(C), is ``ceiling_t``.

Intertemporal with banking (Rubin 1996). No borrowing, bank_t ≥ 0. Within a block of years
t0..t1 the bank is positive and the price follows Hotelling, p_s = λ(1+r)^(s−t0); the block
ends where the bank is exhausted. For each candidate end t1, λ(t1) solves
Σ_{s=t0..t1} A_s(λ(1+r)^(s−t0)) = Σ_{s=t0..t1} (bau_s − cap_s) − bank_{t0−1}, which is the
static problem on the stacked curves of years t0..t1 with prices divided by (1+r)^(s−t0).
Cumulative abatement must cover every cumulative requirement, so λ = max_t1 λ(t1); the bank is
0 at the block's end, the last argmax. Ties need care only when λ sits on a step: at λ year s
may abate anything between F⁻_s and F_s (its abatement just below and at its price), so the
block ends at the last argmax t1 whose requirement can be met without borrowing in an earlier
year (R(t) + Σ_{t<s≤t1} F⁻_s ≤ R(t1)); the marginal tonnes go to the earliest years. The first
argmax always qualifies. Requirements ≤ 0 give λ = 0: allowances are worthless and the bank
carries; at λ = 0 the block runs to the horizon, where the bank is left positive, and
zero-cost steps are used (earliest first) only as far as a later year needs them. A ceiling C
enters each year as a backstop supply of unlimited tonnes at C (stacked at C/(1+r)^(s−t0)), so
the capped path is solved by the same algorithm, not approximated: the price never exceeds C,
and a year at C buys ``ceiling_t``; a technology costing exactly C shares that margin pro rata
with ceiling allowances (the static solver uses it first).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carbonsim.economy.mac import MacCurves, abatement_at, abatement_cost

__all__ = [
    "IntertemporalEquilibrium",
    "AggregateMac",
    "StaticEquilibrium",
    "intertemporal_equilibrium",
    "static_equilibrium",
]


@dataclass(frozen=True)
class StaticEquilibrium:
    """One year's least-cost outcome: price (currency/t), abatement (t) and cost (currency)."""

    price: float
    abatement_t: np.ndarray  # (N,) t abated by each emitter
    cost: float  # total abatement cost, currency
    ceiling_t: float  # t covered at the ceiling price instead of abated


@dataclass(frozen=True)
class IntertemporalEquilibrium:
    """Least-cost path over Y years: prices (currency/t), quantities (t), costs (currency)."""

    price: np.ndarray  # (Y,)
    abatement_t: np.ndarray | list[np.ndarray]  # (Y, N), or a list of (N_t,) if N changes
    emissions_t: np.ndarray  # (Y,) BAU − abatement
    bank_t: np.ndarray  # (Y,) bank after each year
    cost: np.ndarray  # (Y,) abatement cost per year, undiscounted
    pv_cost: float  # Σ cost_t / (1+r)^t
    ceiling_t: np.ndarray  # (Y,) t covered at the ceiling price


def _segments(curves: MacCurves) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat lo, hi, width of the segments that can abate (width > 0, finite prices)."""
    ok = (curves.width_t > 0) & np.isfinite(curves.lo) & np.isfinite(curves.hi)
    lo, hi, w = curves.lo[ok], curves.hi[ok], curves.width_t[ok]
    if lo.size and lo.min() < 0:
        raise ValueError(
            f"MAC segments must start at a price >= 0 (allowances are never worth less than "
            f"nothing); got a segment starting at {lo.min():g}"
        )
    return lo, hi, w


def _aggregate(lo: np.ndarray, hi: np.ndarray, w: np.ndarray):
    """Breakpoints b (K,) and aggregate abatement just below and at each, A(b⁻), A(b) (t)."""
    ramp = hi > lo
    b = np.unique(np.concatenate(([0.0], lo, hi[ramp])))
    k = b.size
    slope = w[ramp] / (hi[ramp] - lo[ramp])
    d_slope = np.bincount(np.searchsorted(b, lo[ramp]), slope, k) - np.bincount(
        np.searchsorted(b, hi[ramp]), slope, k
    )
    cont = np.concatenate(([0.0], np.cumsum(np.cumsum(d_slope)[:-1] * np.diff(b))))
    jump = np.bincount(np.searchsorted(b, lo[~ramp]), w[~ramp], k)
    at = np.maximum.accumulate(cont + np.cumsum(jump))  # rounding must not break monotonicity
    return b, at - jump, at


def _below(curves: MacCurves, price: float) -> np.ndarray:
    """Abatement (t) per emitter just below ``price``: without the steps costing exactly it."""
    step = (curves.lo == price) & (curves.hi == price)
    return abatement_at(curves, price) - np.where(step, curves.width_t, 0.0).sum(axis=1)


def static_equilibrium(
    curves: MacCurves, required_t: float, *, ceiling: float = np.inf
) -> StaticEquilibrium:
    """Least-cost price and abatement meeting ``required_t`` tonnes of abatement in one year.

    Units: required_t in t; ceiling and the returned price in currency/t; cost in currency.
    Raises ValueError if required_t is NaN, ceiling is negative or NaN, a MAC segment starts
    below price 0, or the abatement is infeasible and there is no (finite) ceiling.
    """
    price, abatement, short = _static(curves, required_t, ceiling)
    return StaticEquilibrium(price, abatement, float(abatement_cost(curves, abatement).sum()), short)


class AggregateMac:
    """Σ_i MAC_i⁻¹ of a population prepared once (its breakpoints and cumulative abatement), so
    that the static problem's price can be asked for many requirements cheaply."""

    def __init__(self, curves: MacCurves) -> None:
        lo, hi, w = _segments(curves)
        self.b, self.below, self.at = _aggregate(lo, hi, w)

    def abated(self, price: float) -> float:
        """Aggregate abatement at ``price`` (t; at a step's cost the whole step)."""
        k = int(np.searchsorted(self.b, price, side="right")) - 1
        if k >= self.b.size - 1:
            return float(self.at[-1])
        span = self.b[k + 1] - self.b[k]
        return float(self.at[k] + (price - self.b[k]) / span * (self.below[k + 1] - self.at[k]))

    def price(self, required_t: float, ceiling: float = np.inf) -> float:
        """The lowest price at which the population abates ``required_t`` t (currency/t), at
        most ``ceiling`` (also where it cannot abate that much)."""
        if required_t <= 0:
            return 0.0
        most = float(self.at[-1]) if self.at.size else 0.0
        if required_t > most * (1 + 1e-12):  # beyond what the population can abate
            return float(ceiling)
        required_t = min(required_t, most)
        k = int(np.searchsorted(self.at, required_t))
        if k >= self.b.size:
            return float(ceiling)
        if k == 0 or required_t > self.below[k]:  # inside the jump of the steps costing b[k]
            return float(min(self.b[k], ceiling))
        gap = self.below[k] - self.at[k - 1]
        theta = (required_t - self.at[k - 1]) / gap if gap > 0 else 1.0
        return float(min(self.b[k - 1] + theta * (self.b[k] - self.b[k - 1]), ceiling))


def _static(curves: MacCurves, required_t: float, ceiling: float) -> tuple[float, np.ndarray, float]:
    """(price, abatement (N,), tonnes left for the ceiling) of the static problem."""
    required = float(required_t)
    if np.isnan(required):
        raise ValueError("required_t must be a number; got nan")
    if not ceiling >= 0:
        raise ValueError(f"The ceiling must be a price >= 0 (or inf); got {ceiling}")
    n = curves.lo.shape[0]
    if required <= 0:
        return 0.0, np.zeros(n), 0.0
    lo, hi, w = _segments(curves)
    if np.isfinite(ceiling):
        at_ceiling = abatement_at(curves, ceiling)
        if required > at_ceiling.sum():
            return float(ceiling), at_ceiling, float(required - at_ceiling.sum())
    else:
        most = w.sum()
        if required > most * (1 + 1e-12):
            raise ValueError(
                f"Required abatement {required:g} t exceeds the most the emitters can abate, "
                f"{most:g} t; give a price ceiling (or penalty) to cover the rest"
            )
        required = min(required, most)
    b, below, at = _aggregate(lo, hi, w)
    k = min(int(np.searchsorted(at, required)), b.size - 1)
    if k == 0 or required > below[k]:  # inside the jump of the steps costing b[k]
        p0 = p1 = b[k]
        x, y = _below(curves, b[k]), abatement_at(curves, b[k])
    else:  # on the linear piece (b[k-1], b[k]]
        p0, p1 = b[k - 1], b[k]
        x, y = abatement_at(curves, p0), _below(curves, p1)
    gap = y.sum() - x.sum()
    theta = float(np.clip((required - x.sum()) / gap, 0.0, 1.0)) if gap > 0 else 1.0
    abatement = x + theta * (y - x)
    return min(float(p0 + theta * (p1 - p0)), ceiling), abatement, 0.0


def _stack(curves_by_year: list[MacCurves], t0: int, growth: float, ceiling: float, backstop_t):
    """Curves of years t0.. as one population, prices divided by growth^(s−t0).

    With a finite ceiling, one backstop row per year (``backstop_t`` t at the ceiling) follows.
    Returns the curves, the year (from t0) of each row and the backstop mask.
    """
    years = curves_by_year[t0:]
    f = growth ** np.arange(len(years), dtype=np.float64)
    parts = [MacCurves(c.lo / fs, c.hi / fs, c.width_t) for c, fs in zip(years, f)]
    year = np.repeat(np.arange(len(years)), [c.lo.shape[0] for c in years])
    if np.isfinite(ceiling):
        price = (ceiling / f)[:, None]
        parts.append(MacCurves(price, price.copy(), np.full_like(price, backstop_t)))
        year = np.concatenate([year, np.arange(len(years))])
    backstop = np.arange(year.size) >= year.size - (len(years) if np.isfinite(ceiling) else 0)
    return MacCurves.concat(parts), year, backstop


def _block(stacked: MacCurves, year: np.ndarray, required: np.ndarray, tol: float):
    """One Hotelling block: λ, its last year j (from t0) and the abatement of each row (t).

    ``required[j]`` is the abatement needed over years 0..j of the stack (see the module
    docstring for the choice of j). Cumulative abatement is min(Σ_{s≤t} F_s, target −
    Σ_{t<s≤j} F⁻_s): the marginal tonnes go to the earliest years, keeping the bank highest.
    """
    lam = np.array(
        [static_equilibrium(stacked.take(year <= j), r).price for j, r in enumerate(required)]
    )
    price = lam.max()
    at, below = abatement_at(stacked, price), _below(stacked, price)
    f_at = np.bincount(year, at, required.size)
    f_below = np.cumsum(np.bincount(year, below, required.size))  # cumulative F⁻
    if price == 0:
        end, target = required.size - 1, max(required.max(), 0.0)
    else:
        ties = np.flatnonzero(lam >= price * (1 - 1e-12))
        ok = [
            j for j in ties if np.all(required[:j] + f_below[j] - f_below[:j] <= required[j] + tol)
        ]
        end = ok[-1] if ok else ties[0]  # the first argmax is always feasible in exact arithmetic
        target = required[end]
    done = np.minimum(np.cumsum(f_at[: end + 1]), target - (f_below[end] - f_below[: end + 1]))
    by_year = np.diff(done, prepend=0.0)
    f_below = np.diff(f_below[: end + 1], prepend=0.0)
    gap = f_at[: end + 1] - f_below
    theta = np.clip(np.divide(by_year - f_below, gap, out=np.zeros_like(gap), where=gap > 0), 0, 1)
    inside = year <= end
    rows = below[inside] + theta[year[inside]] * (at[inside] - below[inside])
    return float(price), int(end), rows


def intertemporal_equilibrium(
    curves_by_year: list[MacCurves],
    bau_t: np.ndarray,
    cap_t: np.ndarray,
    *,
    discount_rate: float,
    banking: bool = True,
    initial_bank_t: float = 0.0,
    ceiling: float = np.inf,
    period_years: int = 1,
) -> IntertemporalEquilibrium:
    """Least-cost path over Y years: with banking (no borrowing), or year by year without.

    Units: bau_t, cap_t (Y,) and initial_bank_t in t; discount_rate a fraction a year; ceiling
    in currency/t. Without banking the initial bank is usable in the first year only and
    unused allowances lapse; with control periods of ``period_years`` > 1 years (from the
    first), the years of a period bank into each other (the banking path of the period alone,
    the initial bank in the first) and what is left at a period's end lapses. ``abatement_t``
    is (Y, N), or a list when N changes between years; ``ceiling_t`` (Y,) is the tonnes bought
    at the ceiling. Raises ValueError on mismatched lengths, discount_rate <= -1, a negative
    initial bank or ceiling, or infeasible abatement without a finite ceiling.
    """
    years = len(curves_by_year)
    bau = np.asarray(bau_t, dtype=np.float64)
    cap = np.asarray(cap_t, dtype=np.float64)
    if bau.shape != (years,) or cap.shape != (years,):
        raise ValueError(
            f"bau_t and cap_t must have one value per year ({years}); "
            f"got shapes {bau.shape} and {cap.shape}"
        )
    if not discount_rate > -1:
        raise ValueError(f"discount_rate must be > -1; got {discount_rate}")
    if not initial_bank_t >= 0:
        raise ValueError(f"initial_bank_t must be >= 0 t; got {initial_bank_t}")
    if not ceiling >= 0:
        raise ValueError(f"The ceiling must be a price >= 0 (or inf); got {ceiling}")
    growth = 1.0 + discount_rate
    need = bau - cap
    price, ceiling_t, bank = np.zeros(years), np.zeros(years), np.zeros(years)
    abatement: list[np.ndarray] = [np.zeros(0)] * years
    if not banking and period_years > 1:
        for t0 in range(0, years, period_years):
            block = slice(t0, min(t0 + period_years, years))
            eq = intertemporal_equilibrium(
                curves_by_year[block], bau[block], cap[block], discount_rate=discount_rate,
                initial_bank_t=initial_bank_t if t0 == 0 else 0.0, ceiling=ceiling,
            )
            price[block], ceiling_t[block], bank[block] = eq.price, eq.ceiling_t, eq.bank_t
            abatement[block] = list(eq.abatement_t)
            bank[block.stop - 1] = 0.0  # what is left at the period's end lapses
    elif not banking:
        for t in range(years):
            eq = static_equilibrium(
                curves_by_year[t], need[t] - (initial_bank_t if t == 0 else 0.0), ceiling=ceiling
            )
            price[t], abatement[t], ceiling_t[t] = eq.price, eq.abatement_t, eq.ceiling_t
    else:
        backstop_t = np.clip(need, 0, None).sum() + 1.0  # more than any block can need
        tol = 1e-9 * (1.0 + np.abs(need).sum() + initial_bank_t)
        t0, carried = 0, float(initial_bank_t)
        while t0 < years:
            stacked, year, backstop = _stack(curves_by_year, t0, growth, ceiling, backstop_t)
            required = np.cumsum(need[t0:]) - carried
            try:
                lam, end, rows = _block(stacked, year, required, tol)
            except ValueError as err:
                raise ValueError(f"years {t0}.. (no borrowing): {err}") from err
            year, backstop = year[year <= end], backstop[year <= end]
            for j in range(end + 1):
                abatement[t0 + j] = rows[(year == j) & ~backstop]
                price[t0 + j] = min(lam * growth**j, ceiling)
            block = slice(t0, t0 + end + 1)
            ceiling_t[block] = np.bincount(year[backstop], rows[backstop], end + 1)
            abated = np.array([a.sum() for a in abatement[block]])
            bank[block] = carried + np.cumsum(cap[block] + ceiling_t[block] - bau[block] + abated)
            if lam > 0:
                bank[t0 + end] = 0.0  # the block's requirement is met exactly
            carried = float(bank[t0 + end])
            t0 += end + 1
        bank[(bank < 0) & (bank > -tol)] = 0.0  # rounding where the bank is exactly exhausted
    cost = np.array([abatement_cost(c, a).sum() for c, a in zip(curves_by_year, abatement)])
    emissions = bau - np.array([a.sum() for a in abatement])
    sizes = {a.shape[0] for a in abatement}
    abatement_out = np.vstack(abatement) if len(sizes) == 1 and years else abatement
    pv = float((cost / growth ** np.arange(years)).sum())
    return IntertemporalEquilibrium(price, abatement_out, emissions, bank, cost, pv, ceiling_t)

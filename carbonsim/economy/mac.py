"""Marginal abatement cost (MAC) curves of a population, as piecewise-linear segments.

A curve is S segments per emitter, in tonnes for one year's BAU emissions. Segment s abates
``width_t[s]`` tonnes a year as the price rises from ``lo[s]`` to ``hi[s]`` (currency per t);
``lo == hi`` is a technology used in full at that cost (a step). Within an emitter, segments are
sorted and do not overlap in price (``hi[s] <= lo[s+1]``); padding segments have width 0.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = [
    "MacCurves",
    "linear_curves",
    "step_curves",
    "abatement_at",
    "marginal_cost",
    "abatement_cost",
]


@dataclass(frozen=True)
class MacCurves:
    """MAC segments of N emitters: arrays of shape (N, S), prices in currency/t, widths in t."""

    lo: np.ndarray
    hi: np.ndarray
    width_t: np.ndarray

    def __post_init__(self) -> None:
        if not (self.lo.shape == self.hi.shape == self.width_t.shape) or self.lo.ndim != 2:
            raise ValueError(
                f"MacCurves arrays must share one (N, S) shape; got lo {self.lo.shape}, "
                f"hi {self.hi.shape}, width_t {self.width_t.shape}"
            )

    @cached_property
    def max_abatement_t(self) -> np.ndarray:
        """Most an emitter can abate in the year (t), shape (N,)."""
        return self.width_t.sum(axis=1)

    @cached_property
    def cum_t(self) -> np.ndarray:
        """Tonnes abated once each segment is used up, (N, S) (the curves are used often)."""
        return np.cumsum(self.width_t, axis=1)

    @cached_property
    def _columns(self) -> list[tuple[int, np.ndarray | slice, np.ndarray]]:
        """Per used segment column s: the rows that use it and which of them are steps.

        Most populations are mostly one-segment linear curves padded to the widest S: a
        column most rows use is worked densely (a slice, no gather), a sparse one on its rows.
        """
        n = self.lo.shape[0]
        out = []
        for s in range(self.lo.shape[1]):
            used = self.width_t[:, s] > 0
            if not used.any():
                continue
            rows = slice(None) if used.sum() > n // 2 else np.flatnonzero(used)
            with np.errstate(invalid="ignore"):
                step = ~(self.hi[rows, s] - self.lo[rows, s] > 0)
            out.append((s, rows, step))
        return out

    def take(self, index: np.ndarray) -> "MacCurves":
        """The curves of a subset of emitters (an index or boolean mask)."""
        return MacCurves(self.lo[index], self.hi[index], self.width_t[index])

    def scaled(self, factor: np.ndarray | float) -> "MacCurves":
        """The same prices with widths times ``factor`` (e.g. the fraction of a year left)."""
        f = np.asarray(factor, dtype=np.float64)
        if f.ndim == 1:
            f = f[:, None]
        return MacCurves(self.lo, self.hi, self.width_t * f)

    @staticmethod
    def concat(curves: list["MacCurves"]) -> "MacCurves":
        """Stack the emitters of several curve sets (padding to the widest S)."""
        s = max(c.lo.shape[1] for c in curves)

        def pad(a: np.ndarray, value: float) -> np.ndarray:
            return np.pad(a, ((0, 0), (0, s - a.shape[1])), constant_values=value)

        return MacCurves(
            np.concatenate([pad(c.lo, np.inf) for c in curves]),
            np.concatenate([pad(c.hi, np.inf) for c in curves]),
            np.concatenate([pad(c.width_t, 0.0) for c in curves]),
        )


def linear_curves(cost_at_max: np.ndarray, width_t: np.ndarray) -> MacCurves:
    """Linear MACs: cost rises from 0 to ``cost_at_max`` (currency/t) over ``width_t`` tonnes."""
    cost = np.asarray(cost_at_max, dtype=np.float64)[:, None]
    return MacCurves(np.zeros_like(cost), cost.copy(), np.asarray(width_t, np.float64)[:, None])


def step_curves(cost: np.ndarray, width_t: np.ndarray) -> MacCurves:
    """Step MACs: technology j abates ``width_t[:, j]`` tonnes at ``cost[:, j]`` currency/t.

    Steps are sorted by cost per emitter, so technologies are used cheapest first.
    """
    cost = np.asarray(cost, dtype=np.float64)
    width = np.asarray(width_t, dtype=np.float64)
    order = np.argsort(cost, axis=1, kind="stable")
    c = np.take_along_axis(cost, order, axis=1)
    return MacCurves(c, c.copy(), np.take_along_axis(width, order, axis=1))


#: How the curves are evaluated: compiled when numba is installed, else numpy; both give
#: identical floats (the compiled kernels keep numpy's order of operations; tests compare).
MAC_BACKEND = "numba" if importlib.util.find_spec("numba") is not None else "numpy"
#: numpy sums fewer terms than this left to right (more pairwise), as the compiled cost does.
_SEQUENTIAL_SUM = 8


def _kernels():
    from carbonsim.economy import _mac_numba

    return _mac_numba


def abatement_at(curves: MacCurves, price: np.ndarray | float) -> np.ndarray:
    """Tonnes a year each emitter abates when an allowance is worth ``price`` (MAC⁻¹).

    ``price`` is a scalar or (N,) (result (N,)), or (N, K) for K prices each (result (N, K)).
    At a step's exact cost the whole step is counted (the upper end of the vertical part).
    """
    n = curves.lo.shape[0]
    p = np.asarray(price, dtype=np.float64)
    if p.ndim < 2:
        p = np.broadcast_to(p, (n,))
    if MAC_BACKEND == "numba":  # prices as one array type: one compiled variant
        prices = np.array(p if p.ndim == 2 else p[:, None], dtype=np.float64, order="C")
        out = _kernels().abatement_kernel(curves.lo, curves.hi, curves.width_t, prices)
        return out if p.ndim == 2 else out[:, 0]
    return _abatement_at_numpy(curves, p)


def _abatement_at_numpy(curves: MacCurves, p: np.ndarray) -> np.ndarray:
    """abatement_at for (N,) or (N, K) prices, one segment column at a time."""
    out = np.zeros(p.shape)
    extra = (slice(None),) + (None,) * (p.ndim - 1)  # broadcast row values over K prices
    for s, rows, step in curves._columns:
        lo, hi, w = (a[rows, s][extra] for a in (curves.lo, curves.hi, curves.width_t))
        pr = p[rows]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # subnormal widths
            ramp = np.clip((pr - lo) / (hi - lo), 0.0, 1.0)
        if step.any():  # a step (hi == lo) is used in full from its cost up
            ramp = np.where(step[extra], pr >= lo, ramp)
        out[rows] += w * ramp
    return out


def _segment_use(curves: MacCurves, abatement_t: np.ndarray) -> np.ndarray:
    """Tonnes abated in each segment when the cheapest segments are used first, (N, S)."""
    start = curves.cum_t - curves.width_t
    a = np.asarray(abatement_t, dtype=np.float64)[:, None]
    return np.clip(a - start, 0.0, curves.width_t)


def marginal_cost(curves: MacCurves, abatement_t: np.ndarray) -> np.ndarray:
    """MAC (currency/t) at ``abatement_t`` tonnes a year, shape (N,).

    0 for abatement ≤ 0; ``inf`` beyond the most the emitter can abate. Walks the segment
    columns cheapest first, as abatement_at does, so mostly-linear populations cost ~N.
    """
    a = np.asarray(abatement_t, dtype=np.float64)
    if MAC_BACKEND == "numba":
        return _kernels().marginal_kernel(curves.lo, curves.hi, curves.width_t, a)
    return _marginal_cost_numpy(curves, a)


def _marginal_cost_numpy(curves: MacCurves, a: np.ndarray) -> np.ndarray:
    """marginal_cost one segment column at a time."""
    price = np.zeros(a.shape[0])
    left = a.copy()  # tonnes still to place once the earlier segments are used up
    open_ = a > 0
    for s, rows, step in curves._columns:
        w, lo, hi = curves.width_t[rows, s], curves.lo[rows, s], curves.hi[rows, s]
        r = left[rows]
        ends = open_[rows] & (r <= w)  # the abatement ends inside this segment
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # subnormal widths
            at = np.where(step, lo, lo + (hi - lo) * np.clip(r / w, 0.0, 1.0))
        price[rows] = np.where(ends, at, price[rows])
        open_[rows] &= ~ends
        left[rows] = r - w
    price[open_] = np.inf
    return price


def abatement_cost(curves: MacCurves, abatement_t: np.ndarray) -> np.ndarray:
    """Area under the MAC curve up to ``abatement_t`` (currency a year), shape (N,).

    Abatement beyond the curve's maximum is costed at the maximum (callers clip first).
    """
    a = np.asarray(abatement_t, dtype=np.float64)
    if MAC_BACKEND == "numba" and curves.lo.shape[1] < _SEQUENTIAL_SUM:
        return _kernels().cost_kernel(curves.lo, curves.hi, curves.width_t, curves.cum_t, a)
    return _abatement_cost_numpy(curves, a)


def _abatement_cost_numpy(curves: MacCurves, abatement_t: np.ndarray) -> np.ndarray:
    """abatement_cost on the whole (N, S) segment arrays."""
    x = _segment_use(curves, abatement_t)
    w = curves.width_t
    with np.errstate(divide="ignore", invalid="ignore"):
        ramp_part = np.where(w > 0, (curves.hi - curves.lo) * x * x / (2.0 * w), 0.0)
    lo = np.where(np.isfinite(curves.lo), curves.lo, 0.0)
    return (x * lo + ramp_part).sum(axis=1)

"""Input validation shared by the market kernels: every error names the offending argument."""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np

INT64_MAX = int(np.iinfo(np.int64).max)

__all__ = [
    "INT64_MAX",
    "int_array",
    "same_length",
    "check_side",
    "check_positive",
    "check_nonnegative",
    "check_choice",
    "int_scalar",
    "check_group_totals",
    "exact_total",
]


def int_array(name: str, x, dtype=np.int64) -> np.ndarray:
    """``x`` as a 1-D integer array, converted to ``dtype`` (None: any integer dtype) if needed.

    Raises ValueError if ``x`` is not 1-D or not of an integer dtype (bool and float arrays are
    rejected even when integral-valued), or holds values outside ``dtype``.
    """
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array; got shape {a.shape}")
    if a.size == 0:
        return np.zeros(0, dtype=dtype or np.int64)
    if a.dtype.kind not in "iu":
        raise ValueError(f"{name} must have an integer dtype; got {a.dtype}")
    if dtype is None or a.dtype == dtype:
        return a
    info = np.iinfo(dtype)
    lo, hi = int(a.min()), int(a.max())
    if lo < info.min or hi > info.max:
        bad = lo if lo < info.min else hi
        raise ValueError(f"{name} holds {bad}, outside the {np.dtype(dtype).name} range")
    return a.astype(dtype)


def same_length(**arrays: np.ndarray) -> int:
    """The common length of the arrays. Raises ValueError naming the first that differs."""
    items = list(arrays.items())
    first, n = items[0][0], items[0][1].shape[0]
    for name, a in items[1:]:
        if a.shape[0] != n:
            raise ValueError(f"{name} has length {a.shape[0]} but {first} has length {n}")
    return n


def _first(name: str, a: np.ndarray, bad: np.ndarray, what: str) -> ValueError:
    i = int(np.flatnonzero(bad)[0])
    return ValueError(f"{name} must be {what}; got {a[i]} at index {i}")


def check_side(name: str, side: np.ndarray, rows: np.ndarray | None = None) -> None:
    """Raise ValueError unless every side (in ``rows``, a mask, if given) is +1 or -1."""
    n = side.shape[0]
    if n == 0 or (side.min() >= -1 and side.max() <= 1 and np.count_nonzero(side) == n):
        return  # the usual case, checked without temporaries
    bad = (side != 1) & (side != -1)
    if rows is not None:
        bad &= rows
    if bad.any():
        raise _first(name, side, bad, "+1 (buy) or -1 (sell)")


def check_positive(name: str, a: np.ndarray, rows: np.ndarray | None = None) -> None:
    """Raise ValueError unless every value (in ``rows``, a mask, if given) is > 0."""
    if a.shape[0] == 0 or a.min() > 0:
        return
    bad = a <= 0 if rows is None else (a <= 0) & rows
    if bad.any():
        raise _first(name, a, bad, "> 0")


def check_nonnegative(name: str, a: np.ndarray, rows: np.ndarray | None = None) -> None:
    """Raise ValueError unless every value (in ``rows``, a mask, if given) is >= 0."""
    if a.shape[0] == 0 or a.min() >= 0:
        return
    bad = a < 0 if rows is None else (a < 0) & rows
    if bad.any():
        raise _first(name, a, bad, ">= 0")


def check_choice(name: str, value, choices: tuple[str, ...]) -> None:
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def int_scalar(name: str, x, *, minimum: int = 0) -> int:
    """``x`` as a Python int in [minimum, int64 max].

    Raises ValueError for bools, floats (even integral ones) and values out of range.
    """
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral):
        raise ValueError(f"{name} must be an integer; got {x!r}")
    v = int(x)
    if v < minimum or v > INT64_MAX:
        raise ValueError(f"{name} must be an integer in [{minimum}, {INT64_MAX}]; got {v}")
    return v


def check_group_totals(qty: np.ndarray, group: np.ndarray | None, n_groups: int,
                       name_of: Callable[[int], str]) -> None:
    """Raise ValueError if any group's total quantity exceeds int64 (computed exactly).

    ``group`` (int ids in [0, n_groups), or None for one group) labels each quantity;
    ``name_of(g)`` describes group g in the message, e.g. "total buy quantity of book 3".
    """
    n = qty.shape[0]
    if n == 0 or int(qty.max()) * n <= INT64_MAX:  # the cheap sufficient condition
        return
    # Exact sums without overflow: split each quantity into 32-bit halves summed in uint64.
    hi = (qty >> 32).astype(np.uint64)
    lo = (qty & 0xFFFFFFFF).astype(np.uint64)
    g = np.zeros(n, np.intp) if group is None else group
    s_hi = np.zeros(n_groups, np.uint64)
    s_lo = np.zeros(n_groups, np.uint64)
    np.add.at(s_hi, g, hi)
    np.add.at(s_lo, g, lo)
    over = (s_hi + (s_lo >> np.uint64(32))) >= np.uint64(1 << 31)  # total >= 2**63
    if over.any():
        raise ValueError(f"{name_of(int(np.flatnonzero(over)[0]))} exceeds int64")


def exact_total(qty: np.ndarray) -> int:
    """The exact sum of non-negative int64 quantities, as a Python int."""
    if qty.shape[0] == 0:
        return 0
    if int(qty.max()) * qty.shape[0] <= INT64_MAX:
        return int(qty.sum())
    hi = int((qty >> 32).sum())
    lo = int((qty & 0xFFFFFFFF).astype(np.uint64).sum())
    return (hi << 32) + lo

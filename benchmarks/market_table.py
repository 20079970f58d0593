"""Throughput of the matching core: ``python benchmarks/market_table.py`` prints orders/s.

Also the input generators of ``test_bench_market.py``. Inputs are realistic: prices in ticks
drawn around a mid price (normal, sd 300 ticks), quantities 1..1000 t, buys and sells equally
likely; books of a batch are consecutive sessions (ids in order, each mid drifting by a normal
100 ticks); continuous streams cancel, with 10 % of events, one of the last 1,000 events. Two
more books: "wide" (every price distinct, drawn from a range of 2**33 ticks) and "session"
(shaped like an engine session: each emitter's 8 buys, then 8 sells, on one grid of 8 prices).

Each figure is the median over repeated runs (at least 3, or as many as fit in about 2 s) of the
wall time, and of the process's CPU time beside it; numba compilation is excluded by a warm-up.
The floor is one ``np.sort`` of the same prices, timed in the same rounds (alternating with the
kernel, CPU time): its ratio holds on a loaded machine where absolute times do not.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from carbonsim.market import BACKEND, call_auction, call_auctions, match_continuous  # noqa: E402

MID, SD, QTY_MAX = 10_000, 300, 1000


def orders(n: int, seed: int = 0):
    """``n`` limit orders (side int8, price int64 ticks, qty int64 t) of one call auction."""
    rng = np.random.default_rng(seed)
    side = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    price = np.maximum(np.rint(rng.normal(MID, SD, n)), 0).astype(np.int64)
    qty = rng.integers(1, QTY_MAX + 1, n, dtype=np.int64)
    return side, price, qty


def wide_orders(n: int, seed: int = 0):
    """``n`` orders at distinct prices drawn from [0, 2**33) ticks: (side, price, qty)."""
    rng = np.random.default_rng(seed)
    side = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    price = rng.choice(2**33, n, replace=False).astype(np.int64)
    return side, price, rng.integers(1, QTY_MAX + 1, n, dtype=np.int64)


def session_orders(n: int, steps: int = 8, seed: int = 0):
    """About ``n`` orders as a session submits them: per emitter ``steps`` buys then ``steps``
    sells on one grid of ``steps`` prices around MID (sd SD), increments 1..1000 t."""
    rng = np.random.default_rng(seed)
    emitters = max(n // (2 * steps), 1)
    grid = np.sort(rng.choice(np.arange(MID - 3 * SD, MID + 3 * SD), steps, replace=False))
    side = np.tile(np.repeat(np.array([1, -1], np.int8), steps), emitters)
    price = np.tile(np.concatenate([grid, grid]), emitters).astype(np.int64)
    return side, price, rng.integers(1, QTY_MAX + 1, side.shape[0], dtype=np.int64)


def batch(n: int, book_size: int, seed: int = 0, shuffle: bool = False):
    """``n`` orders in consecutive books of ``book_size``: (book, side, price, qty)."""
    rng = np.random.default_rng(seed)
    n_books = n // book_size
    book = np.repeat(np.arange(n_books, dtype=np.int64), book_size)
    side = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    mid = MID + np.cumsum(rng.normal(0, 100, n_books))
    price = np.maximum(np.rint(rng.normal(mid[book], SD)), 0).astype(np.int64)
    qty = rng.integers(1, QTY_MAX + 1, n, dtype=np.int64)
    if shuffle:  # the same orders, books interleaved
        order = rng.permutation(n)
        return book[order], side[order], price[order], qty[order]
    return book, side, price, qty


def events(n: int, cancel: float, seed: int = 0):
    """A stream of ``n`` events, a share ``cancel`` of them cancels: (kind, side, price, qty,
    target)."""
    rng = np.random.default_rng(seed)
    kind = (rng.random(n) < cancel).astype(np.int8)
    kind[0] = 0
    side = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    price = np.maximum(np.rint(rng.normal(MID, SD, n)), 0).astype(np.int64)
    qty = rng.integers(1, QTY_MAX + 1, n, dtype=np.int64)
    target = np.maximum(np.arange(n) - 1 - rng.integers(0, 1000, n), 0)
    return kind, side, price, qty, target


def cases(quick: bool = False):
    """(kernel, backend, label, size, function, prices) for every benchmarked configuration;
    ``prices`` are what the floor sorts."""
    top = 6 if quick else 7
    for e in range(3, top + 1):
        n = 10**e
        data = orders(n)
        yield "call_auction", "numpy", "", n, lambda d=data: call_auction(*d), data[1]
    for label, data in (("6,000 orders", orders(6000)),
                        ("session, 8 prices", session_orders(6000))):
        yield ("call_auction", "numpy", label, data[1].shape[0],
               lambda d=data: call_auction(*d), data[1])
    for e in range(5, top + 1):
        data = wide_orders(10**e)
        yield ("call_auction", "numpy", "wide, 2**33 range", 10**e,
               lambda d=data: call_auction(*d), data[1])
    for size in (1000, 100):
        for shuffle in (False, True):
            data = batch(10**6, size, shuffle=shuffle)
            label = f"books of {size}" + (", shuffled ids" if shuffle else "")
            yield ("call_auctions", "numpy", label, 10**6, lambda d=data: call_auctions(*d),
                   data[2])
    backends = ["python", "numba"] if BACKEND == "numba" else ["python"]
    for backend in backends:
        for e in range(4, 7):
            for cancel in (0.0, 0.1):
                data = events(10**e, cancel)
                label = "10% cancels" if cancel else "no cancels"
                yield ("match_continuous", backend, label, 10**e,
                       lambda d=data, b=backend: match_continuous(*d, backend=b), data[2])


def median_time(fn, budget: float = 2.0, min_runs: int = 3, max_runs: int = 50, floor=None):
    """Median wall and CPU (process) time of ``fn()`` in seconds, after one warm-up call, and
    the median CPU time of ``floor()`` timed in the same rounds (None without a floor).

    On a shared machine the CPU time shows what the code costs when other processes take
    turns on the cores; the ratio to the floor also holds when they slow the cores down.
    """
    fn()
    if floor is not None:
        floor()
    wall: list[float] = []
    cpu: list[float] = []
    base: list[float] = []
    start = time.perf_counter()
    while len(wall) < min_runs or (time.perf_counter() - start < budget
                                   and len(wall) < max_runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        c1 = time.process_time()
        cpu.append(c1 - c0)
        if floor is not None:
            floor()
            base.append(time.process_time() - c1)
    return (float(np.median(wall)), float(np.median(cpu)),
            float(np.median(base)) if base else None)


def main(argv: list[str] | None = None) -> int:
    """Print the table; ``--quick`` stops call_auction at 10**6 orders."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 10**7-order auction")
    args = parser.parse_args(argv)
    print(f"{'kernel':<17} {'backend':<7} {'case':<27} {'orders':>10} {'median ms':>10} "
          f"{'orders/s':>9} {'cpu ms':>9} {'orders/cpu s':>12} {'floor ms':>9} {'× floor':>8}")
    for kernel, backend, label, n, fn, prices in cases(args.quick):
        wall, cpu, floor = median_time(fn, floor=lambda p=prices: np.sort(p))
        print(f"{kernel:<17} {backend:<7} {label:<27} {n:>10,} {wall * 1e3:>10.3f} "
              f"{n / wall / 1e6:>8.1f}M {cpu * 1e3:>9.3f} {n / cpu / 1e6:>11.1f}M "
              f"{floor * 1e3:>9.3f} {cpu / floor:>8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

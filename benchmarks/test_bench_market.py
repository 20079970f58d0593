"""Benchmarks of the matching core (pytest-benchmark; not part of the default test run).

Run: ``python -m pytest benchmarks/test_bench_market.py --benchmark-enable``. Each benchmark
stores its median throughput as ``extra_info["orders_per_s"]`` (events/s for the continuous
auction) and, beside it, the floor: the median CPU time of one ``np.sort`` of the same prices,
timed in the same rounds as the kernel's CPU time (``floor_s``, ``cpu_s``), and their ratio
(``x_floor``), which holds on a loaded machine.
``python benchmarks/market_table.py`` prints the same figures as a table. Inputs come from
``market_table``'s generators (realistic prices, 1..1000 t; "wide": distinct prices over a
2**33-tick range; "session": 8 prices, as an engine session submits them).
"""

import importlib.util

import numpy as np
import pytest
from market_table import batch, events, median_time, orders, session_orders, wide_orders

from carbonsim.market import call_auction, call_auctions, match_continuous

HAVE_NUMBA = importlib.util.find_spec("numba") is not None


def run(benchmark, fn, n: int, seconds: float, prices: np.ndarray) -> float:
    """Benchmark ``fn`` over about ``seconds`` of rounds (3..50), after one warm-up call;
    returns its median over the floor (one np.sort of ``prices``)."""
    fn()  # warm-up: caches, and numba compilation outside the timings
    rounds = max(3, min(50, int(seconds * 1e7 / n)))
    benchmark.pedantic(fn, rounds=rounds, iterations=1)
    _, cpu, floor = median_time(fn, budget=seconds, floor=lambda: np.sort(prices))
    benchmark.extra_info.update({"orders": n, "orders_per_s": n / benchmark.stats.stats.median,
                                 "cpu_s": cpu, "floor_s": floor, "x_floor": cpu / floor})
    return cpu / floor


@pytest.mark.parametrize("n", [10**3, 10**4, 10**5, 10**6, 10**7])
def test_call_auction(benchmark, n):
    data = orders(n)
    run(benchmark, lambda: call_auction(*data), n, 2.0, data[1])


@pytest.mark.parametrize("make", [orders, session_orders], ids=["realistic", "session"])
def test_call_auction_one_book_of_6000(benchmark, make):
    # Target: under 100 µs (median).
    data = make(6000)
    run(benchmark, lambda: call_auction(*data), 6000, 0.5, data[1])
    benchmark.extra_info["median_us"] = 1e6 * benchmark.stats.stats.median


@pytest.mark.parametrize("n", [10**5, 10**6, 10**7])
def test_call_auction_wide_range(benchmark, n):
    # Target at 10**6: at most 1.5 × one np.sort of the prices.
    data = wide_orders(n)
    ratio = run(benchmark, lambda: call_auction(*data), n, 2.0, data[1])
    if n == 10**6:
        assert ratio <= 1.5, f"call_auction takes {ratio:.2f} × np.sort of its prices"


@pytest.mark.parametrize("book_size", [1000, 100])
@pytest.mark.parametrize("shuffle", [False, True], ids=["consecutive", "interleaved"])
def test_call_auctions(benchmark, book_size, shuffle):
    data = batch(10**6, book_size, shuffle=shuffle)
    run(benchmark, lambda: call_auctions(*data), 10**6, 2.0, data[2])


@pytest.mark.parametrize("backend", [
    "python",
    pytest.param("numba", marks=pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")),
])
@pytest.mark.parametrize("cancel", [0.0, 0.1], ids=["no-cancels", "10pct-cancels"])
@pytest.mark.parametrize("n", [10**4, 10**5, 10**6])
def test_match_continuous(benchmark, backend, cancel, n):
    data = events(n, cancel)
    run(benchmark, lambda: match_continuous(*data, backend=backend), n,
        0.2 if backend == "python" else 2.0, data[2])

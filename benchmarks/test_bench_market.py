"""Benchmarks of the matching core (pytest-benchmark; not part of the default test run).

Run: ``python -m pytest benchmarks/test_bench_market.py --benchmark-enable``. Each benchmark
stores its median throughput as ``extra_info["orders_per_s"]`` (events/s for the continuous
auction); ``python benchmarks/market_table.py`` prints the same figures as a table. Inputs come
from ``market_table``'s generators (realistic prices, 1..1000 t).
"""

import importlib.util

import pytest
from market_table import batch, events, orders

from carbonsim.market import call_auction, call_auctions, match_continuous

HAVE_NUMBA = importlib.util.find_spec("numba") is not None


def run(benchmark, fn, n: int, seconds: float) -> None:
    """Benchmark ``fn`` over about ``seconds`` of rounds (3..50), after one warm-up call."""
    fn()  # warm-up: caches, and numba compilation outside the timings
    benchmark.pedantic(fn, rounds=max(3, min(50, int(seconds * 1e7 / n))), iterations=1)
    benchmark.extra_info["orders"] = n
    benchmark.extra_info["orders_per_s"] = n / benchmark.stats.stats.median


@pytest.mark.parametrize("n", [10**3, 10**4, 10**5, 10**6, 10**7])
def test_call_auction(benchmark, n):
    data = orders(n)
    run(benchmark, lambda: call_auction(*data), n, 2.0)


@pytest.mark.parametrize("book_size", [1000, 100])
@pytest.mark.parametrize("shuffle", [False, True], ids=["consecutive", "interleaved"])
def test_call_auctions(benchmark, book_size, shuffle):
    data = batch(10**6, book_size, shuffle=shuffle)
    run(benchmark, lambda: call_auctions(*data), 10**6, 2.0)


@pytest.mark.parametrize("backend", [
    "python",
    pytest.param("numba", marks=pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")),
])
@pytest.mark.parametrize("cancel", [0.0, 0.1], ids=["no-cancels", "10pct-cancels"])
@pytest.mark.parametrize("n", [10**4, 10**5, 10**6])
def test_match_continuous(benchmark, backend, cancel, n):
    data = events(n, cancel)
    run(benchmark, lambda: match_continuous(*data, backend=backend), n,
        0.2 if backend == "python" else 2.0)

"""Stateful property test of the continuous book: random streams of limit orders and cancels.

After every event the whole stream is matched by both backends and the loop reference; they
must agree trade for trade, and the book's tonnes are conserved: for every order,
qty = filled + resting + cancelled, a trade never exceeds what either side had, and the book
left at the end is never crossed.
"""

import numpy as np
import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from carbonsim.market import BACKENDS, match_continuous
from carbonsim.market import reference

BACKENDS_HERE = [b for b in BACKENDS if b != "auto"]


class BookMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.kind, self.side, self.price, self.qty, self.target = [], [], [], [], []

    def _add(self, kind, side, price, qty, target):
        for lst, v in zip((self.kind, self.side, self.price, self.qty, self.target),
                          (kind, side, price, qty, target)):
            lst.append(v)

    @rule(side=st.sampled_from([1, -1]), price=st.integers(95, 105), qty=st.integers(1, 50))
    def limit(self, side, price, qty):
        self._add(0, side, price, qty, 0)

    @precondition(lambda self: len(self.kind) > 0)
    @rule(data=st.data())
    def cancel(self, data):
        self._add(1, 1, 0, 1, data.draw(st.integers(0, len(self.kind) - 1)))

    def arrays(self):
        return (np.array(self.kind, np.int8), np.array(self.side, np.int8),
                np.array(self.price, np.int64), np.array(self.qty, np.int64),
                np.array(self.target, np.int64))

    @invariant()
    def backends_agree_and_tonnes_are_conserved(self):
        if not self.kind:
            return
        args = self.arrays()
        want = reference.match_continuous(*args)
        for backend in BACKENDS_HERE:
            if backend == "numba":
                pytest.importorskip("numba")
            got = match_continuous(*args, backend=backend)
            for field in ("taker", "maker", "price", "qty", "remaining"):
                assert np.array_equal(getattr(got, field), getattr(want, field)), (backend, field)
        kind, side, price, qty, target = args
        limits = kind == 0
        filled = (np.bincount(want.taker, weights=want.qty, minlength=len(kind))
                  + np.bincount(want.maker, weights=want.qty, minlength=len(kind)))
        assert (filled[limits] <= qty[limits]).all()
        assert (want.remaining[limits] + filled[limits] <= qty[limits]).all()  # rest was cancelled
        assert (want.remaining[~limits] == 0).all()
        cancelled = np.zeros(len(kind), bool)
        cancelled[target[~limits]] = True
        assert (want.remaining[cancelled & limits] == 0).all()  # a cancel leaves nothing resting
        kept = limits & ~cancelled
        assert (want.remaining[kept] + filled[kept] == qty[kept]).all()  # nothing lost or made
        # trades at the maker's price, never worse than the taker's limit
        t_side = side[want.taker]
        assert (want.price == price[want.maker]).all()
        assert ((t_side > 0) & (want.price <= price[want.taker])
                | (t_side < 0) & (want.price >= price[want.taker])).all()
        bids = price[limits & (side > 0) & (want.remaining > 0)]
        asks = price[limits & (side < 0) & (want.remaining > 0)]
        if bids.size and asks.size:
            assert bids.max() < asks.min()  # the book is never left crossed


TestBookMachine = BookMachine.TestCase
TestBookMachine.settings = settings(max_examples=40, stateful_step_count=40, deadline=None)

"""The accounts registry: allowances and cash are never created or lost except by issuance."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from carbonsim.sim.accounts import Accounts, take_oldest_first
from carbonsim.errors import InvariantError


def test_take_oldest_first_takes_old_vintages_first():
    holdings = np.array([[3, 5, 2], [0, 4, 4]])
    take = take_oldest_first(holdings, np.array([6, 5]))
    assert take.tolist() == [[3, 3, 0], [0, 4, 1]]


def test_deliver_moves_vintages_and_keeps_totals():
    acc = Accounts(3, 2)
    acc.issue(np.array([10, 0, 5]), 0)
    acc.issue(np.array([10, 0, 5]), 1)
    acc.deliver(np.array([0, 12, 0]), np.array([12, 0, 0]))
    assert acc.holdings.tolist() == [[0, 8], [10, 2], [5, 5]]
    acc.move_cash(np.array([12 * 40.0, -12 * 40.0, 0.0]), "reserve")
    acc.check()


def test_unbalanced_delivery_is_an_invariant_error():
    acc = Accounts(2, 1)
    acc.issue(np.array([5, 5]), 0)
    with pytest.raises(InvariantError, match="bought 3 t but sold 2 t"):
        acc.deliver(np.array([3, 0]), np.array([0, 2]))


def test_check_catches_a_lost_allowance():
    acc = Accounts(2, 1)
    acc.issue(np.array([5, 5]), 0)
    acc.holdings[0, 0] -= 1  # an allowance disappears without a record
    with pytest.raises(InvariantError, match="issued"):
        acc.check()


def test_surrender_borrow_and_cancel():
    acc = Accounts(2, 2)
    acc.issue(np.array([5, 5]), 0)
    acc.issue(np.array([5, 5]), 1)
    acc.surrender(np.array([5, 3]), np.array([0, 0]), 0, borrow=np.array([2, 0]))
    assert acc.holdings.tolist() == [[0, 3], [2, 5]]
    assert acc.surrendered.tolist() == [5 + 3, 2]
    assert acc.cancel_vintages_up_to(0).tolist() == [0, 2]
    acc.check()


def test_retire_keeps_the_protected_oldest_allowances():
    acc = Accounts(2, 2)
    acc.issue(np.array([5, 5]), 0)
    acc.issue(np.array([5, 5]), 1)
    acc.retire(np.array([4, 6]), keep=np.array([5, 3]))
    assert acc.holdings.tolist() == [[5, 1], [3, 1]]  # row 1: 3 kept, then 6 of the rest
    assert acc.cancelled.tolist() == [2, 8]
    acc.check()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_operations_conserve_allowances_and_cash(data):
    n, v = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 3))
    acc = Accounts(n, v)
    qty = st.lists(st.integers(0, 50), min_size=n, max_size=n).map(np.array)
    for _ in range(data.draw(st.integers(1, 12))):
        op = data.draw(st.sampled_from(["issue", "trade", "pool", "surrender", "claw", "offsets"]))
        vintage = data.draw(st.integers(0, v - 1))
        if op == "issue":
            acc.issue(data.draw(qty), vintage)
        elif op == "trade":
            sold = np.minimum(data.draw(qty), acc.holdings.sum(axis=1))
            total = int(sold.sum())
            weights = data.draw(qty) + 1
            bought = np.floor(total * weights / weights.sum()).astype(np.int64)
            bought[0] += total - bought.sum()
            price = data.draw(st.floats(0, 200))
            acc.deliver(bought, sold)
            acc.move_cash((sold - bought) * price, "reserve")
        elif op == "pool":
            acc.issue_to_pool(10, vintage)
            want = np.minimum(data.draw(qty), 10 // n)
            acc.deliver_from_pool(want, vintage)
            acc.pay(want * 30.0, "auctioneer")
        elif op == "surrender":
            eligible = acc.eligible(vintage)
            acc.surrender(np.minimum(data.draw(qty), eligible), np.minimum(acc.offsets, 1), vintage)
        elif op == "claw":
            acc.claw_back(data.draw(qty))
        else:
            acc.buy_offsets(data.draw(qty), 7.5)
        acc.check()
        assert (acc.holdings >= 0).all()


class AccountsMachine(RuleBasedStateMachine):
    """Random sequences of issuance, trades, auctions, surrenders, claw-backs and cancellations:
    the books always balance and a model of the totals agrees with the registry."""

    N, V = 4, 3

    def __init__(self):
        super().__init__()
        self.acc = Accounts(self.N, self.V)
        self.issued = 0  # the model: allowances issued, and where they went
        self.gone = 0  # surrendered or cancelled

    qty = st.lists(st.integers(0, 40), min_size=N, max_size=N).map(lambda q: np.array(q, np.int64))
    vintage = st.integers(0, V - 1)

    @rule(q=qty, v=vintage)
    def issue(self, q, v):
        self.acc.issue(q, v)
        self.issued += int(q.sum())

    @rule(sold=qty, weights=qty, price=st.floats(0, 500), keep=qty,
          first=st.lists(st.booleans(), min_size=N, max_size=N))
    def trade(self, sold, weights, price, keep, first):
        keep = np.minimum(keep, self.acc.held())
        sold = np.minimum(sold, self.acc.held() - keep)
        w = weights + 1
        bought = np.floor(sold.sum() * w / w.sum()).astype(np.int64)
        bought[0] += int(sold.sum() - bought.sum())
        before = self.acc.holdings.copy()
        self.acc.deliver(bought, sold, keep=keep, first=np.array(first))
        # a seller's protected (oldest) allowances stay where they were
        kept = take_oldest_first(before, keep)
        assert (np.minimum(self.acc.holdings, kept) == kept)[sold > 0].all()
        self.acc.move_cash((sold - bought) * price, "reserve")

    @rule(sold=qty, keep=qty, price=st.floats(0, 500))
    def sell_to_the_floor(self, sold, keep, price):
        """The regulator buys at the price floor: like any sale, it leaves the protected
        (oldest) allowances with their owner."""
        keep = np.minimum(keep, self.acc.held())
        sold = np.minimum(sold, self.acc.held() - keep)
        before = self.acc.holdings.copy()
        self.acc.retire(sold, keep=keep)
        kept = take_oldest_first(before, keep)
        assert (np.minimum(self.acc.holdings, kept) == kept).all()
        assert (before.sum(axis=1) - self.acc.held()).tolist() == sold.tolist()
        self.acc.move_cash(sold * price, "reserve")
        self.gone += int(sold.sum())

    @rule(total=st.integers(0, 30), v=vintage, q=qty, price=st.floats(0, 100))
    def auction(self, total, v, q, price):
        self.acc.issue_to_pool(total, v)
        self.issued += total
        got = np.minimum(q, total // self.N)
        self.acc.deliver_from_pool(got, v)
        self.acc.pay(got * price, "auctioneer")
        left = int(self.acc.pool[v])
        self.acc.cancel_from_pool(left, v)
        self.gone += left

    @rule(q=qty, v=vintage)
    def surrender(self, q, v):
        q = np.minimum(q, self.acc.eligible(v))
        self.acc.surrender(q, np.zeros(self.N, np.int64), v)
        self.gone += int(q.sum())

    @rule(q=qty)
    def claw_back(self, q):
        owed = self.acc.claw_back(q)
        self.gone += int((q - owed).sum())

    @rule(v=vintage)
    def expire(self, v):
        self.gone += int(self.acc.cancel_vintages_up_to(v).sum())

    @invariant()
    def books_balance(self):
        self.acc.check()
        assert int(self.acc.holdings.sum() + self.acc.pool.sum()) == self.issued - self.gone
        assert self.acc.issued.sum() == self.issued


TestAccountsMachine = AccountsMachine.TestCase
TestAccountsMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


def test_check_catches_a_total_out_of_step_with_the_holdings():
    """Emitters' totals are kept as allowances move (not summed each time they are asked for);
    a holding changed behind the accounts' back, conserving the vintage totals, is caught."""
    acc = Accounts(2, 1)
    acc.issue(np.array([5, 5]), 0)
    acc.holdings[:, 0] = [6, 4]
    with pytest.raises(InvariantError, match="kept totals"):
        acc.check()

"""Slow, literal loop implementations of the market kernels, for tests only.

Each follows the wording of MARKET.md step by step with Python integers (no overflow, no
vectorisation), so the fast kernels can be compared with them on random inputs. They do not
validate their inputs. Call auctions loop over every tick of the price range: keep it small.
"""

from __future__ import annotations

import numpy as np

from .results import AuctionResult, AuctionsResult, PrimaryResult, Trades

__all__ = ["call_auction", "call_auctions", "match_continuous", "allowance_auction"]


def _ration(orders: list[tuple[int, int]], amount: int, rule: str) -> dict[int, int]:
    """Share ``amount`` among (index, qty) orders of one price level: {index: fill}."""
    orders = sorted(orders)
    total = sum(q for _, q in orders)
    fills = {}
    if rule == "time":
        left = amount
        for i, q in orders:
            fills[i] = min(q, left)
            left -= fills[i]
        return fills
    for i, q in orders:
        fills[i] = q * amount // total
    leftover = amount - sum(fills.values())
    for i, _ in orders:
        if leftover == 0:
            break
        fills[i] += 1
        leftover -= 1
    return fills


def _fill_by_priority(orders: list[tuple[int, int, int]], amount: int, rule: str,
                      best_first) -> dict[int, int]:
    """Fill ``amount`` over (index, price, qty) orders level by level, best price first."""
    fills = {i: 0 for i, _, _ in orders}
    for p in sorted({p for _, p, _ in orders}, key=best_first):
        level = [(i, q) for i, pp, q in orders if pp == p]
        level_total = sum(q for _, q in level)
        if level_total <= amount:
            for i, q in level:
                fills[i] = q
            amount -= level_total
        else:
            fills.update(_ration(level, amount, rule))
            amount = 0
    return fills


def call_auction(side, price, qty, *, reference=None, rationing="time") -> AuctionResult:
    """Reference call auction: every tick of the range is tried (prices in ticks, qty in t)."""
    orders = [(i, int(s), int(p), int(q)) for i, (s, p, q) in enumerate(zip(side, price, qty))]
    filled = np.zeros(len(orders), np.int64)
    if not orders:
        return AuctionResult(-1, 0, filled)
    rows = []
    for p in range(min(o[2] for o in orders), max(o[2] for o in orders) + 1):
        d = sum(q for _, s, pr, q in orders if s == 1 and pr >= p)
        s_ = sum(q for _, s, pr, q in orders if s == -1 and pr <= p)
        rows.append((p, d, s_))
    vmax = max(min(d, s) for _, d, s in rows)
    if vmax == 0:
        return AuctionResult(-1, 0, filled)
    rows = [r for r in rows if min(r[1], r[2]) == vmax]
    imin = min(abs(d - s) for _, d, s in rows)
    rows = [r for r in rows if abs(r[1] - r[2]) == imin]
    ticks = [p for p, _, _ in rows]
    if all(d > s for _, d, s in rows):
        pstar = max(ticks)
    elif all(d < s for _, d, s in rows):
        pstar = min(ticks)
    elif reference is None:
        pstar = (min(ticks) + max(ticks)) // 2
    else:
        pstar = min(ticks, key=lambda t: (abs(t - int(reference)), t))
    buys = [(i, p, q) for i, s, p, q in orders if s == 1 and p >= pstar]
    sells = [(i, p, q) for i, s, p, q in orders if s == -1 and p <= pstar]
    fills = {}
    fills.update(_fill_by_priority(buys, vmax, rationing, lambda p: -p))
    fills.update(_fill_by_priority(sells, vmax, rationing, lambda p: p))
    for i, f in fills.items():
        filled[i] = f
    return AuctionResult(pstar, vmax, filled)


def call_auctions(book, side, price, qty, *, reference=None, rationing="time",
                  n_books=None) -> AuctionsResult:
    """Reference batch of call auctions: one reference call auction per book."""
    book = [int(b) for b in book]
    if n_books is None:
        n_books = len(reference) if reference is not None else (max(book) + 1 if book else 0)
    prices = np.full(n_books, -1, np.int64)
    volumes = np.zeros(n_books, np.int64)
    filled = np.zeros(len(book), np.int64)
    for b in range(n_books):
        idx = [i for i, bb in enumerate(book) if bb == b]
        ref = None if reference is None else int(np.broadcast_to(reference, (n_books,))[b])
        r = call_auction([side[i] for i in idx], [price[i] for i in idx],
                         [qty[i] for i in idx], reference=ref, rationing=rationing)
        prices[b], volumes[b] = r.price, r.volume
        filled[idx] = r.filled
    return AuctionsResult(prices, volumes, filled)


def match_continuous(kind, side, price, qty, target) -> Trades:
    """Reference continuous double auction: the book is a list searched in full per event."""
    n = len(kind)
    remaining = [0] * n
    book: list[int] = []  # resting order indices
    taker, maker, tprice, tqty = [], [], [], []
    for i in range(n):
        if int(kind[i]) == 1:
            remaining[int(target[i])] = 0 if int(target[i]) != i else remaining[i]
            book = [j for j in book if remaining[j] > 0]
            continue
        s, p, left = int(side[i]), int(price[i]), int(qty[i])
        while left > 0:
            opposite = [j for j in book if int(side[j]) == -s]
            if not opposite:
                break
            # best price for the taker, then the oldest
            best = min(opposite, key=lambda j: (s * int(price[j]), j))
            if (s == 1 and int(price[best]) > p) or (s == -1 and int(price[best]) < p):
                break
            q = min(left, remaining[best])
            taker.append(i)
            maker.append(best)
            tprice.append(int(price[best]))
            tqty.append(q)
            left -= q
            remaining[best] -= q
            if remaining[best] == 0:
                book.remove(best)
        remaining[i] = left
        if left > 0:
            book.append(i)
    taker, maker, tprice, tqty, remaining = (np.array(x, dtype=np.int64) for x in
                                             (taker, maker, tprice, tqty, remaining))
    return Trades(taker, maker, tprice, tqty, remaining)


def allowance_auction(bid_price, bid_qty, supply, reserve_price, *, tie="time") -> PrimaryResult:
    """Reference primary auction: bids accepted from the highest price down until supply."""
    bids = [(i, int(p), int(q)) for i, (p, q) in enumerate(zip(bid_price, bid_qty))
            if int(p) >= int(reserve_price)]
    supply = int(supply)
    total = sum(q for _, _, q in bids)
    filled = np.zeros(len(bid_price), np.int64)
    cover = (total / supply) if supply > 0 else (float("inf") if total > 0 else 0.0)
    fills = _fill_by_priority(bids, min(total, supply), tie, lambda p: -p)
    accepted = [p for i, p, _ in bids if fills[i] > 0]
    for i, f in fills.items():
        filled[i] = f
    sold = int(filled.sum())
    price = min(accepted) if accepted else -1
    return PrimaryResult(price, sold, supply - sold, cover, filled)

"""Price controls and supply reserves as pure functions (MODEL.md section 7).

- Cost-containment reserve (RGGI CCR, WCI APCR): extra auction volume, at most ``volume_t`` a
  year, offered when an auction would clear at or above ``trigger_price``.
- Emissions-containment reserve (RGGI ECR): up to ``volume_t`` a year withheld (and cancelled)
  when an auction would clear below ``trigger_price``.
- Market stability reserve (EU MSR): once a year, when the total number of allowances in
  circulation (TNAC) exceeds ``upper_threshold_t``, ``intake_rate`` × TNAC is taken from the next
  year's auction volume into the reserve; below ``lower_threshold_t``, ``release_t`` is released
  into it; reserve holdings above ``cancel_above_t`` are cancelled.
- Price ceiling: unlimited allowances at the ceiling (a standing sell order of the regulator).
- Price floor: the regulator buys (and cancels) what is offered at the floor (a standing bid).
Volumes are tonnes, prices currency/t.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from carbonsim.market import PrimaryResult, allowance_auction
from carbonsim.sim.periods import open_t

__all__ = ["AuctionOutcome", "MsrStep", "msr_step", "primary_auction", "reserve_operations"]


@dataclass(frozen=True)
class AuctionOutcome:
    """A primary auction after reserve adjustments: the market result and the volumes moved
    (``ccr_tranches``: what each CCR tranche released; ``ccr_released_t`` their sum)."""

    result: PrimaryResult
    offered_t: int
    ccr_released_t: int
    ecr_withheld_t: int
    ccr_tranches: tuple[int, ...] = ()


def primary_auction(bid_price: np.ndarray, bid_qty: np.ndarray, supply_t: int,
                    reserve_price: int, *, tie: str = "time",
                    ccr: Sequence[tuple[int, int]] = (),
                    ecr_trigger: int | None = None, ecr_left_t: int = 0) -> AuctionOutcome:
    """Clear a primary auction (prices in ticks) once, on the exact bid curve, with the reserve
    tranches as steps of its supply curve (MODEL.md section 7).

    ``ccr`` lists the CCR tranches as (trigger, volume left), lowest trigger first: each is
    supply offered only at or above its trigger, released in full when the bids at or above the
    trigger take it all, else only what they take, the price then pinned at that trigger. The
    ECR volume left is withheld only below its trigger: as much as keeps the price at the
    trigger (all bids at or above it filled), or all of it, the rest then clearing below the
    trigger. Bids below the reserve price never count.
    """
    price = np.asarray(bid_price, dtype=np.int64)
    qty = np.asarray(bid_qty, dtype=np.int64)
    base = allowance_auction(price, qty, supply_t, reserve_price, tie=tie)

    def bid_at(trigger: int) -> int:  # valid bid quantity at or above ``trigger``
        return int(qty[price >= max(trigger, reserve_price)].sum())

    def pinned(offered: int, trigger: int, released: tuple[int, ...], withheld: int) -> AuctionOutcome:
        filled = np.where(price >= max(trigger, reserve_price), qty, 0)
        valid = int(qty[price >= reserve_price].sum())
        cover = valid / offered if offered > 0 else (float("inf") if valid else 0.0)
        sold = int(filled.sum())
        result = PrimaryResult(trigger if sold > 0 else -1, sold, offered - sold, cover, filled)
        return AuctionOutcome(result, offered, sum(released), withheld, released)

    released = [0] * len(ccr)
    result, offered = base, supply_t
    for k, (trigger, left) in enumerate(ccr):
        if left <= 0:
            continue
        if not (result.sold == offered > 0 and result.price >= trigger):
            break
        wanted = bid_at(trigger) - offered  # >= 0: what is offered sells at or above it
        if wanted < left:
            released[k] = wanted
            return pinned(offered + wanted, trigger, tuple(released), 0)
        released[k] = left
        offered += left
        result = allowance_auction(price, qty, offered, reserve_price, tie=tie)
    if any(released):
        return AuctionOutcome(result, offered, sum(released), 0, tuple(released))
    if (ecr_trigger is not None and ecr_left_t > 0 and supply_t > 0
            and (base.sold == 0 or base.price < ecr_trigger)):
        held = supply_t - bid_at(ecr_trigger)  # > 0: the base supply does not sell at the trigger
        if held <= ecr_left_t:
            return pinned(supply_t - held, ecr_trigger, tuple(released), held)
        withheld = min(ecr_left_t, supply_t)
        rest = allowance_auction(price, qty, supply_t - withheld, reserve_price, tie=tie)
        return AuctionOutcome(rest, supply_t - withheld, 0, withheld, tuple(released))
    return AuctionOutcome(base, supply_t, 0, 0, tuple(released))


@dataclass(frozen=True)
class MsrStep:
    """One annual MSR operation, in tonnes."""

    intake_t: int
    release_t: int
    cancelled_t: int


def msr_step(tnac_t: int, held_t: int, next_auction_t: int, *, upper_threshold_t: float,
             lower_threshold_t: float, intake_rate: float, release_t: float,
             cancel_above_t: float | None) -> MsrStep:
    """The MSR's intake (from next year's auctions), release and cancellation for one year.

    Intake is at most the next year's auction volume; release at most what the reserve holds.
    """
    intake = release = 0
    if tnac_t > upper_threshold_t:
        intake = min(int(intake_rate * tnac_t), next_auction_t)
    elif tnac_t < lower_threshold_t:
        release = min(int(release_t), held_t)
    after = held_t + intake - release
    cancelled = 0
    if cancel_above_t is not None and after > cancel_above_t:
        cancelled = int(after - cancel_above_t)
    return MsrStep(intake, release, cancelled)


def reserve_operations(sim, y: int) -> None:
    """Annual MSR intake, release and cancellation in a run (changes next year's auctions)."""
    msr = sim.reserves.msr if sim.reserves is not None else None
    if msr is None:
        return
    tnac = int(sim.acc.holdings.sum() - open_t(sim, y + 1))  # allowances less what is still owed
    nxt = int(sim.auction_t[y + 1]) if y + 1 < sim.years else 0
    step = msr_step(tnac, sim.acc.msr_t, nxt, upper_threshold_t=msr.upper_threshold_t,
                    lower_threshold_t=msr.lower_threshold_t, intake_rate=msr.intake_rate,
                    release_t=msr.release_t, cancel_above_t=msr.cancel_above_t)
    if y + 1 < sim.years:
        sim.auction_t[y + 1] += step.release_t - step.intake_t
    sim.acc.msr_t += step.intake_t - step.release_t - step.cancelled_t
    sim.ledger.record_msr(y, tnac, step, sim.acc.msr_t)

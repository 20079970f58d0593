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

from dataclasses import dataclass

import numpy as np

from carbonsim.market import PrimaryResult, allowance_auction

__all__ = ["AuctionOutcome", "MsrStep", "msr_step", "primary_auction", "reserve_operations"]


@dataclass(frozen=True)
class AuctionOutcome:
    """A primary auction after reserve adjustments: the market result and the volumes moved."""

    result: PrimaryResult
    offered_t: int
    ccr_released_t: int
    ecr_withheld_t: int


def primary_auction(bid_price: np.ndarray, bid_qty: np.ndarray, supply_t: int,
                    reserve_price: int, *, tie: str = "time",
                    ccr_trigger: int | None = None, ccr_left_t: int = 0,
                    ecr_trigger: int | None = None, ecr_left_t: int = 0) -> AuctionOutcome:
    """Clear a primary auction (prices in ticks), releasing CCR or withholding ECR volume.

    The auction is first cleared with ``supply_t``; if it clears at or above the CCR trigger the
    CCR volume left is added and it is cleared again; if it clears below the ECR trigger (or
    does not clear), the ECR volume left is withheld, never below zero supply.
    """
    result = allowance_auction(bid_price, bid_qty, supply_t, reserve_price, tie=tie)
    released = withheld = 0
    if ccr_trigger is not None and ccr_left_t > 0 and result.sold > 0 and result.price >= ccr_trigger:
        released = ccr_left_t
    elif ecr_trigger is not None and ecr_left_t > 0 and (result.sold == 0 or result.price < ecr_trigger):
        withheld = min(ecr_left_t, supply_t)
    if released or withheld:
        offered = supply_t + released - withheld
        result = allowance_auction(bid_price, bid_qty, offered, reserve_price, tie=tie)
    return AuctionOutcome(result, supply_t + released - withheld, released, withheld)


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
    open_obligation = sum(sim.state.emitted_t[:, k].sum() for k in range(y + 1) if not sim.closed[k])
    tnac = int(sim.acc.holdings.sum() - open_obligation)
    nxt = int(sim.auction_t[y + 1]) if y + 1 < sim.years else 0
    step = msr_step(tnac, sim.acc.msr_t, nxt, upper_threshold_t=msr.upper_threshold_t,
                    lower_threshold_t=msr.lower_threshold_t, intake_rate=msr.intake_rate,
                    release_t=msr.release_t, cancel_above_t=msr.cancel_above_t)
    if y + 1 < sim.years:
        sim.auction_t[y + 1] += step.release_t - step.intake_t
    sim.acc.msr_t += step.intake_t - step.release_t - step.cancelled_t
    sim.ledger.record_msr(y, tnac, step, sim.acc.msr_t)

"""The price controls and reserve tranches in force in each compliance year (MODEL.md section 7).

Trigger prices, the floor and the ceiling may grow each year (RGGI's triggers +7%/yr, WCI's
5% + inflation): in year index y a price P with growth g is P·(1+g)^y. ``reserves.ccr`` may be
a list of tranches (WCI's APCR tiers), each sold only at or above its own trigger.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Controls", "controls"]


@dataclass(frozen=True)
class Controls:
    """One year's controls: prices in currency/t, volumes in t a year.

    ``ccr`` lists the cost-containment tranches as (trigger, volume) from the lowest trigger up;
    ``ecr`` is the emissions-containment reserve's (trigger, volume), or None.
    """

    floor: float | None
    ceiling: float | None
    ccr: tuple[tuple[float, int], ...]
    ecr: tuple[float, int] | None

    def prices(self) -> tuple[float, ...]:
        """The floor and the ceiling that are set (where the regulator trades)."""
        return tuple(p for p in (self.floor, self.ceiling) if p is not None)


def controls(reserves, y: int) -> Controls:
    """The controls of compliance year index ``y`` under ``reserves`` (a scenario's, or None)."""
    if reserves is None:
        return Controls(None, None, (), None)

    def grown(price: float | None, growth: float) -> float | None:
        return None if price is None else float(price) * (1.0 + growth) ** y

    tranches = reserves.ccr if isinstance(reserves.ccr, tuple) else (reserves.ccr,) if reserves.ccr else ()
    ccr = tuple(sorted((grown(t.trigger_price, t.trigger_growth), int(t.volume_t)) for t in tranches))
    ecr = None
    if reserves.ecr is not None:
        ecr = (grown(reserves.ecr.trigger_price, reserves.ecr.trigger_growth), int(reserves.ecr.volume_t))
    return Controls(grown(reserves.price_floor, reserves.price_floor_growth),
                    grown(reserves.price_ceiling, reserves.price_ceiling_growth), ccr, ecr)

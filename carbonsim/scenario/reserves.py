"""Price controls and reserves of the scenario format (``reserves``: floor, ceiling, CCR/ECR
tranches with growing triggers, the MSR), as typed frozen models (MODEL.md section 7)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from carbonsim.scenario.types import MODEL_CONFIG, Fraction, PositivePrice, Price, Tonnes, describe_field

__all__ = ["Msr", "Reserves", "Trigger"]


class Trigger(BaseModel):
    """A price-triggered reserve (CCR releases above, ECR withholds below the trigger)."""

    model_config = MODEL_CONFIG
    trigger_price: Price = describe_field(unit="currency/t", doc="Trigger price (first year).")
    volume_t: Tonnes = describe_field(unit="t/yr", doc="Volume released or withheld a year.")
    trigger_growth: Fraction = describe_field(
        0.0, unit="fraction/yr", doc="Annual growth of the trigger price (RGGI: 0.07)."
    )


class Msr(BaseModel):
    """Market stability reserve (EU): intake above, release below thresholds of the TNAC."""

    model_config = MODEL_CONFIG
    upper_threshold_t: Tonnes = describe_field(unit="t", doc="Intake when TNAC is above.")
    lower_threshold_t: Tonnes = describe_field(unit="t", doc="Release when TNAC is below.")
    intake_rate: Fraction = describe_field(unit="fraction", doc="Share of the TNAC taken in.")
    release_t: Tonnes = describe_field(unit="t/yr", doc="Volume released.")
    cancel_above_t: Tonnes | None = describe_field(
        None, unit="t", doc="Reserve holdings above this are cancelled (null: never)."
    )

    @field_validator("lower_threshold_t")
    @classmethod
    def _below_upper(cls, value: float, info: ValidationInfo) -> float:
        upper = info.data.get("upper_threshold_t")
        if upper is not None and value >= upper:
            raise ValueError(f"expected less than upper_threshold_t ({upper:g})")
        return value


class Reserves(BaseModel):
    """Price controls and reserves."""

    model_config = MODEL_CONFIG
    price_floor: Price | None = describe_field(None, unit="currency/t", doc="Price floor.")
    price_ceiling: PositivePrice | None = describe_field(
        None, unit="currency/t", doc="Unlimited allowances at this price."
    )
    price_floor_growth: Fraction = describe_field(
        0.0, unit="fraction/yr", doc="Annual growth of the price floor."
    )
    price_ceiling_growth: Fraction = describe_field(
        0.0, unit="fraction/yr", doc="Annual growth of the price ceiling."
    )
    ccr: Trigger | Annotated[tuple[Trigger, ...], Field(min_length=1)] | None = describe_field(
        None, doc="Cost-containment reserve: one tranche, or a list (APCR tiers), each sold "
                  "only at or above its own trigger."
    )
    ecr: Trigger | None = describe_field(None, doc="Emissions-containment reserve.")
    msr: Msr | None = describe_field(None, doc="Market stability reserve.")

    @field_validator("price_ceiling")
    @classmethod
    def _above_floor(cls, value: float | None, info: ValidationInfo) -> float | None:
        floor = info.data.get("price_floor")
        if value is not None and floor is not None and value <= floor:
            raise ValueError(f"expected more than price_floor ({floor:g})")
        return value

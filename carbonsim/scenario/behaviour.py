"""The ``behaviour`` section: how emitters value allowances, trade and form expectations.

Cross-section checks of its keys (``expected_bau_growth`` and ``supply_expected.cap`` one
value a year, ``until_year`` within the run) live in checks.py with the others.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from carbonsim.scenario.limits import MAX_YEARS
from carbonsim.scenario.types import (
    MODEL_CONFIG,
    Growth,
    Int,
    NonNegative,
    OpenFraction,
    Positive,
    RateBelowOne,
    Tonnes,
    describe_field,
    per_year,
)

__all__ = ["Behaviour", "Participation", "SupplyExpected"]


class Participation(BaseModel):
    """Share of emitters trading in a session, rising from ``start`` to ``at_deadline``."""

    model_config = MODEL_CONFIG
    start: OpenFraction = describe_field(unit="fraction", doc="At the start of the year.")
    at_deadline: OpenFraction = describe_field(unit="fraction", doc="At the compliance deadline.")
    rise_days: Positive | None = describe_field(
        None, unit="days", doc="Procrastination: start + (at_deadline - start) * exp(-d / "
            "rise_days), d the days to the deadline's last session (null: linear in time).")
    prior_year: bool = describe_field(
        False, strict=True, doc="The share also applies to the market in the prior year's vintages.")


class SupplyExpected(BaseModel):
    """The supply the emitters believe in until a rule is announced (`expectations: rolling`)."""

    model_config = MODEL_CONFIG
    cap: tuple[Tonnes, ...] = describe_field(
        unit="t/yr", doc="Supply of each year of the run as the emitters expect it before "
                         "`until_year` (one value a year).")
    until_year: Int = describe_field(
        unit="year", doc="Year the real supply is announced: the re-solves of the years before "
                         "it plan on `cap`, those from it on the scenario's own supply.")


class Behaviour(BaseModel):
    """How emitters value allowances and trade."""

    model_config = MODEL_CONFIG
    expectations: Literal["myopic", "hotelling", "perfect_foresight", "rolling"] = describe_field(
        "myopic", doc="Price expectations: the price path emitters expect (MODEL.md section 5)."
    )
    horizon_years: Annotated[Int, Field(ge=1, le=MAX_YEARS)] | None = describe_field(
        None, unit="years", doc="For `rolling`: years planned ahead, the current one included."
    )
    foresight_years: Annotated[Int, Field(ge=0, le=MAX_YEARS)] = describe_field(
        0, unit="years", doc="Years after the run that expectations see, the cap and emitters "
                             "continuing by their own rules."
    )
    expected_bau_growth: per_year(Growth) | None = describe_field(
        None, unit="fraction/yr", doc="For `rolling`: each re-solve sees the years after the "
            "current one as the current year's BAU grown at this rate, not their true BAU; a "
            "list gives the rate of the re-solves made in each year (null: the true BAU).")
    supply_expected: SupplyExpected | None = describe_field(
        None, doc="For `rolling`: the supply planned on until a rule is announced (null: the "
                  "scenario's own supply).")
    discount_rate: RateBelowOne = describe_field(0.05, unit="fraction/yr", doc="Discount rate.")
    bid_steps: Annotated[Int, Field(ge=1, le=50)] = describe_field(
        8, doc="Price steps of each emitter's order schedule."
    )
    participation: Participation | None = describe_field(
        None, doc="Participation rising to the deadline (null: everyone every session)."
    )
    gap_fraction: OpenFraction = describe_field(
        1.0, unit="fraction", doc="Share of the position gap traded per session."
    )
    output_uncertainty: Annotated[NonNegative, Field(le=1)] = describe_field(
        0.0, unit="fraction", doc="SD of an emitter's relative error forecasting its output."
    )
    review_days: Annotated[Int, Field(ge=1)] | None = describe_field(
        None, unit="days", doc="Days between abatement reviews (null: every session)."
    )
    bank_capacity: NonNegative | None = describe_field(
        None, unit="fraction of annual emissions",
        doc="Allowances an emitter is willing to hold beyond its needs, as a share of its "
            "annual emissions (null: unlimited).",
    )
    carry_rate: RateBelowOne = describe_field(
        0.0, unit="fraction/yr",
        doc="Interest on cash tied up in allowances bought before they are needed: a buyer pays "
            "at most the expected price discounted for the time to the deadline's last session.")
    emissions_uncertainty: NonNegative = describe_field(
        0.0, unit="fraction", doc="SD of the forecast of the rest of the year's emissions, as a "
            "share of the year's expected emissions times the share of the year left.")
    trade_confidence: Annotated[float, Field(ge=0.5, lt=1, strict=True)] = describe_field(
        0.9, unit="probability", doc="How sure an emitter is of the part of its gap it trades.")


    @model_validator(mode="after")
    def _rolling_has_a_horizon(self) -> "Behaviour":
        if self.expectations == "rolling" and self.horizon_years is None:
            raise ValueError("expectations: rolling needs behaviour.horizon_years (years planned "
                             "ahead, the current one included), e.g. horizon_years: 5")
        return self

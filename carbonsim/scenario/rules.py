"""Allocation-rule parameters as the scenario format knows them: one pydantic model per rule.

The models are data only (no time, no population); `RULE_PARAMS` maps each rule's scenario name
to its model, so the scenario validates ``{rule: NAME, ...}`` entries without the economy.
`carbonsim.economy.allocation.register_rule` adds a plug-in's model here as it registers the
rule's functions.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, Field

from carbonsim.registry import Registry
from carbonsim.scenario.types import (
    MODEL_CONFIG,
    Fraction,
    Int,
    NonEmptyStr,
    Positive,
    describe_field,
)

__all__ = [
    "HIST_YEARS",
    "RULE_PARAMS",
    "AuctionParams",
    "BenchmarkParams",
    "FixedParams",
    "GrandfatheringParams",
    "HistoricalIntensityParams",
    "RuleParams",
]

HIST_YEARS = 5  # historical years before start_year that a population carries


class RuleParams(BaseModel):
    """Parameters of an allocation rule; ``rule`` is its registry name."""

    model_config = MODEL_CONFIG
    trued_up: ClassVar[bool] = False  # output based: trued up at verification
    rule: NonEmptyStr = describe_field(doc="Allocation rule (registry name).")


BaseYears = Annotated[Int, Field(ge=1, le=HIST_YEARS)]


class FixedParams(RuleParams):
    """`fixed`: each emitter's ``free_allocation`` (no parameters)."""


class GrandfatheringParams(RuleParams):
    """`grandfathering`: mean historical emissions over base years x (1 - decline)^(y+1)."""

    base_years: BaseYears = describe_field(3, unit="years", doc="Historical years averaged (1..5).")
    decline: Fraction = describe_field(0.0, unit="fraction/yr", doc="Annual decline factor.")


class HistoricalIntensityParams(RuleParams):
    """`historical_intensity`: historical intensity x output x (1 - decline)^(y+1), trued up."""

    trued_up: ClassVar[bool] = True

    base_years: BaseYears = describe_field(3, unit="years", doc="Historical years used (1..5).")
    decline: Fraction = describe_field(0.0, unit="fraction/yr", doc="Annual decline factor.")
    ex_ante_share: Fraction = describe_field(
        1.0, unit="fraction", doc="Share issued ex ante on expected output."
    )


class BenchmarkParams(RuleParams):
    """`benchmark`: benchmark x correction x output x (1 - decline)^y, ex-ante share, trued up."""

    trued_up: ClassVar[bool] = True

    benchmark: Positive = describe_field(unit="t/unit", doc="Sector benchmark.")
    ex_ante_share: Fraction = describe_field(
        1.0, unit="fraction", doc="Share issued ex ante on expected output."
    )
    correction: Positive = describe_field(
        1.0, doc="Product of correction factors (load, heat, cooling ...)."
    )
    decline: Fraction = describe_field(0.0, unit="fraction/yr", doc="Annual decline factor.")


class AuctionParams(RuleParams):
    """`auction`: no free allocation; the sector buys everything."""


RULE_PARAMS: Registry[type[RuleParams]] = Registry("allocation rule")
for _name, _params in [("fixed", FixedParams), ("grandfathering", GrandfatheringParams),
                       ("historical_intensity", HistoricalIntensityParams),
                       ("benchmark", BenchmarkParams), ("auction", AuctionParams)]:
    RULE_PARAMS.register(_name, _params)

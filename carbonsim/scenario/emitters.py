"""Scenario models of emitters: MAC specifications, inline emitters, generated sectors.

Units: output in the sector's unit of product a year, intensity in t CO2e per unit, emissions in
t a year, MAC costs in currency per t, shares and rates as fractions.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from carbonsim.scenario.types import (
    MODEL_CONFIG,
    Growth,
    Int,
    Label,
    NonNegative,
    OpenFraction,
    Positive,
    RateBelowOne,
    Tonnes,
    describe_field,
    per_year,
)
from carbonsim.scenario.limits import MAX_MAC_STEPS

__all__ = [
    "MAX_GENERATED",
    "NORMAL_FLOOR",
    "Dist",
    "DistFixed",
    "DistLognormal",
    "DistNormal",
    "DistUniform",
    "EmitterSpec",
    "Emitters",
    "EmittersFile",
    "EmittersGenerate",
    "GrowthSpec",
    "MacLinear",
    "MacSpec",
    "MacSteps",
    "SectorGen",
]

MAX_GENERATED = 10_000_000
NORMAL_FLOOR = 0.01
GrowthSd = Annotated[NonNegative, Field(le=1)]  # an annual shock's size, at most 100%


class MacLinear(BaseModel):
    """Linear MAC: cost rises from 0 at no abatement to ``cost_at_max`` at ``max_share`` of BAU."""

    model_config = MODEL_CONFIG

    kind: Literal["linear"] = describe_field(doc="Curve type.")
    slope: Positive | None = describe_field(
        None, unit="currency/t per t", doc="MAC(a) = slope * a (give slope or cost_at_max)."
    )
    cost_at_max: Positive | None = describe_field(
        None, unit="currency/t", doc="MAC at max_share of BAU (give slope or cost_at_max)."
    )
    max_share: OpenFraction = describe_field(
        1.0, unit="fraction", doc="Most of BAU that can be abated in a year."
    )

    @model_validator(mode="after")
    def _one_of(self) -> MacLinear:
        given = [k for k in ("slope", "cost_at_max") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "expected exactly one of slope or cost_at_max; got "
                + ("both" if given else "neither")
            )
        return self


class MacSteps(BaseModel):
    """Step MAC: technologies [cost per t, share of BAU], each its own slice, cheapest first."""

    model_config = MODEL_CONFIG

    kind: Literal["steps"] = describe_field(doc="Curve type.")
    steps: tuple[tuple[NonNegative, OpenFraction], ...] = describe_field(
        unit="[currency/t, fraction]",
        doc="Technologies as [cost, share of BAU]; shares sum to at most 1.",
        min_length=1,
        max_length=MAX_MAC_STEPS,
    )

    @field_validator("steps")
    @classmethod
    def _shares_fit(cls, value: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        total = sum(share for _, share in value)
        if total > 1 + 1e-9:
            raise ValueError(f"expected step shares summing to at most 1; got {total:g}")
        return value


MacSpec = Annotated[MacLinear | MacSteps, Field(discriminator="kind")]


class EmitterSpec(BaseModel):
    """One emitter written out in the scenario (inline list or a CSV row)."""

    model_config = MODEL_CONFIG

    id: Label = describe_field(doc="Unique emitter id.")
    sector: Label = describe_field(doc="Sector name (a key of `allocation`).")
    output: per_year(NonNegative) = describe_field(
        unit="unit/yr", doc="Output: first year's expected output, or one value per year."
    )
    intensity: per_year(Positive) = describe_field(
        unit="t/unit", doc="Emission intensity: first year's, or one value per year."
    )
    growth: Growth = describe_field(0.0, unit="fraction/yr", doc="Mean annual output growth.")
    growth_sd: GrowthSd = describe_field(
        0.0, unit="fraction/yr", doc="Size of the sector's annual growth shock for this emitter."
    )
    intensity_decline: RateBelowOne = describe_field(
        0.0, unit="fraction/yr", doc="Autonomous annual fall of intensity."
    )
    mac: MacSpec = describe_field(doc="Marginal abatement cost curve.")
    free_allocation: per_year(Tonnes) = describe_field(
        0.0, unit="t/yr", doc="Free allocation under the `fixed` rule (every year, or per year)."
    )
    historical_emissions: Tonnes | None = describe_field(
        None, unit="t/yr", doc="Override of the mean historical emissions (all base years)."
    )
    opening_bank_t: NonNegative | None = describe_field(
        None, unit="t", doc="Allowances it holds before start_year (null: a pro-rata share of "
                            "the scenario's opening_bank_t)."
    )


class DistLognormal(BaseModel):
    """Lognormal draws: exp(N(log(median), sigma))."""

    model_config = MODEL_CONFIG
    dist: Literal["lognormal"] = describe_field(doc="Distribution.")
    median: Positive = describe_field(doc="Median.")
    sigma: Annotated[NonNegative, Field(le=5)] = describe_field(
        doc="Standard deviation of the log (at most 5).")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws (float64)."""
        return self.median * np.exp(self.sigma * rng.standard_normal(n))


class DistNormal(BaseModel):
    """Normal draws, raised to 1% of the mean where they would fall below it (stay positive)."""

    model_config = MODEL_CONFIG
    dist: Literal["normal"] = describe_field(doc="Distribution.")
    mean: Positive = describe_field(doc="Mean.")
    sd: NonNegative = describe_field(doc="Standard deviation.")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws (float64), at least NORMAL_FLOOR * mean."""
        x = self.mean + self.sd * rng.standard_normal(n)
        return np.maximum(x, NORMAL_FLOOR * self.mean)


class DistUniform(BaseModel):
    """Uniform draws on [low, high)."""

    model_config = MODEL_CONFIG
    dist: Literal["uniform"] = describe_field(doc="Distribution.")
    low: NonNegative = describe_field(doc="Lower bound.")
    high: Positive = describe_field(doc="Upper bound (> low).")

    @model_validator(mode="after")
    def _ordered(self) -> DistUniform:
        if not self.high > self.low:
            raise ValueError(f"expected high > low; got low {self.low:g}, high {self.high:g}")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws (float64)."""
        return rng.uniform(self.low, self.high, n)


class DistFixed(BaseModel):
    """The same value for every emitter (draws nothing from the generator)."""

    model_config = MODEL_CONFIG
    dist: Literal["fixed"] = describe_field(doc="Distribution.")
    value: Positive = describe_field(doc="The value.")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` copies of the value (float64)."""
        return np.full(n, self.value, dtype=np.float64)


Dist = Annotated[
    DistLognormal | DistNormal | DistUniform | DistFixed, Field(discriminator="dist")
]


class GrowthSpec(BaseModel):
    """Output growth of a generated sector: q_y = q_{y-1} * (1 + mean + sd * eps_y)."""

    model_config = MODEL_CONFIG
    mean: Growth = describe_field(0.0, unit="fraction/yr", doc="Mean annual growth.")
    sd: GrowthSd = describe_field(0.0, unit="fraction/yr", doc="Size of the sector shock.")


class SectorGen(BaseModel):
    """A sector of ``count`` emitters drawn from distributions with the scenario's generator."""

    model_config = MODEL_CONFIG
    count: Annotated[Int, Field(ge=1, le=MAX_GENERATED)] = describe_field(
        doc="Number of emitters; ids are SECTOR-0000, SECTOR-0001, ..."
    )
    output: Dist = describe_field(unit="unit/yr", doc="First year's output.")
    intensity: Dist = describe_field(unit="t/unit", doc="First year's intensity.")
    growth: GrowthSpec = describe_field(GrowthSpec(), doc="Output growth.")
    intensity_decline: RateBelowOne = describe_field(
        0.0, unit="fraction/yr", doc="Autonomous annual fall of intensity."
    )
    mac: MacSpec = describe_field(doc="MAC curve shape, the same for the sector's emitters.")


class EmittersGenerate(BaseModel):
    """Emitters generated per sector."""

    model_config = MODEL_CONFIG
    generate: dict[Label, SectorGen] = describe_field(
        doc="Sector name -> how to draw its emitters.", min_length=1
    )


class EmittersFile(BaseModel):
    """Emitters read from a CSV file (columns = EmitterSpec keys, mac_* for the MAC)."""

    model_config = MODEL_CONFIG
    file: str = describe_field(doc="CSV path, relative to the scenario file.")

    @model_validator(mode="after")
    def _must_be_read(self) -> EmittersFile:
        # load_scenario replaces {file: ...} by the rows before validation; reaching here means
        # the model was validated directly from a dict.
        raise ValueError("expected the CSV to be read by carbonsim.load_scenario")


def _emitters_form(value: object) -> str | None:
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, (EmittersGenerate, EmittersFile)):
        return "generate" if isinstance(value, EmittersGenerate) else "file"
    if isinstance(value, dict):
        if "generate" in value:
            return "generate"
        if "file" in value:
            return "file"
    return None


Emitters = Annotated[
    Annotated[tuple[EmitterSpec, ...], Tag("list"), Field(min_length=1)] | Annotated[EmittersGenerate, Tag("generate")] | Annotated[EmittersFile, Tag("file")],
    Discriminator(
        _emitters_form,
        custom_error_type="emitters_form",
        custom_error_message="expected a list of emitters, {file: path.csv} or "
        "{generate: {sector: ...}}",
    ),
]

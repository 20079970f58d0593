"""The typed, frozen scenario: one pydantic model per YAML section, defaults in one place.

Units: tonnes CO2e (``_t``), currency per tonne (``_per_t`` or prices), rates and shares as
fractions (0.05 = 5%), dates "MM-DD" in the year the event belongs to (see calendar.py).
Cross-section checks (per-year list lengths, sectors against allocation, duplicate ids) live in
checks.py and run when a scenario is loaded.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AllowInfNan,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Strict,
    Tag,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from carbonsim.registry import suggest
from carbonsim.scenario.calendar import Calendar, YearEvents
from carbonsim.scenario.emitters import Emitters, EmittersGenerate
from carbonsim.scenario.reserves import Msr, Reserves, Trigger  # noqa: F401  (part of the format)
from carbonsim.scenario.rules import RULE_PARAMS, RuleParams
from carbonsim.scenario.types import (
    MODEL_CONFIG,
    Fraction,
    Int,
    NonEmptyStr,
    NonNegative,
    OpenFraction,
    Price,
    Slug,
    Tonnes,
    describe_field,
    number_or_list,
)
from carbonsim.scenario.behaviour import Behaviour, Participation, SupplyExpected  # noqa: F401  (part of the format)
from carbonsim.scenario.limits import MAX_CURRENCY, MAX_PRICE, MAX_TEXT, MAX_TONNES, MAX_YEARS, MIN_TICK

__all__ = [
    "EXPECTATIONS",
    "MAX_YEARS",
    "MECHANISMS",
    "AllocationConfig",
    "Auctions",
    "Behaviour",
    "Cap",
    "CapLinear",
    "Compliance",
    "Market",
    "Msr",
    "Offsets",
    "Participation",
    "Reserves",
    "Scenario",
    "SupplyExpected",
    "Trigger",
]

MECHANISMS = ("call_auction", "continuous")
EXPECTATIONS = ("myopic", "hotelling", "perfect_foresight")


class CapLinear(BaseModel):
    """Linear cap path: cap_y = start * (1 - annual_reduction * y), floored at 0."""

    model_config = MODEL_CONFIG
    start: Tonnes = describe_field(unit="t/yr", doc="Cap of the first year.")
    annual_reduction: Fraction = describe_field(
        unit="fraction/yr", doc="Linear reduction factor, a share of the first year's cap."
    )


def _cap_form(value: object) -> str | None:
    if isinstance(value, (dict, CapLinear)):
        return "linear"
    return number_or_list(value)


Cap = Annotated[
    Annotated[Tonnes, Tag("number")] | Annotated[tuple[Tonnes, ...], Tag("list")] | Annotated[CapLinear, Tag("linear")],
    Discriminator(
        _cap_form,
        custom_error_type="cap_form",
        custom_error_message="expected a number, a list (one per year), "
        "{start: ..., annual_reduction: ...} or null",
    ),
]


def _rule_entry(value: Any, handler: Any, info: ValidationInfo) -> Any:
    """Validate ``{rule: name, ...params}`` with the params model of the registered rule."""
    if isinstance(value, RuleParams):
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError("rule_entry", "expected a mapping {rule: name, ...parameters}")
    if "rule" not in value:
        raise ValidationError.from_exception_data(
            "allocation", [{"type": "missing", "loc": ("rule",), "input": value}]
        )
    name = value["rule"]
    if name not in RULE_PARAMS:
        known = ", ".join(RULE_PARAMS.names())
        error = PydanticCustomError(
            "unknown_rule",
            "expected one of the allocation rules {known}{hint}",
            {"known": known, "hint": _hint(name, RULE_PARAMS.names())},
        )
        raise ValidationError.from_exception_data(
            "allocation", [{"type": error, "loc": ("rule",), "input": name}]
        )
    return RULE_PARAMS.get(name).model_validate(value)


def _hint(name: object, known: tuple[str, ...]) -> str:
    close = suggest(name, known)  # "; did you mean 'x'?"
    return f" ({close[2:]})" if close else ""


RuleEntry = Annotated[Any, WrapValidator(_rule_entry)]


class AllocationConfig(BaseModel):
    """Free allocation: one entry per sector ``{rule: name, ...}`` plus the two keys below."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, RuleEntry] = Field(init=False)  # sector -> rule parameters

    auction_share: Fraction = describe_field(
        0.0, unit="fraction", doc="Share of the cap sold in the primary auctions."
    )
    correction: Literal["auto", "none"] = describe_field(
        "auto", doc="Cross-sectoral correction when free allocation would exceed cap - auctioned."
    )

    @property
    def sectors(self) -> dict[str, Any]:
        """Sector name -> validated rule parameters (a RuleParams subclass with ``.rule``)."""
        return dict(self.__pydantic_extra__ or {})


class Auctions(BaseModel):
    """Primary auctions (dates in calendar.auctions; volume = allocation.auction_share of cap)."""

    model_config = MODEL_CONFIG
    reserve_price: Price = describe_field(0.0, unit="currency/t", doc="Auction reserve price.")
    reserve_price_growth: Fraction = describe_field(
        0.0, unit="fraction/yr", doc="Annual growth of the reserve price."
    )
    unsold: Literal["cancel", "carry_forward", "reserve"] = describe_field(
        "cancel", doc="What happens to unsold volume."
    )
    tie: Literal["time", "pro_rata"] = describe_field("time", doc="Tie-breaking at the clearing price.")


class Market(BaseModel):
    """The secondary market."""

    model_config = MODEL_CONFIG
    mechanism: Literal["call_auction", "continuous"] = describe_field(doc="Matching mechanism.")
    tick: Annotated[float, Strict(), AllowInfNan(False), Field(ge=MIN_TICK, le=MAX_PRICE)] = describe_field(
        0.01, unit="currency/t", doc="Price tick (at least 1e-6).")
    daily_limit: OpenFraction | None = describe_field(
        None, unit="fraction", doc="Daily price limit around the previous close (null: none)."
    )
    fee_per_t: Price = describe_field(0.0, unit="currency/t", doc="Transaction fee.")
    min_lot: Annotated[Int, Field(ge=1, le=int(MAX_TONNES))] = describe_field(1, unit="t", doc="Minimum lot.")


class Offsets(BaseModel):
    """Offset credits usable for compliance."""

    model_config = MODEL_CONFIG
    limit: Fraction = describe_field(unit="fraction", doc="Most of an obligation met with offsets.")
    price: Price = describe_field(unit="currency/t", doc="Price of an offset credit.")
    supply_t: Tonnes | None = describe_field(
        None, unit="t/yr", doc="Offsets available a year (null: unlimited)."
    )


class Compliance(BaseModel):
    """Surrender, penalties, banking and borrowing."""

    model_config = MODEL_CONFIG
    penalty_per_t: Price = describe_field(unit="currency/t", doc="Penalty per t of shortfall.")
    fixed_fine: NonNegative = describe_field(0.0, unit="currency", doc="Fine per non-compliant emitter.")
    make_good: bool = describe_field(False, doc="Shortfall also deducted from next year's allocation.", strict=True)
    banking: bool = describe_field(True, doc="Allowances may be kept for later years.", strict=True)
    borrowing: Fraction = describe_field(
        0.0, unit="fraction", doc="Share of the obligation borrowable from next year's allocation."
    )
    offsets: Offsets | None = describe_field(None, doc="Offset credits (null: none).")
    shortfall_cap: Fraction | None = describe_field(
        None, unit="fraction", doc="Obligation capped at free allocation * (1 + shortfall_cap)."
    )
    period_years: Annotated[Int, Field(ge=1, le=MAX_YEARS)] = describe_field(
        1, unit="years", doc="Years of a control period, from start_year (RGGI, WCI: 3)."
    )
    interim_share: Fraction = describe_field(
        0.0, unit="fraction", doc="Share of a year's emissions due at its own deadline (a period's last year owes the rest)."
    )

    @field_validator("interim_share")
    @classmethod
    def _interim_needs_period(cls, value: float, info: ValidationInfo) -> float:
        period = info.data.get("period_years")
        if value > 0 and period == 1:
            raise ValueError(
                "expected 0 when compliance.period_years is 1 (the interim share is what the years "
                "before a control period's last owe at their own deadlines: set period_years above "
                "1, e.g. 3, or remove interim_share)"
            )
        return value


class Scenario(BaseModel):
    """A whole policy experiment (see docs/scenario-format.md for every key)."""

    model_config = MODEL_CONFIG

    name: Slug = describe_field(doc="Scenario name (letters, digits, . _ -; a folder name).")
    description: Annotated[str, Field(strict=True, max_length=MAX_TEXT)] = describe_field(
        "", doc="Free text.")
    currency: Annotated[NonEmptyStr, Field(max_length=MAX_CURRENCY)] = describe_field(
        "EUR", doc="Currency of all prices.")
    start_year: Annotated[Int, Field(ge=1900, le=2200)] = describe_field(doc="First compliance year.")
    years: Annotated[Int, Field(ge=1, le=MAX_YEARS)] = describe_field(doc="Compliance years simulated.")
    seed: Annotated[Int, Field(ge=0, le=2**63 - 1)] = describe_field(
        0, doc="Seed of the run's random generator.")
    calendar: Calendar = describe_field(Calendar(), doc="Event dates and trading sessions.")
    cap: Cap | None = describe_field(None, unit="t/yr", doc="Cap (null: no absolute cap).")
    opening_bank_t: NonNegative = describe_field(
        0.0, unit="t", doc="Allowances in circulation before start_year (bankable), held pro rata "
                           "to historical emissions unless emitters give their own."
    )
    emitters: Emitters = describe_field(doc="Inline list, {file: path.csv} or {generate: ...}.")
    allocation: AllocationConfig = describe_field(doc="Allocation rule per sector.")
    auctions: Auctions | None = describe_field(None, doc="Primary auctions.")
    market: Market = describe_field(doc="Secondary market.")
    compliance: Compliance = describe_field(doc="Compliance rules.")
    behaviour: Behaviour = describe_field(Behaviour(), doc="Emitter behaviour.")
    reserves: Reserves | None = describe_field(None, doc="Price controls and reserves.")
    offsets: Offsets | None = describe_field(
        None, doc="Offset credits; the same as compliance.offsets (give one of the two)."
    )
    sweep: dict[NonEmptyStr, Annotated[tuple[Any, ...], Field(min_length=1)]] | None = describe_field(
        None, doc="Dotted key -> list of values; expanded into a grid of runs."
    )

    @model_validator(mode="after")
    def _auctions_when_sold(self) -> "Scenario":
        # Volume to auction (an auctioned share, or what an MSR releases) with no auctions
        # section: the auctions' defaults, written out in the resolved scenario.
        msr = self.reserves.msr if self.reserves is not None else None
        if self.auctions is None and (self.allocation.auction_share > 0 or msr is not None):
            object.__setattr__(self, "auctions", Auctions())
        return self

    @model_validator(mode="after")
    def _offsets_in_compliance(self) -> "Scenario":
        # SCENARIO.md lists offsets at the top level and the examples under compliance: one
        # place for the engine, compliance.offsets, whichever the file used.
        if self.offsets is not None and self.compliance.offsets is None:
            compliance = self.compliance.model_copy(update={"offsets": self.offsets})
            object.__setattr__(self, "compliance", compliance)
            object.__setattr__(self, "offsets", None)
        return self

    _source_path: str | None = PrivateAttr(default=None)
    _marks: dict = PrivateAttr(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        # the same scenario, wherever it was read from (private attributes are left out)
        if not isinstance(other, Scenario):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # holds dicts

    @property
    def source_path(self) -> str | None:
        """The file the scenario was loaded from (None for text or dict input)."""
        return self._source_path

    @property
    def sectors(self) -> tuple[str, ...]:
        """Sector names in order of first appearance (generate: in the order written)."""
        if isinstance(self.emitters, EmittersGenerate):
            return tuple(self.emitters.generate)
        return tuple(dict.fromkeys(e.sector for e in self.emitters))

    def event_days(self, y: int) -> YearEvents:
        """Day numbers (since start_year-01-01) of compliance year index ``y``'s events."""
        return self.calendar.events(self.start_year, y)

    def session_days(self, y: int) -> np.ndarray:
        """Day numbers (int64) of the trading sessions of compliance year index ``y``."""
        return self.calendar.session_days(self.start_year, y)

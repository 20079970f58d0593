"""Value types shared by the scenario models: strict numbers, fractions, per-year values, dates.

Numbers are strict: ``true`` is not a number and ``"5"`` is not a number (exponent forms such as
``3e6`` are read as numbers by the YAML loader, not here); integers are accepted for floats;
infinities and NaN are rejected, and so are numbers beyond the bounds of limits.py.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AllowInfNan,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
)

from carbonsim.scenario.limits import MAX_LABEL, MAX_NAME, MAX_NUMBER, MAX_PRICE, MAX_TONNES

__all__ = [
    "MODEL_CONFIG",
    "Fraction",
    "Growth",
    "Int",
    "Label",
    "MonthDay",
    "NonEmptyStr",
    "NonNegative",
    "Number",
    "OpenFraction",
    "Positive",
    "PositivePrice",
    "Price",
    "RateBelowOne",
    "Slug",
    "Tonnes",
    "describe_field",
    "month_day",
    "per_year",
]

MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True, validate_default=False)


def _num(**constraints: Any) -> Any:
    # Every number is bounded (limits.py): no finite value overflows the engine's counts.
    if "le" not in constraints and "lt" not in constraints:
        constraints["le"] = MAX_NUMBER
    if "ge" not in constraints and "gt" not in constraints:
        constraints["ge"] = -MAX_NUMBER
    return Annotated[float, Strict(), AllowInfNan(False), Field(**constraints)]


Number = _num()
NonNegative = _num(ge=0)
Positive = _num(gt=0)
Fraction = _num(ge=0, le=1)
OpenFraction = _num(gt=0, le=1)
RateBelowOne = _num(ge=0, lt=1)
Growth = _num(gt=-1, le=10)
Price = _num(ge=0, le=MAX_PRICE)
PositivePrice = _num(gt=0, le=MAX_PRICE)
Tonnes = _num(ge=0, le=MAX_TONNES)
Int = Annotated[int, Strict()]
NonEmptyStr = Annotated[str, Strict(), Field(min_length=1)]
Label = Annotated[str, Strict(), Field(min_length=1, max_length=MAX_LABEL)]

_SLUG = re.compile(r"^[A-Za-z0-9._-]+$")


def _check_slug(value: str) -> str:
    if not _SLUG.match(value) or value in (".", ".."):
        raise ValueError(
            "expected a name of letters, digits, '.', '_' or '-' (it becomes a folder name)"
        )
    return value


Slug = Annotated[str, Strict(), Field(max_length=MAX_NAME), AfterValidator(_check_slug)]

_MD = re.compile(r"^(\d{2})-(\d{2})$")


def month_day(value: str) -> tuple[int, int]:
    """``"MM-DD"`` -> (month, day). Raises ValueError unless the date exists in every year."""
    m = _MD.match(value)
    if not m:
        raise ValueError('expected a date "MM-DD" such as "06-30"')
    month, day = int(m.group(1)), int(m.group(2))
    if (month, day) == (2, 29):
        raise ValueError('expected a date that exists in every year ("02-29" does not)')
    try:
        dt.date(2021, month, day)
    except ValueError:
        raise ValueError('expected a date "MM-DD" that exists') from None
    return month, day


def _check_month_day(value: str) -> str:
    month_day(value)
    return value


MonthDay = Annotated[str, Strict(), AfterValidator(_check_month_day)]


def number_or_list(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (list, tuple)):
        return "list"
    return None


def per_year(item: Any) -> Any:
    """A value that is one number for every year or a list with one number per year."""
    return Annotated[
        Annotated[item, Tag("number")] | Annotated[tuple[item, ...], Tag("list")],
        Discriminator(
            number_or_list,
            custom_error_type="number_or_list",
            custom_error_message="expected a number or a list of numbers (one per year)",
        ),
    ]


def describe_field(default: Any = ..., *, unit: str = "", doc: str, **kw: Any) -> Any:
    """A pydantic Field carrying a description and a unit (used by the docs and the schema)."""
    extra = {"unit": unit} if unit else None
    return Field(default, description=doc, json_schema_extra=extra, **kw)

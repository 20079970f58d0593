"""The yearly calendar of a scenario: trading sessions and the dates of allocation, auctions,
verification, the compliance deadline and reserve operations.

Days are integers counted from 1 January of the scenario's ``start_year`` (day 0). Compliance
year index y is calendar year ``start_year + y``; verification and the deadline of year y fall in
the following calendar year. Business days are Monday to Friday except 1 January and 25 December
(no other holidays, on purpose: the calendar is the same in every country).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
)

from carbonsim.scenario.types import (
    MODEL_CONFIG,
    Int,
    MonthDay,
    describe_field,
    month_day,
)

__all__ = ["Calendar", "YearEvents", "day_number"]

MAX_SESSIONS = 365


def day_number(mm_dd: str, start_year: int, year: int) -> int:
    """Days from ``start_year``-01-01 to ``mm_dd`` of calendar ``year`` (int)."""
    month, day = month_day(mm_dd)
    return (dt.date(year, month, day) - dt.date(start_year, 1, 1)).days


@dataclass(frozen=True)
class YearEvents:
    """Day numbers of the events of one compliance year (days since start_year-01-01)."""

    allocation: int
    auctions: tuple[int, ...]
    reserve_operations: int
    verification: int
    compliance_deadline: int


def _sessions_kind(value: object) -> str | None:
    if value == "business_days":
        return "business_days"
    if isinstance(value, int) and not isinstance(value, bool):
        return "count"
    return None


Sessions = Annotated[
    Annotated[Annotated[Int, Field(ge=1, le=MAX_SESSIONS)], Tag("count")] | Annotated[Literal["business_days"], Tag("business_days")],
    Discriminator(
        _sessions_kind,
        custom_error_type="sessions",
        custom_error_message=f'expected a number of sessions a year (1..{MAX_SESSIONS}) or "business_days"',
    ),
]


class Calendar(BaseModel):
    """When things happen within each compliance year (dates are "MM-DD")."""

    model_config = MODEL_CONFIG

    sessions: Sessions = describe_field(
        "business_days",
        doc='Trading sessions a year: N evenly spaced sessions, or "business_days" '
        "(Mon-Fri except 1 Jan and 25 Dec).",
    )
    allocation: MonthDay = describe_field(
        "01-01", unit="MM-DD", doc="Free allocation of the year is issued (in the compliance year)."
    )
    auctions: tuple[MonthDay, ...] = describe_field(
        (), unit="MM-DD", doc="Primary auction dates (in the compliance year)."
    )
    verification: MonthDay = describe_field(
        "03-31", unit="MM-DD", doc="Emissions verified and output-based allocation trued up "
        "(in the following year)."
    )
    compliance_deadline: MonthDay = describe_field(
        "06-30", unit="MM-DD", doc="Allowances surrendered (in the following year; after verification)."
    )
    reserve_operations: MonthDay = describe_field(
        "12-31", unit="MM-DD", doc="Annual reserve / MSR operations (in the compliance year)."
    )

    @field_validator("auctions")
    @classmethod
    def _distinct_auctions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        twice = sorted({d for d in value if value.count(d) > 1})
        if twice:
            raise ValueError(f"expected distinct auction dates; got {', '.join(twice)} twice")
        return tuple(sorted(value, key=month_day))

    @field_validator("compliance_deadline")
    @classmethod
    def _deadline_after_verification(cls, value: str, info: ValidationInfo) -> str:
        verification = info.data.get("verification")
        if verification is not None and month_day(value) <= month_day(verification):
            raise ValueError(f"expected a date after verification ({verification})")
        return value

    def events(self, start_year: int, y: int) -> YearEvents:
        """Day numbers of compliance year index ``y``'s events (days since start_year-01-01)."""
        year = start_year + y
        return YearEvents(
            allocation=day_number(self.allocation, start_year, year),
            auctions=tuple(day_number(d, start_year, year) for d in self.auctions),
            reserve_operations=day_number(self.reserve_operations, start_year, year),
            verification=day_number(self.verification, start_year, year + 1),
            compliance_deadline=day_number(self.compliance_deadline, start_year, year + 1),
        )

    def session_days(self, start_year: int, y: int) -> np.ndarray:
        """Day numbers (int64, increasing) of the trading sessions of calendar year start_year+y.

        N sessions: day_of_year = floor(i * days_in_year / N), i = 0..N-1. Business days:
        Monday to Friday except 1 January and 25 December.
        """
        year = start_year + y
        first = np.datetime64(f"{year:04d}-01-01", "D")
        length = int((np.datetime64(f"{year + 1:04d}-01-01", "D") - first).astype(np.int64))
        offset = int((first - np.datetime64(f"{start_year:04d}-01-01", "D")).astype(np.int64))
        if self.sessions == "business_days":
            days = first + np.arange(length)
            holidays = [first, np.datetime64(f"{year:04d}-12-25", "D")]
            doy = np.flatnonzero(np.is_busday(days, holidays=holidays))
        else:
            n = int(self.sessions)
            doy = (np.arange(n, dtype=np.int64) * length) // n
        return doy.astype(np.int64) + offset

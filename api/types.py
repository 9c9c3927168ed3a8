"""Field and parameter types shared by every domain's schemas and routes."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, get_args

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, WithJsonSchema

MAX_ID = 2**63 - 1  # BIGINT: a larger id could never exist, and must be a 422, not a 500

DbId = Annotated[int, Field(ge=1, le=MAX_ID, examples=[1])]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Search = Annotated[str | None, Query(max_length=100, description="Text to search for")]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]

# Every date a request may carry lies in these years: outside them it means nothing to a
# dealer, and near year 1 or 9999 time-zone arithmetic would overflow.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
DATE_RANGE = f"{FIRST_DAY.isoformat()} .. {LAST_DAY.isoformat()}"


def _day_in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"{value.isoformat()} is out of range; give a date in {DATE_RANGE}")
    return value


def _moment_in_range(value: datetime) -> datetime:
    _day_in_range(value.date())  # the wall-clock date: no offset arithmetic near the limits
    return value


Day = Annotated[date, AfterValidator(_day_in_range)]
"""A calendar date from a request, within FIRST_DAY .. LAST_DAY (else 422)."""
Moment = Annotated[AwareDatetime, AfterValidator(_moment_in_range)]
"""A time with its zone offset from a request, within FIRST_DAY .. LAST_DAY (else 422)."""
LocalMoment = Annotated[datetime, AfterValidator(_moment_in_range)]
"""A time from a request that may lack an offset, within FIRST_DAY .. LAST_DAY (else 422)."""


def _plain_wall_clock(value: time) -> time:
    if value.tzinfo is not None or value.microsecond:
        raise ValueError(f"{value.isoformat()}: give hours and minutes, e.g. 08:30")
    return value


WallClock = Annotated[
    time,
    AfterValidator(_plain_wall_clock),
    WithJsonSchema({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"}),
]
"""A time of day on a store's clock, "08:30" or "08:30:00": no zone offset, so not the
RFC 3339 "time" format that pydantic would document."""


def values_of(literal: Any) -> tuple[str, ...]:
    """The values of a Literal type: checks, patterns and state tables derive from it."""
    return get_args(literal)


def one_of(values: tuple[str, ...]) -> str:
    """A query parameter's pattern that accepts exactly these values."""
    return "^(" + "|".join(values) + ")$"

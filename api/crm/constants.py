"""CRM vocabularies: each is a table that schemas, models and the seed read."""

from __future__ import annotations

from typing import Literal

Source = Literal["walk_in", "web", "referral", "phone", "event"]
SOURCES: tuple[str, ...] = ("walk_in", "web", "referral", "phone", "event")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TimeOfDay = Literal["morning", "afternoon", "evening"]
TIMES_OF_DAY: tuple[str, ...] = ("morning", "afternoon", "evening")
Channel = Literal["email", "web_push", "sms", "in_app"]
CHANNELS: tuple[str, ...] = ("email", "web_push", "sms", "in_app")
InteractionKind = Literal["call", "visit", "message"]
INTERACTION_KINDS: tuple[str, ...] = ("call", "visit", "message")
Direction = Literal["inbound", "outbound"]
DIRECTIONS: tuple[str, ...] = ("inbound", "outbound")
CustomerStatus = Literal["prospect", "active", "dormant", "lost"]

MAX_TAGS = 20
MAX_TAG_LENGTH = 32
EARLIEST_MODEL_YEAR = 1980
LATEST_MODEL_YEAR = 2100


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint body: column IN (values)."""
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"

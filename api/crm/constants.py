"""CRM vocabularies: each is a table that schemas, models and the seed read."""

from __future__ import annotations

from typing import Literal

from api.types import values_of

Source = Literal["walk_in", "web", "referral", "phone", "event"]
SOURCES = values_of(Source)
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS = values_of(Weekday)
TimeOfDay = Literal["morning", "afternoon", "evening"]
TIMES_OF_DAY = values_of(TimeOfDay)
Channel = Literal["email", "web_push", "sms", "in_app"]
CHANNELS = values_of(Channel)
InteractionKind = Literal["call", "visit", "message"]
INTERACTION_KINDS = values_of(InteractionKind)
Direction = Literal["inbound", "outbound"]
DIRECTIONS = values_of(Direction)
CustomerStatus = Literal["prospect", "active", "dormant", "lost"]
CUSTOMER_STATES = values_of(CustomerStatus)

MAX_TAGS = 20
MAX_TAG_LENGTH = 32
EARLIEST_MODEL_YEAR = 1980
LATEST_MODEL_YEAR = 2100

"""Workshop vocabularies and limits: tables that models, schemas, services and the seed read."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from api.types import values_of

Skill = Literal[
    "maintenance", "electrical", "engine", "brakes", "tyres", "cooling", "diagnostics", "ac"
]
SKILLS = values_of(Skill)

# A technician's level (初级 / 中级 / 高级 / 技术专家); an operation may need a minimum level.
TECH_LEVELS: dict[int, tuple[str, str]] = {
    1: ("Junior", "初级技师"),
    2: ("Intermediate", "中级技师"),
    3: ("Senior", "高级技师"),
    4: ("Master", "技术专家"),
}
MAX_TECH_LEVEL = max(TECH_LEVELS)

BayKind = Literal["lift", "alignment", "quick", "diagnosis"]
BAY_KINDS = values_of(BayKind)
# Which jobs a bay can take: an alignment bay has a lift too; a quick bay only quick jobs.
BAY_SERVES: dict[str, frozenset[str]] = {
    "lift": frozenset({"lift", "quick"}),
    "alignment": frozenset({"alignment", "lift", "quick"}),
    "quick": frozenset({"quick"}),
    "diagnosis": frozenset({"diagnosis", "quick"}),
}

AppointmentStatus = Literal["booked", "confirmed", "arrived", "cancelled", "no_show"]
APPOINTMENT_STATES = values_of(AppointmentStatus)
# Appointments in these states hold their technician and bay (the exclusion constraints).
HOLDING_STATES: tuple[str, ...] = ("booked", "confirmed", "arrived")
AppointmentSource = Literal["advisor", "customer", "alert", "reminder"]
APPOINTMENT_SOURCES = values_of(AppointmentSource)

TimeOfDay = Literal["morning", "afternoon", "evening"]
# Local hours [start, end) of each time of day, for slot preferences.
TIME_OF_DAY_HOURS: dict[str, tuple[int, int]] = {
    "morning": (0, 12),
    "afternoon": (12, 17),
    "evening": (17, 24),
}

SLOT_STEP = timedelta(minutes=30)  # appointments start on the half hour
MIN_APPOINTMENT = timedelta(minutes=30)
MAX_SEARCH_DAYS = 60  # a slot search looks at most this far; bounds its cost
DEFAULT_SLOTS = 10  # ranked slots a search returns unless asked for more
MAX_SLOTS = 50
DEFAULT_PARTS_LEAD_DAYS = 3  # when a short part has no open order and no supplier lead time
OPEN_ORDER_STATES: tuple[str, ...] = ("sent", "confirmed", "partly_received")  # parts coming

# Booking windows (issue 10): how far ahead, and how far back, each kind of booker may book.
CUSTOMER_BOOK_AHEAD = timedelta(days=90)
STAFF_BOOK_AHEAD = timedelta(days=365)
STAFF_BOOK_BEHIND = timedelta(days=1)  # a walk-in already in the workshop may be booked late
MAX_OPEN_VISITS_PER_CAR = 2  # booked or confirmed appointments of one car at any time

"""Service vocabularies and limits: tables that models, schemas, services and the seed read."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Literal

Skill = Literal[
    "maintenance", "electrical", "engine", "brakes", "tyres", "cooling", "diagnostics", "ac"
]
SKILLS: tuple[str, ...] = Skill.__args__  # type: ignore[attr-defined]

# A technician's level (初级 / 中级 / 高级 / 技术专家); an operation may need a minimum level.
TECH_LEVELS: dict[int, tuple[str, str]] = {
    1: ("Junior", "初级技师"),
    2: ("Intermediate", "中级技师"),
    3: ("Senior", "高级技师"),
    4: ("Master", "技术专家"),
}
MAX_TECH_LEVEL = max(TECH_LEVELS)

BayKind = Literal["lift", "alignment", "quick", "diagnosis"]
BAY_KINDS: tuple[str, ...] = BayKind.__args__  # type: ignore[attr-defined]

AppointmentStatus = Literal["booked", "confirmed", "arrived", "cancelled", "no_show"]
APPOINTMENT_STATES: tuple[str, ...] = AppointmentStatus.__args__  # type: ignore[attr-defined]
# Appointments in these states hold their technician and bay (the exclusion constraints).
HOLDING_STATES: tuple[str, ...] = ("booked", "confirmed", "arrived")

WORK_ORDER_STATES: tuple[str, ...] = (
    "booked",
    "checked_in",
    "diagnosis",
    "estimate_sent",
    "customer_approved",
    "in_repair",
    "quality_check",
    "settled",
    "delivered",
    "follow_up",
    "waiting_parts",
    "waiting_approval",
    "waiting_sublet",
    "cancelled",
)
# Each wait, its reason codes, and the states a job may leave for it (and return to).
WAITS: dict[str, dict[str, tuple[str, ...]]] = {
    "waiting_parts": {
        "reasons": ("part_backordered", "part_in_transfer", "wrong_part_delivered"),
        "from": ("diagnosis", "customer_approved", "in_repair"),
    },
    "waiting_approval": {
        "reasons": ("customer_unreachable", "extra_work_found", "warranty_claim", "insurance"),
        "from": ("diagnosis", "estimate_sent", "in_repair"),
    },
    "waiting_sublet": {
        "reasons": ("paint_shop", "glass_specialist", "ecu_programming", "machining"),
        "from": ("diagnosis", "in_repair"),
    },
}
WaitState = Literal["waiting_parts", "waiting_approval", "waiting_sublet"]
WAIT_REASONS: tuple[str, ...] = tuple(r for w in WAITS.values() for r in w["reasons"])

Outcome = Literal["confirmed_cause", "no_fault_found", "maintenance"]
OUTCOMES: tuple[str, ...] = Outcome.__args__  # type: ignore[attr-defined]

WorkOrderSource = Literal["walk_in", "appointment", "alert", "reminder"]
WORK_ORDER_SOURCES: tuple[str, ...] = WorkOrderSource.__args__  # type: ignore[attr-defined]
AppointmentSource = Literal["advisor", "customer", "alert", "reminder"]
APPOINTMENT_SOURCES: tuple[str, ...] = AppointmentSource.__args__  # type: ignore[attr-defined]

PartLineStatus = Literal["short", "reserved", "issued", "released"]
PART_LINE_STATES: tuple[str, ...] = PartLineStatus.__args__  # type: ignore[attr-defined]
PART_LINE_REFERENCE = "work_order_part"  # the parts ledger's reference_type for our lines

ComplaintStatus = Literal["open", "in_progress", "resolved", "closed"]
COMPLAINT_STATES: tuple[str, ...] = ComplaintStatus.__args__  # type: ignore[attr-defined]
SurveyStatus = Literal["pending", "answered", "expired"]
SURVEY_STATES: tuple[str, ...] = SurveyStatus.__args__  # type: ignore[attr-defined]

# The inspection checklist of check-in (接车多项检查); each item is ok, attention or urgent.
INSPECTION_ITEMS: tuple[str, ...] = (
    "tyres",
    "brakes",
    "lights",
    "wipers",
    "battery",
    "fluids",
    "belts_hoses",
    "suspension",
    "exhaust",
    "body_damage",
)
InspectionResult = Literal["ok", "attention", "urgent"]

TimeOfDay = Literal["morning", "afternoon", "evening"]
# Local hours [start, end) of each time of day, for slot preferences.
TIME_OF_DAY_HOURS: dict[str, tuple[int, int]] = {
    "morning": (0, 12),
    "afternoon": (12, 17),
    "evening": (17, 24),
}

VAT_RATE = Decimal("0.13")  # China's VAT on repair services and parts
DEFAULT_LABOUR_RATE = Decimal("320.00")  # CNY per flat-rate hour when a store sets none
MONEY = Decimal("0.01")

SLOT_STEP = timedelta(minutes=30)  # appointments start on the half hour
MIN_APPOINTMENT = timedelta(minutes=30)
MAX_SEARCH_DAYS = 60  # a slot search looks at most this far; bounds its cost
DEFAULT_SLOTS = 10  # ranked slots a search returns unless asked for more
MAX_SLOTS = 50
DEFAULT_PARTS_LEAD_DAYS = 3  # when a short part has no open order and no supplier lead time

SURVEY_VALID_DAYS = 14
LOW_SCORE = 6  # a CSI or NPS answer at or below this opens a complaint
SURVEY_TOKEN_BYTES = 24


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint body: column IN (values)."""
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


# Which jobs a bay can take: an alignment bay has a lift too; a quick bay only quick jobs.
BAY_SERVES: dict[str, frozenset[str]] = {
    "lift": frozenset({"lift", "quick"}),
    "alignment": frozenset({"alignment", "lift", "quick"}),
    "quick": frozenset({"quick"}),
    "diagnosis": frozenset({"diagnosis", "quick"}),
}
OPEN_ORDER_STATES: tuple[str, ...] = ("sent", "confirmed", "partly_received")  # parts coming

"""Work-order vocabularies and limits: tables that models, schemas, services and the seed read."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from api.types import values_of

WorkOrderStatus = Literal[
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
]
WORK_ORDER_STATES = values_of(WorkOrderStatus)
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
OUTCOMES = values_of(Outcome)

WorkOrderSource = Literal["walk_in", "appointment", "alert", "reminder"]
WORK_ORDER_SOURCES = values_of(WorkOrderSource)

PartLineStatus = Literal["short", "reserved", "issued", "released"]
PART_LINE_STATES = values_of(PartLineStatus)
PART_LINE_REFERENCE = "work_order_part"  # the parts ledger's reference_type for our lines

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

VAT_RATE = Decimal("0.13")  # China's VAT on repair services and parts
DEFAULT_LABOUR_RATE = Decimal("320.00")  # CNY per flat-rate hour when a store sets none
LABOUR_COST_RATE = Decimal("90.00")  # CNY a clocked hour costs (wage and overhead), by default

# Money rules (a store's own row in store_pricing overrides the discount limits and the rate).
# Who may grant a discount, up to which percent; above a role's limit only a manager may.
DEFAULT_DISCOUNT_LIMITS: dict[str, Decimal] = {
    "service_advisor": Decimal("10"),
    "manager": Decimal("30"),
    "admin": Decimal("30"),
}
# Hours above an operation's standard need a reason, and stay within this many times it.
MAX_HOURS_FACTOR = Decimal("3")
EstimateStatus = Literal["pending", "approved", "superseded"]
ESTIMATE_STATES = values_of(EstimateStatus)
MONEY = Decimal("0.01")

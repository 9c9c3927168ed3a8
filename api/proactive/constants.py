"""Proactive-maintenance tables as data: actions, default triage, repair kits, service plans.

Code reads these tables; a store's manager edits its own triage policy through the API, the
rest changes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from api.types import values_of

Action = Literal["ignore", "monitor", "schedule", "immediate"]
ACTIONS = values_of(Action)
Mode = Literal["auto", "approval"]
MODES = values_of(Mode)
ProposalStatus = Literal["proposed", "booked", "withdrawn", "completed"]
PROPOSAL_STATES = values_of(ProposalStatus)
LIVE_PROPOSAL_STATES: tuple[str, ...] = ("proposed", "booked")
ProposalKind = Literal["alert", "reminder"]
PROPOSAL_KINDS = values_of(ProposalKind)

FeedKind = Literal[
    "alert_opened",
    "alert_updated",
    "alert_cleared",
    "appointment_booked",
    "proposal_created",
    "proposal_accepted",
    "proposal_withdrawn",
    "notification_failed",
    "business_alarm",
]
FEED_KINDS = values_of(FeedKind)
FEED_CHANNEL = "pitstop_feed"

REMINDER_MODE = "service_due"  # the failure_mode of a reminder proposal
IMMEDIATE_WITHIN_DAYS = 2  # "immediate" books the earliest slot inside this window
DEFAULT_WITHIN_DAYS = 14  # a "schedule" rule without its own deadline
MAX_WITHIN_DAYS = 60  # the service's slot search looks no further
COMEBACK_DAYS = 30  # the same fault returning within this long after delivery is a comeback
COMEBACK_KM = 3000.0  # ... or within this distance
TOW_PHONE = "400-820-1234"  # the group's roadside assistance line, offered with "stop driving"

# Default triage for a new store, first match wins. A rule matches on any of failure_mode,
# dtc (a code or its prefix, e.g. "P02") and severity; absent keys match anything.
DEFAULT_RULES: tuple[dict, ...] = (
    {"failure_mode": "stale", "action": "ignore"},
    {"failure_mode": "anomaly", "action": "schedule", "within_days": 14},
    {"dtc": "P0217", "action": "immediate"},
    {"dtc": "P0524", "action": "immediate"},
    {"failure_mode": "cooling", "severity": "critical", "action": "immediate"},
    {"failure_mode": "battery", "severity": "major", "action": "schedule", "within_days": 3},
    {"failure_mode": "battery", "action": "schedule", "within_days": 7},
    {"severity": "warning", "action": "monitor"},
    {"severity": "minor", "action": "schedule", "within_days": 14},
    {"severity": "major", "action": "schedule", "within_days": 5},
    {"severity": "critical", "action": "immediate"},
)


@dataclass(frozen=True)
class Kit:
    """What a failure mode's visit needs: labour operation codes and (part number, quantity).

    A part number with '*' is a pattern over the catalogue (per-model parts, e.g. '*-121T-*'):
    the part that fits the car's make and model is taken, else any match.
    """

    operations: tuple[str, ...]
    parts: tuple[tuple[str, int], ...] = ()


# failure mode -> repair kit (labour codes from the service catalogue, parts from the parts one)
REPAIR_KITS: dict[str, Kit] = {
    "battery": Kit(("BAT-TEST", "BAT-REPL"), (("VARTA-C22-60AH", 1),)),
    "charging": Kit(("BAT-TEST", "DTC-SCAN")),
    "cooling": Kit(("COOL-PT", "THERMO-R"), (("*-121T-*", 1), ("COOL-35-4L", 1))),
    "misfire": Kit(("DTC-SCAN", "PLUG-R", "COIL-R"), (("*-905-*", 4), ("*-906-*", 1))),
    "fuel_air": Kit(("DTC-SCAN", "SMOKE-T")),
    "catalyst": Kit(("O2-DIAG", "O2-REPL"), (("*-906D-*", 1),)),
    "anomaly": Kit(("DTC-SCAN",)),  # abnormal, cause unknown: a diagnosis, no guessed parts
    REMINDER_MODE: Kit(("OIL-SVC",), (("*-115-*", 1),)),
}
FALLBACK_KIT = Kit(("DTC-SCAN",))  # any other failure mode: a scan and diagnosis


@dataclass(frozen=True)
class ServicePlan:
    """A maintenance interval: whichever of distance or time comes first."""

    every_km: float
    every_months: int


# make (or "make model") -> plan; the most specific entry wins, then "*".
SERVICE_PLANS: dict[str, ServicePlan] = {
    "*": ServicePlan(every_km=7500, every_months=6),
    "Volkswagen": ServicePlan(every_km=7500, every_months=6),
    "Toyota": ServicePlan(every_km=10000, every_months=6),
    "Honda": ServicePlan(every_km=5000, every_months=6),
    "BYD": ServicePlan(every_km=10000, every_months=12),
    "Mercedes-Benz": ServicePlan(every_km=10000, every_months=12),
    "Audi": ServicePlan(every_km=10000, every_months=12),
}
REMIND_AHEAD_KM = 500.0  # remind this far before the distance is due
REMIND_AHEAD_DAYS = 14  # ... or this long before the date is due
REMINDER_BOOK_WITHIN_DAYS = 21  # a reminder's optional proposal looks this far ahead


def plan_for(make: str, model: str) -> ServicePlan:
    """The service plan of a make and model."""
    return SERVICE_PLANS.get(f"{make} {model}") or SERVICE_PLANS.get(make) or SERVICE_PLANS["*"]

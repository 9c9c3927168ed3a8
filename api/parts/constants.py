"""Parts vocabularies and limits: tables that models, schemas, services and the seed read."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from api.types import values_of
from core.clock import zone

PartKind = Literal["standard", "fluid", "battery", "tyre"]
PART_KINDS = values_of(PartKind)
# Kinds that age on the shelf: tracked by lot with an expiry date and picked FEFO.
EXPIRING_KINDS: frozenset[str] = frozenset({"fluid", "battery", "tyre"})

Unit = Literal["piece", "set", "bottle", "litre", "kit", "pair"]
UNITS = values_of(Unit)

Category = Literal[
    "filter",
    "fluid",
    "ignition",
    "electrical",
    "battery",
    "brake",
    "tyre",
    "cooling",
    "exhaust",
    "engine",
    "suspension",
    "body",
    "wiper",
    "lighting",
]
CATEGORIES = values_of(Category)

WarehouseLevel = Literal["hq", "regional", "store"]
WAREHOUSE_LEVELS = values_of(WarehouseLevel)

MoveKind = Literal[
    "receipt", "issue", "transfer_out", "transfer_in", "adjustment", "return", "scrap"
]
MOVE_KINDS = values_of(MoveKind)
INBOUND_KINDS: tuple[str, ...] = ("receipt", "transfer_in", "return")
OUTBOUND_KINDS: tuple[str, ...] = ("issue", "transfer_out", "scrap")

ReservationStatus = Literal["active", "issued", "released"]
RESERVATION_STATES = values_of(ReservationStatus)

AbcClass = Literal["A", "B", "C"]
ABC_A_SHARE = Decimal("0.80")  # parts making the first 80% of consumption value are A
ABC_B_SHARE = Decimal("0.95")  # the next 15% are B; the rest (and no consumption) are C

STOCK_TIMEZONE = zone()  # lots expire at the end of their day, local time
EXPIRY_WARNING_DAYS = 60  # the default horizon of the expiry warning list (效期预警)
MAX_QUANTITY = Decimal("999999999.999")  # fits NUMERIC(12, 3)
MAX_MONEY = Decimal("9999999999.9999")  # fits NUMERIC(14, 4)

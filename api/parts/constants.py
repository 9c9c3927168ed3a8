"""Parts vocabularies and limits: tables that models, schemas, services and the seed read."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from api.auth.roles import Role
from core.clock import zone

PartKind = Literal["standard", "fluid", "battery", "tyre"]
PART_KINDS: tuple[str, ...] = ("standard", "fluid", "battery", "tyre")
# Kinds that age on the shelf: tracked by lot with an expiry date and picked FEFO.
EXPIRING_KINDS: frozenset[str] = frozenset({"fluid", "battery", "tyre"})

Unit = Literal["piece", "set", "bottle", "litre", "kit", "pair"]
UNITS: tuple[str, ...] = ("piece", "set", "bottle", "litre", "kit", "pair")

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
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]

WarehouseLevel = Literal["hq", "regional", "store"]
WAREHOUSE_LEVELS: tuple[str, ...] = ("hq", "regional", "store")

MoveKind = Literal[
    "receipt", "issue", "transfer_out", "transfer_in", "adjustment", "return", "scrap"
]
MOVE_KINDS: tuple[str, ...] = MoveKind.__args__  # type: ignore[attr-defined]
INBOUND_KINDS: tuple[str, ...] = ("receipt", "transfer_in", "return")
OUTBOUND_KINDS: tuple[str, ...] = ("issue", "transfer_out", "scrap")

SupplierKind = Literal["oem", "third_party"]
SUPPLIER_KINDS: tuple[str, ...] = ("oem", "third_party")

MatchStatus = Literal["matched", "qty_mismatch", "price_mismatch", "qty_and_price_mismatch"]
MATCH_STATUSES: tuple[str, ...] = MatchStatus.__args__  # type: ignore[attr-defined]

AbcClass = Literal["A", "B", "C"]
ABC_A_SHARE = Decimal("0.80")  # parts making the first 80% of consumption value are A
ABC_B_SHARE = Decimal("0.95")  # the next 15% are B; the rest (and no consumption) are C

# Three-way match tolerances: an invoice price may differ from the PO price by 2%, and the
# invoiced quantity may not exceed what was received.
PRICE_TOLERANCE = Decimal("0.02")
QUANTITY_TOLERANCE = Decimal("0")

STOCK_TIMEZONE = zone()  # lots expire at the end of their day, local time
EXPIRY_WARNING_DAYS = 60  # the default horizon of the expiry warning list (效期预警)
MAX_LINES = 200  # lines on one purchase order, receipt or invoice
MAX_QUANTITY = Decimal("999999999.999")  # fits NUMERIC(12, 3)
MAX_MONEY = Decimal("9999999999.9999")  # fits NUMERIC(14, 4)

PARTS_WRITERS = frozenset({Role.parts_clerk, Role.manager, Role.admin})
# Advisors and technicians look up stock and reserve parts for work orders.
STOCK_READERS = PARTS_WRITERS | {Role.service_advisor, Role.technician}
RESERVERS = PARTS_WRITERS | {Role.service_advisor}


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint body: column IN (values)."""
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"

"""Purchasing vocabularies and limits: tables that models, schemas, services and the seed read."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from api.types import values_of

SupplierKind = Literal["oem", "third_party"]
SUPPLIER_KINDS = values_of(SupplierKind)

PurchaseOrderStatus = Literal[
    "draft", "sent", "confirmed", "partly_received", "received", "closed", "cancelled"
]
PO_STATES = values_of(PurchaseOrderStatus)
# Ordered and not yet (fully) received: counts as on order in the reorder proposal.
OPEN_ORDER_STATES: tuple[str, ...] = ("draft", "sent", "confirmed", "partly_received")
RECEIVABLE_STATES: tuple[str, ...] = ("confirmed", "partly_received")

InvoiceMatch = Literal["matched", "mismatch"]
INVOICE_MATCHES = values_of(InvoiceMatch)
MatchStatus = Literal["matched", "qty_mismatch", "price_mismatch", "qty_and_price_mismatch"]
MATCH_STATUSES = values_of(MatchStatus)

# Three-way match tolerances: an invoice price may differ from the PO price by 2%, and the
# invoiced quantity may not exceed what was received.
PRICE_TOLERANCE = Decimal("0.02")
QUANTITY_TOLERANCE = Decimal("0")

MAX_LINES = 200  # lines on one purchase order, receipt or invoice

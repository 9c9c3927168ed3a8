"""Purchasing state machine as data: the purchase order."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.purchasing import messages as _messages  # noqa: F401  (registers the guards' text)
from api.purchasing.constants import PO_STATES
from api.purchasing.models import GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine
from api.state_machine import StateMachine, Transition


def outstanding(session: Session, order_id: int) -> tuple[Decimal, Decimal]:
    """(ordered, received) quantities over all lines of the order, summed in SQL."""
    received = (
        select(func.coalesce(func.sum(GoodsReceiptLine.quantity), 0))
        .where(GoodsReceiptLine.purchase_order_line_id == PurchaseOrderLine.id)
        .scalar_subquery()
    )
    row = session.execute(
        select(
            func.coalesce(func.sum(PurchaseOrderLine.quantity), 0),
            func.coalesce(func.sum(func.least(received, PurchaseOrderLine.quantity)), 0),
        ).where(PurchaseOrderLine.purchase_order_id == order_id)
    ).one()
    return Decimal(row[0]), Decimal(row[1])


def _has_lines(session: Session, order: PurchaseOrder) -> str | None:
    ordered, _ = outstanding(session, order.id)
    return None if ordered > 0 else "purchasing.po_empty"


def _partly_received(session: Session, order: PurchaseOrder) -> str | None:
    ordered, received = outstanding(session, order.id)
    return None if 0 < received < ordered else "purchasing.po_not_partly_received"


def _fully_received(session: Session, order: PurchaseOrder) -> str | None:
    ordered, received = outstanding(session, order.id)
    return None if ordered > 0 and received >= ordered else "purchasing.po_not_fully_received"


# Receipts move an order to partly_received / received through the guards; closing a partly
# received order short (the supplier cannot deliver the rest) needs a reason.
PURCHASE_ORDER = StateMachine(
    entity_type="purchase_order",
    states=PO_STATES,
    initial="draft",
    transitions=(
        Transition("draft", "sent", guard=_has_lines),
        Transition("sent", "confirmed"),
        Transition("confirmed", "partly_received", guard=_partly_received),
        Transition("confirmed", "received", guard=_fully_received),
        Transition("partly_received", "received", guard=_fully_received),
        Transition("received", "closed"),
        Transition("partly_received", "closed", requires_reason=True),
        Transition("draft", "cancelled", requires_reason=True),
        Transition("sent", "cancelled", requires_reason=True),
        Transition("confirmed", "cancelled", requires_reason=True),
    ),
)

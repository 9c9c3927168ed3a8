"""Short kit parts become a purchase: one draft order per store warehouse and supplier, which
the parts clerk reviews and sends; later shortages are added to it while it is a draft."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.auth.actor import SystemActor
from api.auth.models import Store
from api.parts.models import Part, Warehouse
from api.purchasing import service as purchasing_service
from api.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from api.purchasing.schemas import OrderLineIn, PurchaseOrderCreate
from api.workshop.constants import DEFAULT_PARTS_LEAD_DAYS
from core.clock import local_today

MARKER = "预测性维护缺件 / proactive maintenance shortage"  # notes of the orders this raises


def raise_purchase(
    session: Session, *, store_id: int, shorts: Sequence[tuple[int, Decimal]]
) -> PurchaseOrder | None:
    """Order the short parts from their preferred suppliers; the (last) order touched."""
    store = session.get(Store, store_id)
    warehouse = session.scalar(
        select(Warehouse)
        .where(Warehouse.store_id == store_id, Warehouse.level == "store")
        .order_by(Warehouse.id)
        .limit(1)
    )
    if store is None or warehouse is None:
        return None
    # Cars short of parts at once add to one draft per supplier, not one order each.
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('proactive.purchase'), :w)"),
        {"w": warehouse.id},
    )
    order: PurchaseOrder | None = None
    for part_id, quantity in shorts:
        part = session.get(Part, part_id)
        if part is None or part.preferred_supplier_id is None:
            continue
        order = _open_draft(session, warehouse, part)
        if order is None:
            order = _new_order(session, store, warehouse, part, quantity)
            continue
        line = next((ln for ln in order.lines if ln.part_id == part_id), None)
        if line is None:
            order.lines.append(
                PurchaseOrderLine(part_id=part_id, quantity=quantity, unit_price=part.standard_cost)
            )
        else:
            line.quantity += quantity
        session.flush()
    return order


def _open_draft(session: Session, warehouse: Warehouse, part: Part) -> PurchaseOrder | None:
    return session.scalar(
        select(PurchaseOrder)
        .where(
            PurchaseOrder.warehouse_id == warehouse.id,
            PurchaseOrder.supplier_id == part.preferred_supplier_id,
            PurchaseOrder.status == "draft",
            PurchaseOrder.notes == MARKER,
        )
        .order_by(PurchaseOrder.id.desc())
        .limit(1)
    )


def _new_order(
    session: Session, store: Store, warehouse: Warehouse, part: Part, quantity: Decimal
) -> PurchaseOrder:
    lead = session.scalar(
        select(Supplier.lead_time_days).where(Supplier.id == part.preferred_supplier_id)
    )
    data = PurchaseOrderCreate(
        supplier_id=part.preferred_supplier_id,
        warehouse_id=warehouse.id,
        expected_on=local_today(store.timezone)
        + timedelta(days=DEFAULT_PARTS_LEAD_DAYS if lead is None else lead),
        notes=MARKER,
        lines=[OrderLineIn(part_id=part.id, quantity=quantity)],
    )
    return purchasing_service.create_order(
        session, actor=SystemActor(store.id), data=data, actor_id=None
    )

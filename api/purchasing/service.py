"""Purchasing services: suppliers and purchase orders. No HTTP.

Each takes the session (the caller commits) and `actor`, as the parts services do.
Goods receipts are in receipts.py, supplier invoices in invoices.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.audit.service import history
from api.auth.actor import Actor
from api.errors import Conflict, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, search_clause, where_given
from api.parts import messages as _parts_messages  # noqa: F401  (registers parts.code_taken)
from api.parts.access import access_of, get_part, get_warehouse, warehouses_visible
from api.parts.models import Part
from api.purchasing import messages as _messages  # noqa: F401  (registers purchasing text)
from api.purchasing.models import (
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierInvoiceLine,
)
from api.purchasing.schemas import OrderLineIn, PurchaseOrderCreate
from api.purchasing.states import PURCHASE_ORDER

# Suppliers ---------------------------------------------------------------------------------


def list_suppliers(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    q: str | None = None,
    kind: str | None = None,
) -> Paged[Supplier]:
    """The group's suppliers; q searches code and name."""
    access = access_of(session, actor)
    stmt = select(Supplier).where(Supplier.dealer_group_id == access.dealer_group_id)
    if q:
        stmt = stmt.where(search_clause(q, Supplier.code, Supplier.name))
    if kind:
        stmt = stmt.where(Supplier.kind == kind)
    return paginate(session, stmt.order_by(Supplier.code), page)


def get_supplier(session: Session, *, actor: Actor, supplier_id: int) -> Supplier:
    """One supplier of the caller's group."""
    access = access_of(session, actor)
    supplier = session.get(Supplier, supplier_id)
    if supplier is None or supplier.dealer_group_id != access.dealer_group_id:
        raise NotFound(entity="supplier", id=supplier_id)
    return supplier


def create_supplier(session: Session, *, actor: Actor, values: dict[str, Any]) -> Supplier:
    """Add a supplier to the group; codes are unique in the group."""
    access = access_of(session, actor)
    taken = session.scalar(
        select(Supplier.id).where(
            Supplier.dealer_group_id == access.dealer_group_id, Supplier.code == values["code"]
        )
    )
    if taken is not None:
        why = Text("parts.code_taken", {"code": values["code"], "entity": "supplier", "id": taken})
        raise Conflict(why=why)
    supplier = Supplier(**values, dealer_group_id=access.dealer_group_id)
    session.add(supplier)
    session.flush()
    return supplier


def update_supplier(
    session: Session, *, actor: Actor, supplier_id: int, changes: dict[str, Any]
) -> Supplier:
    """Apply the given changes to a supplier."""
    supplier = get_supplier(session, actor=actor, supplier_id=supplier_id)
    for name, value in changes.items():
        setattr(supplier, name, value)
    session.flush()
    return supplier


# Purchase orders ---------------------------------------------------------------------------


def get_order(session: Session, *, actor: Actor, order_id: int) -> PurchaseOrder:
    """A purchase order delivered to a warehouse the caller may use."""
    access = access_of(session, actor)
    order = session.get(PurchaseOrder, order_id)
    if order is None or order.dealer_group_id != access.dealer_group_id:
        raise NotFound(entity="purchase_order", id=order_id)
    get_warehouse(session, access, order.warehouse_id)
    return order


def list_orders(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    status: str | None = None,
    supplier_id: int | None = None,
    warehouse_id: int | None = None,
) -> Paged[PurchaseOrder]:
    """Purchase orders of the caller's warehouses, newest first."""
    access = access_of(session, actor)
    stmt = select(PurchaseOrder).where(warehouses_visible(access, PurchaseOrder.warehouse_id))
    stmt = where_given(
        stmt,
        (PurchaseOrder.status, status),
        (PurchaseOrder.supplier_id, supplier_id),
        (PurchaseOrder.warehouse_id, warehouse_id),
    )
    return paginate(session, stmt.order_by(PurchaseOrder.id.desc()), page)


def order_lines(session: Session, *, order_id: int) -> list[Any]:
    """The order's lines with received and invoiced quantities, summed in SQL."""
    received = (
        select(func.coalesce(func.sum(GoodsReceiptLine.quantity), 0))
        .where(GoodsReceiptLine.purchase_order_line_id == PurchaseOrderLine.id)
        .scalar_subquery()
    )
    invoiced = (
        select(func.coalesce(func.sum(SupplierInvoiceLine.quantity), 0))
        .where(SupplierInvoiceLine.purchase_order_line_id == PurchaseOrderLine.id)
        .scalar_subquery()
    )
    stmt = (
        select(
            PurchaseOrderLine.id,
            PurchaseOrderLine.part_id,
            Part.part_number,
            PurchaseOrderLine.quantity,
            PurchaseOrderLine.unit_price,
            received.label("received_quantity"),
            invoiced.label("invoiced_quantity"),
        )
        .join(Part, Part.id == PurchaseOrderLine.part_id)
        .where(PurchaseOrderLine.purchase_order_id == order_id)
        .order_by(PurchaseOrderLine.id)
    )
    return list(session.execute(stmt))


def _lines(session: Session, access: Any, lines: list[OrderLineIn]) -> list[PurchaseOrderLine]:
    merged: dict[int, PurchaseOrderLine] = {}
    for line in lines:
        part = get_part(session, access, line.part_id)
        price = line.unit_price if line.unit_price is not None else part.standard_cost
        if part.id in merged:
            merged[part.id].quantity += line.quantity
        else:
            merged[part.id] = PurchaseOrderLine(
                part_id=part.id, quantity=line.quantity, unit_price=price
            )
    return list(merged.values())


def create_order(
    session: Session,
    *,
    actor: Actor,
    data: PurchaseOrderCreate,
    actor_id: int | None,
) -> PurchaseOrder:
    """A draft purchase order; lines of the same part are merged into one."""
    access = access_of(session, actor)
    supplier = get_supplier(session, actor=access, supplier_id=data.supplier_id)
    warehouse = get_warehouse(session, access, data.warehouse_id)
    order = PurchaseOrder(
        dealer_group_id=access.dealer_group_id,
        store_id=warehouse.store_id,
        warehouse_id=warehouse.id,
        supplier_id=supplier.id,
        number=f"PO{datetime.now():%Y%m%d}-{uuid.uuid4().hex[:6].upper()}",
        expected_on=data.expected_on,
        notes=data.notes,
        created_by=actor_id,
        lines=_lines(session, access, data.lines),
    )
    PURCHASE_ORDER.start(session, entity=order, actor_id=actor_id)
    return order


def replace_lines(
    session: Session, *, actor: Actor, order_id: int, lines: list[OrderLineIn]
) -> PurchaseOrder:
    """New lines for a draft order (a reorder proposal is often edited before sending)."""
    access = access_of(session, actor)
    order = get_order(session, actor=access, order_id=order_id)
    session.refresh(order, with_for_update=True)
    if order.status != "draft":
        raise Conflict(why=Text("purchasing.po_not_editable", {"status": order.status}))
    new_lines = _lines(session, access, lines)
    order.lines = []
    session.flush()  # old lines go first: a part may come back on a new line
    order.lines = new_lines
    session.flush()
    return order


def change_status(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    to: str,
    reason: str | None,
    actor_id: int | None,
    role: str | None = None,
) -> PurchaseOrder:
    """Move the order along its state machine; 409 says why a step is not allowed."""
    order = get_order(session, actor=actor, order_id=order_id)
    PURCHASE_ORDER.apply(session, entity=order, to=to, reason=reason, actor_id=actor_id, role=role)
    return order


def order_history(session: Session, *, actor: Actor, order_id: int) -> list[StateTransition]:
    """Every status change of the order, oldest first."""
    get_order(session, actor=actor, order_id=order_id)
    return history(session, entity_type=PURCHASE_ORDER.entity_type, entity_id=order_id)

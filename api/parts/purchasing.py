"""Purchasing services (SRM): purchase orders, goods receipts, three-way invoice matching."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.audit.service import history
from api.errors import Conflict, InvalidInput, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate
from api.parts import messages as _messages  # noqa: F401  (registers parts text)
from api.parts.access import ScopeOrStore, access_of, get_part, get_warehouse, warehouses_visible
from api.parts.catalogue import get_supplier
from api.parts.constants import PRICE_TOLERANCE, QUANTITY_TOLERANCE
from api.parts.ledger import book, fmt, lock_pairs
from api.parts.models import Part
from api.parts.purchasing_models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierInvoice,
    SupplierInvoiceLine,
)
from api.parts.purchasing_schemas import (
    OrderLineIn,
    PurchaseOrderCreate,
    ReceiptCreate,
    SupplierInvoiceCreate,
)
from api.parts.service import LotIn, receipt_lots
from api.parts.states import PURCHASE_ORDER, outstanding

CENT = Decimal("0.0001")


def get_order(session: Session, *, scope_or_store: ScopeOrStore, order_id: int) -> PurchaseOrder:
    """A purchase order delivered to a warehouse the caller may use."""
    access = access_of(session, scope_or_store)
    order = session.get(PurchaseOrder, order_id)
    if order is None or order.dealer_group_id != access.dealer_group_id:
        raise NotFound(entity="purchase_order", id=order_id)
    get_warehouse(session, access, order.warehouse_id)
    return order


def list_orders(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    page: PageParams,
    status: str | None = None,
    supplier_id: int | None = None,
    warehouse_id: int | None = None,
) -> Paged[PurchaseOrder]:
    """Purchase orders of the caller's warehouses, newest first."""
    access = access_of(session, scope_or_store)
    stmt = select(PurchaseOrder).where(warehouses_visible(access, PurchaseOrder.warehouse_id))
    for column, value in (
        (PurchaseOrder.status, status),
        (PurchaseOrder.supplier_id, supplier_id),
        (PurchaseOrder.warehouse_id, warehouse_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
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
    scope_or_store: ScopeOrStore,
    data: PurchaseOrderCreate,
    actor_id: int | None,
) -> PurchaseOrder:
    """A draft purchase order; lines of the same part are merged into one."""
    access = access_of(session, scope_or_store)
    supplier = get_supplier(session, scope_or_store=access, supplier_id=data.supplier_id)
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
    session: Session, *, scope_or_store: ScopeOrStore, order_id: int, lines: list[OrderLineIn]
) -> PurchaseOrder:
    """New lines for a draft order (a reorder proposal is often edited before sending)."""
    access = access_of(session, scope_or_store)
    order = get_order(session, scope_or_store=access, order_id=order_id)
    session.refresh(order, with_for_update=True)
    if order.status != "draft":
        raise Conflict(why=Text("parts.po_not_editable", {"status": order.status}))
    new_lines = _lines(session, access, lines)
    order.lines = []
    session.flush()  # old lines go first: a part may come back on a new line
    order.lines = new_lines
    session.flush()
    return order


def change_status(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    order_id: int,
    to: str,
    reason: str | None,
    actor_id: int | None,
    role: str | None = None,
) -> PurchaseOrder:
    """Move the order along its state machine; 409 says why a step is not allowed."""
    order = get_order(session, scope_or_store=scope_or_store, order_id=order_id)
    PURCHASE_ORDER.apply(session, entity=order, to=to, reason=reason, actor_id=actor_id, role=role)
    return order


def order_history(
    session: Session, *, scope_or_store: ScopeOrStore, order_id: int
) -> list[StateTransition]:
    """Every status change of the order, oldest first."""
    get_order(session, scope_or_store=scope_or_store, order_id=order_id)
    return history(session, entity_type=PURCHASE_ORDER.entity_type, entity_id=order_id)


def _freight_shares(freight: Decimal, values: list[Decimal]) -> list[Decimal]:
    """Freight split by line value (by count when nothing has a value); shares add up exactly."""
    total = sum(values, Decimal(0))
    weights = values if total > 0 else [Decimal(1)] * len(values)
    total = total if total > 0 else Decimal(len(values))
    shares = [(freight * w / total).quantize(CENT, ROUND_HALF_UP) for w in weights]
    shares[-1] += freight - sum(shares, Decimal(0))
    return shares


def receive(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    order_id: int,
    data: ReceiptCreate,
    actor_id: int | None,
    received_at: datetime | None = None,
) -> GoodsReceipt:
    """Book a delivery: one lot and one receipt move per line, freight allocated by value."""
    access = access_of(session, scope_or_store)
    order = get_order(session, scope_or_store=access, order_id=order_id)
    session.refresh(order, with_for_update=True)  # one receipt of an order at a time
    if order.status not in ("confirmed", "partly_received"):
        raise Conflict(why=Text("parts.po_not_receivable", {"status": order.status}))
    lines = {row.id: row for row in order_lines(session, order_id=order.id)}
    asked: dict[int, Decimal] = defaultdict(Decimal)
    for line in data.lines:
        if line.purchase_order_line_id not in lines:
            problem = Text("parts.line_not_on_order", {"line": line.purchase_order_line_id})
            raise InvalidInput(field="lines", problem=problem)
        asked[line.purchase_order_line_id] += line.quantity
    for line_id, quantity in asked.items():
        row = lines[line_id]
        left = row.quantity - row.received_quantity
        if quantity > left:
            why = Text(
                "parts.over_receipt",
                {"line": line_id, "quantity": fmt(quantity), "open": fmt(left)},
            )
            raise Conflict(why=why)
    lock_pairs(session, [(order.warehouse_id, lines[li].part_id) for li in asked])
    receipt = GoodsReceipt(
        purchase_order_id=order.id,
        warehouse_id=order.warehouse_id,
        delivery_note=data.delivery_note,
        freight_amount=data.freight_amount,
        actor_user_id=actor_id,
    )
    if received_at is not None:
        receipt.received_at = received_at
    session.add(receipt)
    session.flush()
    prices = [
        ln.unit_price if ln.unit_price is not None else lines[ln.purchase_order_line_id].unit_price
        for ln in data.lines
    ]
    shares = _freight_shares(
        Decimal(data.freight_amount),
        [ln.quantity * p for ln, p in zip(data.lines, prices, strict=True)],
    )
    part_ids = {lines[ln.purchase_order_line_id].part_id for ln in data.lines}
    parts = {p.id: p for p in session.scalars(select(Part).where(Part.id.in_(part_ids)))}
    costs = [
        (price + freight / line.quantity).quantize(CENT, ROUND_HALF_UP)
        for line, price, freight in zip(data.lines, prices, shares, strict=True)
    ]
    lots = receipt_lots(
        session,
        receipts=[
            LotIn(
                part=parts[lines[line.purchase_order_line_id].part_id],
                lot_number=line.lot_number or f"{order.number}-R{receipt.id}-{index + 1}",
                unit_cost=cost,
                expires_on=line.expires_on,
            )
            for index, (line, cost) in enumerate(zip(data.lines, costs, strict=True))
        ],
        supplier_id=order.supplier_id,
        received_at=received_at,
    )
    receipt_lines = [
        GoodsReceiptLine(
            goods_receipt_id=receipt.id,
            purchase_order_line_id=line.purchase_order_line_id,
            part_id=lot.part_id,
            lot_id=lot.id,
            quantity=line.quantity,
            unit_price=price,
            freight_allocated=freight,
        )
        for line, lot, price, freight in zip(data.lines, lots, prices, shares, strict=True)
    ]
    session.add_all(receipt_lines)
    session.flush()
    for line, lot, cost, receipt_line in zip(data.lines, lots, costs, receipt_lines, strict=True):
        move = book(
            session,
            warehouse_id=order.warehouse_id,
            lot=lot,
            kind="receipt",
            quantity=line.quantity,
            unit_cost=cost,
            receipt_line_id=receipt_line.id,
            reference_type="purchase_order",
            reference_id=order.id,
            actor_user_id=actor_id,
        )
        if received_at is not None:
            move.occurred_at = received_at
    session.flush()
    ordered, received = outstanding(session, order.id)
    target = "received" if received >= ordered else "partly_received"
    if order.status != target:
        PURCHASE_ORDER.apply(session, entity=order, to=target, actor_id=actor_id)
    session.refresh(receipt)
    return receipt


def list_receipts(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    page: PageParams,
    purchase_order_id: int | None = None,
) -> Paged[GoodsReceipt]:
    """Goods receipts in the caller's warehouses, newest first."""
    access = access_of(session, scope_or_store)
    stmt = select(GoodsReceipt).where(warehouses_visible(access, GoodsReceipt.warehouse_id))
    if purchase_order_id is not None:
        stmt = stmt.where(GoodsReceipt.purchase_order_id == purchase_order_id)
    return paginate(session, stmt.order_by(GoodsReceipt.id.desc()), page)


def _line_status(qty_ok: bool, price_ok: bool) -> str:
    if qty_ok and price_ok:
        return "matched"
    if price_ok:
        return "qty_mismatch"
    return "price_mismatch" if qty_ok else "qty_and_price_mismatch"


def register_invoice(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    data: SupplierInvoiceCreate,
    actor_id: int | None,
) -> SupplierInvoice:
    """Record a supplier invoice and match each line three ways: order, receipts, invoice.

    A line matches when everything invoiced on its order line so far is covered by what was
    received, and its price is within PRICE_TOLERANCE of the order price.
    """
    access = access_of(session, scope_or_store)
    order = get_order(session, scope_or_store=access, order_id=data.purchase_order_id)
    if order.supplier_id != data.supplier_id:
        why = Text("parts.invoice_wrong_supplier", {"order": order.number})
        raise InvalidInput(field="supplier_id", problem=why)
    session.refresh(order, with_for_update=True)  # invoiced-to-date counts need one at a time
    taken = session.scalar(
        select(SupplierInvoice.id).where(
            SupplierInvoice.supplier_id == data.supplier_id, SupplierInvoice.number == data.number
        )
    )
    if taken is not None:
        raise Conflict(why=Text("parts.invoice_number_taken", {"number": data.number}))
    lines = {row.id: row for row in order_lines(session, order_id=order.id)}
    invoice = SupplierInvoice(
        dealer_group_id=order.dealer_group_id,
        store_id=order.store_id,
        supplier_id=order.supplier_id,
        purchase_order_id=order.id,
        number=data.number,
        invoice_date=data.invoice_date,
        match_status="matched",
        actor_user_id=actor_id,
    )
    session.add(invoice)
    session.flush()
    so_far = {line_id: Decimal(row.invoiced_quantity) for line_id, row in lines.items()}
    for line in data.lines:
        row = lines.get(line.purchase_order_line_id)
        if row is None:
            problem = Text("parts.line_not_on_order", {"line": line.purchase_order_line_id})
            raise InvalidInput(field="lines", problem=problem)
        so_far[row.id] += line.quantity
        ordered_price = Decimal(row.unit_price)
        qty_ok = so_far[row.id] <= row.received_quantity + QUANTITY_TOLERANCE
        if ordered_price == 0:
            price_ok = line.unit_price == 0
        else:
            price_ok = abs(line.unit_price - ordered_price) / ordered_price <= PRICE_TOLERANCE
        status = _line_status(qty_ok, price_ok)
        if status != "matched":
            invoice.match_status = "mismatch"
        session.add(
            SupplierInvoiceLine(
                supplier_invoice_id=invoice.id,
                purchase_order_line_id=row.id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                ordered_price=ordered_price,
                received_quantity=row.received_quantity,
                invoiced_to_date=so_far[row.id],
                match_status=status,
            )
        )
    session.flush()
    session.refresh(invoice)
    return invoice


def list_invoices(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    page: PageParams,
    supplier_id: int | None = None,
    match_status: str | None = None,
    purchase_order_id: int | None = None,
) -> Paged[SupplierInvoice]:
    """Supplier invoices of the caller's warehouses' orders, newest first."""
    access = access_of(session, scope_or_store)
    orders = select(PurchaseOrder.id).where(warehouses_visible(access, PurchaseOrder.warehouse_id))
    stmt = select(SupplierInvoice).where(SupplierInvoice.purchase_order_id.in_(orders))
    for column, value in (
        (SupplierInvoice.supplier_id, supplier_id),
        (SupplierInvoice.match_status, match_status),
        (SupplierInvoice.purchase_order_id, purchase_order_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return paginate(session, stmt.order_by(SupplierInvoice.id.desc()), page)


def list_mismatches(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    page: PageParams,
    supplier_id: int | None = None,
) -> Paged[Any]:
    """Invoice lines that failed the three-way match, newest first, with what was expected."""
    access = access_of(session, scope_or_store)
    line, invoice = SupplierInvoiceLine, SupplierInvoice
    stmt = (
        select(
            line.id.label("invoice_line_id"),
            invoice.id.label("invoice_id"),
            invoice.number.label("invoice_number"),
            Supplier.id.label("supplier_id"),
            Supplier.name.label("supplier_name"),
            PurchaseOrder.id.label("purchase_order_id"),
            PurchaseOrder.number.label("purchase_order_number"),
            Part.id.label("part_id"),
            Part.part_number,
            line.match_status,
            line.quantity.label("invoiced_quantity"),
            line.invoiced_to_date,
            line.received_quantity,
            line.unit_price.label("invoiced_price"),
            line.ordered_price,
        )
        .join(invoice, invoice.id == line.supplier_invoice_id)
        .join(Supplier, Supplier.id == invoice.supplier_id)
        .join(PurchaseOrder, PurchaseOrder.id == invoice.purchase_order_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == line.purchase_order_line_id)
        .join(Part, Part.id == PurchaseOrderLine.part_id)
        .where(line.match_status != "matched")
        .where(warehouses_visible(access, PurchaseOrder.warehouse_id))
    )
    if supplier_id is not None:
        stmt = stmt.where(invoice.supplier_id == supplier_id)
    return paginate(session, stmt.order_by(line.id.desc()), page, scalars=False)

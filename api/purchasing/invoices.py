"""Supplier invoices (对账): each line matched three ways against the order and the receipts.
No HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.actor import Actor
from api.errors import Conflict, InvalidInput
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, where_given
from api.parts.access import access_of, warehouses_visible
from api.parts.models import Part
from api.purchasing import messages as _messages  # noqa: F401  (registers purchasing text)
from api.purchasing.constants import PRICE_TOLERANCE, QUANTITY_TOLERANCE
from api.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierInvoice,
    SupplierInvoiceLine,
)
from api.purchasing.schemas import SupplierInvoiceCreate
from api.purchasing.service import get_order, order_lines


def _line_status(qty_ok: bool, price_ok: bool) -> str:
    if qty_ok and price_ok:
        return "matched"
    if price_ok:
        return "qty_mismatch"
    return "price_mismatch" if qty_ok else "qty_and_price_mismatch"


def register_invoice(
    session: Session,
    *,
    actor: Actor,
    data: SupplierInvoiceCreate,
    actor_id: int | None,
) -> SupplierInvoice:
    """Record a supplier invoice and match each line three ways: order, receipts, invoice.

    A line matches when everything invoiced on its order line so far is covered by what was
    received, and its price is within PRICE_TOLERANCE of the order price.
    """
    access = access_of(session, actor)
    order = get_order(session, actor=access, order_id=data.purchase_order_id)
    if order.supplier_id != data.supplier_id:
        why = Text("purchasing.invoice_wrong_supplier", {"order": order.number})
        raise InvalidInput(field="supplier_id", problem=why)
    session.refresh(order, with_for_update=True)  # invoiced-to-date counts need one at a time
    taken = session.scalar(
        select(SupplierInvoice.id).where(
            SupplierInvoice.supplier_id == data.supplier_id, SupplierInvoice.number == data.number
        )
    )
    if taken is not None:
        raise Conflict(why=Text("purchasing.invoice_number_taken", {"number": data.number}))
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
            problem = Text("purchasing.line_not_on_order", {"line": line.purchase_order_line_id})
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
    actor: Actor,
    page: PageParams,
    supplier_id: int | None = None,
    match_status: str | None = None,
    purchase_order_id: int | None = None,
) -> Paged[SupplierInvoice]:
    """Supplier invoices of the caller's warehouses' orders, newest first."""
    access = access_of(session, actor)
    orders = select(PurchaseOrder.id).where(warehouses_visible(access, PurchaseOrder.warehouse_id))
    stmt = select(SupplierInvoice).where(SupplierInvoice.purchase_order_id.in_(orders))
    stmt = where_given(
        stmt,
        (SupplierInvoice.supplier_id, supplier_id),
        (SupplierInvoice.match_status, match_status),
        (SupplierInvoice.purchase_order_id, purchase_order_id),
    )
    return paginate(session, stmt.order_by(SupplierInvoice.id.desc()), page)


def list_mismatches(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    supplier_id: int | None = None,
) -> Paged[Any]:
    """Invoice lines that failed the three-way match, newest first, with what was expected."""
    access = access_of(session, actor)
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

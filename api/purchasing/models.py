"""Purchasing tables (SRM): suppliers, purchase orders, goods receipts, supplier invoices.

An order's received and invoiced quantities are never stored on it: they are sums over the
receipt and invoice lines. Receipts book into stock through the parts ledger (`stock_moves`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models_base import Entity, sql_in
from api.parts.models import Money, Quantity, UnitCost
from api.purchasing.constants import INVOICE_MATCHES, MATCH_STATUSES, PO_STATES, SUPPLIER_KINDS


class Supplier(Entity):
    """An OEM or third-party parts supplier (供应商) of the dealer group."""

    __tablename__ = "suppliers"
    __table_args__ = (
        UniqueConstraint("dealer_group_id", "code"),
        CheckConstraint(sql_in("kind", SUPPLIER_KINDS), name="kind"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_days"),
    )

    dealer_group_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dealer_groups.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))
    lead_time_days: Mapped[int] = mapped_column(SmallInteger, server_default=text("3"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class PurchaseOrder(Entity):
    """An order to a supplier, delivered to one warehouse; its status is a state machine."""

    __tablename__ = "purchase_orders"
    __table_args__ = (CheckConstraint(sql_in("status", PO_STATES), name="status"),)

    dealer_group_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dealer_groups.id", ondelete="RESTRICT"), index=True
    )
    store_id: Mapped[int | None] = mapped_column(
        BigInteger,
        ForeignKey("stores.id", ondelete="RESTRICT"),
        index=True,
        comment="The warehouse's store (NULL for group warehouses)",
    )
    warehouse_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("warehouses.id", ondelete="RESTRICT"), index=True
    )
    supplier_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("suppliers.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    expected_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )

    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        order_by="PurchaseOrderLine.id", cascade="all, delete-orphan"
    )


class PurchaseOrderLine(Entity):
    """One part on a purchase order; received quantities are summed from receipt lines."""

    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "part_id"),
        CheckConstraint("quantity > 0 AND unit_price >= 0", name="values"),
    )

    purchase_order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("purchase_orders.id", ondelete="CASCADE")
    )
    part_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("parts.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(UnitCost)


class GoodsReceipt(Entity):
    """A delivery against a purchase order (收货), booked into stock as receipt moves."""

    __tablename__ = "goods_receipts"
    __table_args__ = (CheckConstraint("freight_amount >= 0", name="freight_amount"),)

    purchase_order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("purchase_orders.id", ondelete="RESTRICT"), index=True
    )
    warehouse_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("warehouses.id", ondelete="RESTRICT")
    )
    delivery_note: Mapped[str | None] = mapped_column(String(60))
    freight_amount: Mapped[Decimal] = mapped_column(
        Money, server_default=text("0"), comment="Allocated to lines by value"
    )
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    actor_user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )

    lines: Mapped[list[GoodsReceiptLine]] = relationship(order_by="GoodsReceiptLine.id")


class GoodsReceiptLine(Entity):
    """Received quantity of one order line, as one lot."""

    __tablename__ = "goods_receipt_lines"
    __table_args__ = (
        CheckConstraint(
            "quantity > 0 AND unit_price >= 0 AND freight_allocated >= 0", name="values"
        ),
    )

    goods_receipt_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("goods_receipts.id", ondelete="CASCADE"), index=True
    )
    purchase_order_line_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("purchase_order_lines.id", ondelete="RESTRICT"), index=True
    )
    part_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("parts.id", ondelete="RESTRICT"))
    lot_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stock_lots.id", ondelete="RESTRICT")
    )
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(UnitCost)
    freight_allocated: Mapped[Decimal] = mapped_column(UnitCost, server_default=text("0"))


class SupplierInvoice(Entity):
    """A supplier's bill (对账), matched three ways against the order and the receipts."""

    __tablename__ = "supplier_invoices"
    __table_args__ = (
        UniqueConstraint("supplier_id", "number"),
        CheckConstraint(sql_in("match_status", INVOICE_MATCHES), name="match_status"),
    )

    dealer_group_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dealer_groups.id", ondelete="RESTRICT"), index=True
    )
    store_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("stores.id", ondelete="RESTRICT"), index=True
    )
    supplier_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("suppliers.id", ondelete="RESTRICT")
    )
    purchase_order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("purchase_orders.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[str] = mapped_column(String(40))
    invoice_date: Mapped[date] = mapped_column(Date)
    match_status: Mapped[str] = mapped_column(String(10))
    actor_user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )

    lines: Mapped[list[SupplierInvoiceLine]] = relationship(order_by="SupplierInvoiceLine.id")


class SupplierInvoiceLine(Entity):
    """One invoiced order line, with what the match expected when the invoice came in."""

    __tablename__ = "supplier_invoice_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0 AND unit_price >= 0", name="values"),
        CheckConstraint(sql_in("match_status", MATCH_STATUSES), name="match_status"),
    )

    supplier_invoice_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("supplier_invoices.id", ondelete="CASCADE"), index=True
    )
    purchase_order_line_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("purchase_order_lines.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(UnitCost)
    ordered_price: Mapped[Decimal] = mapped_column(UnitCost, comment="PO price at match time")
    received_quantity: Mapped[Decimal] = mapped_column(
        Quantity, comment="Received on the order line when matched"
    )
    invoiced_to_date: Mapped[Decimal] = mapped_column(
        Quantity, comment="Invoiced on the order line, this invoice included"
    )
    match_status: Mapped[str] = mapped_column(String(24))

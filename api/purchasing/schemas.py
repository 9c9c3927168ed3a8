"""Purchasing API models: suppliers, purchase orders, goods receipts, supplier invoices, the
reorder proposal and the cost report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.pagination import Page
from api.parts.schemas import Code, Name, Number, Price, Qty
from api.purchasing.constants import MAX_LINES, MatchStatus, SupplierKind
from api.types import Day, DbId

Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 \-]{4,24}$")
]


class SupplierCreate(BaseModel):
    """A new supplier."""

    code: Code = Field(examples=["SVW-OEM"])
    name: Name = Field(examples=["上汽大众原厂配件中心"])
    kind: SupplierKind = Field(examples=["oem"])
    contact_name: str | None = Field(default=None, max_length=100, examples=["陈经理"])
    phone: Phone | None = Field(default=None, examples=["021-5888 1234"])
    email: str | None = Field(default=None, max_length=200)
    lead_time_days: int = Field(default=3, ge=0, le=365)
    active: bool = True


class SupplierUpdate(BaseModel):
    """Changes to a supplier; absent fields stay as they are."""

    name: Name | None = None
    contact_name: str | None = Field(default=None, max_length=100)
    phone: Phone | None = None
    email: str | None = Field(default=None, max_length=200)
    lead_time_days: int | None = Field(default=None, ge=0, le=365)
    active: bool | None = None


class SupplierRead(SupplierCreate):
    """A supplier."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    dealer_group_id: int


SupplierPage = Page[SupplierRead]


class OrderLineIn(BaseModel):
    """A part to order; the price defaults to the part's standard cost."""

    part_id: DbId
    quantity: Qty
    unit_price: Price | None = None


class PurchaseOrderCreate(BaseModel):
    """A new purchase order (created as draft)."""

    supplier_id: DbId
    warehouse_id: DbId = Field(description="Where the goods are delivered")
    expected_on: Day | None = None
    notes: str | None = Field(default=None, max_length=2000)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)


class OrderLines(BaseModel):
    """The new lines of a draft order (replacing the old ones)."""

    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)


class OrderLineRead(BaseModel):
    """An order line with what has been received and invoiced on it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    part_id: int
    part_number: str
    quantity: Number
    unit_price: Number
    received_quantity: Number
    invoiced_quantity: Number


class PurchaseOrderRead(BaseModel):
    """A purchase order."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    status: str = Field(examples=["confirmed"])
    supplier_id: int
    warehouse_id: int
    store_id: int | None
    expected_on: date | None
    notes: str | None
    created_at: datetime


class PurchaseOrderDetail(PurchaseOrderRead):
    """A purchase order with its lines."""

    lines: list[OrderLineRead]


PurchaseOrderPage = Page[PurchaseOrderRead]


class ReceiptLineIn(BaseModel):
    """Received quantity of one order line, as one lot."""

    purchase_order_line_id: DbId
    quantity: Qty
    unit_price: Price | None = Field(default=None, description="Default: the order price")
    lot_number: str | None = Field(default=None, max_length=40, examples=["B2611-0457"])
    expires_on: Day | None = Field(default=None, description="Needed for fluids, batteries, tyres")


class ReceiptCreate(BaseModel):
    """A delivery against a purchase order."""

    delivery_note: str | None = Field(default=None, max_length=60, examples=["DN-889120"])
    freight_amount: Price = Field(default=0, description="Allocated to the lines by value")
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=MAX_LINES)


class ReceiptLineRead(BaseModel):
    """A received line and its lot."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    purchase_order_line_id: int
    part_id: int
    lot_id: int
    quantity: Number
    unit_price: Number
    freight_allocated: Number


class ReceiptRead(BaseModel):
    """A goods receipt."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    purchase_order_id: int
    warehouse_id: int
    delivery_note: str | None
    freight_amount: Number
    received_at: datetime
    lines: list[ReceiptLineRead]


ReceiptPage = Page[ReceiptRead]


class InvoiceLineIn(BaseModel):
    """An invoiced order line."""

    purchase_order_line_id: DbId
    quantity: Qty
    unit_price: Price


class SupplierInvoiceCreate(BaseModel):
    """A supplier invoice for one purchase order."""

    supplier_id: DbId
    purchase_order_id: DbId
    number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ] = Field(examples=["FP00012345"])
    invoice_date: Day = Field(examples=["2026-11-20"])
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=MAX_LINES)


class InvoiceLineRead(InvoiceLineIn):
    """An invoice line with the three-way match result."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    quantity: Number
    unit_price: Number
    ordered_price: Number = Field(description="The order line's price")
    received_quantity: Number = Field(description="Received on the order line at match time")
    invoiced_to_date: Number = Field(description="Invoiced on the order line, this included")
    match_status: MatchStatus


class SupplierInvoiceRead(BaseModel):
    """A supplier invoice."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    supplier_id: int
    purchase_order_id: int
    number: str
    invoice_date: date
    match_status: str = Field(examples=["mismatch"])
    lines: list[InvoiceLineRead]


SupplierInvoicePage = Page[SupplierInvoiceRead]


class Mismatch(BaseModel):
    """An invoice line that failed the three-way match."""

    model_config = ConfigDict(from_attributes=True)

    invoice_line_id: int
    invoice_id: int
    invoice_number: str
    supplier_id: int
    supplier_name: str
    purchase_order_id: int
    purchase_order_number: str
    part_id: int
    part_number: str
    match_status: MatchStatus
    invoiced_quantity: Number
    invoiced_to_date: Number
    received_quantity: Number
    invoiced_price: Number
    ordered_price: Number


MismatchPage = Page[Mismatch]


class ProposalLine(BaseModel):
    """A part to reorder: its stock position and the quantity that tops it up to max."""

    model_config = ConfigDict(from_attributes=True)

    part_id: int
    part_number: str
    name_zh: str
    name_en: str
    available: Number
    on_order: Number = Field(description="Ordered on open purchase orders, not yet received")
    min_qty: Number
    reorder_point: Number
    max_qty: Number
    quantity: Number = Field(
        description="basis min_max: max_qty - (available + on_order); basis forecast: the"
        " forecast over lead time and a week, plus safety stock, less the position"
    )
    urgent: bool = Field(description="The stock position is below safety stock")
    unit_price: Number = Field(description="The part's standard cost")
    basis: Literal["min_max", "forecast"] = Field(description="What the quantity comes from")
    forecast_weekly: float | None = Field(
        description="Forecast demand a week (fleet-aware), when the part has a forecast"
    )
    from_alerts: float | None = Field(
        description="Of the forecast's weeks, the units the fleet's open predictions add"
    )


class SupplierProposal(BaseModel):
    """The proposed lines for one preferred supplier (null: none set on the parts)."""

    model_config = ConfigDict(from_attributes=True)

    supplier_id: int | None
    supplier_name: str | None
    lines: list[ProposalLine]


class ProposalOrders(BaseModel):
    """The draft purchase orders made from a proposal."""

    orders: list[PurchaseOrderRead]


class CostRow(BaseModel):
    """What one part cost from one supplier in the period."""

    model_config = ConfigDict(from_attributes=True)

    part_id: int
    part_number: str
    name_zh: str
    name_en: str
    supplier_id: int | None
    supplier_name: str | None
    received_qty: Number
    purchase_value: Number
    avg_unit_price: Number | None
    freight: Number = Field(description="Freight allocated to the receipts, by line value")
    landed_unit_cost: Number | None = Field(description="(purchase + freight) / received")
    shrinkage_qty: Number = Field(description="Scrapped or lost in counts, from its lots")
    shrinkage_value: Number
    shrinkage_rate: Number | None = Field(description="shrinkage_qty / received_qty")


CostPage = Page[CostRow]

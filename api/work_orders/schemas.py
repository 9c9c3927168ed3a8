"""Work-order API models: work orders, lines, clocks, estimates, invoices, pricing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.pagination import Page
from api.types import DbId
from api.work_orders.constants import (
    INSPECTION_ITEMS,
    InspectionResult,
    Outcome,
    PartLineStatus,
    WaitState,
    WorkOrderSource,
)
from api.workshop.schemas import Code, PartNeed


class WorkOrderCreate(BaseModel):
    """Open a work order (from an appointment, or a walk-in)."""

    store_id: DbId
    customer_id: DbId
    vehicle_id: DbId
    appointment_id: DbId | None = None
    operations: list[Code] = Field(default_factory=list, max_length=30, examples=[["OIL-SVC"]])
    parts: list[PartNeed] = Field(default_factory=list, max_length=50)
    complaint: str | None = Field(default=None, max_length=2000, examples=["仪表盘电瓶灯偶尔亮"])
    technician_id: DbId | None = None


class LabourLineRead(BaseModel):
    """A labour line."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    operation_id: int
    description: str
    hours: Decimal
    rate: Decimal
    discount_pct: Decimal
    technician_id: int | None


class PartLineRead(BaseModel):
    """A parts line and its reservation."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    part_id: int
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    status: PartLineStatus
    reservation_id: int | None


class WorkOrderRead(BaseModel):
    """A work order with its lines."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    store_id: int
    customer_id: int
    vehicle_id: int
    appointment_id: int | None
    advisor_id: int | None
    technician_id: int | None
    status: str = Field(examples=["in_repair"])
    source: WorkOrderSource
    source_ref: str | None
    complaint: str | None
    evidence: dict[str, Any]
    odometer_km: float | None
    inspection: dict[str, Any]
    diagnosis: str | None
    wait_reason: str | None
    wait_return_to: str | None
    outcome: Outcome | None
    outcome_code: str | None
    outcome_notes: str | None
    checked_in_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    labour: list[LabourLineRead]
    parts: list[PartLineRead]


WorkOrderPage = Page[WorkOrderRead]


class InspectionItem(BaseModel):
    """One checklist item of the check-in inspection."""

    result: InspectionResult = Field(examples=["attention"])
    note: str | None = Field(default=None, max_length=500, examples=["前轮胎纹 2.5 mm"])


class CheckIn(BaseModel):
    """Receive the car: odometer and the multi-point inspection."""

    odometer_km: float = Field(ge=0, le=2_000_000, examples=[48210])
    inspection: dict[str, InspectionItem] = Field(
        max_length=len(INSPECTION_ITEMS),
        description="Item → result; items: " + ", ".join(INSPECTION_ITEMS),
        examples=[{"tyres": {"result": "attention", "note": "前轮胎纹 2.5 mm"}}],
    )
    complaint: str | None = Field(default=None, max_length=2000)


class WaitIn(BaseModel):
    """Park a job, with a reason code."""

    wait: WaitState = Field(examples=["waiting_parts"])
    reason_code: str = Field(max_length=30, examples=["part_backordered"])
    note: str | None = Field(default=None, max_length=2000, examples=["原厂蓄电池预计周三到货"])


class OutcomeIn(BaseModel):
    """What the job found; a confirmed cause becomes a training label for diagnostics."""

    outcome: Outcome = Field(examples=["confirmed_cause"])
    cause_code: str | None = Field(default=None, max_length=40, examples=["battery_aging"])
    notes: str | None = Field(default=None, max_length=2000)


REASON = Field(
    default=None,
    max_length=500,
    description="Why the price, rate or hours differ from the catalogue, or why the discount",
    examples=["锈死螺栓,拆卸耗时增加"],
)


class LabourIn(BaseModel):
    """Add a labour operation at its standard hours and the store's labour rate.

    hours above the standard need a reason (at most 3 times the standard); a rate is a price
    override (advisor or manager, with a reason); a discount stays within your role's limit.
    """

    operation: Code = Field(examples=["BAT-REPL"])
    hours: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2)
    rate: Decimal | None = Field(default=None, ge=0, le=100_000, decimal_places=2)
    discount_pct: Decimal = Field(default=Decimal(0), ge=0, le=100, decimal_places=2)
    reason: str | None = REASON
    technician_id: DbId | None = None


class PartIn(PartNeed):
    """Add a part at its list price (reserved at once when in stock).

    A unit_price is a price override (advisor or manager, with a reason); a discount stays
    within your role's limit.
    """

    unit_price: Decimal | None = Field(default=None, ge=0, le=1_000_000, decimal_places=2)
    discount_pct: Decimal = Field(default=Decimal(0), ge=0, le=100, decimal_places=2)
    reason: str | None = REASON


class PartDrop(BaseModel):
    """Take a part that was not issued off the job; its stock goes back."""

    reason: str = Field(min_length=2, max_length=500, examples=["供应商停产,改用替代件"])


class ClockIn(BaseModel):
    """Clock a technician on or off a labour line (default: yourself)."""

    technician_id: DbId | None = None


class ClockRead(BaseModel):
    """A clocked period."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    labour_line_id: int
    technician_id: int
    started_at: datetime
    ended_at: datetime | None


class MoneyLine(BaseModel):
    """A priced line of an estimate or invoice."""

    model_config = ConfigDict(from_attributes=True)

    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    gross: Decimal
    discount: Decimal
    net: Decimal


class Estimate(BaseModel):
    """What the job will cost (报价), before the customer approves."""

    lines: list[MoneyLine]
    labour_total: Decimal
    parts_total: Decimal
    discount_total: Decimal
    net_total: Decimal
    tax_rate: Decimal = Field(examples=["0.13"])
    tax_total: Decimal
    grand_total: Decimal


class EstimateVersionRead(BaseModel):
    """One version of the estimate as the customer saw it; the latest one counts."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    version: int
    status: str = Field(examples=["approved"], description="pending, approved or superseded")
    lines: list[dict[str, Any]]
    grand_total: Decimal
    reason: str | None
    created_by: int | None
    created_at: datetime
    approved_by: int | None
    approved_at: datetime | None


class InvoiceRead(Estimate):
    """A settled work order's invoice."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    store_id: int
    work_order_id: int
    customer_id: int
    issued_at: datetime


InvoicePage = Page[InvoiceRead]


class PricingIn(BaseModel):
    """A store's labour rate and discount limits by role (percent)."""

    labour_rate: Decimal = Field(gt=0, le=100_000, decimal_places=2, examples=["320.00"])
    advisor_discount_max: Decimal = Field(ge=0, le=100, decimal_places=2, examples=["10"])
    manager_discount_max: Decimal = Field(ge=0, le=100, decimal_places=2, examples=["30"])
    labour_cost_rate: Decimal | None = Field(
        default=None,
        ge=0,
        le=100_000,
        decimal_places=2,
        examples=["90.00"],
        description="What a clocked hour costs the store (labour margin); unchanged if absent",
    )


class PricingRead(PricingIn):
    """A store's money settings, as work-order lines use them."""

    store_id: int
    labour_cost_rate: Decimal

"""Sales API models: catalogue, stock, leads, quotes, orders, checklists, the board."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.crm.schemas import Name, Phone, Vin, Year
from api.pagination import Page
from api.sales.constants import (
    MAX_FINANCE_TERM_MONTHS,
    MAX_MONEY,
    ChecklistKind,
    ChecklistResult,
    LeadSource,
    LeadStatus,
    Period,
    Powertrain,
    StockStatus,
)
from api.types import DbId

Money = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, max_digits=10, decimal_places=2)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$")
]
Colour = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
Location = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


# Catalogue ---------------------------------------------------------------------------------


class SalesModelCreate(BaseModel):
    """A model and trim your group sells."""

    code: Code = Field(examples=["PASSAT-330-PRO"])
    make: Name = Field(examples=["Volkswagen"])
    model: Label = Field(examples=["Passat"])
    trim: Label = Field(examples=["330TSI 精英版"])
    model_year: Year = Field(examples=[2025])
    powertrain: Powertrain = Field(examples=["ice"])
    msrp: Money = Field(gt=0, examples=["209900.00"], description="List price (指导价), CNY")
    is_active: bool = True


class SalesModelRead(SalesModelCreate):
    """A catalogue entry."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    dealer_group_id: int


SalesModelPage = Page[SalesModelRead]


# Stock -------------------------------------------------------------------------------------


class StockCreate(BaseModel):
    """A new car for a store's stock; it starts in transit unless it has arrived."""

    vin: Vin = Field(examples=["LSVAU2180N2183294"])
    store_id: DbId
    model_id: DbId
    colour: Colour = Field(examples=["极地白"])
    location: Location = Field(examples=["在途:安亭工厂"])
    cost: Money = Field(examples=["183500.00"], description="What the store paid the maker")
    arrived: bool = Field(default=False, description="True puts it straight into the warehouse")


class StockArrival(BaseModel):
    """A car arriving at the store."""

    location: Location = Field(examples=["二号库 B-12"])


class StockUpdate(BaseModel):
    """Changes to a stock car; status changes go through /status."""

    colour: Colour | None = None
    location: Location | None = None
    cost: Money | None = None


class StockRead(BaseModel):
    """A car in stock."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    vin: str
    store_id: int
    model_id: int
    colour: str
    status: StockStatus
    location: str
    cost: Decimal
    arrived_at: datetime | None
    created_at: datetime


StockPage = Page[StockRead]


# Leads -------------------------------------------------------------------------------------


class LeadCreate(BaseModel):
    """A new lead: an existing customer, or a name and phone that become a CRM prospect."""

    store_id: DbId
    source: LeadSource = Field(examples=["autohome"])
    customer_id: DbId | None = None
    name: Name | None = Field(default=None, examples=["陈静"])
    phone: Phone | None = Field(default=None, examples=["139 1234 5678"])
    interested_model_id: DbId | None = None
    consultant_id: DbId | None = Field(
        default=None, description="Defaults to you when you are a sales consultant"
    )
    notes: str | None = Field(default=None, max_length=2000, examples=["周末试驾途观L"])


class LeadUpdate(BaseModel):
    """Changes to a lead; omitted fields stay. Only managers reassign the consultant."""

    interested_model_id: DbId | None = None
    consultant_id: DbId | None = None
    notes: str | None = Field(default=None, max_length=2000)


class LeadRead(BaseModel):
    """A lead and where it stands."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    store_id: int
    customer_id: int
    consultant_id: int | None
    source: LeadSource
    interested_model_id: int | None
    status: LeadStatus
    notes: str | None
    created_at: datetime
    updated_at: datetime


LeadPage = Page[LeadRead]


# Quotes ------------------------------------------------------------------------------------


class OptionLine(BaseModel):
    """An option or accessory on a quote."""

    code: Code = Field(examples=["PANO"])
    name: Label = Field(examples=["全景天窗"])
    price: Money = Field(examples=["8000.00"])


class TradeIn(BaseModel):
    """The customer's old car, taken in part exchange (置换)."""

    vin: Vin | None = None
    make: Name = Field(examples=["Toyota"])
    model: Label = Field(examples=["Corolla"])
    year: Year = Field(examples=[2017])
    odometer_km: int | None = Field(default=None, ge=0, le=2_000_000)
    value: Money = Field(examples=["52000.00"], description="What the store credits for it")


class FinancingIn(BaseModel):
    """A car loan offer; the monthly payment is computed."""

    provider: Label = Field(examples=["上汽大众金融"])
    down_payment: Money = Field(examples=["60000.00"])
    term_months: int = Field(ge=6, le=MAX_FINANCE_TERM_MONTHS, examples=[36])
    apr_percent: Decimal = Field(ge=0, le=30, max_digits=5, decimal_places=2, examples=["3.99"])


class Financing(FinancingIn):
    """A car loan offer with its monthly payment."""

    monthly_payment: Decimal


class QuoteCreate(BaseModel):
    """A quote; the vehicle price defaults to the model's list price."""

    model_id: DbId
    colour: Colour | None = Field(default=None, examples=["极地白"])
    vehicle_price: Money | None = Field(default=None, description="Defaults to the MSRP")
    options: list[OptionLine] = Field(default_factory=list, max_length=30)
    discount: Money = Field(default=Decimal(0), examples=["12000.00"])
    trade_in: TradeIn | None = None
    financing: FinancingIn | None = None
    valid_days: int = Field(default=7, ge=1, le=90, description="How long the offer holds")


class QuoteRead(BaseModel):
    """A quote with its totals."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: int
    store_id: int
    model_id: int
    colour: str | None
    vehicle_price: Decimal
    options: list[OptionLine]
    options_price: Decimal
    discount: Decimal
    trade_in: TradeIn | None
    trade_in_value: Decimal
    financing: Financing | None
    total: Decimal = Field(description="Vehicle + options − discount − trade-in")
    valid_until: date
    created_by_id: int | None
    created_at: datetime


# Orders ------------------------------------------------------------------------------------


class OrderCreate(BaseModel):
    """Turn a quote into a signed order."""

    quote_id: DbId
    deposit: Money = Field(examples=["5000.00"], description="定金 received")


class Allocation(BaseModel):
    """The stock car to reserve for the order."""

    vin: Vin = Field(examples=["LSVAU2180N2183294"])


class OrderRead(BaseModel):
    """A signed order, and the car allocated to it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: int
    store_id: int
    quote_id: int
    customer_id: int
    model_id: int
    colour: str | None
    price: Decimal
    discount: Decimal
    trade_in_value: Decimal
    deposit: Decimal
    stock_vehicle_id: int | None
    vin: str | None = Field(description="VIN of the allocated car")
    status: LeadStatus = Field(description="Where the order's lead stands")
    ordered_at: datetime
    delivered_at: datetime | None


OrderPage = Page[OrderRead]


class ChecklistItemRead(BaseModel):
    """One checklist line with its label."""

    model_config = ConfigDict(from_attributes=True)

    kind: ChecklistKind
    code: str
    label_zh: str = Field(examples=["OBD 故障码扫描无故障"])
    label_en: str = Field(examples=["OBD scan shows no trouble codes"])
    result: ChecklistResult
    note: str | None
    checked_by_id: int | None
    checked_at: datetime | None


class ChecklistTick(BaseModel):
    """The result of one checklist line."""

    result: ChecklistResult = Field(examples=["ok"])
    note: str | None = Field(default=None, max_length=2000, examples=["左后门轻微划痕已抛光"])


class ChecklistRead(BaseModel):
    """An order's PDI and delivery checklists, and whether each is complete."""

    order_id: int
    pdi_passed: bool
    delivery_complete: bool
    items: list[ChecklistItemRead]


# Performance board -------------------------------------------------------------------------


class BoardRow(BaseModel):
    """One consultant in one period (period_start null: the whole range)."""

    consultant_id: int | None = Field(description="null: leads nobody was assigned")
    consultant_name: str | None
    period_start: date | None
    leads: int = Field(description="Leads created in the period")
    converted: int = Field(description="Of those, leads that reached a signed order")
    conversion_rate: float | None = Field(description="converted / leads; null without leads")
    units: int = Field(description="Cars delivered in the period")
    revenue: Decimal = Field(description="Σ price − discount of the delivered cars")
    gross_margin: Decimal = Field(description="Σ price − cost − discount of the delivered cars")


class Board(BaseModel):
    """The sales performance board (销售绩效看板)."""

    period: Period
    date_from: date
    date_to: date
    store_id: int | None
    rows: list[BoardRow] = Field(description="Per consultant and period, oldest first")
    totals: list[BoardRow] = Field(description="Per consultant over the whole range")

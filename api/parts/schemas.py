"""Parts API models: catalogue, warehouses, stock levels, lots, moves, reservations and the
ABC classes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

from api.pagination import Page
from api.parts.constants import (
    MAX_MONEY,
    MAX_QUANTITY,
    AbcClass,
    Category,
    MoveKind,
    PartKind,
    ReservationStatus,
    Unit,
    WarehouseLevel,
)
from api.types import DbId, LocalMoment

# Decimals in, JSON numbers out (pydantic would otherwise write them as strings).
Number = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Qty = Annotated[
    Decimal, Field(gt=0, le=MAX_QUANTITY, decimal_places=3, examples=[2]), PlainSerializer(float)
]
SignedQty = Annotated[
    Decimal,
    Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY, decimal_places=3, examples=[-1]),
    PlainSerializer(float),
]
Price = Annotated[
    Decimal, Field(ge=0, le=MAX_MONEY, decimal_places=4, examples=[45.5]), PlainSerializer(float)
]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20, pattern=r"^\S+$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class PartBase(BaseModel):
    """Catalogue fields of a part."""

    name_zh: Name = Field(examples=["机油滤清器"])
    name_en: Name = Field(examples=["Oil filter"])
    category: Category = Field(examples=["filter"])
    kind: PartKind = Field(
        default="standard", description="fluid, battery and tyre lots expire and pick FEFO"
    )
    unit: Unit = Field(default="piece")
    list_price: Price = Field(examples=[68])
    standard_cost: Price = Field(examples=[41.5])
    shelf_life_days: int | None = Field(default=None, ge=1, le=36500, examples=[1825])
    fits: str | None = Field(default=None, max_length=200, examples=["Volkswagen Lavida 1.5L"])
    superseded_by_id: DbId | None = Field(default=None, description="The part that replaces it")
    preferred_supplier_id: DbId | None = None
    active: bool = True


class PartCreate(PartBase):
    """A new catalogue part."""

    part_number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ] = Field(examples=["04E115561H"])


class PartUpdate(BaseModel):
    """Changes to a part; absent fields stay as they are."""

    name_zh: Name | None = None
    name_en: Name | None = None
    category: Category | None = None
    unit: Unit | None = None
    list_price: Price | None = None
    standard_cost: Price | None = None
    shelf_life_days: int | None = Field(default=None, ge=1, le=36500)
    fits: str | None = Field(default=None, max_length=200)
    superseded_by_id: DbId | None = None
    preferred_supplier_id: DbId | None = None
    active: bool | None = None


class PartRead(PartCreate):
    """A catalogue part."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    dealer_group_id: int
    created_at: datetime


PartPage = Page[PartRead]


class WarehouseCreate(BaseModel):
    """A new warehouse: level store needs store_id; hq and regional must not have one."""

    code: Code = Field(examples=["PD-01"])
    name_zh: Name = Field(examples=["浦东店配件仓"])
    name_en: Name = Field(examples=["Pudong parts store"])
    level: WarehouseLevel = Field(examples=["store"])
    store_id: DbId | None = None
    parent_id: DbId | None = Field(default=None, description="Warehouse that replenishes it")


class WarehouseRead(WarehouseCreate):
    """A warehouse."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    dealer_group_id: int


WarehousePage = Page[WarehouseRead]


class BinCreate(BaseModel):
    """A shelf location in a warehouse."""

    code: Code = Field(examples=["A-03-2"])
    description: str | None = Field(default=None, max_length=100, examples=["机滤货架"])


class BinRead(BinCreate):
    """A shelf location."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    warehouse_id: int


class StockPolicy(BaseModel):
    """Replenishment policy of a part in a warehouse: min ≤ reorder point ≤ max."""

    min_qty: SignedQty = Field(default=Decimal(0), ge=0, description="Safety stock")
    reorder_point: SignedQty = Field(ge=0, examples=[10])
    max_qty: SignedQty = Field(ge=0, examples=[40], description="A reorder fills up to this")
    bin_id: DbId | None = None


class StockItemRead(StockPolicy):
    """The policy as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    warehouse_id: int
    part_id: int


class StockLevel(BaseModel):
    """Stock of a part in a warehouse, derived from the ledger."""

    model_config = ConfigDict(from_attributes=True)

    warehouse_id: int
    warehouse_code: str
    part_id: int
    part_number: str
    name_zh: str
    name_en: str
    on_hand: Number = Field(description="Sum of every move")
    expired: Number = Field(description="On hand in lots past their expiry date")
    reserved: Number = Field(description="Held by active reservations")
    available: Number = Field(description="on_hand - expired - reserved")
    min_qty: Number
    reorder_point: Number
    max_qty: Number
    below_reorder: bool


StockLevelPage = Page[StockLevel]


class Availability(BaseModel):
    """Stock of one part in one warehouse."""

    model_config = ConfigDict(from_attributes=True)

    on_hand: Number
    expired: Number
    reserved: Number
    available: Number


class LotStock(BaseModel):
    """What one lot holds in one warehouse, with its expiry."""

    model_config = ConfigDict(from_attributes=True)

    lot_id: int
    lot_number: str
    part_id: int
    part_number: str
    warehouse_id: int
    expires_on: date | None
    days_to_expiry: int | None
    expired: bool
    quantity: Number
    unit_cost: Number


LotStockPage = Page[LotStock]


class MoveRead(BaseModel):
    """One ledger line."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    warehouse_id: int
    part_id: int
    lot_id: int
    kind: MoveKind
    quantity: Number = Field(description="Positive in, negative out")
    unit_cost: Number
    reservation_id: int | None
    receipt_line_id: int | None
    transfer_ref: str | None
    reference_type: str | None
    reference_id: int | None
    reason: str | None
    actor_user_id: int | None
    occurred_at: datetime


MovePage = Page[MoveRead]


class ReservationCreate(BaseModel):
    """Hold stock for a work-order line (or another reference)."""

    part_id: DbId
    quantity: Qty
    reference_type: Annotated[str, StringConstraints(min_length=1, max_length=30)] = Field(
        examples=["work_order_line"]
    )
    reference_id: DbId
    warehouse_id: DbId | None = Field(default=None, description="Default: your store's warehouse")
    needed_by: LocalMoment | None = None


class ReservationRead(BaseModel):
    """A reservation."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    warehouse_id: int
    store_id: int | None
    part_id: int
    quantity: Number
    issued_quantity: Number
    status: ReservationStatus
    reference_type: str
    reference_id: int
    needed_by: datetime | None
    created_at: datetime


ReservationPage = Page[ReservationRead]


class IssueRequest(BaseModel):
    """How much of the reservation to issue (default: all that is left)."""

    quantity: Qty | None = None


class ReleaseRequest(BaseModel):
    """Why the reservation is released."""

    reason: Reason | None = Field(default=None, examples=["客户取消维修项目"])


class ReturnRequest(BaseModel):
    """Unused issued parts coming back to stock."""

    quantity: Qty
    reason: Reason = Field(examples=["维修未使用,退回仓库"])


class AdjustmentCreate(BaseModel):
    """A count correction of one lot: positive adds, negative removes."""

    warehouse_id: DbId
    lot_id: DbId
    quantity: SignedQty
    reason: Reason = Field(examples=["月度盘点差异"])


class ScrapCreate(BaseModel):
    """A write-off of damaged or expired stock."""

    warehouse_id: DbId
    lot_id: DbId
    quantity: Qty
    reason: Reason = Field(examples=["过期报废"])


class TransferCreate(BaseModel):
    """Stock moved between warehouses."""

    part_id: DbId
    from_warehouse_id: DbId
    to_warehouse_id: DbId
    quantity: Qty
    reason: Reason | None = Field(default=None, examples=["总部仓调拨补货"])


class AbcRow(BaseModel):
    """A part's consumption in the period and its ABC class."""

    model_config = ConfigDict(from_attributes=True)

    part_id: int
    part_number: str
    name_zh: str
    name_en: str
    category: str
    consumption_qty: Number = Field(description="Issued, net of returns")
    consumption_value: Number = Field(description="At the issued lots' landed cost")
    share: Number = Field(description="Of the period's total consumption value")
    cumulative_share: Number
    abc_class: AbcClass = Field(examples=["A"])


AbcPage = Page[AbcRow]

"""API models of the parts reports: reorder proposal, ABC classes, cost per supplier."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.pagination import Page
from api.parts.constants import AbcClass
from api.parts.purchasing_schemas import PurchaseOrderRead
from api.parts.schemas import Number


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
    quantity: Number = Field(description="max_qty - (available + on_order)")
    urgent: bool = Field(description="The stock position is below safety stock")
    unit_price: Number = Field(description="The part's standard cost")


class SupplierProposal(BaseModel):
    """The proposed lines for one preferred supplier (null: none set on the parts)."""

    model_config = ConfigDict(from_attributes=True)

    supplier_id: int | None
    supplier_name: str | None
    lines: list[ProposalLine]


class ProposalOrders(BaseModel):
    """The draft purchase orders made from a proposal."""

    orders: list[PurchaseOrderRead]


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

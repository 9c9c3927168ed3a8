"""KPI responses and requests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from api.pagination import Page


class KpiDefinition(BaseModel):
    """How a KPI is computed, from docs/kpis.md's table."""

    code: str
    name_en: str
    name_zh: str
    department: str
    unit: str
    better: Literal["higher", "lower"]
    formula: str
    summary: str
    dimensions: list[str] = Field(description="What it can be broken down by, besides store")


class KpiTile(KpiDefinition):
    """A KPI over a period, with its target and the same-length period before."""

    value: float | None = Field(description="None when the period has nothing to divide by")
    previous: float | None
    target: float | None
    gap: float | None = Field(description="value - target, in the KPI's unit")
    on_target: bool | None


class TrendPoint(BaseModel):
    """The KPI over one day, week or month of the period."""

    start: date
    end: date
    value: float | None


class BreakdownRow(BaseModel):
    """The KPI for one member of a dimension (an advisor, a warehouse, ...)."""

    member: str
    label: str
    value: float | None
    weight: float = Field(description="Its denominator: how much of the whole it stands for")


class KpiDetail(KpiDefinition):
    """One KPI: value, target, trend, and optionally a breakdown."""

    value: float | None
    target: float | None
    gap: float | None
    on_target: bool | None
    trend: list[TrendPoint]
    breakdown: list[BreakdownRow] | None


class KpiRecord(BaseModel):
    """One ledger row behind a KPI: which measure it feeds, the record, its day and value."""

    measure: str
    record: str = Field(description="sales_order, invoice, appointment, survey, ...")
    record_id: int
    store_id: int
    day: date
    value: float


KpiRecordPage = Page[KpiRecord]


class TargetIn(BaseModel):
    """A store's target for a KPI, in the KPI's unit."""

    target: Decimal = Field(ge=0, le=10_000_000, decimal_places=4, examples=["25"])


class TargetRead(TargetIn):
    """A store's target for a KPI."""

    kpi: str
    store_id: int

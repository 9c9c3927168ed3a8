"""Forecast responses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.pagination import Page


class ForecastPointRead(BaseModel):
    """One period of a series' forecast, with its intervals."""

    model_config = ConfigDict(from_attributes=True)

    period: date
    mean: float
    lo_80: float | None
    hi_80: float | None
    lo_95: float | None
    hi_95: float | None
    from_alerts: float = Field(description="Demand the fleet's open predictions add")


class ActualRead(BaseModel):
    """One period of the history the forecast learnt from."""

    period: date
    value: float


class SeriesRead(BaseModel):
    """A model's or a part's history and forecast."""

    member: str = Field(description="The sales model's or the part's id")
    label: str
    history: list[ActualRead]
    forecast: list[ForecastPointRead]


class ForecastRead(BaseModel):
    """The newest forecast of a store (sales) or warehouse (parts), with its back-test."""

    kind: str
    method: str
    made_at: datetime
    backtest: dict[str, Any] = Field(
        description="The error measure, its pooled value per method, the chosen method's ratio"
        " to the baseline (below 1 beats it), and the back-test's size"
    )
    series: list[SeriesRead]


class ChurnReason(BaseModel):
    """One reason for a customer's risk, in both languages."""

    feature: str
    weight: float = Field(description="Its contribution, in log-odds")
    en: str
    zh: str


class ChurnRead(BaseModel):
    """A customer's probability of not coming back within 12 months, and why."""

    customer_id: int
    name: str
    phone: str
    probability: float
    reasons: list[ChurnReason]


class ChurnPage(Page[ChurnRead]):
    """Customers by churn risk, highest first, with the model's held-out figures."""

    backtest: dict[str, Any] | None = None
